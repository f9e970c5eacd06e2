package org.legoos.net.protocol.p2m;

import org.legoos.net.protocol.WireReader;
import org.legoos.net.protocol.WireWriter;
import static org.legoos.net.protocol.Codecs.*;

/** P2M_CLOSE: a process closed its last handle: write back the file's dirty chunks. */
public record FileClose(int vnodeId, String path) implements org.legoos.net.protocol.Request<org.legoos.net.protocol.Ack> {
    public FileClose {
        java.util.Objects.requireNonNull(path, "path");
    }

    @Override
    public void encode(WireWriter out) {
        out.putInt(vnodeId);
        out.putString(path);
    }

    public static FileClose decode(WireReader in) {
        return new FileClose(in.getInt(), in.getString());
    }
}
