package org.legoos.net.protocol.m2m;

import org.legoos.net.protocol.WireReader;
import org.legoos.net.protocol.WireWriter;
import static org.legoos.net.protocol.Codecs.*;

/** M2M_MUNMAP: home to vRegion owner: [addr, addr+length) is no longer mapped; free its areas and pages (unmapped parts are ignored). */
public record OwnerUnmap(long pid, long addr, long length) implements org.legoos.net.protocol.Request<org.legoos.net.protocol.Ack> {
    @Override
    public void encode(WireWriter out) {
        out.putLong(pid);
        out.putLong(addr);
        out.putLong(length);
    }

    public static OwnerUnmap decode(WireReader in) {
        return new OwnerUnmap(in.getLong(), in.getLong(), in.getLong());
    }
}
