package org.legoos.net.protocol.p2m;

import org.legoos.net.protocol.WireReader;
import org.legoos.net.protocol.WireWriter;
import static org.legoos.net.protocol.Codecs.*;

/** Reply to a VM call: the resulting address, and the vRegion index -> owner node map of the address space (parallel arrays). */
public record MapReply(long addr, long vregionBytes, long[] regions, int[] owners) implements org.legoos.net.protocol.Message {
    public MapReply {
        java.util.Objects.requireNonNull(regions, "regions");
        java.util.Objects.requireNonNull(owners, "owners");
    }

    @Override
    public void encode(WireWriter out) {
        out.putLong(addr);
        out.putLong(vregionBytes);
        out.putInt(regions.length); for (long v : regions) { out.putLong(v); }
        out.putInt(owners.length); for (int v : owners) { out.putInt(v); }
    }

    public static MapReply decode(WireReader in) {
        return new MapReply(in.getLong(), in.getLong(), readLongs(in), readInts(in));
    }
}
