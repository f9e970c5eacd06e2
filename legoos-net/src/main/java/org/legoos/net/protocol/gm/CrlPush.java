package org.legoos.net.protocol.gm;

import org.legoos.net.protocol.WireReader;
import org.legoos.net.protocol.WireWriter;

/**
 * GM_CRL_PUSH: the manager gives a component the revocation list an operator published; the component installs it
 * if newer and closes its connections to peers it revokes.
 */
public record CrlPush(java.nio.ByteBuffer crl) implements org.legoos.net.protocol.OneWay {
    public CrlPush {
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

    public static CrlPush decode(WireReader in) {
        return new CrlPush(in.getSlice(in.getCount(Crl.MAX_BYTES, "revocation list bytes")));
    }

    /** The bytes, copied. */
    public byte[] bytes() {
        byte[] b = new byte[crl.remaining()];
        crl.duplicate().get(b);
        return b;
    }
}
