package org.legoos.net.protocol.gm;

import org.legoos.net.protocol.WireReader;
import org.legoos.net.protocol.WireWriter;
import static org.legoos.net.protocol.Codecs.*;

/** GM_VNODE_CREATE: create a vNode; a quota or limit of 0 takes the manager's default. */
public record VNodeCreate(String name, long memoryQuotaBytes, long storageQuotaBytes, int maxProcesses) implements org.legoos.net.protocol.Request<VNodeInfo> {
    public VNodeCreate {
        java.util.Objects.requireNonNull(name, "name");
    }

    @Override
    public void encode(WireWriter out) {
        out.putString(name);
        out.putLong(memoryQuotaBytes);
        out.putLong(storageQuotaBytes);
        out.putInt(maxProcesses);
    }

    public static VNodeCreate decode(WireReader in) {
        return new VNodeCreate(in.getString(), in.getLong(), in.getLong(), in.getInt());
    }
}
