package org.legoos.net.protocol.p2m;

import org.legoos.net.protocol.WireReader;
import org.legoos.net.protocol.WireWriter;
import static org.legoos.net.protocol.Codecs.*;

/** Reply to CREATE_AS: the vRegion size and where the heap (brk area) starts. */
public record AddressSpaceInfo(long vregionBytes, long heapStart) implements org.legoos.net.protocol.Message {
    @Override
    public void encode(WireWriter out) {
        out.putLong(vregionBytes);
        out.putLong(heapStart);
    }

    public static AddressSpaceInfo decode(WireReader in) {
        return new AddressSpaceInfo(in.getLong(), in.getLong());
    }
}
