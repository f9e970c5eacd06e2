package org.legoos.net.protocol.p2m;

import org.legoos.net.protocol.WireReader;
import org.legoos.net.protocol.WireWriter;
import static org.legoos.net.protocol.Codecs.*;

/**
 * P2M_PCACHE_MISS: ExCache miss for up to {@code pages} pages at {@code vaddr + i * strideBytes}, {@code i = 0 ..
 * pages - 1}: the first is the page the processor missed, the others are prefetched along with it in the same
 * message. {@code vaddr} is page aligned; {@code strideBytes} is a nonzero multiple of 4096, negative for a
 * descending stream (4096: consecutive pages, LegoOS's only form). The owner answers with the pages in order,
 * stopping at the first one not accessible there. A dirty victim ({@code victim} non-empty, 4096 bytes at
 * {@code victimVaddr}) rides along (piggyback). The owner validates the values, not this record.
 */
public record PcacheMiss(long pid, long vaddr, int pages, long victimVaddr, java.nio.ByteBuffer victim, long strideBytes)
        implements org.legoos.net.protocol.Request<PageData> {
    /** The stride of consecutive pages. */
    public static final long CONSECUTIVE = 4096;

    public PcacheMiss {
        java.util.Objects.requireNonNull(victim, "victim");
    }

    /** A miss for {@code pages} consecutive pages from {@code vaddr}. */
    public PcacheMiss(long pid, long vaddr, int pages, long victimVaddr, java.nio.ByteBuffer victim) {
        this(pid, vaddr, pages, victimVaddr, victim, CONSECUTIVE);
    }

    @Override
    public int sizeHint() {
        return 64 + victim.remaining();
    }

    @Override
    public void encode(WireWriter out) {
        out.putLong(pid);
        out.putLong(vaddr);
        out.putInt(pages);
        out.putLong(victimVaddr);
        out.putInt(victim.remaining()).putRaw(victim.duplicate());
        out.putLong(strideBytes);
    }

    public static PcacheMiss decode(WireReader in) {
        return new PcacheMiss(in.getLong(), in.getLong(), in.getInt(), in.getLong(),
                in.getSlice(in.getCount(1 << 30, "data bytes")), in.getLong());
    }
}
