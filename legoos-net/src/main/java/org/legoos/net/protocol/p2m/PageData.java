package org.legoos.net.protocol.p2m;

import org.legoos.net.protocol.WireReader;
import org.legoos.net.protocol.WireWriter;
import static org.legoos.net.protocol.Codecs.*;

/** Reply to a miss: 4096 bytes per requested page. */
public record PageData(java.nio.ByteBuffer data) implements org.legoos.net.protocol.Message {
    public PageData {
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

    public static PageData decode(WireReader in) {
        return new PageData(in.getSlice(in.getCount(1 << 30, "data bytes")));
    }
}
