package org.legoos.net.protocol.p2m;

import org.legoos.net.protocol.WireReader;
import org.legoos.net.protocol.WireWriter;
import static org.legoos.net.protocol.Codecs.*;

/**
 * Reply to a VM call: the resulting address, and the vRegion index -> owner node map of the address space
 * (parallel arrays) as of {@code ownersVersion}. The home raises the version with every change of the map, so a
 * processor that gets replies out of order (several threads' calls in flight) keeps the newest map, never an older one.
 * {@code homeReplica} is the memory component holding a copy of the home's metadata of this address space (-1: none),
 * which takes over as home if the home dies. {@code lostOwners} are the memory components declared dead while holding
 * vRegions of this address space that had no replica: their pages are lost, and a processor fails an access there at
 * once instead of waiting for a failover that cannot come.
 */
public record MapReply(long addr, long vregionBytes, long[] regions, int[] owners, long ownersVersion, int homeReplica,
                       int[] lostOwners)
        implements org.legoos.net.protocol.Message {
    private static final int[] NONE = new int[0];

    public MapReply {
        java.util.Objects.requireNonNull(regions, "regions");
        java.util.Objects.requireNonNull(owners, "owners");
        java.util.Objects.requireNonNull(lostOwners, "lostOwners");
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

    /** A reply naming no lost owner. */
    public MapReply(long addr, long vregionBytes, long[] regions, int[] owners, long ownersVersion, int homeReplica) {
        this(addr, vregionBytes, regions, owners, ownersVersion, homeReplica, NONE);
    }

    @Override
    public void encode(WireWriter out) {
        out.putLong(addr);
        out.putLong(vregionBytes);
        out.putInt(regions.length); for (long v : regions) { out.putLong(v); }
        out.putInt(owners.length); for (int v : owners) { out.putInt(v); }
        out.putLong(ownersVersion);
        out.putInt(homeReplica);
        out.putInt(lostOwners.length); for (int v : lostOwners) { out.putInt(v); }
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
        long version = in.getLong();
        int homeReplica = in.getInt();
        return new MapReply(addr, vregionBytes, regions, owners, version, homeReplica, readInts(in));
    }
}
