package org.legoos.net.protocol.m2s;

import org.legoos.net.protocol.WireReader;
import org.legoos.net.protocol.WireWriter;
import static org.legoos.net.protocol.Codecs.*;

/** M2S_READ: buffer-cache fill from storage. */
public record BlockRead(int vnodeId, String path, long offset, int length) implements org.legoos.net.protocol.Request<org.legoos.net.protocol.p2s.FileData> {
    public BlockRead {
        java.util.Objects.requireNonNull(path, "path");
    }

    @Override
    public void encode(WireWriter out) {
        out.putInt(vnodeId);
        out.putString(path);
        out.putLong(offset);
        out.putInt(length);
    }

    public static BlockRead decode(WireReader in) {
        return new BlockRead(in.getInt(), in.getString(), in.getLong(), in.getInt());
    }
}
