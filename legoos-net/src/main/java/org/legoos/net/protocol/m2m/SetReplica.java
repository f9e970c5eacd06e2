package org.legoos.net.protocol.m2m;

import org.legoos.net.protocol.WireReader;
import org.legoos.net.protocol.WireWriter;

/**
 * M2M_SET_REPLICA: home to vRegion owner: from now on, every change to pid's pages and areas held here is replicated
 * to memory component {@code replica} before it is acknowledged (-1: none, the owner runs without redundancy). Sent
 * before the first area of pid reaches the owner, and again when the replica changes. {@code epoch} (from the home,
 * growing) marks this pairing: the replica refuses changes of an older pairing once it was promoted or gave its copy up.
 */
public record SetReplica(long pid, int vnodeId, int replica, long epoch) implements org.legoos.net.protocol.Request<org.legoos.net.protocol.Ack> {
    @Override
    public void encode(WireWriter out) {
        out.putLong(pid);
        out.putInt(vnodeId);
        out.putInt(replica);
        out.putLong(epoch);
    }

    public static SetReplica decode(WireReader in) {
        return new SetReplica(in.getLong(), in.getInt(), in.getInt(), in.getLong());
    }
}
