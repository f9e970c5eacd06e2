package org.legoos.net.transport;

/**
 * Moves encoded frames between components: in-JVM ({@code local}) or over TCP. Both carry the same frames
 * through the same codec, so the embedded mode exercises the real protocol.
 */
public interface Transport extends AutoCloseable {
    /**
     * Starts accepting connections at {@code address} (transport-specific, e.g. {@code "memory-1"} for local,
     * {@code "127.0.0.1:0"} for TCP) and returns the address peers should connect to.
     */
    String listen(String address, FrameSink inbound);

    /**
     * Opens a connection to a listening address; frames the peer sends back arrive at {@code inbound}.
     *
     * @throws org.legoos.api.ComponentUnavailableException if nothing listens there
     */
    Connection connect(String address, FrameSink inbound);

    /** The blocking request path, if this transport offers one (TCP does; the in-JVM transport needs none). */
    default java.util.Optional<SyncCalls> syncCalls() {
        return java.util.Optional.empty();
    }

    /** Stops listening and closes every connection this transport opened or accepted. */
    @Override
    void close();
}
