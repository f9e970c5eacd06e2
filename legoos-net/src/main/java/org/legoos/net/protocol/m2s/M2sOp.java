package org.legoos.net.protocol.m2s;

import java.util.function.Function;
import org.legoos.net.protocol.*;

/** Opcodes of the M2S link: the one place that knows them. */
public enum M2sOp implements Op {
    /** buffer-cache fill from storage. */
    READ(1, BlockRead.class, BlockRead::decode, org.legoos.net.protocol.p2s.FileData::decode),
    /** buffer-cache write-back to storage (extends the file as needed). */
    WRITE(2, BlockWrite.class, BlockWrite::decode, org.legoos.net.protocol.Ack::decode),
    /** make written data of the file durable. */
    FSYNC(3, BlockSync.class, BlockSync::decode, org.legoos.net.protocol.Ack::decode),
    /** bytes a vNode's files take and its storage quota (a buffer cache checks writes that grow files against it). */
    USAGE(4, UsageRequest.class, UsageRequest::decode, StorageUsage::decode);

    private final Info info;

    M2sOp(int number, Class<? extends Message> type, Function<WireReader, ? extends Message> requestDecoder,
          Function<WireReader, ? extends Message> replyDecoder) {
        this.info = new Info(Link.M2S, number, type, requestDecoder, replyDecoder);
    }

    @Override
    public Info info() {
        return info;
    }
}
