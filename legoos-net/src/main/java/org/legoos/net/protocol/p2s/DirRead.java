package org.legoos.net.protocol.p2s;

import org.legoos.net.protocol.WireReader;
import org.legoos.net.protocol.WireWriter;
import static org.legoos.net.protocol.Codecs.*;

/** P2S_READDIR: list a directory. */
public record DirRead(int vnodeId, String path) implements org.legoos.net.protocol.Request<DirList> {
    public DirRead {
        java.util.Objects.requireNonNull(path, "path");
    }

    @Override
    public void encode(WireWriter out) {
        out.putInt(vnodeId);
        out.putString(path);
    }

    public static DirRead decode(WireReader in) {
        return new DirRead(in.getInt(), in.getString());
    }
}
