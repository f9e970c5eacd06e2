package org.legoos.net.protocol.p2m;

import org.legoos.net.protocol.WireReader;
import org.legoos.net.protocol.WireWriter;
import static org.legoos.net.protocol.Codecs.*;

/** P2M_WRITE: write file data into the storage buffer cache. */
public record FileWrite(int vnodeId, String path, long offset, java.nio.ByteBuffer data) implements org.legoos.net.protocol.Request<org.legoos.net.protocol.Ack> {
    public FileWrite {
        java.util.Objects.requireNonNull(path, "path");
        java.util.Objects.requireNonNull(data, "data");
    }

    @Override
    public int sizeHint() {
        return 64 + data.remaining() + path.length() * 3;
    }

    @Override
    public void encode(WireWriter out) {
        out.putInt(vnodeId);
        out.putString(path);
        out.putLong(offset);
        out.putInt(data.remaining()).putRaw(data.duplicate());
    }

    public static FileWrite decode(WireReader in) {
        return new FileWrite(in.getInt(), in.getString(), in.getLong(), in.getSlice(in.getCount(1 << 30, "data bytes")));
    }
}
