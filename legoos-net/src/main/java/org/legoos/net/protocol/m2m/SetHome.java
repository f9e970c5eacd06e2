package org.legoos.net.protocol.m2m;

import org.legoos.net.protocol.WireReader;
import org.legoos.net.protocol.WireWriter;

/**
 * M2M_SET_HOME: a home replica that took over as home of pid (its home was declared dead) to every owner of pid's
 * vRegions: from now on accept pid's area changes only from {@code home}. An owner records the first home that maps
 * an area of a pid; a home that was declared dead while only stopped is refused (DENIED) once this arrived.
 */
public record SetHome(long pid, int home) implements org.legoos.net.protocol.Request<org.legoos.net.protocol.Ack> {
    @Override
    public void encode(WireWriter out) {
        out.putLong(pid);
        out.putInt(home);
    }

    public static SetHome decode(WireReader in) {
        return new SetHome(in.getLong(), in.getInt());
    }
}
