package org.legoos.net.protocol.gm;

import org.legoos.net.protocol.WireReader;
import org.legoos.net.protocol.WireWriter;
import static org.legoos.net.protocol.Codecs.*;

/** All vNodes. */
public record VNodeList(java.util.List<VNodeInfo> vnodes) implements org.legoos.net.protocol.Message {
    public VNodeList {
        java.util.Objects.requireNonNull(vnodes, "vnodes");
    }

    @Override
    public void encode(WireWriter out) {
        out.putInt(vnodes.size()); for (VNodeInfo v : vnodes) { v.encode(out); }
    }

    public static VNodeList decode(WireReader in) {
        return new VNodeList(readList(in, VNodeInfo::decode));
    }
}
