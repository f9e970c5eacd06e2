package org.legoos.net.transport;

import java.nio.ByteBuffer;

/**
 * Receives whole frames from a transport. {@code from} is the connection the frame came on; replies and
 * streamed messages to that peer are sent back on it.
 *
 * <p>Called by the transport's delivery thread (for the in-JVM transport, the sender's thread). Must not
 * throw: bad frames are the sink's to answer or drop. The frame buffer is the sink's from then on: the
 * transport never reuses it, since the RPC layer hands slices of it to handlers on other threads.
 */
@FunctionalInterface
public interface FrameSink {
    void onFrame(Connection from, ByteBuffer frame);
}
