package org.legoos.net.protocol.gm;

import org.legoos.net.protocol.WireReader;
import org.legoos.net.protocol.WireWriter;

/**
 * GM_MEMORY_JOINED: the global manager to every other live memory component: memory component {@code node} now serves
 * (it joined, or came back and dropped its stale memory). Homes give replicas to what runs without one.
 */
public record MemoryJoined(int node) implements org.legoos.net.protocol.Request<org.legoos.net.protocol.Ack> {
    @Override
    public void encode(WireWriter out) {
        out.putInt(node);
    }

    public static MemoryJoined decode(WireReader in) {
        return new MemoryJoined(in.getInt());
    }
}
