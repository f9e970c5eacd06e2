package org.legoos.net.protocol.p2s;

import org.legoos.net.protocol.WireReader;
import org.legoos.net.protocol.WireWriter;
import static org.legoos.net.protocol.Codecs.*;

/** Attributes of a file or directory. */
public record FileStat(boolean directory, long size, long lastModifiedMillis) implements org.legoos.net.protocol.Message {
    @Override
    public void encode(WireWriter out) {
        out.putBoolean(directory);
        out.putLong(size);
        out.putLong(lastModifiedMillis);
    }

    public static FileStat decode(WireReader in) {
        return new FileStat(in.getBoolean(), in.getLong(), in.getLong());
    }
}
