package org.legoos.net.transport.local;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.legoos.net.transport.TestNetwork;
import org.legoos.net.transport.Transport;

/** The in-JVM network of the test suites: one {@link LocalFabric}, addresses are component names. */
public final class LocalTestNetwork implements TestNetwork {
    private final LocalFabric fabric = new LocalFabric();
    private final List<Transport> made = new CopyOnWriteArrayList<>();

    /** Runs a suite over the in-JVM transport. */
    public interface Get extends TestNetwork.Factory {
        @Override
        default TestNetwork newNetwork() {
            return new LocalTestNetwork();
        }
    }

    @Override
    public Transport newTransport() {
        Transport t = fabric.newTransport();
        made.add(t);
        return t;
    }

    @Override
    public String listenAddress(String name) {
        return name;
    }

    @Override
    public String unreachableAddress() {
        return "nobody-listens-here";
    }

    @Override
    public boolean deliversMalformedBuffers() {
        return true;
    }

    @Override
    public void close() {
        made.forEach(Transport::close);
    }
}
