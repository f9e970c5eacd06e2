package org.legoos.net.protocol.m2m;

import org.legoos.net.protocol.WireReader;
import org.legoos.net.protocol.WireWriter;

/**
 * M2M_SET_HOME: a home replica that took over as home of pid (its home was declared dead) to every owner of pid's
 * vRegions: from now on accept pid's area changes only from {@code home}. {@code epoch} is the home's authority over
 * pid (its pairing epoch, which an adoption raises past anything the old home could have used): an owner takes the
 * word of a higher epoch over the home it knew, and refuses (SUPERSEDED) a lower one, so a home declared dead while
 * only stopped cannot claim pid back. An owner records the first home that maps an area of a pid (its epoch unknown
 * until a SET_HOME names it).
 */
public record SetHome(long pid, int home, long epoch) implements org.legoos.net.protocol.Request<org.legoos.net.protocol.Ack> {
    @Override
    public void encode(WireWriter out) {
        out.putLong(pid);
        out.putInt(home);
        out.putLong(epoch);
    }

    public static SetHome decode(WireReader in) {
        return new SetHome(in.getLong(), in.getInt(), in.getLong());
    }
}
