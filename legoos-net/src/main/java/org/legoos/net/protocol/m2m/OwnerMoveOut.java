package org.legoos.net.protocol.m2m;

import org.legoos.net.protocol.WireReader;
import org.legoos.net.protocol.WireWriter;
import static org.legoos.net.protocol.Codecs.*;

/**
 * M2M_MOVE_OUT: home to vRegion owner: [addr, addr+length) is moving to another owner ({@code moving}): refuse
 * processors' misses and flushes there (UNAVAILABLE: ask the home) until the home maps it here again; {@code !moving}
 * undoes that (the move failed). The reply counts the pages stored in the range.
 */
public record OwnerMoveOut(long pid, long addr, long length, boolean moving) implements org.legoos.net.protocol.Request<PageCount> {
    @Override
    public void encode(WireWriter out) {
        out.putLong(pid);
        out.putLong(addr);
        out.putLong(length);
        out.putBoolean(moving);
    }

    public static OwnerMoveOut decode(WireReader in) {
        return new OwnerMoveOut(in.getLong(), in.getLong(), in.getLong(), in.getBoolean());
    }
}
