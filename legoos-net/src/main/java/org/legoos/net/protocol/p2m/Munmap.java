package org.legoos.net.protocol.p2m;

import org.legoos.net.protocol.WireReader;
import org.legoos.net.protocol.WireWriter;
import static org.legoos.net.protocol.Codecs.*;

/** P2M_MUNMAP: unmap pages (to the home node). */
public record Munmap(long pid, long addr, long length) implements org.legoos.net.protocol.Request<MapReply> {
    @Override
    public void encode(WireWriter out) {
        out.putLong(pid);
        out.putLong(addr);
        out.putLong(length);
    }

    public static Munmap decode(WireReader in) {
        return new Munmap(in.getLong(), in.getLong(), in.getLong());
    }
}
