package org.legoos.net.transport;

import java.nio.ByteBuffer;

/**
 * One side of a link between two components. Frames are whole encoded frames (header and body);
 * the transport delivers each to the peer's {@link FrameSink} exactly as sent, or not at all.
 *
 * <p>Thread-safe: many threads may send on one connection.
 */
public interface Connection extends AutoCloseable {
    /**
     * Sends one frame. The caller must not modify the buffer afterwards. Does nothing if closed (the
     * caller learns about it through its call timeout or {@link #isOpen()}).
     */
    void send(ByteBuffer frame);

    boolean isOpen();

    /** A description of the remote end, for logs. */
    String remoteAddress();

    @Override
    void close();
}
