package org.legoos.net.protocol.m2m;

import org.legoos.net.protocol.WireReader;
import org.legoos.net.protocol.WireWriter;
import static org.legoos.net.protocol.Codecs.*;

/** M2M_WRITE_PAGES: mremap across owners: store 4096 bytes per vaddr (mapped here, whatever their prot); all or nothing on NO_MEMORY. */
public record OwnerWritePages(long pid, long[] vaddrs, java.nio.ByteBuffer data) implements org.legoos.net.protocol.Request<org.legoos.net.protocol.Ack> {
    public OwnerWritePages {
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

    public static OwnerWritePages decode(WireReader in) {
        return new OwnerWritePages(in.getLong(), readLongs(in), in.getSlice(in.getCount(1 << 30, "data bytes")));
    }
}
