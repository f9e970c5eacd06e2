package org.legoos.net.protocol.gm;

import org.legoos.net.protocol.WireReader;
import org.legoos.net.protocol.WireWriter;
import static org.legoos.net.protocol.Codecs.*;

/** GM_VNODE_GET: one vNode by name or numeric id. */
public record VNodeGet(String nameOrId) implements org.legoos.net.protocol.Request<VNodeInfo> {
    public VNodeGet {
        java.util.Objects.requireNonNull(nameOrId, "nameOrId");
    }

    @Override
    public void encode(WireWriter out) {
        out.putString(nameOrId);
    }

    public static VNodeGet decode(WireReader in) {
        return new VNodeGet(in.getString());
    }
}
