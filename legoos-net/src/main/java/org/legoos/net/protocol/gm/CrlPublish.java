package org.legoos.net.protocol.gm;

import org.legoos.net.protocol.WireReader;
import org.legoos.net.protocol.WireWriter;

/**
 * GM_CRL_PUBLISH: an operator hands the manager the cluster's newest revocation list (PEM or DER, signed by the
 * cluster CA) to serve and push to every live component.
 */
public record CrlPublish(java.nio.ByteBuffer crl) implements org.legoos.net.protocol.Request<org.legoos.net.protocol.Ack> {
    public CrlPublish {
        java.util.Objects.requireNonNull(crl, "crl");
    }

    @Override
    public int sizeHint() {
        return 16 + crl.remaining();
    }

    @Override
    public void encode(WireWriter out) {
        out.putInt(crl.remaining()).putRaw(crl.duplicate());
    }

    public static CrlPublish decode(WireReader in) {
        return new CrlPublish(in.getSlice(in.getCount(Crl.MAX_BYTES, "revocation list bytes")));
    }

    /** The bytes, copied. */
    public byte[] bytes() {
        byte[] b = new byte[crl.remaining()];
        crl.duplicate().get(b);
        return b;
    }
}
