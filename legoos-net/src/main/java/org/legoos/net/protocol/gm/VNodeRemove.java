package org.legoos.net.protocol.gm;

import org.legoos.net.protocol.WireReader;
import org.legoos.net.protocol.WireWriter;
import static org.legoos.net.protocol.Codecs.*;

/** GM_VNODE_REMOVE: remove a vNode (refused while it has processes). */
public record VNodeRemove(String nameOrId) implements org.legoos.net.protocol.Request<org.legoos.net.protocol.Ack> {
    public VNodeRemove {
        java.util.Objects.requireNonNull(nameOrId, "nameOrId");
    }

    @Override
    public void encode(WireWriter out) {
        out.putString(nameOrId);
    }

    public static VNodeRemove decode(WireReader in) {
        return new VNodeRemove(in.getString());
    }
}
