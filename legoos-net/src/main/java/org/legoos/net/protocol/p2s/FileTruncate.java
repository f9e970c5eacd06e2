package org.legoos.net.protocol.p2s;

import org.legoos.net.protocol.WireReader;
import org.legoos.net.protocol.WireWriter;
import static org.legoos.net.protocol.Codecs.*;

/** P2S_TRUNCATE: set a file's size. */
public record FileTruncate(int vnodeId, String path, long size) implements org.legoos.net.protocol.Request<org.legoos.net.protocol.Ack> {
    public FileTruncate {
        java.util.Objects.requireNonNull(path, "path");
    }

    @Override
    public void encode(WireWriter out) {
        out.putInt(vnodeId);
        out.putString(path);
        out.putLong(size);
    }

    public static FileTruncate decode(WireReader in) {
        return new FileTruncate(in.getInt(), in.getString(), in.getLong());
    }
}
