package org.legoos.net.transport;

import java.nio.ByteBuffer;

/**
 * Receives whole frames from a transport. {@code from} is the connection the frame came on; replies and
 * streamed messages to that peer are sent back on it.
 *
 * <p>Called by the transport's delivery thread (for the in-JVM transport, the sender's thread). Must not
 * throw: bad frames are the sink's to answer or drop.
 */
@FunctionalInterface
public interface FrameSink {
    void onFrame(Connection from, ByteBuffer frame);
}
