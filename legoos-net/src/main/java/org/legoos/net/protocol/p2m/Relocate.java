package org.legoos.net.protocol.p2m;

import org.legoos.net.protocol.WireReader;
import org.legoos.net.protocol.WireWriter;
import static org.legoos.net.protocol.Codecs.*;

/**
 * P2M_RELOCATE: memory component {@code owner} has no room for pages of pid at {@code vaddrs}; the home moves the
 * vRegions holding them to a memory component with room and replies with the new owner map.
 */
public record Relocate(long pid, int owner, long[] vaddrs) implements org.legoos.net.protocol.Request<MapReply> {
    public Relocate {
        java.util.Objects.requireNonNull(vaddrs, "vaddrs");
    }

    @Override
    public void encode(WireWriter out) {
        out.putLong(pid);
        out.putInt(owner);
        out.putInt(vaddrs.length); for (long v : vaddrs) { out.putLong(v); }
    }

    public static Relocate decode(WireReader in) {
        return new Relocate(in.getLong(), in.getInt(), readLongs(in));
    }
}
