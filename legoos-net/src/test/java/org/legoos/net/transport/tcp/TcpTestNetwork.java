package org.legoos.net.transport.tcp;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import org.legoos.net.transport.TestNetwork;
import org.legoos.net.transport.Transport;

/**
 * The loopback TCP network of the transport-neutral suites: every transport is a {@link TcpTransport} on
 * 127.0.0.1, listening on ephemeral ports. Leak detection is on at {@code PARANOID} level for every test that
 * uses it.
 */
public final class TcpTestNetwork implements TestNetwork {
    static {
        LeakCheck.install();
    }

    private static final AtomicInteger NAMES = new AtomicInteger();
    private final TcpConfig config;
    private final List<Transport> made = new CopyOnWriteArrayList<>();
    private final List<Socket> reserved = new CopyOnWriteArrayList<>();

    TcpTestNetwork(TcpConfig config) {
        this.config = config;
    }

    /** The configuration tests use: the defaults with a short reconnect backoff. */
    static TcpConfig testConfig() {
        return TcpConfig.DEFAULT.withReconnectBackoffMillis(10, 200);
    }

    /** Runs a suite over TCP with the default (NIO) event loops. */
    public interface Get extends TestNetwork.Factory {
        @Override
        default TestNetwork newNetwork() {
            return new TcpTestNetwork(testConfig());
        }
    }

    /** Runs a suite over TCP with native epoll event loops (NIO where epoll is unavailable). */
    public interface GetEpoll extends TestNetwork.Factory {
        @Override
        default TestNetwork newNetwork() {
            return new TcpTestNetwork(testConfig().withNativeEpollAllowed(true));
        }
    }

    @Override
    public Transport newTransport() {
        Transport t = new TcpTransport("tcp-test-" + NAMES.incrementAndGet(), config);
        made.add(t);
        return t;
    }

    @Override
    public String listenAddress(String name) {
        return "127.0.0.1:0";
    }

    /** A loopback address that refuses connections for as long as this network is open (see {@link #refusingPort}). */
    @Override
    public String unreachableAddress() {
        Socket s = refusingPort();
        reserved.add(s);
        return "127.0.0.1:" + s.getLocalPort();
    }

    /**
     * A socket bound to an ephemeral loopback port that does not listen: connecting to that port is refused as long as
     * the socket stays open, and nothing else can take the port meanwhile, not even as the local end of an outbound
     * connection (which could otherwise connect to itself). The caller closes it.
     */
    static Socket refusingPort() {
        Socket s = new Socket();
        try {
            s.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
            return s;
        } catch (IOException e) {
            try {
                s.close();
            } catch (IOException suppressed) {
                e.addSuppressed(suppressed);
            }
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public boolean deliversMalformedBuffers() {
        return false;
    }

    @Override
    public void close() {
        made.forEach(Transport::close);
        for (Socket s : reserved) {
            try {
                s.close();
            } catch (IOException ignored) {
                // a bound, unconnected socket; nothing to flush
            }
        }
    }
}
