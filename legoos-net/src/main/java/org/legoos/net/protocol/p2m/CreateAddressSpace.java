package org.legoos.net.protocol.p2m;

import org.legoos.net.protocol.WireReader;
import org.legoos.net.protocol.WireWriter;
import static org.legoos.net.protocol.Codecs.*;

/** P2M_CREATE_AS: make this memory component the home of a new process address space. */
public record CreateAddressSpace(int vnodeId, long pid, long quotaBytes) implements org.legoos.net.protocol.Request<AddressSpaceInfo> {
    @Override
    public void encode(WireWriter out) {
        out.putInt(vnodeId);
        out.putLong(pid);
        out.putLong(quotaBytes);
    }

    public static CreateAddressSpace decode(WireReader in) {
        return new CreateAddressSpace(in.getInt(), in.getLong(), in.getLong());
    }
}
