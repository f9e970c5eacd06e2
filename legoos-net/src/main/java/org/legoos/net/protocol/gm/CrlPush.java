package org.legoos.net.protocol.gm;

import org.legoos.net.protocol.WireReader;
import org.legoos.net.protocol.WireWriter;

/**
 * GM_CRL_PUSH: the manager gives a component the revocation list an operator published; the component installs it
 * if newer and closes its connections to peers it revokes.
 */
public record CrlPush(Crl list) implements org.legoos.net.protocol.OneWay {
    public CrlPush {
        java.util.Objects.requireNonNull(list, "list");
    }

    @Override
    public int sizeHint() {
        return list.sizeHint();
    }

    @Override
    public void encode(WireWriter out) {
        list.encode(out);
    }

    public static CrlPush decode(WireReader in) {
        return new CrlPush(Crl.decode(in));
    }
}
