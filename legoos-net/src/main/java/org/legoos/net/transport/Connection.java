package org.legoos.net.transport;

import java.nio.ByteBuffer;
import org.legoos.api.security.Principal;

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

    /**
     * Runs {@code listener} when this connection drops (peer gone, socket closed) so that calls waiting for replies
     * that can no longer arrive fail at once instead of at their timeout. If the connection is already down it runs
     * now. It may run more than once; it must be idempotent. Transports that cannot tell do nothing.
     */
    default void onDisconnect(Runnable listener) {
    }

    /**
     * Who is at the other end, as the link authenticated it: the certificate's identity over TLS, else
     * {@link Principal#UNAUTHENTICATED} (in-JVM, or TCP in insecure mode). Never what a frame header claims. No
     * default: every transport says what it authenticated, so a new one cannot switch the checks off by omission.
     */
    Principal peer();
}
