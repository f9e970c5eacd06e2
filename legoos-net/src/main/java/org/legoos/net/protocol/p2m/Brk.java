package org.legoos.net.protocol.p2m;

import org.legoos.net.protocol.WireReader;
import org.legoos.net.protocol.WireWriter;
import static org.legoos.net.protocol.Codecs.*;

/** P2M_BRK: set (or with 0 read) the program break (to the home node). */
public record Brk(long pid, long newBreak) implements org.legoos.net.protocol.Request<MapReply> {
    @Override
    public void encode(WireWriter out) {
        out.putLong(pid);
        out.putLong(newBreak);
    }

    public static Brk decode(WireReader in) {
        return new Brk(in.getLong(), in.getLong());
    }
}
