package org.legoos.net.transport;

import java.nio.ByteBuffer;

/**
 * A transport's blocking request path, a capability a transport may offer ({@link Transport#syncCalls()}) and an
 * {@code RpcNode} chooses when it is wired: the calling thread writes its request frame on a connection of its own to
 * the peer and reads the reply frame itself, as a plain socket ping-pong does, instead of parking until the
 * transport's event loop delivers the reply. The peer serves such a connection like any other.
 *
 * <p>Thread-safe.
 */
public interface SyncCalls {
    /** The blocking path to the peer listening at {@code address}. Cheap; callers may keep one per peer. */
    Peer peer(String address);

    /** The blocking path to one peer; each calling thread uses a connection of its own. */
    interface Peer {
        /**
         * Writes one whole frame (not modified) and reads the next whole frame, normally the reply.
         *
         * @throws org.legoos.api.ComponentUnavailableException status {@code TIMEOUT} if no whole frame arrived in
         *     time, else {@code UNAVAILABLE}; the calling thread's connection is closed either way
         * @throws org.legoos.net.protocol.ProtocolException if the frame read announces a bad body length
         */
        ByteBuffer roundTrip(ByteBuffer frame, int maxBodyBytes, long timeoutMillis);

        /** Reads the next frame on the calling thread's connection (after a frame that was not the reply). */
        ByteBuffer nextFrame(int maxBodyBytes, long timeoutMillis);

        /** Closes the calling thread's connection (its stream can no longer be trusted); the next call opens one. */
        void discard();

        /**
         * Closes every thread's connection to this peer: calls blocked reading a reply fail with {@code UNAVAILABLE}
         * at once (the peer was declared dead, or the node's main connection to it dropped).
         */
        void abort();
    }
}
