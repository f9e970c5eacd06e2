package org.legoos.net.transport.local;

import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import org.legoos.net.protocol.Protocol;
import org.legoos.net.transport.FrameSink;

/**
 * The "network" of one JVM: listening addresses of every {@link LocalTransport} created on it. A
 * {@code LocalCluster} owns one fabric; components on different fabrics cannot see each other.
 *
 * <p>Thread-safe.
 */
public final class LocalFabric {
    private final ConcurrentMap<String, LocalTransport.Listener> listeners = new ConcurrentHashMap<>();

    /** A transport for one component on this fabric. */
    public LocalTransport newTransport() {
        return new LocalTransport(this, Protocol.VERSION);
    }

    /** A transport that speaks {@code protocolVersion}: tests use it to play a component of another build. */
    LocalTransport newTransport(int protocolVersion) {
        return new LocalTransport(this, protocolVersion);
    }

    void bind(String address, LocalTransport.Listener listener) {
        if (listeners.putIfAbsent(address, listener) != null) {
            throw new IllegalStateException("local address already in use: " + address);
        }
    }

    void unbind(String address, LocalTransport.Listener listener) {
        listeners.remove(address, listener);
    }

    LocalTransport.Listener lookup(String address) {
        return listeners.get(address);
    }

    /** Sink used by tests that want to see raw frames. */
    static FrameSink discard() {
        return (from, frame) -> { };
    }
}
