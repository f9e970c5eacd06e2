package org.legoos.net.protocol.p2m;

import org.legoos.net.protocol.WireReader;
import org.legoos.net.protocol.WireWriter;

/**
 * P2M_OWNERS: the owner map of pid's address space (which memory component owns each of its vRegions), read at its
 * home without changing anything: what the manager's dashboard shows as a process's memory spread.
 */
public record OwnersRequest(long pid) implements org.legoos.net.protocol.Request<MapReply> {
    @Override
    public void encode(WireWriter out) {
        out.putLong(pid);
    }

    public static OwnersRequest decode(WireReader in) {
        return new OwnersRequest(in.getLong());
    }
}
