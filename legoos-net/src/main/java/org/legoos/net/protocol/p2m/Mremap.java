package org.legoos.net.protocol.p2m;

import org.legoos.net.protocol.WireReader;
import org.legoos.net.protocol.WireWriter;
import static org.legoos.net.protocol.Codecs.*;

/** P2M_MREMAP: grow/shrink/move a mapping (to the home node). */
public record Mremap(long pid, long oldAddr, long oldLength, long newLength, boolean mayMove) implements org.legoos.net.protocol.Request<MapReply> {
    @Override
    public void encode(WireWriter out) {
        out.putLong(pid);
        out.putLong(oldAddr);
        out.putLong(oldLength);
        out.putLong(newLength);
        out.putBoolean(mayMove);
    }

    public static Mremap decode(WireReader in) {
        return new Mremap(in.getLong(), in.getLong(), in.getLong(), in.getLong(), in.getBoolean());
    }
}
