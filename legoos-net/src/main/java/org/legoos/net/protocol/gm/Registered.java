package org.legoos.net.protocol.gm;

import org.legoos.net.protocol.WireReader;
import org.legoos.net.protocol.WireWriter;

/**
 * Reply to REGISTER: the node id assigned to the component. A component registering again at the address of an
 * earlier one gets that one's id back, and {@code pidsBefore}: every pid below it may have had pages, areas or its
 * home on the earlier incarnation, so a request for one it does not hold is stale (it is answered UNAVAILABLE: ask
 * the home) rather than a fault of the program. 0 for a component at a new address.
 */
public record Registered(int nodeId, long pidsBefore) implements org.legoos.net.protocol.Message {
    public Registered(int nodeId) {
        this(nodeId, 0);
    }

    @Override
    public void encode(WireWriter out) {
        out.putInt(nodeId);
        out.putLong(pidsBefore);
    }

    public static Registered decode(WireReader in) {
        return new Registered(in.getInt(), in.getLong());
    }
}
