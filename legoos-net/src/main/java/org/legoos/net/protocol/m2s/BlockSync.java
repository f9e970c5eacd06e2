package org.legoos.net.protocol.m2s;

import org.legoos.net.protocol.WireReader;
import org.legoos.net.protocol.WireWriter;
import static org.legoos.net.protocol.Codecs.*;

/** M2S_FSYNC: make written data of the file durable. */
public record BlockSync(int vnodeId, String path) implements org.legoos.net.protocol.Request<org.legoos.net.protocol.Ack> {
    public BlockSync {
        java.util.Objects.requireNonNull(path, "path");
    }

    @Override
    public void encode(WireWriter out) {
        out.putInt(vnodeId);
        out.putString(path);
    }

    public static BlockSync decode(WireReader in) {
        return new BlockSync(in.getInt(), in.getString());
    }
}
