package org.legoos.net.protocol.p2m;

import org.legoos.net.protocol.WireReader;
import org.legoos.net.protocol.WireWriter;
import static org.legoos.net.protocol.Codecs.*;

/**
 * Reply to CREATE_AS: the vRegion size, where the heap (brk area) starts, and the memory component holding a copy of
 * the home's metadata of the address space (-1: none), which takes over as home if the home dies.
 */
public record AddressSpaceInfo(long vregionBytes, long heapStart, int homeReplica) implements org.legoos.net.protocol.Message {
    /** Without a home replica. */
    public AddressSpaceInfo(long vregionBytes, long heapStart) {
        this(vregionBytes, heapStart, -1);
    }

    @Override
    public void encode(WireWriter out) {
        out.putLong(vregionBytes);
        out.putLong(heapStart);
        out.putInt(homeReplica);
    }

    public static AddressSpaceInfo decode(WireReader in) {
        return new AddressSpaceInfo(in.getLong(), in.getLong(), in.getInt());
    }
}
