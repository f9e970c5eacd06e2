package org.legoos.net.protocol.m2m;

import org.legoos.net.protocol.WireReader;
import org.legoos.net.protocol.WireWriter;

/** M2M_MPROTECT: home to vRegion owner: the areas of [addr, addr+length) held here now have protection prot. */
public record OwnerProtect(long pid, long addr, long length, int prot) implements org.legoos.net.protocol.Request<org.legoos.net.protocol.Ack> {
    @Override
    public void encode(WireWriter out) {
        out.putLong(pid);
        out.putLong(addr);
        out.putLong(length);
        out.putInt(prot);
    }

    public static OwnerProtect decode(WireReader in) {
        return new OwnerProtect(in.getLong(), in.getLong(), in.getLong(), in.getInt());
    }
}
