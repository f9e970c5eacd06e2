package org.legoos.net.protocol.gm;

import org.legoos.net.protocol.WireReader;
import org.legoos.net.protocol.WireWriter;
import static org.legoos.net.protocol.Codecs.*;

/**
 * GM_CONSULT: M2MM_CONSULT: which memory component should own a new vRegion of {@code bytes}, or (with {@code avoid}
 * a node id, not -1) which one other than {@code avoid} has {@code bytes} free for a vRegion moving away from it.
 */
public record Consult(int vnodeId, long pid, long bytes, int avoid) implements org.legoos.net.protocol.Request<NodeChoice> {
    /** A new vRegion. */
    public Consult(int vnodeId, long pid, long bytes) {
        this(vnodeId, pid, bytes, -1);
    }

    @Override
    public void encode(WireWriter out) {
        out.putInt(vnodeId);
        out.putLong(pid);
        out.putLong(bytes);
        out.putInt(avoid);
    }

    public static Consult decode(WireReader in) {
        return new Consult(in.getInt(), in.getLong(), in.getLong(), in.getInt());
    }
}
