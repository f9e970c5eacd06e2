package org.legoos.net.protocol.gm;

import org.legoos.net.protocol.WireReader;
import org.legoos.net.protocol.WireWriter;
import static org.legoos.net.protocol.Codecs.*;

/** GM_CONSULT: M2MM_CONSULT: which memory component should own a new vRegion. */
public record Consult(int vnodeId, long pid, long bytes) implements org.legoos.net.protocol.Request<NodeChoice> {
    @Override
    public void encode(WireWriter out) {
        out.putInt(vnodeId);
        out.putLong(pid);
        out.putLong(bytes);
    }

    public static Consult decode(WireReader in) {
        return new Consult(in.getInt(), in.getLong(), in.getLong());
    }
}
