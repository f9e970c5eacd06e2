package org.legoos.net.protocol.p2m;

import org.legoos.net.protocol.WireReader;
import org.legoos.net.protocol.WireWriter;
import static org.legoos.net.protocol.Codecs.*;

/** P2M_MSYNC: barrier after the processor flushed a range; validates the range. */
public record Msync(long pid, long addr, long length) implements org.legoos.net.protocol.Request<org.legoos.net.protocol.Ack> {
    @Override
    public void encode(WireWriter out) {
        out.putLong(pid);
        out.putLong(addr);
        out.putLong(length);
    }

    public static Msync decode(WireReader in) {
        return new Msync(in.getLong(), in.getLong(), in.getLong());
    }
}
