package org.legoos.net.protocol.gm;

import org.legoos.net.protocol.WireReader;
import org.legoos.net.protocol.WireWriter;
import static org.legoos.net.protocol.Codecs.*;

/** Reply to REGISTER: the node id assigned to the component. */
public record Registered(int nodeId) implements org.legoos.net.protocol.Message {
    @Override
    public void encode(WireWriter out) {
        out.putInt(nodeId);
    }

    public static Registered decode(WireReader in) {
        return new Registered(in.getInt());
    }
}
