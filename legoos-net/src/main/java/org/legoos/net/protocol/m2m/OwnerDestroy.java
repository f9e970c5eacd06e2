package org.legoos.net.protocol.m2m;

import org.legoos.net.protocol.WireReader;
import org.legoos.net.protocol.WireWriter;
import static org.legoos.net.protocol.Codecs.*;

/** M2M_DESTROY: process exit: free every area and page of pid on this owner (nothing to do if none). */
public record OwnerDestroy(long pid) implements org.legoos.net.protocol.Request<org.legoos.net.protocol.Ack> {
    @Override
    public void encode(WireWriter out) {
        out.putLong(pid);
    }

    public static OwnerDestroy decode(WireReader in) {
        return new OwnerDestroy(in.getLong());
    }
}
