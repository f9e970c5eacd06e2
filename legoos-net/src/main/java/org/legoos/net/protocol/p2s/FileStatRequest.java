package org.legoos.net.protocol.p2s;

import org.legoos.net.protocol.WireReader;
import org.legoos.net.protocol.WireWriter;
import static org.legoos.net.protocol.Codecs.*;

/** P2S_STAT: attributes of a file or directory. */
public record FileStatRequest(int vnodeId, String path) implements org.legoos.net.protocol.Request<FileStat> {
    public FileStatRequest {
        java.util.Objects.requireNonNull(path, "path");
    }

    @Override
    public void encode(WireWriter out) {
        out.putInt(vnodeId);
        out.putString(path);
    }

    public static FileStatRequest decode(WireReader in) {
        return new FileStatRequest(in.getInt(), in.getString());
    }
}
