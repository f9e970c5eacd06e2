package org.legoos.net.protocol.p2s;

import org.legoos.net.protocol.WireReader;
import org.legoos.net.protocol.WireWriter;
import static org.legoos.net.protocol.Codecs.*;

/** P2S_MKDIR: create a directory (the parent must exist). */
public record DirCreate(int vnodeId, String path) implements org.legoos.net.protocol.Request<org.legoos.net.protocol.Ack> {
    public DirCreate {
        java.util.Objects.requireNonNull(path, "path");
    }

    @Override
    public void encode(WireWriter out) {
        out.putInt(vnodeId);
        out.putString(path);
    }

    public static DirCreate decode(WireReader in) {
        return new DirCreate(in.getInt(), in.getString());
    }
}
