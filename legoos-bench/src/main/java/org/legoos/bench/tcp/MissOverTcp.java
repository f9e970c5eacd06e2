package org.legoos.bench.tcp;

import java.nio.ByteBuffer;
import java.time.Duration;
import org.legoos.memory.MemoryConfig;
import org.legoos.memory.MemoryMonitor;
import org.legoos.net.protocol.m2m.OwnerMap;
import org.legoos.net.protocol.p2m.PageData;
import org.legoos.net.protocol.p2m.PcacheFlush;
import org.legoos.net.protocol.p2m.PcacheMiss;
import org.legoos.net.rpc.RpcNode;
import org.legoos.net.transport.tcp.TcpConfig;
import org.legoos.net.transport.tcp.TcpTransport;

/**
 * An ExCache miss over TCP loopback as a processor component takes it: {@code P2M_PCACHE_MISS} for one
 * materialised 4 KiB page, encoded by the real codec, sent by {@link RpcNode} over a {@link TcpTransport}, served
 * by a real {@link MemoryMonitor} in its vRegion-owner role (page store lookup, page copied into the reply) and
 * decoded. The owner's area is set up the way a home node does it ({@code M2M_MMAP}, then the pages are flushed
 * once so the misses hit materialised pages).
 *
 * <p>Both endpoints live in this JVM but share nothing except the loopback sockets: each has its own transport
 * and I/O threads.
 *
 * <p>Not thread-safe: one measuring thread.
 */
public final class MissOverTcp implements AutoCloseable {
    private static final long PID = 900_002;
    private static final int OWNER = 2;
    private static final int PAGES = 64;
    private static final Duration TIMEOUT = Duration.ofSeconds(10);

    private final TcpTransport serverTransport;
    private final TcpTransport clientTransport;
    private final RpcNode server;
    private final RpcNode client;
    private final MemoryMonitor memory;
    private final long va;
    private final ByteBuffer noVictim = ByteBuffer.allocate(0);
    private long next;

    /**
     * @param tcp transport configuration of both ends
     * @param memoryWorkers the memory monitor's worker threads (0: misses are served on the transport's I/O
     *     thread, no hand-off)
     */
    public MissOverTcp(TcpConfig tcp, int memoryWorkers) {
        this(tcp, memoryWorkers, false);
    }

    /**
     * @param tcp transport configuration of both ends
     * @param memoryWorkers the memory monitor's worker threads (0: misses are served on the transport's I/O
     *     thread, no hand-off)
     * @param syncCalls the processor's {@link RpcNode.Config#syncCalls()}: the measuring thread writes each miss and
     *     reads its reply on its own blocking socket instead of waiting for the client's event loop
     */
    public MissOverTcp(TcpConfig tcp, int memoryWorkers, boolean syncCalls) {
        this(tcp, memoryWorkers, syncCalls, null);
    }

    /**
     * @param tls null for plaintext; else a fresh cluster CA in that directory issues the memory component's and the
     *     processor's certificates and every socket is mutual TLS 1.3, as a default cluster runs; the directory is
     *     deleted on {@link #close()}
     */
    public MissOverTcp(TcpConfig tcp, int memoryWorkers, boolean syncCalls, java.nio.file.Path tls) {
        this.certificates = tls;
        org.legoos.net.security.ClusterTls serverTls = null;
        org.legoos.net.security.ClusterTls clientTls = null;
        if (tls != null) {
            var ca = org.legoos.net.security.ClusterCa.in(tls);
            ca.create("bench");
            var hosts = java.util.List.of("127.0.0.1");
            ca.issue("bench-memory", org.legoos.api.security.Role.MEMORY, hosts, java.util.List.of(), Duration.ofDays(1));
            ca.issue("bench-processor", org.legoos.api.security.Role.PROCESSOR, hosts, java.util.List.of(), Duration.ofDays(1));
            ca.issue("bench-home", org.legoos.api.security.Role.MEMORY, hosts, java.util.List.of(), Duration.ofDays(1));
            // -Dbench.tls.openssl=false: the JDK's TLS on the event loops instead of BoringSSL
            boolean openSsl = Boolean.parseBoolean(System.getProperty("bench.tls.openssl", "true"));
            serverTls = org.legoos.net.security.ClusterTls.load(tls, "bench-memory", openSsl);
            clientTls = org.legoos.net.security.ClusterTls.load(tls, "bench-processor", openSsl);
        }
        serverTransport = new TcpTransport("bench-memory", tcp, serverTls);
        clientTransport = new TcpTransport("bench-processor", tcp, clientTls);
        RpcNode.Config rpc = new RpcNode.Config(tcp.maxBodyBytes(), TIMEOUT);
        server = new RpcNode("memory-" + OWNER, serverTransport, rpc);
        server.setNodeId(OWNER);
        memory = new MemoryMonitor(server, 0, MemoryConfig.of(64L << 20).withWorkers(memoryWorkers));
        String address = server.listen("127.0.0.1:0");
        client = new RpcNode("processor-1", clientTransport, rpc.withSyncCalls(syncCalls));
        client.setNodeId(1);
        client.addPeer(OWNER, address);
        va = 1L << 40;
        // the area is set up as its home would (M2M): over TLS only a memory component's certificate may
        try (RpcNode home = new RpcNode("home", new TcpTransport("bench-home", tcp,
                tls == null ? null : org.legoos.net.security.ClusterTls.load(tls, "bench-home")), rpc)) {
            home.setNodeId(1); // the node the owner records as the area's home, as before
            home.addPeer(OWNER, address);
            home.call(OWNER, new OwnerMap(PID, 1, va, PAGES * 4096L, 3));
        }
        ByteBuffer page = ByteBuffer.allocate(4096);
        for (int p = 0; p < PAGES; p++) {
            page.clear();
            page.putLong(0, p);
            client.call(OWNER, new PcacheFlush(PID, new long[] {va + p * 4096L}, page.duplicate()));
        }
    }

    /**
     * Times the processor's calls into {@code legoos_rpc_seconds} and exports the memory component's metrics, as
     * components with {@code metrics.listen} set do (the scrape itself is not run). Returns this.
     */
    public MissOverTcp withMetrics() {
        org.legoos.node.metrics.ComponentMetrics.endpoint(client);
        org.legoos.node.metrics.ComponentMetrics.of(memory, OWNER, server, () -> null);
        return this;
    }

    public boolean nativeEpoll() {
        return clientTransport.isNativeEpoll();
    }

    /** One clean miss: a small request, a 4 KiB reply. */
    public PageData roundTrip() {
        long p = next++ & (PAGES - 1);
        PageData d = client.call(OWNER, new PcacheMiss(PID, va + p * 4096, 1, 0, noVictim));
        if (d.data().remaining() != 4096 || d.data().getLong(d.data().position()) != p) {
            throw new IllegalStateException("wrong page in miss reply for page " + p);
        }
        return d;
    }

    @Override
    public void close() {
        client.close();
        memory.close();
        server.close();
        if (certificates != null) {
            try (var files = java.nio.file.Files.walk(certificates)) {
                files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            } catch (java.io.IOException e) {
                System.err.println("could not delete " + certificates + ": " + e);
            }
        }
    }

    /** The certificates made for a TLS run (deleted on close), or null. */
    private final java.nio.file.Path certificates;
}
