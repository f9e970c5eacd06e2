package org.legoos.net.protocol.p2s;

import org.legoos.net.protocol.WireReader;
import org.legoos.net.protocol.WireWriter;
import static org.legoos.net.protocol.Codecs.*;

/** P2S_UNLINK: remove a regular file. */
public record FileUnlink(int vnodeId, String path) implements org.legoos.net.protocol.Request<org.legoos.net.protocol.Ack> {
    public FileUnlink {
        java.util.Objects.requireNonNull(path, "path");
    }

    @Override
    public void encode(WireWriter out) {
        out.putInt(vnodeId);
        out.putString(path);
    }

    public static FileUnlink decode(WireReader in) {
        return new FileUnlink(in.getInt(), in.getString());
    }
}
