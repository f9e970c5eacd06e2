package org.legoos.net.protocol.gm;

import org.legoos.net.protocol.WireReader;
import org.legoos.net.protocol.WireWriter;

/**
 * GM_CRL_PUBLISH: an operator hands the manager the cluster's newest revocation list (PEM or DER, signed by the
 * cluster CA) to serve and push to every live component.
 */
public record CrlPublish(Crl list) implements org.legoos.net.protocol.Request<org.legoos.net.protocol.Ack> {
    public CrlPublish {
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

    public static CrlPublish decode(WireReader in) {
        return new CrlPublish(Crl.decode(in));
    }
}
