package org.legoos.net.protocol.p2m;

import org.legoos.net.protocol.WireReader;
import org.legoos.net.protocol.WireWriter;
import static org.legoos.net.protocol.Codecs.*;

/** P2M_MMAP: map anonymous memory (to the home node). */
public record Mmap(long pid, long hint, long length, int prot) implements org.legoos.net.protocol.Request<MapReply> {
    @Override
    public void encode(WireWriter out) {
        out.putLong(pid);
        out.putLong(hint);
        out.putLong(length);
        out.putInt(prot);
    }

    public static Mmap decode(WireReader in) {
        return new Mmap(in.getLong(), in.getLong(), in.getLong(), in.getInt());
    }
}
