package org.legoos.net.transport.tcp;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import org.legoos.net.transport.TestNetwork;
import org.legoos.net.transport.Transport;
import org.legoos.testkit.ReservedPort;

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
    private final List<ReservedPort> reserved = new CopyOnWriteArrayList<>();

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

    /** A loopback address that refuses connections for as long as this network is open. */
    @Override
    public String unreachableAddress() {
        ReservedPort p = ReservedPort.reserve();
        reserved.add(p);
        return p.address();
    }

    @Override
    public boolean deliversMalformedBuffers() {
        return false;
    }

    @Override
    public void close() {
        made.forEach(Transport::close);
        reserved.forEach(ReservedPort::close);
    }
}
