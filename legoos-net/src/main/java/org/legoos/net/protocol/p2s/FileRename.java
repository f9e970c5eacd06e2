package org.legoos.net.protocol.p2s;

import org.legoos.net.protocol.WireReader;
import org.legoos.net.protocol.WireWriter;
import static org.legoos.net.protocol.Codecs.*;

/** P2S_RENAME: rename a file or directory, replacing a regular file at the target. */
public record FileRename(int vnodeId, String from, String to) implements org.legoos.net.protocol.Request<org.legoos.net.protocol.Ack> {
    public FileRename {
        java.util.Objects.requireNonNull(from, "from");
        java.util.Objects.requireNonNull(to, "to");
    }

    @Override
    public void encode(WireWriter out) {
        out.putInt(vnodeId);
        out.putString(from);
        out.putString(to);
    }

    public static FileRename decode(WireReader in) {
        return new FileRename(in.getInt(), in.getString(), in.getString());
    }
}
