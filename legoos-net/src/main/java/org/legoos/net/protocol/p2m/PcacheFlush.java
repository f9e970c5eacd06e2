package org.legoos.net.protocol.p2m;

import org.legoos.net.protocol.WireReader;
import org.legoos.net.protocol.WireWriter;
import static org.legoos.net.protocol.Codecs.*;

/** P2M_PCACHE_FLUSH: write back dirty lines: data holds 4096 bytes per vaddr, in order. */
public record PcacheFlush(long pid, long[] vaddrs, java.nio.ByteBuffer data) implements org.legoos.net.protocol.Request<org.legoos.net.protocol.Ack> {
    public PcacheFlush {
        java.util.Objects.requireNonNull(vaddrs, "vaddrs");
        java.util.Objects.requireNonNull(data, "data");
    }

    @Override
    public int sizeHint() {
        return 64 + data.remaining() + 8 * vaddrs.length;
    }

    @Override
    public void encode(WireWriter out) {
        out.putLong(pid);
        out.putInt(vaddrs.length); for (long v : vaddrs) { out.putLong(v); }
        out.putInt(data.remaining()).putRaw(data.duplicate());
    }

    public static PcacheFlush decode(WireReader in) {
        return new PcacheFlush(in.getLong(), readLongs(in), in.getSlice(in.getCount(1 << 30, "data bytes")));
    }
}
