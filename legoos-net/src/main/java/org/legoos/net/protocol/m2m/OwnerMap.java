package org.legoos.net.protocol.m2m;

import org.legoos.net.protocol.WireReader;
import org.legoos.net.protocol.WireWriter;
import static org.legoos.net.protocol.Codecs.*;

/** M2M_MMAP: home to vRegion owner: [addr, addr+length) (page aligned, inside vRegions this owner holds) is now mapped with prot; the owner keeps it to validate accesses. */
public record OwnerMap(long pid, int vnodeId, long addr, long length, int prot) implements org.legoos.net.protocol.Request<org.legoos.net.protocol.Ack> {
    @Override
    public void encode(WireWriter out) {
        out.putLong(pid);
        out.putInt(vnodeId);
        out.putLong(addr);
        out.putLong(length);
        out.putInt(prot);
    }

    public static OwnerMap decode(WireReader in) {
        return new OwnerMap(in.getLong(), in.getInt(), in.getLong(), in.getLong(), in.getInt());
    }
}
