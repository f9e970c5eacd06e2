package org.legoos.net.protocol;

/**
 * A message body that crosses a link between components. Every message type is a record with an
 * {@link #encode} method and a static {@code decode(WireReader)} factory, registered with its opcode
 * in the link's opcode enum (for example {@link org.legoos.net.protocol.p2m.P2mOp}). Nothing else is ever
 * shared between components: they talk only through these encoded bytes.
 */
public interface Message {
    /** Writes the body (not the header) of this message. */
    void encode(WireWriter out);

    /**
     * Roughly how many bytes {@link #encode} writes, so the frame buffer is allocated once at the right size.
     * Messages that carry page or file data override it; a wrong guess costs a buffer copy, never correctness.
     */
    default int sizeHint() {
        return 64;
    }
}
