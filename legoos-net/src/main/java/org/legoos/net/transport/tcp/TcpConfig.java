package org.legoos.net.transport.tcp;

/**
 * Configuration of a {@link TcpTransport}. Immutable and validated on construction; units are in the names.
 *
 * @param maxBodyBytes largest frame body accepted from the stream; use the same value as the endpoint's
 *     {@code RpcNode.Config.maxBodyBytes}. A frame announcing a larger body closes the connection, since a
 *     byte stream cannot be resynchronised after a bad length.
 * @param connectTimeoutMillis how long {@link TcpTransport#connect} (and a background reconnect attempt) waits
 *     for the TCP handshake before giving up
 * @param ioThreads Netty event-loop threads of this transport; they read, frame and deliver inbound frames
 *     and write outbound ones. One is enough for a component on a 2-core host and gives the lowest latency.
 * @param reconnectBackoffMinMillis delay before the first reconnect attempt after a failed one; it doubles
 *     after each failure
 * @param reconnectBackoffMaxMillis ceiling of that delay
 * @param nativeEpollAllowed use Netty's native epoll transport when it is available (Linux x86_64) instead of the
 *     JDK's NIO selector. Off by default: on NIO sockets a sending thread may write an idle connection's socket
 *     itself (see {@link TcpConnection}), which saves a wake-up of the event loop on every request and measured
 *     faster round trips than epoll (see {@code TcpMissRoundTripBench}); epoll descriptors cannot offer that
 *     safely. Epoll remains the leaner choice for many mostly idle connections.
 */
public record TcpConfig(int maxBodyBytes, int connectTimeoutMillis, int ioThreads, long reconnectBackoffMinMillis,
                        long reconnectBackoffMaxMillis, boolean nativeEpollAllowed) {
    /**
     * 64 MiB bodies (as {@code RpcNode.Config.DEFAULT}), 2 s connect timeout, 1 I/O thread, 50 ms to 5 s backoff,
     * NIO with direct writes.
     */
    public static final TcpConfig DEFAULT = new TcpConfig(64 << 20, 2_000, 1, 50, 5_000, false);

    public TcpConfig {
        if (maxBodyBytes < 0) {
            throw new IllegalArgumentException("maxBodyBytes must be >= 0, got " + maxBodyBytes);
        }
        if (connectTimeoutMillis < 1) {
            throw new IllegalArgumentException("connectTimeoutMillis must be >= 1, got " + connectTimeoutMillis);
        }
        if (ioThreads < 1 || ioThreads > 256) {
            throw new IllegalArgumentException("ioThreads must be in [1, 256], got " + ioThreads);
        }
        if (reconnectBackoffMinMillis < 1 || reconnectBackoffMaxMillis < reconnectBackoffMinMillis) {
            throw new IllegalArgumentException("reconnect backoff must satisfy 1 <= min <= max, got min "
                    + reconnectBackoffMinMillis + " max " + reconnectBackoffMaxMillis);
        }
    }

    public TcpConfig withMaxBodyBytes(int bytes) {
        return new TcpConfig(bytes, connectTimeoutMillis, ioThreads, reconnectBackoffMinMillis, reconnectBackoffMaxMillis,
                nativeEpollAllowed);
    }

    public TcpConfig withConnectTimeoutMillis(int millis) {
        return new TcpConfig(maxBodyBytes, millis, ioThreads, reconnectBackoffMinMillis, reconnectBackoffMaxMillis,
                nativeEpollAllowed);
    }

    public TcpConfig withIoThreads(int threads) {
        return new TcpConfig(maxBodyBytes, connectTimeoutMillis, threads, reconnectBackoffMinMillis, reconnectBackoffMaxMillis,
                nativeEpollAllowed);
    }

    public TcpConfig withReconnectBackoffMillis(long min, long max) {
        return new TcpConfig(maxBodyBytes, connectTimeoutMillis, ioThreads, min, max, nativeEpollAllowed);
    }

    public TcpConfig withNativeEpollAllowed(boolean allowed) {
        return new TcpConfig(maxBodyBytes, connectTimeoutMillis, ioThreads, reconnectBackoffMinMillis, reconnectBackoffMaxMillis,
                allowed);
    }
}
