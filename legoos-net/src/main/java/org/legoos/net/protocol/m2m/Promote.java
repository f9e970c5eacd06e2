package org.legoos.net.protocol.m2m;

import org.legoos.net.protocol.WireReader;
import org.legoos.net.protocol.WireWriter;

/**
 * M2M_PROMOTE: home to the replica of pid's vRegions on memory component {@code primary}, which died: take over
 * those vRegions (their areas and pages, as replicated) as their owner, replicating to {@code replica} from now on
 * (-1: none), as pairing {@code epoch}. Idempotent: a second PROMOTE for the same primary is acknowledged without
 * change. Changes of the old primary's pairings up to {@code epoch} are refused from then on.
 */
public record Promote(long pid, int vnodeId, int primary, int replica, long epoch) implements org.legoos.net.protocol.Request<org.legoos.net.protocol.Ack> {
    @Override
    public void encode(WireWriter out) {
        out.putLong(pid);
        out.putInt(vnodeId);
        out.putInt(primary);
        out.putInt(replica);
        out.putLong(epoch);
    }

    public static Promote decode(WireReader in) {
        return new Promote(in.getLong(), in.getInt(), in.getInt(), in.getInt(), in.getLong());
    }
}
