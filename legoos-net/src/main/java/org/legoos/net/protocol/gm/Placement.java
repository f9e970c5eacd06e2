package org.legoos.net.protocol.gm;

import org.legoos.net.protocol.WireReader;
import org.legoos.net.protocol.WireWriter;
import static org.legoos.net.protocol.Codecs.*;

/** Where a new process runs (GPM) and which memory component is its home (GMM). */
public record Placement(long pid, int processorNode, int homeMemoryNode, VNodeInfo vnode) implements org.legoos.net.protocol.Message {
    public Placement {
        java.util.Objects.requireNonNull(vnode, "vnode");
    }

    @Override
    public void encode(WireWriter out) {
        out.putLong(pid);
        out.putInt(processorNode);
        out.putInt(homeMemoryNode);
        vnode.encode(out);
    }

    public static Placement decode(WireReader in) {
        return new Placement(in.getLong(), in.getInt(), in.getInt(), VNodeInfo.decode(in));
    }
}
