package org.legoos.net.protocol.p2s;

import org.legoos.net.protocol.WireReader;
import org.legoos.net.protocol.WireWriter;
import static org.legoos.net.protocol.Codecs.*;

/** P2S_RMDIR: remove an empty directory. */
public record DirRemove(int vnodeId, String path) implements org.legoos.net.protocol.Request<org.legoos.net.protocol.Ack> {
    public DirRemove {
        java.util.Objects.requireNonNull(path, "path");
    }

    @Override
    public void encode(WireWriter out) {
        out.putInt(vnodeId);
        out.putString(path);
    }

    public static DirRemove decode(WireReader in) {
        return new DirRemove(in.getInt(), in.getString());
    }
}
