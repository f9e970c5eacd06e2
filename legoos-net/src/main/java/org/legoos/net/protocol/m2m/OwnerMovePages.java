package org.legoos.net.protocol.m2m;

import org.legoos.net.protocol.WireReader;
import org.legoos.net.protocol.WireWriter;
import static org.legoos.net.protocol.Codecs.*;

/** M2M_MOVE_PAGES: mremap inside one owner: move the stored pages of [from, from+length) to [to, to+length) (both mapped here) without copying their data. */
public record OwnerMovePages(long pid, long from, long to, long length) implements org.legoos.net.protocol.Request<org.legoos.net.protocol.Ack> {
    @Override
    public void encode(WireWriter out) {
        out.putLong(pid);
        out.putLong(from);
        out.putLong(to);
        out.putLong(length);
    }

    public static OwnerMovePages decode(WireReader in) {
        return new OwnerMovePages(in.getLong(), in.getLong(), in.getLong(), in.getLong());
    }
}
