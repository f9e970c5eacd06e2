package org.legoos.memory;

import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.IntSupplier;
import org.legoos.net.protocol.Ack;
import org.legoos.net.protocol.Message;
import org.legoos.net.protocol.Request;
import org.legoos.net.protocol.gm.Consult;
import org.legoos.net.protocol.gm.MemoryUsage;
import org.legoos.net.protocol.gm.NodeChoice;
import org.legoos.net.protocol.gm.VNodeGet;
import org.legoos.net.protocol.gm.VNodeInfo;
import org.legoos.net.protocol.m2s.BlockRead;
import org.legoos.net.protocol.m2s.BlockSync;
import org.legoos.net.protocol.m2s.BlockWrite;
import org.legoos.net.protocol.p2s.FileData;
import org.legoos.net.protocol.p2s.FileStat;
import org.legoos.net.protocol.p2s.FileStatRequest;
import org.legoos.net.rpc.RpcNode;
import org.legoos.net.rpc.Status;
import org.legoos.net.transport.local.LocalFabric;

/**
 * A small in-JVM cluster for memory-monitor tests: real {@link MemoryMonitor}s on the local transport, a
 * test-only manager that answers CONSULT round robin over the memory components and VNODE_GET, a test-only
 * storage component keeping files in maps, and a client endpoint that calls the monitors as a processor does.
 */
final class TestCluster implements AutoCloseable {
    static final int MANAGER = 1;
    static final int STORAGE = 2;
    static final int CLIENT = 3;
    static final int FIRST_MEMORY = 10;
    static final int VNODE = 7;
    /** A second vNode on the same storage double (its files share the one namespace: tests give them other paths). */
    static final int VNODE2 = 8;
    static final Duration TIMEOUT = Duration.ofSeconds(20);

    final LocalFabric fabric = new LocalFabric();
    final RpcNode manager;
    final RpcNode storage;
    final RpcNode client;
    final List<RpcNode> memoryRpcs = new ArrayList<>();
    final List<MemoryMonitor> monitors = new ArrayList<>();
    final FakeStorage files = new FakeStorage();
    final AtomicInteger consults = new AtomicInteger();
    final AtomicInteger vnodeGets = new AtomicInteger();
    /** GM_HOME_MOVED notices received: a home replica adopted a process. */
    final AtomicInteger homesMoved = new AtomicInteger();
    /** Memory nodes a test declared dead: REPLICA_CONSULT never names one, as the real GMM names only live ones. */
    final java.util.Set<Integer> dead = ConcurrentHashMap.newKeySet();
    /** Which memory node CONSULT answers; round robin unless a test replaces it. */
    volatile IntSupplier consultPolicy;

    TestCluster(int memories, MemoryConfig cfg) {
        List<RpcNode> all = new ArrayList<>();
        manager = node("manager", MANAGER, all);
        storage = node("storage", STORAGE, all);
        client = node("processor", CLIENT, all);
        for (int i = 0; i < memories; i++) {
            memoryRpcs.add(node("memory-" + i, FIRST_MEMORY + i, all));
        }
        for (RpcNode a : all) {
            for (RpcNode b : all) {
                a.addPeer(b.nodeId(), b.name());
            }
        }
        AtomicInteger next = new AtomicInteger();
        consultPolicy = () -> FIRST_MEMORY + Math.floorMod(next.getAndIncrement(), memories);
        manager.handle(Consult.class, (q, ctx) -> {
            consults.incrementAndGet();
            return new NodeChoice(consultPolicy.getAsInt());
        });
        // replicas: the next memory node after the primary (skipping the one to avoid and those a test declared
        // dead), none with a single node
        manager.handle(org.legoos.net.protocol.gm.ReplicaConsult.class, (q, ctx) -> {
            for (int k = 1; k < memories; k++) {
                int node = FIRST_MEMORY + Math.floorMod(q.primary() - FIRST_MEMORY + k, memories);
                if (node != q.avoid() && !dead.contains(node)) {
                    return new NodeChoice(node);
                }
            }
            return new NodeChoice(-1);
        });
        // the GMM's sum over a vNode's processes is tested with the real manager (legoos-node VNodeMemoryQuotaTest)
        manager.handle(MemoryUsage.class, (q, ctx) -> Ack.INSTANCE);
        manager.onMessage(org.legoos.net.protocol.gm.HomeMoved.class, (m, ctx) -> homesMoved.incrementAndGet());
        manager.handle(VNodeGet.class, (q, ctx) -> {
            vnodeGets.incrementAndGet();
            for (int v : new int[] {VNODE, VNODE2}) {
                if (q.nameOrId().equals(String.valueOf(v))) {
                    return new VNodeInfo(v, "test" + v, "10.0.0.7", "/srv/test" + v, STORAGE, FIRST_MEMORY, 0,
                            Long.MAX_VALUE, 10, 0);
                }
            }
            throw Status.NOT_FOUND.toException("no vNode " + q.nameOrId());
        });
        files.serve(storage);
        for (RpcNode rpc : memoryRpcs) {
            monitors.add(new MemoryMonitor(rpc, MANAGER, cfg));
        }
    }

    private RpcNode node(String name, int id, List<RpcNode> all) {
        RpcNode n = new RpcNode(name, fabric.newTransport(), RpcNode.Config.DEFAULT);
        n.setNodeId(id);
        n.listen(name);
        all.add(n);
        return n;
    }

