package org.legoos.net.protocol;

import java.util.function.Function;

/**
 * One opcode: the link it travels on, its number within the link, its request type and the decoders of its
 * request and reply bodies. Implemented by one enum per link, which is the one place that knows those
 * opcodes; {@link Protocol} gathers all links.
 */
public interface Op {
    /**
     * What an opcode is, held by each link enum constant.
     *
     * @param number number within the link, 1..255
     * @param requestType the request (or one-way) message type
     * @param replyDecoder null for a one-way message
     */
    record Info(Link link, int number, Class<? extends Message> requestType,
                Function<WireReader, ? extends Message> requestDecoder,
                Function<WireReader, ? extends Message> replyDecoder) {
    }

    Info info();

    default Link link() {
        return info().link();
    }

    /** Number within the link, 1..255. */
    default int number() {
        return info().number();
    }

    /** The request (or one-way) message type. */
    default Class<? extends Message> requestType() {
        return info().requestType();
    }

    default Function<WireReader, ? extends Message> requestDecoder() {
        return info().requestDecoder();
    }

    /** Reply decoder, or null for a one-way message. */
    default Function<WireReader, ? extends Message> replyDecoder() {
        return info().replyDecoder();
    }

    /** The 16-bit wire code. */
    default int code() {
        return link().id << 8 | number();
    }

    /** The paper-style name, e.g. {@code P2M_PCACHE_MISS}. */
    default String wireName() {
        return link().name() + "_" + ((Enum<?>) this).name();
    }
}
