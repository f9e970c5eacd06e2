package org.legoos.net.protocol;

import java.util.function.Function;

/**
 * One opcode: the link it travels on, its number within the link, its request type and the decoders of its
 * request and reply bodies. Implemented by one enum per link, which is the one place that knows those
 * opcodes; {@link Protocol} gathers all links.
 */
public interface Op {
    Link link();

    /** Number within the link, 1..255. */
    int number();

    /** The request (or one-way) message type. */
    Class<? extends Message> requestType();

    Function<WireReader, ? extends Message> requestDecoder();

    /** Reply decoder, or null for a one-way message. */
    Function<WireReader, ? extends Message> replyDecoder();

    /** The 16-bit wire code. */
    default int code() {
        return link().id << 8 | number();
    }

    /** The paper-style name, e.g. {@code P2M_PCACHE_MISS}. */
    default String wireName() {
        return link().name() + "_" + ((Enum<?>) this).name();
    }
}
