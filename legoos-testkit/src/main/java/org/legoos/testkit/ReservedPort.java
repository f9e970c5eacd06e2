package org.legoos.testkit;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;

/**
 * A loopback TCP port a test owns, for an address that must be known before anything listens there (or where nothing
 * ever does): a socket bound to an ephemeral port (port 0, the bound port read back), with {@code SO_REUSEADDR},
 * that never listens. While it is open:
 * <ul>
 *   <li>connecting to the port is refused at once;</li>
 *   <li>no other socket gets the port by asking for an ephemeral one, to listen or as the local end of a connection
 *       (so a client cannot connect to itself there);</li>
 *   <li>a listener that also sets {@code SO_REUSEADDR} (as {@code TcpTransport} and the JDK's {@code ServerSocket}
 *       do) can still bind it by number: that is how a test starts a server at an address handed out earlier.</li>
 * </ul>
 * This replaces "find a free port, close it, bind it later", which races with every other process on the host.
 */
public final class ReservedPort implements AutoCloseable {
    private final Socket socket;

    private ReservedPort(Socket socket) {
        this.socket = socket;
    }

    /** Binds a new ephemeral loopback port. */
    public static ReservedPort reserve() {
        Socket s = new Socket();
        try {
            s.setReuseAddress(true);
            s.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
            return new ReservedPort(s);
        } catch (IOException e) {
            try {
                s.close();
            } catch (IOException suppressed) {
                e.addSuppressed(suppressed);
            }
            throw new UncheckedIOException("cannot bind an ephemeral loopback port", e);
        }
    }

    public int port() {
        return socket.getLocalPort();
    }

    /** {@code host:port} of the port, with the numeric loopback host, e.g. {@code 127.0.0.1:41233}. */
    public String address() {
        return InetAddress.getLoopbackAddress().getHostAddress() + ":" + port();
    }

    /** Releases the port. Idempotent. */
    @Override
    public void close() {
        try {
            socket.close();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public String toString() {
        return "ReservedPort[" + address() + (socket.isClosed() ? ", released" : "") + "]";
    }
}
