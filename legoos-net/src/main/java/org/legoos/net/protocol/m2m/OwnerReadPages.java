package org.legoos.net.protocol.m2m;

import org.legoos.net.protocol.WireReader;
import org.legoos.net.protocol.WireWriter;
import static org.legoos.net.protocol.Codecs.*;

/** M2M_READ_PAGES: mremap across owners: the stored (ever flushed) pages of [addr, addr+length), at most maxPages, in address order. */
public record OwnerReadPages(long pid, long addr, long length, int maxPages) implements org.legoos.net.protocol.Request<PageSet> {
    @Override
    public void encode(WireWriter out) {
        out.putLong(pid);
        out.putLong(addr);
        out.putLong(length);
        out.putInt(maxPages);
    }

    public static OwnerReadPages decode(WireReader in) {
        return new OwnerReadPages(in.getLong(), in.getLong(), in.getLong(), in.getInt());
    }
}
