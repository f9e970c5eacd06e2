package org.legoos.net.protocol.gm;

import org.legoos.net.protocol.WireReader;
import org.legoos.net.protocol.WireWriter;

/**
 * A revocation list as the CA wrote it (PEM or DER; empty: none): the reply to GM_CRL_GET and the body of GM_CRL_PUBLISH
 * and GM_CRL_PUSH.
 */
public record Crl(java.nio.ByteBuffer crl) implements org.legoos.net.protocol.Message {
    /** Most bytes a revocation list may have on the wire (a list of some 100 000 serials). */
    public static final int MAX_BYTES = 4 << 20;

    public Crl {
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

    public static Crl decode(WireReader in) {
        return new Crl(in.getSlice(in.getCount(MAX_BYTES, "revocation list bytes")));
    }

    /** The bytes, copied. */
    public byte[] bytes() {
        byte[] b = new byte[crl.remaining()];
        crl.duplicate().get(b);
        return b;
    }
}
