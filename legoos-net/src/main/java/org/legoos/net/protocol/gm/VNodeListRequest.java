package org.legoos.net.protocol.gm;

import org.legoos.net.protocol.WireReader;
import org.legoos.net.protocol.WireWriter;
import static org.legoos.net.protocol.Codecs.*;

/** GM_VNODE_LIST: all vNodes. */
public record VNodeListRequest() implements org.legoos.net.protocol.Request<VNodeList> {
    @Override
    public void encode(WireWriter out) {

    }

    public static VNodeListRequest decode(WireReader in) {
        return new VNodeListRequest();
    }
}
