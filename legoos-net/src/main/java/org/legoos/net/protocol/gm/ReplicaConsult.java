package org.legoos.net.protocol.gm;

import org.legoos.net.protocol.WireReader;
import org.legoos.net.protocol.WireWriter;

/**
 * GM_REPLICA_CONSULT: which memory component should hold the replica of pid's vRegions owned by {@code primary}: a
 * live one other than {@code primary} (and other than {@code avoid}, -1 for none). The reply's node is -1 when
 * there is none.
 */
public record ReplicaConsult(int vnodeId, long pid, int primary, int avoid, long bytes)
        implements org.legoos.net.protocol.Request<NodeChoice> {
    @Override
    public void encode(WireWriter out) {
        out.putInt(vnodeId);
        out.putLong(pid);
        out.putInt(primary);
        out.putInt(avoid);
        out.putLong(bytes);
    }

    public static ReplicaConsult decode(WireReader in) {
        return new ReplicaConsult(in.getInt(), in.getLong(), in.getInt(), in.getInt(), in.getLong());
    }
}
