package org.legoos.net.protocol.gm;

import org.legoos.net.protocol.WireReader;
import org.legoos.net.protocol.WireWriter;

/** GM_LEAVE: a component leaves the cluster cleanly; the manager stops choosing it at once (no heartbeat timeout). */
public record Leave(int nodeId) implements org.legoos.net.protocol.OneWay {
    @Override
    public void encode(WireWriter out) {
        out.putInt(nodeId);
    }

    public static Leave decode(WireReader in) {
        return new Leave(in.getInt());
    }
}
