package org.legoos.net.protocol.p2m;

import org.legoos.net.protocol.WireReader;
import org.legoos.net.protocol.WireWriter;

/** P2M_MPROTECT: set the protection of [addr, addr+length), which must be fully mapped (to the home node). */
public record Mprotect(long pid, long addr, long length, int prot) implements org.legoos.net.protocol.Request<MapReply> {
    @Override
    public void encode(WireWriter out) {
        out.putLong(pid);
        out.putLong(addr);
        out.putLong(length);
        out.putInt(prot);
    }

    public static Mprotect decode(WireReader in) {
        return new Mprotect(in.getLong(), in.getLong(), in.getLong(), in.getInt());
    }
}
