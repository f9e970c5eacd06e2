package org.legoos.net.protocol.p2s;

import org.legoos.net.protocol.WireReader;
import org.legoos.net.protocol.WireWriter;
import static org.legoos.net.protocol.Codecs.*;

/** File bytes; fewer than asked means end of file. */
public record FileData(java.nio.ByteBuffer data) implements org.legoos.net.protocol.Message {
    public FileData {
        java.util.Objects.requireNonNull(data, "data");
    }

    @Override
    public int sizeHint() {
        return 64 + data.remaining();
    }

    @Override
    public void encode(WireWriter out) {
        out.putInt(data.remaining()).putRaw(data.duplicate());
    }

    public static FileData decode(WireReader in) {
        return new FileData(in.getSlice(in.getCount(1 << 30, "data bytes")));
    }
}