    static int memoryNode(int i) {
        return FIRST_MEMORY + i;
    }

    MemoryMonitor monitor(int node) {
        return monitors.get(node - FIRST_MEMORY);
    }

    <R extends Message> R call(int node, Request<R> q) {
        return client.call(node, q, TIMEOUT);
    }

    @Override
    public void close() {
        monitors.forEach(MemoryMonitor::close);
        memoryRpcs.forEach(RpcNode::close);
        client.close();
        storage.close();
        manager.close();
    }

    /**
     * A test double of a storage component: files of vNodes {@link #VNODE} and {@link #VNODE2} in memory, with call
     * counters; M2S_READs of one path can be held until a test lets them go.
     */
    static final class FakeStorage {
        /** M2S_READs of this path wait for {@link #release} (counting {@link #stalledReads} down as they start). */
        volatile String stallPath;
        volatile java.util.concurrent.CountDownLatch release = new java.util.concurrent.CountDownLatch(0);
        volatile java.util.concurrent.CountDownLatch stalledReads = new java.util.concurrent.CountDownLatch(0);
        final Map<String, byte[]> data = new ConcurrentHashMap<>();
        /** Contents as of each file's last M2S_FSYNC. */
        final Map<String, byte[]> durable = new ConcurrentHashMap<>();
        final java.util.Set<String> directories = ConcurrentHashMap.newKeySet();
        final AtomicInteger stats = new AtomicInteger();
        final AtomicInteger reads = new AtomicInteger();
        final AtomicInteger writes = new AtomicInteger();
        /** Bytes asked for by M2S_READs. */
        final java.util.concurrent.atomic.AtomicLong bytesRead = new java.util.concurrent.atomic.AtomicLong();
        /** Bytes sent by M2S_WRITEs. */
        final java.util.concurrent.atomic.AtomicLong bytesWritten = new java.util.concurrent.atomic.AtomicLong();
        final AtomicInteger syncs = new AtomicInteger();
        /** The vNode's storage quota, enforced on M2S_WRITE as a storage component does. */
        volatile long quota = org.legoos.net.protocol.m2s.StorageUsage.UNLIMITED;
        /** M2S_WRITEs refused for the quota: a buffer cache that checks first never causes one. */
        final AtomicInteger refused = new AtomicInteger();
        final AtomicInteger usageAsks = new AtomicInteger();

        long used() {
            return data.values().stream().mapToLong(f -> f.length).sum();
        }

        void serve(RpcNode rpc) {
            rpc.handle(org.legoos.net.protocol.m2s.UsageRequest.class, (q, ctx) -> {
                usageAsks.incrementAndGet();
                check(q.vnodeId());
                return new org.legoos.net.protocol.m2s.StorageUsage(used(), quota);
            });
            rpc.handle(FileStatRequest.class, (q, ctx) -> {
                stats.incrementAndGet();
                check(q.vnodeId());
                if (directories.contains(q.path())) {
                    return new FileStat(true, 0, 0);
                }
                return new FileStat(false, file(q.path()).length, 0);
            });
            rpc.handle(BlockRead.class, (q, ctx) -> {
                reads.incrementAndGet();
                bytesRead.addAndGet(q.length());
                check(q.vnodeId());
                if (q.path().equals(stallPath)) {
                    stalledReads.countDown();
                    try {
                        release.await();
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                }
                byte[] f = file(q.path());
                int from = (int) Math.min(f.length, q.offset());
                int to = (int) Math.min(f.length, q.offset() + q.length());
                return new FileData(ByteBuffer.wrap(Arrays.copyOfRange(f, from, to)));
            });
            rpc.handle(BlockWrite.class, (q, ctx) -> {
                writes.incrementAndGet();
                bytesWritten.addAndGet(q.data().remaining());
                check(q.vnodeId());
                synchronized (this) {
                    byte[] before = data.get(q.path());
                    long grows = before == null ? 0 : Math.max(0, q.offset() + q.data().remaining() - before.length);
                    if (used() + grows > quota) {
                        refused.incrementAndGet();
                        throw Status.QUOTA.toException("storage quota " + quota + " exceeded");
                    }
                }
                data.compute(q.path(), (p, old) -> {
                    if (old == null) {
                        throw Status.NOT_FOUND.toException(p);
                    }
                    int end = (int) (q.offset() + q.data().remaining());
                    byte[] f = old.length >= end ? old.clone() : Arrays.copyOf(old, end);
                    q.data().duplicate().get(f, (int) q.offset(), q.data().remaining());
                    return f;
                });
                return Ack.INSTANCE;
            });
            rpc.handle(BlockSync.class, (q, ctx) -> {
                syncs.incrementAndGet();
                check(q.vnodeId());
                durable.put(q.path(), file(q.path()).clone());
                return Ack.INSTANCE;
            });
        }

        private static void check(int vnodeId) {
            if (vnodeId != VNODE && vnodeId != VNODE2) {
                throw Status.DENIED.toException("wrong vNode " + vnodeId);
            }
        }

        private byte[] file(String path) {
            byte[] f = data.get(path);
            if (f == null) {
                throw Status.NOT_FOUND.toException(path);
            }
            return f;
        }
    }
}
