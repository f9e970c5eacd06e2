package org.legoos.net.protocol.p2s;

import java.util.function.Function;
import org.legoos.net.protocol.*;

/** Opcodes of the P2S link: the one place that knows them. */
public enum P2sOp implements Op {
    /** open (and optionally create) a regular file; stateless: nothing is kept per caller. */
    OPEN(1, FileOpen.class, FileOpen::decode, FileStat::decode),
    /** attributes of a file or directory. */
    STAT(2, FileStatRequest.class, FileStatRequest::decode, FileStat::decode),
    /** set a file's size. */
    TRUNCATE(3, FileTruncate.class, FileTruncate::decode, org.legoos.net.protocol.Ack::decode),
    /** remove a regular file. */
    UNLINK(4, FileUnlink.class, FileUnlink::decode, org.legoos.net.protocol.Ack::decode),
    /** create a directory (the parent must exist). */
    MKDIR(5, DirCreate.class, DirCreate::decode, org.legoos.net.protocol.Ack::decode),
    /** remove an empty directory. */
    RMDIR(6, DirRemove.class, DirRemove::decode, org.legoos.net.protocol.Ack::decode),
    /** list a directory. */
    READDIR(7, DirRead.class, DirRead::decode, DirList::decode),
    /** rename a file or directory, replacing a regular file at the target. */
    RENAME(8, FileRename.class, FileRename::decode, org.legoos.net.protocol.Ack::decode);

    private final Info info;

    P2sOp(int number, Class<? extends Message> type, Function<WireReader, ? extends Message> requestDecoder,
          Function<WireReader, ? extends Message> replyDecoder) {
        this.info = new Info(Link.P2S, number, type, requestDecoder, replyDecoder);
    }

    @Override
    public Info info() {
        return info;
    }
}
