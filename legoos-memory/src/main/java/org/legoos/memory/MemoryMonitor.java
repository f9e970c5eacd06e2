package org.legoos.memory;

import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.legoos.api.LegoException;
import org.legoos.memory.cache.BufferCache;
import org.legoos.memory.pagestore.PageStore;
import org.legoos.memory.vm.HomeNode;
import org.legoos.memory.vm.VRegionOwner;
import org.legoos.net.protocol.gm.ComponentResources;
import org.legoos.net.protocol.m2m.OwnerDestroy;
import org.legoos.net.protocol.m2m.OwnerMap;
import org.legoos.net.protocol.m2m.OwnerMovePages;
import org.legoos.net.protocol.m2m.OwnerReadPages;
import org.legoos.memory.vm.FileBacking;
import org.legoos.net.protocol.m2m.OwnerFileSync;
import org.legoos.net.protocol.m2m.OwnerMapFile;
import org.legoos.net.protocol.m2m.OwnerProtect;
import org.legoos.net.protocol.m2m.OwnerUnmap;
import org.legoos.net.protocol.m2m.OwnerWritePages;
import org.legoos.net.protocol.m2m.Promote;
import org.legoos.net.protocol.m2m.Replicate;
import org.legoos.net.protocol.m2m.SetReplica;
import org.legoos.net.protocol.gm.MemoryFailed;
import org.legoos.net.protocol.p2m.Brk;
import org.legoos.net.protocol.p2m.CreateAddressSpace;
import org.legoos.net.protocol.p2m.DestroyAddressSpace;
import org.legoos.net.protocol.p2m.FileClose;
import org.legoos.net.protocol.p2m.FileRead;
import org.legoos.net.protocol.p2m.FileSync;
import org.legoos.net.protocol.p2m.FileWrite;
import org.legoos.net.protocol.p2m.FileWriteBatch;
import org.legoos.net.protocol.p2m.Mmap;
import org.legoos.net.protocol.p2m.Mremap;
import org.legoos.net.protocol.p2m.MmapFile;
import org.legoos.net.protocol.p2m.Mprotect;
import org.legoos.net.protocol.p2m.PcacheFileFill;
import org.legoos.net.protocol.p2m.Msync;
import org.legoos.net.protocol.p2m.Munmap;
import org.legoos.net.protocol.p2m.PcacheFlush;
import org.legoos.net.protocol.p2m.PcacheMiss;
import org.legoos.net.rpc.RpcNode;
import org.legoos.net.rpc.Status;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The memory monitor of LegoOS/J: the monitor of an mComponent. It plays three roles, each served from the
 * messages other components send it:
 * <ul>
 *   <li><b>home</b> ({@link HomeNode}) of the processes the GMM homed here: their VMA trees and the
 *       address-space calls (P2M CREATE_AS, DESTROY_AS, MMAP, MUNMAP, MREMAP, BRK, MSYNC);</li>
 *   <li><b>vRegion owner</b> ({@link VRegionOwner}) of vRegions of any process: ExCache misses and flushes
 *       (P2M PCACHE_MISS, PCACHE_FLUSH) and the home's M2M calls, over the page store
 *       ({@link PageStore});</li>
 *   <li><b>storage buffer cache</b> ({@link BufferCache}) of the vNodes whose files it caches (P2M READ,
 *       WRITE, WRITEV, FSYNC, CLOSE), backed by their storage components.</li>
 * </ul>
 * No user code runs here.
 *
 * <p>The constructor registers every handler on the given {@link RpcNode}, which whoever boots the
 * component has already given its node id and a way to reach its peers. The monitor does not own the
 * endpoint: {@link #close()} stops the workers, writes back the buffer cache and frees the page store, but
 * leaves the endpoint open.
 *
 * <p>Thread-safety: thread-safe. Requests are served on {@link MemoryConfig#workers()} worker threads (see
 * there); {@link #stats()} and {@link #resources()} may be called from any thread.
 */
public final class MemoryMonitor implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(MemoryMonitor.class);

    private final RpcNode rpc;
    private final MemoryConfig config;
    private final PageStore pageStore;
    private final VRegionOwner owner;
    private final HomeNode home;
    private final BufferCache bufferCache;
    private final ExecutorService p2mWorkers;
    private final ExecutorService m2mWorkers;
    /**
     * The buffer cache's file requests, from processors and from other memory components' owners (file-backed
     * areas). Their own pool: a home call or a file fill waiting on another memory component's buffer cache must never
     * wait for a worker that is itself waiting on this component (two components' pools would deadlock).
     */
    private final ExecutorService fileWorkers;
    /** Misses and flushes when they wait for a replica (replicas > 1 and workers > 0); else null. */
    private final ExecutorService writeWorkers;
    /**
     * Failover (GM_MEMORY_FAILED), one at a time: never the home's pool, whose threads may all be waiting for the
     * very address spaces a failover holds while it waits for another component's promotion (null: delivery thread).
     */
    private final ExecutorService failoverWorkers;
    /**
     * M2M_PROMOTE and M2M_SET_REPLICA, which a failover waits for and which wait only for replicas (M2M_REPLICATE, on
     * the m2m pool): a pool of their own, so failovers of two components never wait for each other's threads.
     */
    private final ExecutorService promoteWorkers;
    private volatile boolean closed;

    /**
     * @param rpc this component's endpoint (node id set, peers reachable)
     * @param managerNode the node id of the global managers (GMM for vRegion placement, vNode registry)
     */
    /** Keeps vNode users' file requests inside their vNodes. */
    private final org.legoos.net.security.VNodeScope vnodeScope;

    /** {@link #open()} once the caller may act in vNode {@code vnodeId}. */
    private MemoryMonitor scoped(org.legoos.net.rpc.CallContext ctx, int vnodeId, String what) {
        MemoryMonitor m = open();
        org.legoos.net.security.VNodeScope.check(vnodeScope, ctx.principal(), vnodeId, what);
        return m;
    }

    public MemoryMonitor(RpcNode rpc, int managerNode, MemoryConfig cfg) {
        this(rpc, managerNode, cfg, 0);
    }

    /**
     * A memory monitor that is a new incarnation of a component at the same address (its REGISTER reply's
     * {@code pidsBefore}): a request for any pid below {@code pidsBefore} that it holds nothing of is stale, meant for
     * the old incarnation, and is answered UNAVAILABLE (ask the home) rather than as the program's fault.
     */
    private final java.util.concurrent.atomic.AtomicBoolean selfFencing = new java.util.concurrent.atomic.AtomicBoolean();

    public MemoryMonitor(RpcNode rpc, int managerNode, MemoryConfig cfg, long pidsBefore) {
        this.rpc = java.util.Objects.requireNonNull(rpc, "rpc");
        this.config = java.util.Objects.requireNonNull(cfg, "cfg");
        this.pageStore = new PageStore(cfg.capacityBytes());
        this.bufferCache = new BufferCache(rpc, managerNode, cfg.bufferCacheBytes(), cfg.bufferChunkBytes());
        this.vnodeScope = new org.legoos.net.security.VNodeScope(rpc, managerNode);
        this.owner = new VRegionOwner(pageStore, rpc::nodeId, new OwnerFiles(), (replica, change) -> {
            try {
                rpc.call(replica, change);
            } catch (LegoException e) {
                if (org.legoos.net.rpc.Status.of(e) == org.legoos.net.rpc.Status.SUPERSEDED) {
                    superseded(change.pid(), e);
                }
                throw e;
            }
        });
        this.home = new HomeNode(rpc, managerNode, cfg.vregionBytes(), owner, cfg.replicas());
        owner.forgetPidsBefore(pidsBefore);
        owner.seedRate(cfg.reReplicationBytesPerSecond());
        home.forgetPidsBefore(pidsBefore);
        if (cfg.workers() > 0) {
            p2mWorkers = Executors.newFixedThreadPool(cfg.workers(), threads(rpc.name() + "-p2m-"));
            m2mWorkers = Executors.newFixedThreadPool(cfg.workers(), threads(rpc.name() + "-m2m-"));
            fileWorkers = Executors.newFixedThreadPool(cfg.workers(), threads(rpc.name() + "-file-"));
            writeWorkers = cfg.replicas() > 1
                    ? Executors.newFixedThreadPool(cfg.workers(), threads(rpc.name() + "-write-")) : null;
            failoverWorkers = Executors.newSingleThreadExecutor(threads(rpc.name() + "-failover-"));
            promoteWorkers = Executors.newFixedThreadPool(2, threads(rpc.name() + "-promote-"));
        } else {
            p2mWorkers = null;
            m2mWorkers = null;
            fileWorkers = null;
            writeWorkers = null;
            failoverWorkers = null;
            promoteWorkers = null;
        }
        try {
            register();
        } catch (RuntimeException e) {
            stopWorkers();
            pageStore.close();
            throw e;
        }
    }

    private static ThreadFactory threads(String prefix) {
        AtomicInteger n = new AtomicInteger();
        return r -> {
            Thread t = new Thread(r, prefix + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        };
    }

    private void register() {
        // owner role: ExCache traffic. Without replication it is served on the delivery thread even when workers are
        // configured: a miss or flush never waits on another component, and a hand-off to a worker would cost more
        // than the miss itself. With replication a flush (and a miss carrying a dirty victim) waits for the replica's
        // acknowledgement, which must not block the delivery thread: both go to the write workers
        if (writeWorkers != null) { // a clean miss that finds its space's lock free is served on the event loop
            rpc.handle(PcacheMiss.class, (q, ctx) -> open().owner.missWithoutWaiting(q), (q, ctx) -> open().owner.miss(q),
                    writeWorkers);
        } else {
            rpc.handle(PcacheMiss.class, (q, ctx) -> open().owner.miss(q));
        }
        rpc.handle(PcacheFlush.class, (q, ctx) -> open().owner.flush(q), writeWorkers);
        // home role: address-space calls
        rpc.handle(CreateAddressSpace.class, (q, ctx) -> open().home.create(q), p2mWorkers);
        rpc.handle(DestroyAddressSpace.class, (q, ctx) -> open().home.destroy(q), p2mWorkers);
        rpc.handle(Mmap.class, (q, ctx) -> open().home.mmap(q), p2mWorkers);
        rpc.handle(Munmap.class, (q, ctx) -> open().home.munmap(q), p2mWorkers);
        rpc.handle(Mremap.class, (q, ctx) -> open().home.mremap(q), p2mWorkers);
        rpc.handle(org.legoos.net.protocol.p2m.Relocate.class, (q, ctx) -> open().home.relocate(q), p2mWorkers);
        rpc.handle(Brk.class, (q, ctx) -> open().home.brk(q), p2mWorkers);
        rpc.handle(org.legoos.net.protocol.p2m.OwnersRequest.class, (q, ctx) -> open().home.owners(q), p2mWorkers);
        rpc.handle(Msync.class, (q, ctx) -> open().home.msync(q), p2mWorkers);
        rpc.handle(Mprotect.class, (q, ctx) -> open().home.mprotect(q), p2mWorkers);
        rpc.handle(MmapFile.class, (q, ctx) -> open().home.mmapFile(q), p2mWorkers);
        // a file page may come from another component's buffer cache: never on the delivery thread
        rpc.handle(PcacheFileFill.class, (q, ctx) -> open().owner.fileFill(q), p2mWorkers);
        // storage buffer cache
        // file data of a vNode: `lego cp` of a vNode user reaches only its own vNodes (VNodeScope asks the manager)
        rpc.handle(FileRead.class, (q, ctx) -> scoped(ctx, q.vnodeId(), "P2M_READ").bufferCache.read(q), fileWorkers);
        rpc.handle(FileWrite.class, (q, ctx) -> scoped(ctx, q.vnodeId(), "P2M_WRITE").bufferCache.write(q), fileWorkers);
        rpc.handle(FileWriteBatch.class, (q, ctx) -> scoped(ctx, q.vnodeId(), "P2M_WRITEV").bufferCache.writeBatch(q),
                fileWorkers);
        rpc.handle(FileSync.class, (q, ctx) -> scoped(ctx, q.vnodeId(), "P2M_FSYNC").bufferCache.fsync(q), fileWorkers);
        rpc.handle(FileClose.class, (q, ctx) -> scoped(ctx, q.vnodeId(), "P2M_CLOSE").bufferCache.close(q), fileWorkers);
        // owner role: calls from homes
        rpc.handle(OwnerMap.class, (q, ctx) -> fromHome(q.pid(), ctx).map(q), m2mWorkers);
        rpc.handle(OwnerUnmap.class, (q, ctx) -> fromHome(q.pid(), ctx).unmap(q), m2mWorkers);
        rpc.handle(OwnerMovePages.class, (q, ctx) -> fromHome(q.pid(), ctx).movePages(q), m2mWorkers);
        rpc.handle(OwnerReadPages.class, (q, ctx) -> fromHome(q.pid(), ctx).readPages(q), m2mWorkers);
        rpc.handle(org.legoos.net.protocol.m2m.OwnerMoveOut.class, (q, ctx) -> fromHome(q.pid(), ctx).moveOut(q),
                m2mWorkers);
        rpc.handle(OwnerWritePages.class, (q, ctx) -> fromHome(q.pid(), ctx).writePages(q), m2mWorkers);
        rpc.handle(OwnerDestroy.class, (q, ctx) -> fromHome(q.pid(), ctx).destroy(q), m2mWorkers);
        rpc.handle(OwnerProtect.class, (q, ctx) -> fromHome(q.pid(), ctx).protect(q), m2mWorkers);
        rpc.handle(OwnerMapFile.class, (q, ctx) -> fromHome(q.pid(), ctx).mapFile(q), m2mWorkers);
        rpc.handle(OwnerFileSync.class, (q, ctx) -> fromHome(q.pid(), ctx).fileSync(q), m2mWorkers);
        rpc.handle(SetReplica.class, (q, ctx) -> fromHome(q.pid(), ctx).setReplica(q), promoteWorkers);
        rpc.handle(org.legoos.net.protocol.m2m.HomeSync.class, (q, ctx) -> open().home.homeSync(q), m2mWorkers);
        rpc.handle(org.legoos.net.protocol.m2m.SetHome.class, (q, ctx) -> open().owner.setHome(q), m2mWorkers);
        // a replica applies changes and never waits on another component; a promotion sends the whole space to the
        // new replica and failover calls owners and the GMM: both wait, on a pool of their own
        rpc.handle(Replicate.class, (q, ctx) -> open().owner.replicate(q), m2mWorkers);
        rpc.handle(Promote.class, (q, ctx) -> fromHome(q.pid(), ctx).promote(q), promoteWorkers);
        rpc.handle(MemoryFailed.class, (q, ctx) -> open().memoryFailed(q.node()), failoverWorkers);
        rpc.handle(org.legoos.net.protocol.gm.MemoryJoined.class, (q, ctx) -> {
            int named = open().home.joined(q.node());
            if (named > 0) {
                log.info("{}: memory component {} joined: {} replica(s) named for what ran without one", rpc.name(),
                        q.node(), named);
            }
            return org.legoos.net.protocol.Ack.INSTANCE;
        }, failoverWorkers);
    }

    /** File-backed areas read and write their files through the vNode's buffer cache: this one or another's. */
    private final class OwnerFiles implements VRegionOwner.Files {
        @Override
        public java.nio.ByteBuffer read(FileBacking file, long offset, int length) {
            FileRead q = new FileRead(file.vnodeId(), file.path(), offset, length);
            return (file.cacheNode() == rpc.nodeId() ? bufferCache.read(q) : rpc.call(file.cacheNode(), q)).data();
        }

        @Override
        public void write(FileBacking file, long offset, java.nio.ByteBuffer data) {
            FileWrite q = new FileWrite(file.vnodeId(), file.path(), offset, data);
            if (file.cacheNode() == rpc.nodeId()) {
                bufferCache.write(q);
            } else {
                rpc.call(file.cacheNode(), q);
            }
        }
    }

    private MemoryMonitor open() {
        if (closed) {
            throw Status.UNAVAILABLE.toException("memory component " + rpc.nodeId() + " is shut down");
        }
        return this;
    }

    /** This component's node id. */
    public int nodeId() {
        return rpc.nodeId();
    }

    public MemoryConfig config() {
        return config;
    }

    /** What this component has and uses, for its status reports to the managers. */
    public ComponentResources resources() {
        return new ComponentResources(Runtime.getRuntime().availableProcessors(), config.workers(),
                home.counters().spaces(), pageStore.capacityBytes(), pageStore.usedBytes(), 0, 0, null, "",
                owner.replicaBytes(), config.replicas() > 1 ? owner.spacesWithoutReplica() : 0);
    }

    /** A snapshot of this monitor's state and counters. */
    public MemoryStats stats() {
        VRegionOwner.Counters o = owner.counters();
        HomeNode.Counters h = home.counters();
        BufferCache.Counters c = bufferCache.counters();
        return new MemoryStats(pageStore.capacityBytes(), pageStore.usedFrames(), h.spaces(), owner.spaces(),
                home.mappedBytesPerSpace(), owner.storedBytesPerSpace(),
                o.misses(), o.pagesServed(), o.zeroPagesServed(), o.flushes(), o.pagesFlushed(), o.piggybacks(),
                o.refusedNoMemory(), o.refusedBadAddress(), h.vmCalls(), h.consults(), h.pagesCopiedAcrossOwners(),
                c.hits(), c.misses(), c.evictions(), c.writeBacks(), c.cachedBytes(), c.dirtyChunks(),
                owner.replicaBytes(), owner.spacesWithoutReplica(), o.changesReplicated(), o.promotions(), h.failovers(),
                h.homesAdopted(), home.homeCopyBytes(), h.relocations(), h.replicasRestored());
    }

    /**
     * Stops serving (later requests get UNAVAILABLE), writes back the buffer cache's dirty data, stops the
     * workers and frees the page store. The RPC endpoint stays open. Idempotent.
     */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        int failed = bufferCache.flushAll();
        if (failed > 0) {
            log.warn("{}: {} file(s) could not be written back at shutdown", rpc.name(), failed);
        }
        stopWorkers();
        home.close();
        pageStore.close();
    }

    /** The owner role, for a request of pid's home: refused unless the sender is pid's home as far as it knows. */
    private VRegionOwner fromHome(long pid, org.legoos.net.rpc.CallContext ctx) {
        VRegionOwner o = open().owner;
        o.checkHome(pid, ctx.sourceNode());
        return o;
    }

    /**
     * {@code GM_MEMORY_FAILED}: memory component {@code dead} was declared dead. Calls in flight to it fail now, the
     * spaces owned here stop replicating to it, this component becomes the home of the processes whose home metadata
     * it kept a copy of from it ({@link HomeNode#adoptHomesOf}), and the processes homed here get their vRegions it
     * owned moved to their replicas ({@link HomeNode#failover}).
     */
    private org.legoos.net.protocol.Ack memoryFailed(int dead) {
        if (dead == rpc.nodeId()) {
            // declared dead while only stopped or cut off: what it holds was failed over and is stale now
            log.warn("{}: declared dead by the global manager while alive: dropping everything failed over elsewhere",
                    rpc.name());
            fenceStale();
            return org.legoos.net.protocol.Ack.INSTANCE;
        }
        rpc.failCallsTo(dead, "memory component " + dead + " was declared dead by the global manager");
        int unreplicated = owner.replicaDied(dead);
        if (unreplicated > 0) {
            log.warn("{}: {} address space(s) owned here lost their replica on memory component {}", rpc.name(),
                    unreplicated, dead);
        }
        home.adoptHomesOf(dead);
        home.failover(dead);
        return org.legoos.net.protocol.Ack.INSTANCE;
    }

    /**
     * This component's replica of {@code pid}'s vRegions refused a change as {@code SUPERSEDED}: it was promoted to
     * owner because the manager declared this component dead while it was only stopped or cut off from the manager
     * (a promotion happens only then). Everything it holds was failed over then and is stale: it fences itself at
     * once, as the manager's {@code GM_MEMORY_FAILED} would have it do, for a partition may hold that word up for
     * good, and the processors that still reach it must be sent on to the components that took over. A refusal about
     * a pid it owns nothing of is a late answer to a change from before an earlier fence and is ignored. Runs the
     * fence on a thread of its own: the caller may hold a lock the fence takes.
     *
     * <p>An owner's refusal of a home's change ({@code checkHome}) is not taken as such proof: a home that adopted a
     * process gets the same refusal from an owner its {@code M2M_SET_HOME} did not reach, and must not drop what it
     * holds for that.
     */
    private void superseded(long pid, LegoException proof) {
        if (closed || !owner.owns(pid) || !selfFencing.compareAndSet(false, true)) {
            return;
        }
        log.warn("{}: superseded while it served on (declared dead by the global manager, whose word has not reached "
                + "it): dropping everything failed over elsewhere; proof: {}", rpc.name(), proof.getMessage());
        Thread.ofVirtual().name(rpc.name() + "-fence").start(() -> {
            try {
                fenceStale();
            } finally {
                selfFencing.set(false);
            }
        });
    }

    /** Drops every address space owned, homed or copied here: failed over elsewhere, stale here. */
    private void fenceStale() {
        owner.fence();
        home.fence();
    }

    private void stopWorkers() {
        for (ExecutorService pool : new ExecutorService[] {p2mWorkers, m2mWorkers, fileWorkers, writeWorkers, failoverWorkers, promoteWorkers}) {
            if (pool == null) {
                continue;
            }
            pool.shutdown();
            try {
                if (!pool.awaitTermination(5, TimeUnit.SECONDS)) {
                    pool.shutdownNow();
                }
            } catch (InterruptedException e) {
                pool.shutdownNow();
                Thread.currentThread().interrupt();
            }
        }
    }
}
