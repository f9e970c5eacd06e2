package org.legoos.net.protocol.p2m;

import org.legoos.net.protocol.WireReader;
import org.legoos.net.protocol.WireWriter;
import static org.legoos.net.protocol.Codecs.*;

/**
 * Reply to a VM call: the resulting address, and the vRegion index -> owner node map of the address space
 * (parallel arrays) as of {@code ownersVersion}. The home raises the version with every change of the map, so a
 * processor that gets replies out of order (several threads' calls in flight) keeps the newest map, never an older one.
 * {@code homeReplica} is the memory component holding a copy of the home's metadata of this address space (-1: none),
 * which takes over as home if the home dies.
 */
public record MapReply(long addr, long vregionBytes, long[] regions, int[] owners, long ownersVersion, int homeReplica)
        implements org.legoos.net.protocol.Message {
    public MapReply {
        java.util.Objects.requireNonNull(regions, "regions");
        java.util.Objects.requireNonNull(owners, "owners");
        if (regions.length != owners.length) {
            throw new IllegalArgumentException(regions.length + " vRegions but " + owners.length + " owners");
        }
    }

    /** A reply whose owner map carries no version (version 0). */
    public MapReply(long addr, long vregionBytes, long[] regions, int[] owners) {
        this(addr, vregionBytes, regions, owners, 0);
    }

    /** A reply from a home without a replica of its metadata. */
    public MapReply(long addr, long vregionBytes, long[] regions, int[] owners, long ownersVersion) {
        this(addr, vregionBytes, regions, owners, ownersVersion, -1);
    }

    @Override
    public void encode(WireWriter out) {
        out.putLong(addr);
        out.putLong(vregionBytes);
        out.putInt(regions.length); for (long v : regions) { out.putLong(v); }
        out.putInt(owners.length); for (int v : owners) { out.putInt(v); }
        out.putLong(ownersVersion);
        out.putInt(homeReplica);
    }

    public static MapReply decode(WireReader in) {
        long addr = in.getLong();
        long vregionBytes = in.getLong();
        long[] regions = readLongs(in);
        int[] owners = readInts(in);
        if (regions.length != owners.length) {
            throw new org.legoos.net.protocol.ProtocolException("MapReply: " + regions.length + " vRegions but "
                    + owners.length + " owners");
        }
        return new MapReply(addr, vregionBytes, regions, owners, in.getLong(), in.getInt());
    }
}
