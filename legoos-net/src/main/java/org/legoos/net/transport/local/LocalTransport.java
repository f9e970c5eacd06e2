package org.legoos.net.transport.local;

import java.nio.ByteBuffer;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.legoos.api.ComponentUnavailableException;
import org.legoos.net.protocol.Protocol;
import org.legoos.net.protocol.ProtocolVersionException;
import org.legoos.net.transport.Connection;
import org.legoos.net.transport.FrameSink;
import org.legoos.net.transport.Transport;

/**
 * The in-JVM transport: a frame sent on a connection is handed, as encoded bytes, to the peer's sink on the
 * sender's thread. There is no copy and no thread hand-off, which makes a request/reply cost little more than
 * the codec itself; a receiver that wants worker threads dispatches to them itself (the RPC layer does).
 *
 * <p>Nothing is shared between the two ends but the frame bytes, which the sender gives up when it sends.
 *
 * <p>Like the TCP transport, a connection is refused with a {@link ProtocolVersionException} naming both versions
 * if the listener speaks another protocol version than the connecting transport. In one JVM both are normally
 * {@link Protocol#VERSION}; the check keeps the two transports' contracts the same, and lets tests play a peer of
 * another build.
 */
public final class LocalTransport implements Transport {
    private static final AtomicInteger ANONYMOUS = new AtomicInteger();
    private final LocalFabric fabric;
    private final Set<LocalConnection> connections = ConcurrentHashMap.newKeySet();
    private final Set<Listener> listening = ConcurrentHashMap.newKeySet();
    private final int protocolVersion;
    private volatile boolean closed;

    LocalTransport(LocalFabric fabric, int protocolVersion) {
        this.fabric = fabric;
        this.protocolVersion = protocolVersion;
    }

    @Override
    public String listen(String address, FrameSink inbound) {
        ensureOpen();
        String addr = address == null || address.isBlank() ? "local-" + ANONYMOUS.incrementAndGet() : address;
        Listener l = new Listener(this, addr, inbound);
        fabric.bind(addr, l);
        listening.add(l);
        return addr;
    }

    @Override
    public Connection connect(String address, FrameSink inbound) {
        ensureOpen();
        Listener l = fabric.lookup(address);
        if (l == null || l.owner.closed) {
            throw new ComponentUnavailableException("nothing listens at local address " + address);
        }
        if (l.owner.protocolVersion != protocolVersion) {
            throw new ProtocolVersionException(address, l.owner.protocolVersion, protocolVersion);
        }
        AtomicBoolean open = new AtomicBoolean(true);
        LocalConnection client = new LocalConnection(address, open, this);
        LocalConnection server = new LocalConnection("client-of-" + address, open, l.owner);
        client.peer = server;
        client.peerSink = l.sink;
        server.peer = client;
        server.peerSink = inbound;
        connections.add(client);
        l.owner.connections.add(server);
        return client;
    }

    @Override
    public void close() {
        closed = true;
        for (Listener l : listening) {
            fabric.unbind(l.address, l);
        }
        listening.clear();
        for (LocalConnection c : connections) {
            c.close();
        }
        connections.clear();
    }

    private void ensureOpen() {
        if (closed) {
            throw new IllegalStateException("transport closed");
        }
    }

    record Listener(LocalTransport owner, String address, FrameSink sink) {
    }

    private static final class LocalConnection implements Connection {
        private final String remote;
        private final AtomicBoolean open;
        private final LocalTransport owner;
        LocalConnection peer;
        FrameSink peerSink;
        private final java.util.List<Runnable> disconnectListeners = new java.util.concurrent.CopyOnWriteArrayList<>();

        LocalConnection(String remote, AtomicBoolean open, LocalTransport owner) {
            this.remote = remote;
            this.open = open;
            this.owner = owner;
        }

        /** In one JVM nobody is authenticated: the in-JVM cluster is one trust domain. */
        @Override
        public org.legoos.api.security.Principal peer() {
            return org.legoos.api.security.Principal.UNAUTHENTICATED;
        }

        @Override
        public void send(ByteBuffer frame) {
            if (open.get()) {
                peerSink.onFrame(peer, frame);
            }
        }

        @Override
        public boolean isOpen() {
            return open.get();
        }

        @Override
        public String remoteAddress() {
            return remote;
        }

        @Override
        public void onDisconnect(Runnable listener) {
            disconnectListeners.add(listener);
            if (!open.get()) {
                listener.run();
            }
        }

        @Override
        public void close() {
            boolean wasOpen = open.getAndSet(false);
            owner.connections.remove(this);
            peer.owner.connections.remove(peer);
            if (wasOpen) {
                disconnectListeners.forEach(Runnable::run);
                peer.disconnectListeners.forEach(Runnable::run);
            }
        }
    }
}
