package org.legoos.net.protocol.p2s;

import org.legoos.net.protocol.WireReader;
import org.legoos.net.protocol.WireWriter;
import static org.legoos.net.protocol.Codecs.*;

/** P2S_OPEN: open (and optionally create) a regular file; stateless: nothing is kept per caller. */
public record FileOpen(int vnodeId, String path, boolean create, boolean exclusive) implements org.legoos.net.protocol.Request<FileStat> {
    public FileOpen {
        java.util.Objects.requireNonNull(path, "path");
    }

    @Override
    public void encode(WireWriter out) {
        out.putInt(vnodeId);
        out.putString(path);
        out.putBoolean(create);
        out.putBoolean(exclusive);
    }

    public static FileOpen decode(WireReader in) {
        return new FileOpen(in.getInt(), in.getString(), in.getBoolean(), in.getBoolean());
    }
}
