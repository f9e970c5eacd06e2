package org.legoos.net.protocol.gm;

import org.legoos.net.protocol.WireReader;
import org.legoos.net.protocol.WireWriter;

/**
 * GM_MEMORY_FAILED: the global manager to every live memory component: memory component {@code node} was declared
 * dead. Homes move its vRegions to their replicas, owners stop replicating to it.
 */
public record MemoryFailed(int node) implements org.legoos.net.protocol.Request<org.legoos.net.protocol.Ack> {
    @Override
    public void encode(WireWriter out) {
        out.putInt(node);
    }

    public static MemoryFailed decode(WireReader in) {
        return new MemoryFailed(in.getInt());
    }
}
