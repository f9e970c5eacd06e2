package org.legoos.net.protocol.gm;

import org.legoos.net.protocol.WireReader;
import org.legoos.net.protocol.WireWriter;
import static org.legoos.net.protocol.Codecs.*;

/** A vNode: a virtual server spanning components. */
public record VNodeInfo(int id, String name, String virtualIp, String storageRoot, int storageNode, int cacheMemoryNode, long memoryQuotaBytes, long storageQuotaBytes, int maxProcesses, int processes) implements org.legoos.net.protocol.Message {
    public VNodeInfo {
        java.util.Objects.requireNonNull(name, "name");
        java.util.Objects.requireNonNull(virtualIp, "virtualIp");
        java.util.Objects.requireNonNull(storageRoot, "storageRoot");
    }

    @Override
    public void encode(WireWriter out) {
        out.putInt(id);
        out.putString(name);
        out.putString(virtualIp);
        out.putString(storageRoot);
        out.putInt(storageNode);
        out.putInt(cacheMemoryNode);
        out.putLong(memoryQuotaBytes);
        out.putLong(storageQuotaBytes);
        out.putInt(maxProcesses);
        out.putInt(processes);
    }

    public static VNodeInfo decode(WireReader in) {
        return new VNodeInfo(in.getInt(), in.getString(), in.getString(), in.getString(), in.getInt(), in.getInt(), in.getLong(), in.getLong(), in.getInt(), in.getInt());
    }
}
