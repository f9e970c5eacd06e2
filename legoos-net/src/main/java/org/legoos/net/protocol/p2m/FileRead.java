package org.legoos.net.protocol.p2m;

import org.legoos.net.protocol.WireReader;
import org.legoos.net.protocol.WireWriter;
import static org.legoos.net.protocol.Codecs.*;

/** P2M_READ: read file data through the storage buffer cache. */
public record FileRead(int vnodeId, String path, long offset, int length) implements org.legoos.net.protocol.Request<org.legoos.net.protocol.p2s.FileData> {
    public FileRead {
        java.util.Objects.requireNonNull(path, "path");
    }

    @Override
    public void encode(WireWriter out) {
        out.putInt(vnodeId);
        out.putString(path);
        out.putLong(offset);
        out.putInt(length);
    }

    public static FileRead decode(WireReader in) {
        return new FileRead(in.getInt(), in.getString(), in.getLong(), in.getInt());
    }
}
