package org.legoos.net.protocol.gm;

import org.legoos.net.protocol.WireReader;
import org.legoos.net.protocol.WireWriter;

/** GM_CRL_GET: a component asks for the revocation list the manager serves (when it joins). */
public record CrlGet() implements org.legoos.net.protocol.Request<Crl> {
    @Override
    public void encode(WireWriter out) {
    }

    public static CrlGet decode(WireReader in) {
        return new CrlGet();
    }
}
