package org.legoos.net.protocol.m2m;

import org.legoos.net.protocol.WireReader;
import org.legoos.net.protocol.WireWriter;
import static org.legoos.net.protocol.Codecs.*;

/** A number of stored pages. */
public record PageCount(long pages) implements org.legoos.net.protocol.Message {
    @Override
    public void encode(WireWriter out) {
        out.putLong(pages);
    }

    public static PageCount decode(WireReader in) {
        return new PageCount(in.getLong());
    }
}
