package org.legoos.net.protocol.p2m;

import org.legoos.net.protocol.WireReader;
import org.legoos.net.protocol.WireWriter;
import static org.legoos.net.protocol.Codecs.*;

/** P2M_FSYNC: write back the file's dirty cache chunks durably; drop them too if invalidate (and those of every file cached under the path, for a directory about to be renamed). */
public record FileSync(int vnodeId, String path, boolean invalidate) implements org.legoos.net.protocol.Request<org.legoos.net.protocol.Ack> {
    public FileSync {
        java.util.Objects.requireNonNull(path, "path");
    }

    @Override
    public void encode(WireWriter out) {
        out.putInt(vnodeId);
        out.putString(path);
        out.putBoolean(invalidate);
    }

    public static FileSync decode(WireReader in) {
        return new FileSync(in.getInt(), in.getString(), in.getBoolean());
    }
}
