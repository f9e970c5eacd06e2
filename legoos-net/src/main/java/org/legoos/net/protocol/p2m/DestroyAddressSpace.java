package org.legoos.net.protocol.p2m;

import org.legoos.net.protocol.WireReader;
import org.legoos.net.protocol.WireWriter;
import static org.legoos.net.protocol.Codecs.*;

/** P2M_DESTROY_AS: process exit: free every page and area of the address space on every owner. */
public record DestroyAddressSpace(long pid) implements org.legoos.net.protocol.Request<org.legoos.net.protocol.Ack> {
    @Override
    public void encode(WireWriter out) {
        out.putLong(pid);
    }

    public static DestroyAddressSpace decode(WireReader in) {
        return new DestroyAddressSpace(in.getLong());
    }
}
