package org.legoos.net.protocol.m2m;

import org.legoos.net.protocol.WireReader;
import org.legoos.net.protocol.WireWriter;
import static org.legoos.net.protocol.Codecs.*;

/** Reply to READ_PAGES: stored pages (4096 bytes per vaddr, in order) and the address to continue from (the end of the range when done). */
public record PageSet(long next, long[] vaddrs, java.nio.ByteBuffer data) implements org.legoos.net.protocol.Message {
    public PageSet {
        java.util.Objects.requireNonNull(vaddrs, "vaddrs");
        java.util.Objects.requireNonNull(data, "data");
    }

    @Override
    public int sizeHint() {
        return 64 + data.remaining() + 8 * vaddrs.length;
    }

    @Override
    public void encode(WireWriter out) {
        out.putLong(next);
        out.putInt(vaddrs.length); for (long v : vaddrs) { out.putLong(v); }
        out.putInt(data.remaining()).putRaw(data.duplicate());
    }

    public static PageSet decode(WireReader in) {
        return new PageSet(in.getLong(), readLongs(in), in.getSlice(in.getCount(1 << 30, "data bytes")));
    }
}
