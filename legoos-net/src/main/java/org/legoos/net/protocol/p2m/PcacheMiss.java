package org.legoos.net.protocol.p2m;

import org.legoos.net.protocol.WireReader;
import org.legoos.net.protocol.WireWriter;
import static org.legoos.net.protocol.Codecs.*;

/** P2M_PCACHE_MISS: ExCache miss for `pages` consecutive pages from vaddr (page aligned); a dirty victim (victim non-empty, 4096 bytes at victimVaddr) rides along (piggyback). */
public record PcacheMiss(long pid, long vaddr, int pages, long victimVaddr, java.nio.ByteBuffer victim) implements org.legoos.net.protocol.Request<PageData> {
    public PcacheMiss {
        java.util.Objects.requireNonNull(victim, "victim");
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
    }

    public static PcacheMiss decode(WireReader in) {
        return new PcacheMiss(in.getLong(), in.getLong(), in.getInt(), in.getLong(), in.getSlice(in.getCount(1 << 30, "data bytes")));
    }
}
