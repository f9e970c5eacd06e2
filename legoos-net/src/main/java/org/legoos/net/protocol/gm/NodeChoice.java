package org.legoos.net.protocol.gm;

import org.legoos.net.protocol.WireReader;
import org.legoos.net.protocol.WireWriter;
import static org.legoos.net.protocol.Codecs.*;

/** A component chosen by a global manager. */
public record NodeChoice(int nodeId) implements org.legoos.net.protocol.Message {
    @Override
    public void encode(WireWriter out) {
        out.putInt(nodeId);
    }

    public static NodeChoice decode(WireReader in) {
        return new NodeChoice(in.getInt());
    }
}
