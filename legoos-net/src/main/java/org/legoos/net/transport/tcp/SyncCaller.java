package org.legoos.net.transport.tcp;

import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.util.Objects;
import org.legoos.api.ComponentUnavailableException;
import org.legoos.net.protocol.ProtocolException;

/**
 * The synchronous request path to one peer: the calling thread writes its request frame on a blocking socket
 * of its own and reads the reply frame itself, like a plain blocking-socket ping-pong. It exists for the
 * latency-critical calls of a processor component, above all the ExCache miss: the normal path (a
 * {@link TcpConnection} shared by all threads) parks the caller until the client's event loop has read the reply
 * and woken it, which costs an extra context switch or two per round trip; here the reply wakes the caller
 * directly.
 *
 * <p>The server needs nothing special: each calling thread's socket is one more client connection to the peer's
 * normal listening port, served by its normal Netty pipeline, which answers on the connection the request came
 * on. Because the reply comes back on the caller's own socket, only one request may be outstanding per thread
 * and peer, which is what a blocking call is.
 *
 * <p>Sockets are opened on first use by each thread ({@code TCP_NODELAY}, connect timeout of the transport's
 * {@link TcpConfig#connectTimeoutMillis()}), kept per (thread, peer), and closed on any error or timeout (the
 * next round trip of that thread opens a fresh one, so a restarted peer is picked up at once), when the
 * transport closes, or when a socket of a thread that has ended is noticed while another is opened.
 *
 * <p>Threading: one instance may be shared by any number of threads; each uses its own socket. Must not be
 * used on one of the transport's I/O threads (it blocks).
 */
public final class SyncCaller implements org.legoos.net.transport.SyncCalls.Peer {
    private final SyncChannels channels;
    private final InetSocketAddress to;
    private final String address;

    SyncCaller(SyncChannels channels, InetSocketAddress to, String address) {
        this.channels = Objects.requireNonNull(channels, "channels");
        this.to = Objects.requireNonNull(to, "to");
        this.address = Objects.requireNonNull(address, "address");
    }

    /** The peer's listening address, {@code host:port}. */
    public String address() {
        return address;
    }

    /**
     * Writes one whole frame (position to limit; the buffer is not modified) on the calling thread's socket to the
     * peer and reads the next whole frame from it, normally the reply.
     *
     * @param maxBodyBytes a frame announcing a larger (or negative) body closes the socket
     * @param timeoutMillis how long to wait for the whole reply (and for the connection, if one must be opened)
     * @return the frame read: a heap buffer, position 0, limit = header + body, owned by the caller
     * @throws ComponentUnavailableException status {@code TIMEOUT} if no whole frame arrived in time, else
     *     {@code UNAVAILABLE} (cannot connect, connection reset or closed, transport closed); the thread's socket
     *     is closed
     * @throws ProtocolException if the frame's header announces a bad body length; the socket is closed
     * @throws IllegalStateException if called on an I/O thread of the transport
     */
    @Override
    public ByteBuffer roundTrip(ByteBuffer frame, int maxBodyBytes, long timeoutMillis) {
        Objects.requireNonNull(frame, "frame");
        return channels.roundTrip(this, frame, maxBodyBytes, timeoutMillis);
    }

    /**
     * Reads the next frame from the calling thread's socket to the peer, for a caller that got something other
     * than its reply from {@link #roundTrip} (e.g. a one-way message the peer streamed back first). Same
     * exceptions as {@link #roundTrip}; {@code UNAVAILABLE} if this thread has no open socket to the peer.
     */
    @Override
    public ByteBuffer nextFrame(int maxBodyBytes, long timeoutMillis) {
        return channels.roundTrip(this, null, maxBodyBytes, timeoutMillis);
    }

    /**
     * Closes the calling thread's socket to the peer (if any), e.g. after a reply that did not belong to the
     * request: whatever else is in that stream can no longer be trusted. The next round trip opens a new one.
     */
    @Override
    public void discard() {
        channels.discard(to);
    }

    /** Closes every thread's socket to the peer; reads blocked on them fail with {@code UNAVAILABLE}. */
    @Override
    public void abort() {
        channels.abort(to);
    }

    InetSocketAddress to() {
        return to;
    }

    @Override
    public String toString() {
        return "SyncCaller[" + address + "]";
    }
}
