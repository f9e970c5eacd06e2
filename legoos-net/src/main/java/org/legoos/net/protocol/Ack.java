package org.legoos.net.protocol;

/** The empty reply: the request was done. */
public record Ack() implements Message {
    public static final Ack INSTANCE = new Ack();

    @Override
    public void encode(WireWriter out) {
    }

    public static Ack decode(WireReader in) {
        return INSTANCE;
    }
}
