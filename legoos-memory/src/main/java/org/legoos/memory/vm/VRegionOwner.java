package org.legoos.memory.vm;

import it.unimi.dsi.fastutil.longs.Long2ObjectOpenHashMap;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.Lock;
import java.util.function.IntSupplier;
import org.legoos.api.AddressSpace;
import org.legoos.api.LegoException;
import org.legoos.memory.pagestore.PageStore;
import org.legoos.memory.pagestore.PageTable;
import org.legoos.memory.pagestore.Reservation;
import org.legoos.net.protocol.Ack;
import org.legoos.net.protocol.Message;
import org.legoos.net.protocol.Request;
import org.legoos.net.protocol.m2m.OwnerDestroy;
import org.legoos.net.protocol.m2m.OwnerMap;
import org.legoos.net.protocol.m2m.OwnerMoveOut;
import org.legoos.net.protocol.m2m.OwnerMovePages;
import org.legoos.net.protocol.m2m.PageCount;
import org.legoos.net.protocol.m2m.OwnerFileSync;
import org.legoos.net.protocol.m2m.OwnerMapFile;
import org.legoos.net.protocol.m2m.OwnerProtect;
import org.legoos.net.protocol.m2m.OwnerReadPages;
import org.legoos.net.protocol.m2m.OwnerUnmap;
import org.legoos.net.protocol.m2m.OwnerWritePages;
import org.legoos.net.protocol.m2m.PageSet;
import org.legoos.net.protocol.m2m.Promote;
import org.legoos.net.protocol.m2m.Replicate;
import org.legoos.net.protocol.m2m.SetHome;
import org.legoos.net.protocol.m2m.SetReplica;
import org.legoos.net.protocol.p2m.PageData;
import org.legoos.net.protocol.p2m.PcacheFlush;
import org.legoos.net.protocol.p2m.PcacheFileFill;
import org.legoos.net.protocol.p2m.PcacheMiss;
import org.legoos.net.rpc.Status;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The owner role of a memory component (LegoOS's vRegion owner): for every address space with vRegions
 * owned here, it keeps the areas the home told it about ({@code M2M_MMAP}/{@code M2M_MUNMAP}) and the pages
 * written back to it, and serves the processor's ExCache misses ({@code P2M_PCACHE_MISS}) and flushes
 * ({@code P2M_PCACHE_FLUSH}) straight, without the home.
 *
 * <p>A miss returns the stored page, or zeros for a page never flushed; a flush allocates the page's frame
 * at its first write-back. An access outside every area owned here is refused with {@code BAD_ADDRESS}
 * (a {@code SegmentationFault} in the program); a flush needing more frames than are free is refused
 * with {@code NO_MEMORY} before any page is touched.
 *
 * <p><b>Replication.</b> When the home names a replica for an address space ({@code M2M_SET_REPLICA}), every change
 * of it here (flushed and piggybacked pages, pages moved in by mremap, areas mapped, unmapped, protected or moved,
 * the process's exit) is sent to the replica ({@code M2M_REPLICATE}) after it is applied here and before it is
 * acknowledged: a flush the processor saw acknowledged is on two components. The replica keeps a copy per primary
 * and address space ({@link #replicate}), which {@code M2M_PROMOTE} turns into an owned space when the primary
 * dies. A change the replica does not acknowledge fails with UNAVAILABLE: the processor retries it once the manager
 * has settled who is alive (a replica that missed a change is never promoted in silence). A replica refuses the
 * changes of a primary whose spaces it took over (fencing: a primary declared dead that was only slow cannot
 * change anything any more).
 *
 * <p>Thread-safety: thread-safe; misses and flushes of one address space run in parallel (they share its
 * read lock, pages are guarded by the page table's stripe locks), area changes from the home take the
 * address space's lock exclusively. Looking up an address space neither locks nor boxes.
 */
public final class VRegionOwner {
    private static final Logger log = LoggerFactory.getLogger(VRegionOwner.class);

    /** Most pages one PCACHE_MISS may ask for (4 MiB). */
    public static final int MAX_MISS_PAGES = 1024;
    /** Most pages one M2M_READ_PAGES may ask for (4 MiB). */
    public static final int MAX_READ_PAGES = 1024;
    private static final int PAGE_SIZE = Layout.PAGE_SIZE;

    private final PageStore store;
    private final IntSupplier nodeId;
    private final Files files;
    private final Replicator replicator;
    /** The copies this component keeps as a replica, by (primary, pid). */
    private final java.util.concurrent.ConcurrentHashMap<ReplicaKey, OwnerSpace> replicas =
            new java.util.concurrent.ConcurrentHashMap<>();
    /**
     * (primary, pid) pairs taken over by M2M_PROMOTE, with the pairing epoch of the promotion: their primary's changes
     * of that pairing or an older one are refused from then on (a newer pairing, named by the home after the old
     * primary came back, starts a fresh copy).
     */
    private final java.util.concurrent.ConcurrentHashMap<ReplicaKey, Long> promoted = new java.util.concurrent.ConcurrentHashMap<>();
    /**
     * (primary, pid) copies given up because this component ran out of frames for them, with the pairing epoch:
     * incomplete, so never promoted (a promotion would serve stale pages) and not written again in that pairing.
     */
    private final java.util.concurrent.ConcurrentHashMap<ReplicaKey, Long> abandoned = new java.util.concurrent.ConcurrentHashMap<>();
    /**
     * pid to its home as far as this owner knows: the first home that sent an area change (its epoch unknown), or
     * the one named by the {@code M2M_SET_HOME} of the highest epoch. Area changes from another node are refused.
     */
    private final java.util.concurrent.ConcurrentHashMap<Long, HomeClaim> homes = new java.util.concurrent.ConcurrentHashMap<>();

    /** A home of a pid and its epoch ({@link #UNKNOWN_EPOCH} when it was recorded from an area change). */
    private record HomeClaim(int node, long epoch) {
    }

    private static final long UNKNOWN_EPOCH = -1;
    /** Processes whose spaces {@link #fence} dropped: their requests are answered UNAVAILABLE (ask the home again). */
    private final java.util.Set<Long> fencedPids = java.util.concurrent.ConcurrentHashMap.newKeySet();
    /** How fast {@link #setReplica} copies pages to a new replica (bytes per second; unbounded when not set). */
    private volatile long seedBytesPerSecond = Long.MAX_VALUE;
    /** Pids below this one may have been owned by an earlier incarnation at this address: see {@link #forgetPidsBefore}. */
    private volatile long pidsOfEarlierIncarnation;
    private final LongAdder replicated = new LongAdder();
    private final LongAdder replicaChangesApplied = new LongAdder();
    private final LongAdder promotions = new LongAdder();

    private record ReplicaKey(int primary, long pid) {
    }
    private final Object spacesLock = new Object();
    /** Copy-on-write (address spaces come and go rarely), so the miss path reads it without a lock. */
    private volatile Long2ObjectOpenHashMap<OwnerSpace> spaces = new Long2ObjectOpenHashMap<>();

    private final LongAdder misses = new LongAdder();
    private final LongAdder pagesServed = new LongAdder();
    private final LongAdder zeroPagesServed = new LongAdder();
    private final LongAdder flushes = new LongAdder();
    private final LongAdder pagesFlushed = new LongAdder();
    private final LongAdder piggybacks = new LongAdder();
    private final LongAdder noMemory = new LongAdder();
    private final LongAdder badAddress = new LongAdder();

    /**
     * @param nodeId this component's node id, for error messages
     */
    public VRegionOwner(PageStore store, IntSupplier nodeId) {
        this(store, nodeId, Files.NONE);
    }

    /**
     * @param files how this component reads and writes the files of file-backed areas (through the buffer cache of
     *              the file's vNode, which may be this component's own)
     */
    public VRegionOwner(PageStore store, IntSupplier nodeId, Files files) {
        this(store, nodeId, files, Replicator.NONE);
    }

    /**
     * @param replicator how this component sends {@code M2M_REPLICATE} to the replica of an address space
     */
    public VRegionOwner(PageStore store, IntSupplier nodeId, Files files, Replicator replicator) {
        this.store = store;
        this.nodeId = nodeId;
        this.files = files;
        this.replicator = replicator;
    }

    /** Sends a change to a replica and waits for its acknowledgement. */
    @FunctionalInterface
    public interface Replicator {
        void replicate(int replica, Replicate change);

        /** A component that cannot replicate: naming a replica fails every change. */
        Replicator NONE = (replica, change) -> {
            throw Status.UNAVAILABLE.toException("this memory component cannot reach replicas");
        };
    }

    /** The file data behind file-backed areas: reads fill never-written pages, writes sync shared ones. */
    public interface Files {
        /** Up to {@code length} bytes of the file from {@code offset}: fewer at its end, none past it. */
        ByteBuffer read(FileBacking file, long offset, int length);

        /** Writes {@code data} into the file at {@code offset}. */
        void write(FileBacking file, long offset, ByteBuffer data);

        /** A component without file access: every file-backed access fails. */
        Files NONE = new Files() {
            @Override
            public ByteBuffer read(FileBacking file, long offset, int length) {
                throw Status.UNAVAILABLE.toException("this memory component cannot read files");
            }

            @Override
            public void write(FileBacking file, long offset, ByteBuffer data) {
                throw Status.UNAVAILABLE.toException("this memory component cannot write files");
            }
        };
    }

    /** Counters of the owner role. */
    public record Counters(long misses, long pagesServed, long zeroPagesServed, long flushes, long pagesFlushed,
                           long piggybacks, long refusedNoMemory, long refusedBadAddress, long changesReplicated,
                           long replicaChangesApplied, long promotions) {
    }

    public Counters counters() {
        return new Counters(misses.sum(), pagesServed.sum(), zeroPagesServed.sum(), flushes.sum(), pagesFlushed.sum(),
                piggybacks.sum(), noMemory.sum(), badAddress.sum(), replicated.sum(), replicaChangesApplied.sum(),
                promotions.sum());
    }

    /** Bytes of pages this component holds as a replica of other components' vRegions. */
    public long replicaBytes() {
        long pages = 0;
        for (OwnerSpace r : replicas.values()) {
            pages += r.pages.pages();
        }
        return pages * PAGE_SIZE;
    }

    /** Address spaces owned here that have no replica (none was named, or it died). */
    public int spacesWithoutReplica() {
        int n = 0;
        for (OwnerSpace s : spaces.values()) {
            if (s.replica < 0) {
                n++;
            }
        }
        return n;
    }

    /** Address spaces with areas here. */
    public int spaces() {
        return spaces.size();
    }

    /** pid to bytes of pages stored here for it. */
    public Map<Long, Long> storedBytesPerSpace() {
        Map<Long, Long> out = new HashMap<>();
        for (var e : spaces.long2ObjectEntrySet()) {
            out.put(e.getLongKey(), e.getValue().pages.pages() * PAGE_SIZE);
        }
        return out;
    }

    // ------------------------------------------------------------------ P2M

    /**
     * {@code P2M_PCACHE_MISS}: applies the piggybacked dirty victim (if {@code victim} holds 4096 bytes), then
     * returns the requested pages. The first page must be accessible here; the reply holds the pages at
     * {@code vaddr + i * strideBytes}, up to {@code pages} of them, stopping early at the first page outside the
     * accessible areas owned here or outside the user address space (so a prefetch past the end of an area is
     * not an error). {@code strideBytes} must be a nonzero multiple of 4096 of at most {@link Layout#TASK_SIZE}
     * either way.
     */
    public PageData miss(PcacheMiss q) {
        return miss(q, false);
    }

    /**
     * {@link #miss} on a thread that must not wait (a transport's event loop): null, having changed nothing, if the
     * miss carries a victim (storing it waits for its replica) or the address space's lock is not free at once (a
     * writer holds it, maybe across a call to a replica). Checks and errors are those of {@link #miss}.
     */
    public PageData missWithoutWaiting(PcacheMiss q) {
        return miss(q, true);
    }

    private PageData miss(PcacheMiss q, boolean withoutWaiting) {
        int pages = q.pages();
        if (pages < 1 || pages > MAX_MISS_PAGES) {
            throw invalid("PCACHE_MISS: pages must be in [1, " + MAX_MISS_PAGES + "], got " + pages);
        }
        long stride = q.strideBytes();
        if (stride == 0 || stride % PAGE_SIZE != 0 || stride < -Layout.TASK_SIZE || stride > Layout.TASK_SIZE) {
            throw invalid("PCACHE_MISS: strideBytes must be a nonzero multiple of " + PAGE_SIZE + " in [-"
                    + Layout.TASK_SIZE + ", " + Layout.TASK_SIZE + "], got " + stride);
        }
        checkPage("PCACHE_MISS", q.vaddr());
        ByteBuffer victim = q.victim();
        boolean hasVictim = victim.remaining() != 0;
        if (hasVictim) {
            if (victim.remaining() != PAGE_SIZE) {
                throw invalid("PCACHE_MISS: a piggybacked victim must be 4096 bytes, got " + victim.remaining());
            }
            checkPage("PCACHE_MISS victim", q.victimVaddr());
        }
        if (withoutWaiting && hasVictim) {
            return null;
        }
        OwnerSpace s = spaceOrFault(q.pid(), q.vaddr());
        byte[] out;
        int n;
        Lock lock = s.lock.readLock();
        if (!withoutWaiting) {
            lock.lock();
        } else if (!lock.tryLock()) {
            return null;
        }
        try {
            if (s.dead) {
                throw fault(q.pid(), q.vaddr(), "its address space was destroyed");
            }
            refuseIfMovedOut(s, q.vaddr());
            if (hasVictim) {
                refuseIfMovedOut(s, q.victimVaddr());
                storeAndReplicate(s, new long[] {q.victimVaddr()}, victim, AddressSpace.PROT_WRITE, "piggybacked victim");
                piggybacks.increment();
                pagesFlushed.increment();
            }
            n = stride == PAGE_SIZE ? s.areas.accessiblePages(q.vaddr(), pages, AddressSpace.PROT_RW)
                    : stridedAccessiblePages(s, q.vaddr(), stride, pages);
            if (n == 0) {
                throw fault(q.pid(), q.vaddr(), "no accessible area here covers it");
            }
            out = new byte[n * PAGE_SIZE];
            long vpn = q.vaddr() >>> 12;
            long strideVpns = stride / PAGE_SIZE;
            int zeros = 0;
            for (int i = 0; i < n; i++) {
                if (!s.pages.read(vpn + i * strideVpns, out, i * PAGE_SIZE)) {
                    Vma a = s.areas.find((vpn + i * strideVpns) << 12);
                    if (a != null && a.file() != null) { // its contents are in the file: P2M_PCACHE_FILE_FILL reads it
                        if (i == 0) {
                            throw fault(q.pid(), q.vaddr(), "a file page that was never written back is read with "
                                    + "PCACHE_FILE_FILL");
                        }
                        n = i;
                        out = java.util.Arrays.copyOf(out, n * PAGE_SIZE);
                        break;
                    }
                    zeros++;
                }
            }
            zeroPagesServed.add(zeros);
        } finally {
            lock.unlock();
        }
        misses.increment();
        pagesServed.add(n);
        return new PageData(ByteBuffer.wrap(out));
    }

    /**
     * How many of the pages {@code vaddr + i * stride} ({@code i < max}) are accessible here, counting from the
     * first up to the first that is not (or that leaves the user address space). The read lock of {@code s} is
     * held. {@code |stride| <= TASK_SIZE} and {@code max <= MAX_MISS_PAGES}, so no address computed overflows.
     */
    private static int stridedAccessiblePages(OwnerSpace s, long vaddr, long stride, int max) {
        int n = 0;
        for (long at = vaddr; n < max; at += stride) {
            if (at < 0 || at >= Layout.TASK_SIZE || s.areas.accessiblePages(at, 1, AddressSpace.PROT_RW) == 0) {
                break;
            }
            n++;
        }
        return n;
    }

    /** {@code P2M_PCACHE_FLUSH}: stores the pages (4096 bytes per vaddr, in order); all or nothing. */
    public Ack flush(PcacheFlush q) {
        long[] vaddrs = q.vaddrs();
        checkPages("PCACHE_FLUSH", vaddrs, q.data());
        if (vaddrs.length == 0) {
            return Ack.INSTANCE;
        }
        OwnerSpace s = spaceOrFault(q.pid(), vaddrs[0]);
        Lock lock = s.lock.readLock();
        lock.lock();
        try {
            if (s.dead) {
                throw fault(q.pid(), vaddrs[0], "its address space was destroyed");
            }
            for (long va : vaddrs) {
                refuseIfMovedOut(s, va);
            }
            storeAndReplicate(s, vaddrs, q.data(), AddressSpace.PROT_WRITE, "flushed page");
        } finally {
            lock.unlock();
        }
        flushes.increment();
        pagesFlushed.add(vaddrs.length);
        return Ack.INSTANCE;
    }

    /**
     * {@link #store}, then (if {@code s} has a replica) the same pages to the replica, holding the pages' write-order
     * stripes across both so that two writes of one page reach the replica in the order they were applied here.
     */
    private void storeAndReplicate(OwnerSpace s, long[] vaddrs, ByteBuffer data, int requiredProt, String what) {
        if (s.replica < 0) {
            store(s, vaddrs, data, requiredProt, what);
            return;
        }
        java.util.concurrent.locks.ReentrantLock[] order = s.writeOrder;
        long stripes = 0; // bit i: stripe i is needed; taken in index order, so two flushes never deadlock
        for (long va : vaddrs) {
            stripes |= 1L << ((va >>> 12) & (order.length - 1));
        }
        for (long b = stripes; b != 0; b &= b - 1) {
            order[Long.numberOfTrailingZeros(b)].lock();
        }
        try {
            store(s, vaddrs, data, requiredProt, what);
            sendToReplica(s, new OwnerWritePages(s.pid, vaddrs, data.duplicate()));
        } finally {
            for (long b = stripes; b != 0; b &= b - 1) {
                order[Long.numberOfTrailingZeros(b)].unlock();
            }
        }
    }

    /**
     * Sends {@code change}, just applied to {@code s} (whose lock is held), to the replica of {@code s}, if it has
     * one, and waits for its acknowledgement.
     *
     * @throws LegoException UNAVAILABLE if the replica did not acknowledge it: the caller's request fails, so the
     *     processor (or home) retries it once the manager has settled whether the replica is alive
     */
    private void sendToReplica(OwnerSpace s, Message change) {
        int r = s.replica;
        if (r < 0) {
            return;
        }
        try {
            replicator.replicate(r, new Replicate(nodeId.getAsInt(), s.pid, s.replicaEpoch, change));
        } catch (LegoException e) {
            if (Status.NO_MEMORY.name().equals(e.status())) {
                // the replica has no room and gave its copy up (it will never promote it): run without one rather
                // than fail a process the cluster has room for
                s.replica = -1;
                log.warn("pid {}: replica on memory component {} is full and gave its copy up; the process's pages "
                        + "on memory component {} now have no replica: {}", s.pid, r, nodeId.getAsInt(), e.getMessage());
                return;
            }
            throw Status.UNAVAILABLE.toException("pid " + s.pid + ": memory component " + nodeId.getAsInt()
                    + " could not replicate a change to memory component " + r + ": " + e.getMessage());
        }
        replicated.increment();
    }

    /**
     * Writes pages into {@code s} (its lock held): validates every address first, then reserves every frame
     * needed, so a refusal changes nothing.
     */
    private void store(OwnerSpace s, long[] vaddrs, ByteBuffer data, int requiredProt, String what) {
        long[] vpns = new long[vaddrs.length];
        for (int i = 0; i < vaddrs.length; i++) {
            Vma a = s.areas.find(vaddrs[i]);
            if (a == null || (a.prot() & requiredProt) != requiredProt) {
                throw fault(s.pid, vaddrs[i], what + " is not in a " + (requiredProt != 0 ? "writable " : "") + "area here");
            }
            vpns[i] = vaddrs[i] >>> 12;
        }
        int need = s.pages.countAbsent(vpns);
        Reservation reserved = store.reserve(need);
        if (reserved == null && spaces.get(s.pid) == s && dropReplicaCopies(need)) {
            reserved = store.reserve(need); // a process's own pages come before copies kept for other components
        }
        try (Reservation r = reserved) {
            if (r == null) {
                throw outOfMemory(need);
            }
            for (int i = 0; i < vpns.length; i++) {
                if (!s.pages.write(vpns[i], data, i * PAGE_SIZE, r)) {
                    throw outOfMemory(1); // only if pages vanished meanwhile, which the lock rules out
                }
            }
        }
    }

    // ------------------------------------------------------------------ M2M

    /** {@code M2M_MMAP}: a fresh area (any pages left in the range from before are dropped: it reads as zeros). */
    public Ack map(OwnerMap q) {
        long len = Layout.checkRange("M2M_MMAP", q.addr(), q.length());
        Layout.checkProt("M2M_MMAP", q.prot());
        return mapArea(q.pid(), q.vnodeId(), new Vma(q.addr(), q.addr() + len, q.prot()), q);
    }

    /** A fresh area (any pages left in its range from before are dropped); {@code change} goes to the replica. */
    private Ack mapArea(long pid, int vnodeId, Vma area, Message change) {
        while (true) {
            OwnerSpace s = spaceOrCreate(pid, vnodeId);
            Lock lock = s.lock.writeLock();
            lock.lock();
            try {
                if (s.dead) {
                    continue; // destroyed between lookup and lock: make a new one
                }
                if (s.vnodeId != vnodeId) {
                    throw Status.DENIED.toException("pid " + pid + " belongs to vNode " + s.vnodeId + ", not " + vnodeId);
                }
                applyMap(s, area);
                sendToReplica(s, change);
                return Ack.INSTANCE;
            } finally {
                lock.unlock();
            }
        }
    }

    /** {@code M2M_MUNMAP}: forgets the areas of the range and frees its pages. */
    public Ack unmap(OwnerUnmap q) {
        long len = Layout.checkRange("M2M_MUNMAP", q.addr(), q.length());
        OwnerSpace s = spaces.get(q.pid());
        if (s == null) {
            return Ack.INSTANCE;
        }
        Lock lock = s.lock.writeLock();
        lock.lock();
        try {
            applyUnmap(s, q.addr(), q.addr() + len);
            sendToReplica(s, q);
        } finally {
            lock.unlock();
        }
        return Ack.INSTANCE;
    }

    /**
     * {@code M2M_MOVE_OUT}: the home moves the vRegion(s) of the range to another owner (or, {@code moving} false, the
     * move failed and they stay). Taken under the write lock, so every miss and flush already admitted there has
     * finished; later ones are refused until an area is mapped there again. Replies the pages stored in the range.
     */
    public PageCount moveOut(OwnerMoveOut q) {
        long len = Layout.checkRange("M2M_MOVE_OUT", q.addr(), q.length());
        OwnerSpace s = spaces.get(q.pid());
        if (s == null) {
            return new PageCount(0);
        }
        Lock lock = s.lock.writeLock();
        lock.lock();
        try {
            long end = q.addr() + len;
            s.movedOut.entrySet().removeIf(e -> e.getKey() < end && e.getValue() > q.addr());
            if (q.moving()) {
                s.movedOut.put(q.addr(), end);
            }
            return new PageCount(s.pages.countRange(q.addr() >>> 12, end >>> 12));
        } finally {
            lock.unlock();
        }
    }

    /** Refuses a processor's access to {@code va} (the lock of {@code s} held) if its vRegion moved to another owner. */
    private void refuseIfMovedOut(OwnerSpace s, long va) {
        if (s.movedOut.isEmpty()) {
            return;
        }
        var e = s.movedOut.floorEntry(va);
        if (e != null && va < e.getValue()) {
            throw Status.UNAVAILABLE.toException("pid " + s.pid + ": the vRegion of 0x" + Long.toHexString(va)
                    + " moved off memory component " + nodeId.getAsInt() + " (it ran out of room); ask the home for its"
                    + " new owner");
        }
    }

    /**
     * Gives up replica copies kept here for other components, largest first, until {@code need} frames are free
     * (their primaries run without a replica from their next change on). Returns whether any was given up. Copies
     * busy right now are skipped rather than waited for: the caller holds a space's lock.
     */
    private boolean dropReplicaCopies(int need) {
        List<Map.Entry<ReplicaKey, OwnerSpace>> copies = new ArrayList<>(replicas.entrySet());
        copies.sort((a, b) -> Long.compare(b.getValue().pages.pages(), a.getValue().pages.pages()));
        boolean dropped = false;
        for (var e : copies) {
            if (store.capacityFrames() - store.usedFrames() >= need) {
                break;
            }
            OwnerSpace r = e.getValue();
            Lock lock = r.lock.writeLock();
            if (!lock.tryLock()) {
                continue;
            }
            try {
                if (!r.dead) {
                    log.warn("memory component {} gives up its replica copy of pid {} from memory component {} ({} pages)"
                            + " to make room for pages it owns", nodeId.getAsInt(), e.getKey().pid(), e.getKey().primary(),
                            r.pages.pages());
                    abandon(e.getKey(), r, r.replicaEpoch);
                    dropped = true;
                }
            } finally {
                lock.unlock();
            }
        }
        return dropped;
    }

    private static void applyMap(OwnerSpace s, Vma area) {
        if (!s.movedOut.isEmpty()) { // the home maps it here: this component owns the vRegion (again)
            s.movedOut.entrySet().removeIf(e -> e.getKey() < area.end() && e.getValue() > area.start());
        }
        s.areas.remove(area.start(), area.end());
        s.pages.removeRange(area.start() >>> 12, area.end() >>> 12);
        s.areas.add(area);
    }

    private static void applyUnmap(OwnerSpace s, long start, long end) {
        s.areas.remove(start, end);
        s.pages.removeRange(start >>> 12, end >>> 12);
    }

    /**
     * {@code P2M_PCACHE_FILE_FILL}: a page of a file-backed area: the stored page if it was ever written back here,
     * else the file's bytes (zeros after its end within the last page) read through the buffer cache, without
     * keeping them. A page wholly past the end of the file is BAD_ADDRESS (Linux's SIGBUS). May call the file's
     * cache component: serve it on a worker, not the delivery thread.
     */
    public PageData fileFill(PcacheFileFill q) {
        checkPage("PCACHE_FILE_FILL", q.vaddr());
        OwnerSpace s = spaceOrFault(q.pid(), q.vaddr());
        byte[] out = new byte[PAGE_SIZE];
        FileBacking file;
        Lock lock = s.lock.readLock();
        lock.lock();
        try {
            if (s.dead) {
                throw fault(q.pid(), q.vaddr(), "its address space was destroyed");
            }
            refuseIfMovedOut(s, q.vaddr());
            Vma a = s.areas.find(q.vaddr());
            if (a == null || (a.prot() & AddressSpace.PROT_RW) == 0) {
                throw fault(q.pid(), q.vaddr(), "no accessible area here covers it");
            }
            if (a.file() == null) {
                throw fault(q.pid(), q.vaddr(), "PCACHE_FILE_FILL of an anonymous area");
            }
            if (s.pages.read(q.vaddr() >>> 12, out, 0)) {
                misses.increment();
                pagesServed.increment();
                return new PageData(ByteBuffer.wrap(out));
            }
            file = a.slice(q.vaddr(), q.vaddr() + PAGE_SIZE).file();
        } finally {
            lock.unlock(); // the file read below may be remote: no lock held across it
        }
        ByteBuffer got = files.read(file, file.offset(), PAGE_SIZE);
        if (!got.hasRemaining()) {
            throw fault(q.pid(), q.vaddr(), "it maps offset " + file.offset() + " of " + file.path()
                    + ", past the end of the file");
        }
        got.get(out, 0, Math.min(PAGE_SIZE, got.remaining()));
        misses.increment();
        pagesServed.increment();
        return new PageData(ByteBuffer.wrap(out));
    }

    /** {@code M2M_MMAP_FILE}: as {@link #map}, for a file-backed area. */
    public Ack mapFile(OwnerMapFile q) {
        long len = Layout.checkRange("M2M_MMAP_FILE", q.addr(), q.length());
        Layout.checkProt("M2M_MMAP_FILE", q.prot());
        FileBacking file;
        try {
            file = new FileBacking(q.fileVnode(), q.cacheNode(), q.path(), q.fileOffset(), q.shared(), q.fileSize());
        } catch (IllegalArgumentException e) {
            throw invalid("M2M_MMAP_FILE: " + e.getMessage());
        }
        return mapArea(q.pid(), q.vnodeId(), new Vma(q.addr(), q.addr() + len, q.prot(), file), q);
    }

    /**
     * {@code M2M_FILE_SYNC}: writes the stored pages of the shared file-backed areas of the range back to their
     * files, each clipped to the file's size at map time. Pages are copied under the lock and written after it.
     */
    public Ack fileSync(OwnerFileSync q) {
        long len = Layout.checkRange("M2M_FILE_SYNC", q.addr(), q.length());
        OwnerSpace s = spaces.get(q.pid());
        if (s == null) {
            return Ack.INSTANCE;
        }
        record Dirty(FileBacking file, long fileOffset, byte[] data, int at) {
        }
        List<Dirty> writes = new ArrayList<>();
        Lock lock = s.lock.readLock();
        lock.lock();
        try {
            for (Vma piece : s.areas.overlapping(q.addr(), q.addr() + len)) {
                if (piece.file() == null || !piece.file().shared()) {
                    continue;
                }
                long at = piece.start() >>> 12;
                long end = piece.end() >>> 12;
                while (at < end) {
                    PageTable.Collected c = s.pages.collect(at, end, 256);
                    for (int i = 0; i < c.vpns().length; i++) {
                        long va = c.vpns()[i] << 12;
                        writes.add(new Dirty(piece.file(), piece.file().offset() + (va - piece.start()), c.data(), i * PAGE_SIZE));
                    }
                    if (c.nextVpn() <= at) {
                        break;
                    }
                    at = c.nextVpn();
                }
            }
        } finally {
            lock.unlock();
        }
        for (Dirty d : writes) {
            long n = Math.min(PAGE_SIZE, d.file().size() - d.fileOffset());
            if (n > 0) { // a mapping never extends its file
                files.write(d.file(), d.fileOffset(), ByteBuffer.wrap(d.data(), d.at(), (int) n));
            }
        }
        return Ack.INSTANCE;
    }

    /** {@code M2M_MPROTECT}: the areas of the range held here get protection {@code prot}; pages stay. */
    public Ack protect(OwnerProtect q) {
        long len = Layout.checkRange("M2M_MPROTECT", q.addr(), q.length());
        Layout.checkProt("M2M_MPROTECT", q.prot());
        OwnerSpace s = spaceOrFault(q.pid(), q.addr());
        Lock lock = s.lock.writeLock();
        lock.lock();
        try {
            s.areas.protect(q.addr(), q.addr() + len, q.prot());
            sendToReplica(s, q);
        } finally {
            lock.unlock();
        }
        return Ack.INSTANCE;
    }

    /** {@code M2M_MOVE_PAGES}: mremap inside this owner, moving frames without copying. */
    public Ack movePages(OwnerMovePages q) {
        long len = Layout.checkRange("M2M_MOVE_PAGES", q.from(), q.length());
        Layout.checkRange("M2M_MOVE_PAGES", q.to(), q.length());
        if (q.from() < q.to() + len && q.to() < q.from() + len) {
            throw invalid("M2M_MOVE_PAGES: source and destination overlap");
        }
        OwnerSpace s = spaceOrFault(q.pid(), q.from());
        Lock lock = s.lock.writeLock();
        lock.lock();
        try {
            applyMove(s, q, len);
            sendToReplica(s, q);
        } finally {
            lock.unlock();
        }
        return Ack.INSTANCE;
    }

    private void applyMove(OwnerSpace s, OwnerMovePages q, long len) {
        if (!s.areas.isMapped(q.from(), q.from() + len) || !s.areas.isMapped(q.to(), q.to() + len)) {
            throw fault(q.pid(), q.from(), "M2M_MOVE_PAGES needs both ranges mapped here");
        }
        s.pages.move(q.from() >>> 12, q.to() >>> 12, len >>> 12);
    }

    /** {@code M2M_READ_PAGES}: the stored pages of a range, for mremap across owners. */
    public PageSet readPages(OwnerReadPages q) {
        long len = Layout.checkRange("M2M_READ_PAGES", q.addr(), q.length());
        if (q.maxPages() < 1 || q.maxPages() > MAX_READ_PAGES) {
            throw invalid("M2M_READ_PAGES: maxPages must be in [1, " + MAX_READ_PAGES + "], got " + q.maxPages());
        }
        long end = q.addr() + len;
        OwnerSpace s = spaces.get(q.pid());
        if (s == null) {
            return new PageSet(end, new long[0], ByteBuffer.allocate(0));
        }
        PageTable.Collected c;
        Lock lock = s.lock.readLock();
        lock.lock();
        try {
            c = s.pages.collect(q.addr() >>> 12, end >>> 12, q.maxPages());
        } finally {
            lock.unlock();
        }
        long[] vaddrs = c.vpns();
        for (int i = 0; i < vaddrs.length; i++) {
            vaddrs[i] <<= 12;
        }
        return new PageSet(c.nextVpn() << 12, vaddrs, ByteBuffer.wrap(c.data()));
    }

    /** {@code M2M_WRITE_PAGES}: stores pages moved here by mremap, whatever the area's protection. */
    public Ack writePages(OwnerWritePages q) {
        long[] vaddrs = q.vaddrs();
        checkPages("M2M_WRITE_PAGES", vaddrs, q.data());
        if (vaddrs.length == 0) {
            return Ack.INSTANCE;
        }
        OwnerSpace s = spaceOrFault(q.pid(), vaddrs[0]);
        Lock lock = s.lock.readLock();
        lock.lock();
        try {
            if (s.dead) {
                throw fault(q.pid(), vaddrs[0], "its address space was destroyed");
            }
            storeAndReplicate(s, vaddrs, q.data(), 0, "moved page");
        } finally {
            lock.unlock();
        }
        return Ack.INSTANCE;
    }

    /** {@code M2M_DESTROY}: frees every area and page of the address space here. */
    public Ack destroy(OwnerDestroy q) {
        homes.remove(q.pid());
        OwnerSpace s;
        synchronized (spacesLock) {
            s = spaces.get(q.pid());
            if (s == null) {
                return Ack.INSTANCE;
            }
            Long2ObjectOpenHashMap<OwnerSpace> next = new Long2ObjectOpenHashMap<>(spaces);
            next.remove(q.pid());
            spaces = next;
        }
        Lock lock = s.lock.writeLock();
        lock.lock();
        try {
            s.dead = true;
            s.areas.clear();
            s.pages.clear();
            if (s.replica >= 0) {
                try {
                    sendToReplica(s, q);
                } catch (LegoException e) { // the process is gone: its replica is dropped when its component is
                    log.warn("pid {}: replica on memory component {} not told of the exit: {}", q.pid(), s.replica,
                            e.getMessage());
                }
            }
        } finally {
            lock.unlock();
        }
        return Ack.INSTANCE;
    }

    // ------------------------------------------------------------------ homes

    /**
     * Refuses a home request (an area change, a page move, SET_REPLICA, PROMOTE) about {@code pid} from node
     * {@code from} unless {@code from} is pid's home as far as this owner knows; the first home to ask is recorded.
     * A home declared dead while it was only stopped may still serve calls it received before: its changes must not
     * reach owners that now serve the home replica that took over.
     *
     * @throws LegoException SUPERSEDED
     */
    public void checkHome(long pid, int from) {
        HomeClaim home = homes.putIfAbsent(pid, new HomeClaim(from, UNKNOWN_EPOCH));
        if (home != null && home.node() != from) {
            throw Status.SUPERSEDED.toException("pid " + pid + ": memory component " + from + " is not its home any more "
                    + "(memory component " + home.node() + " is): change refused by memory component " + nodeId.getAsInt());
        }
    }

    /**
     * {@code M2M_SET_HOME}: pid's home is {@code q.home()} from now on, unless the home known here is another one of
     * an equal or higher epoch (a home recorded from its area changes has an unknown epoch, lower than any).
     *
     * @throws LegoException SUPERSEDED when the sender's epoch is not the highest seen for pid
     */
    public Ack setHome(SetHome q) {
        HomeClaim[] known = new HomeClaim[1];
        HomeClaim now = homes.compute(q.pid(), (pid, k) -> {
            known[0] = k;
            if (k == null || k.node() == q.home()) {
                return new HomeClaim(q.home(), Math.max(q.epoch(), k == null ? UNKNOWN_EPOCH : k.epoch()));
            }
            return k.epoch() < q.epoch() ? new HomeClaim(q.home(), q.epoch()) : k;
        });
        if (now.node() != q.home()) {
            throw Status.SUPERSEDED.toException("pid " + q.pid() + ": memory component " + q.home() + " (epoch " + q.epoch()
                    + ") cannot take over as its home: memory component " + now.node() + " is, with epoch "
                    + now.epoch() + " (refused by memory component " + nodeId.getAsInt() + ")");
        }
        if (known[0] != null && known[0].node() != q.home()) {
            log.info("pid {}: its home moved from memory component {} to {} (epoch {})", q.pid(), known[0].node(), q.home(),
                    q.epoch());
        }
        return Ack.INSTANCE;
    }

    // ------------------------------------------------------------------ replication

    /**
     * {@code M2M_SET_REPLICA}: changes of pid here go to {@code replica} from now on (-1: to none). A new replica is
     * sent every area at once (under the space's write lock) and then every stored page in batches while the program
     * runs on ({@link #seedPages}); the call returns when the copy is complete, so the home records the pairing only
     * then. A copy that fails midway is dropped here (no replica) and the call fails. Waits on the replica: not served
     * on the pool that serves replicas.
     */
    public Ack setReplica(SetReplica q) {
        if (q.replica() == nodeId.getAsInt()) {
            throw invalid("M2M_SET_REPLICA: memory component " + q.replica() + " cannot be its own replica");
        }
        while (true) {
            OwnerSpace s = spaceOrCreate(q.pid(), q.vnodeId());
            int before;
            long beforeEpoch;
            Lock lock = s.lock.writeLock();
            lock.lock();
            try {
                if (s.dead) {
                    continue;
                }
                before = s.replica;
                beforeEpoch = s.replicaEpoch;
                s.replica = q.replica();
                s.replicaEpoch = q.epoch();
                if (s.replica < 0 || s.replica == before && q.epoch() == beforeEpoch || s.areas.isEmpty()) {
                    return Ack.INSTANCE;
                }
                try {
                    sendAreas(s); // areas first, under the write lock: every change from now on has its area there
                } catch (LegoException e) {
                    s.replica = before;
                    s.replicaEpoch = beforeEpoch;
                    throw e;
                }
            } finally {
                lock.unlock();
            }
            // then the pages, a batch at a time, while the program runs on (it waits only for the batch in flight)
            try {
                long pages = seedPages(s, q.replica(), q.epoch(), true);
                log.info("pid {}: memory component {} sent {} page(s) to its new replica {}", q.pid(), nodeId.getAsInt(),
                        pages, q.replica());
            } catch (LegoException e) {
                lock.lock();
                try {
                    if (s.replica == q.replica() && s.replicaEpoch == q.epoch()) { // an incomplete copy: not a replica
                        s.replica = before;
                        s.replicaEpoch = beforeEpoch;
                    }
                } finally {
                    lock.unlock();
                }
                throw e;
            }
            return Ack.INSTANCE;
        }
    }

    /**
     * Sends the stored pages of {@code s} to its new replica {@code replica} (pairing {@code epoch}), 256 at a time,
     * each batch under the space's read lock and every write-order stripe: a flush of a page of the batch waits for it,
     * and one applied before or after it reaches the replica in order with it. Stops (returning what was sent) if the
     * space or its pairing changed meanwhile. Returns the pages sent. {@code throttled} (no lock held by the caller):
     * waits between batches so the copy runs at most at {@link #seedRate}.
     */
    private long seedPages(OwnerSpace s, int replica, long epoch, boolean throttled) {
        long sent = 0;
        long t0 = System.nanoTime();
        List<Vma> areas;
        Lock read = s.lock.readLock();
        read.lock();
        try {
            areas = s.areas.areas();
        } finally {
            read.unlock();
        }
        for (Vma a : areas) {
            long at = a.start() >>> 12;
            long stop = a.end() >>> 12;
            while (at < stop) {
                read.lock();
                java.util.concurrent.locks.ReentrantLock[] order = s.writeOrder;
                for (java.util.concurrent.locks.ReentrantLock l : order) {
                    l.lock();
                }
                PageTable.Collected c;
                try {
                    if (s.dead || s.replica != replica || s.replicaEpoch != epoch) {
                        return sent;
                    }
                    c = s.pages.collect(at, stop, 256);
                    long[] vaddrs = c.vpns().clone();
                    if (vaddrs.length > 0) {
                        for (int i = 0; i < vaddrs.length; i++) {
                            vaddrs[i] <<= 12;
                        }
                        sendToReplica(s, new OwnerWritePages(s.pid, vaddrs, ByteBuffer.wrap(c.data(), 0, vaddrs.length * PAGE_SIZE)));
                        sent += vaddrs.length;
                    }
                } finally {
                    for (int i = order.length - 1; i >= 0; i--) {
                        order[i].unlock();
                    }
                    read.unlock();
                }
                if (c.nextVpn() <= at) {
                    break;
                }
                at = c.nextVpn();
                if (throttled) {
                    pace(t0, sent);
                }
            }
        }
        return sent;
    }

    /** Waits (no lock held) until {@code pages} sent since {@code t0} are within {@link #seedRate}. */
    private void pace(long t0, long pages) {
        long rate = seedBytesPerSecond;
        if (rate == Long.MAX_VALUE) {
            return;
        }
        long due = t0 + (long) ((double) pages * PAGE_SIZE / rate * 1e9);
        long wait = due - System.nanoTime();
        if (wait > 0) {
            java.util.concurrent.locks.LockSupport.parkNanos(wait);
            if (Thread.interrupted()) {
                Thread.currentThread().interrupt();
                throw Status.UNAVAILABLE.toException("copying pages to a new replica was interrupted");
            }
        }
    }

    /** Sends every area of {@code s} (write-locked) to its replica. */
    private void sendAreas(OwnerSpace s) {
        for (Vma a : s.areas.areas()) {
            FileBacking f = a.file();
            sendToReplica(s, f == null ? new OwnerMap(s.pid, s.vnodeId, a.start(), a.length(), a.prot())
                    : new OwnerMapFile(s.pid, s.vnodeId, a.start(), a.length(), a.prot(), f.shared(), f.vnodeId(),
                            f.cacheNode(), f.path(), f.offset(), f.size()));
        }
    }

    /**
     * {@code M2M_REPLICATE}: applies a change of primary {@code q.primary()} to this component's copy of its pid.
     * Refused (SUPERSEDED) once that copy was promoted: the primary was declared dead.
     */
    public Ack replicate(Replicate q) {
        ReplicaKey key = new ReplicaKey(q.primary(), q.pid());
        Message c = q.change();
        refuseIfPromoted(key, q.epoch());
        if (c instanceof OwnerDestroy) {
            OwnerSpace r = replicas.remove(key);
            if (r != null) {
                Lock lock = r.lock.writeLock();
                lock.lock();
                try {
                    r.dead = true;
                    r.areas.clear();
                    r.pages.clear();
                } finally {
                    lock.unlock();
                }
            }
            replicaChangesApplied.increment();
            return Ack.INSTANCE;
        }
        int vnode = c instanceof OwnerMap m ? m.vnodeId() : c instanceof OwnerMapFile m ? m.vnodeId() : 0;
        while (true) {
            refuseIfPromoted(key, q.epoch());
            Long gaveUp = abandoned.get(key);
            if (gaveUp != null && q.epoch() <= gaveUp) {
                throw Status.NO_MEMORY.toException("memory component " + nodeId.getAsInt() + " gave up its copy of pid "
                        + key.pid() + " from memory component " + key.primary() + " for lack of room");
            }
            OwnerSpace r = replicas.computeIfAbsent(key, k -> {
                OwnerSpace fresh = new OwnerSpace(k.pid(), vnode, new PageTable(store));
                fresh.replicaEpoch = q.epoch();
                return fresh;
            });
            if (r.replicaEpoch < q.epoch()) { // a new pairing: the old copy is not its start
                if (replicas.remove(key, r)) {
                    drop(r);
                }
                continue;
            }
            if (r.replicaEpoch > q.epoch()) {
                throw Status.DENIED.toException("memory component " + nodeId.getAsInt() + ": a change of pid " + key.pid()
                        + " from memory component " + key.primary() + " of an old pairing (" + q.epoch() + " < "
                        + r.replicaEpoch + ")");
            }
            Lock lock = c instanceof OwnerWritePages ? r.lock.readLock() : r.lock.writeLock();
            lock.lock();
            try {
                if (r.dead) {
                    continue; // destroyed or promoted meanwhile: look again
                }
                Long at = promoted.get(key);
                if (at != null && q.epoch() <= at) { // promoted after this copy was made by a late change: drop it
                    replicas.remove(key, r);
                    refuseIfPromoted(key, q.epoch());
                }
                try {
                    applyReplicated(r, c);
                } catch (LegoException e) {
                    if (Status.NO_MEMORY.name().equals(e.status())) {
                        abandon(key, r, q.epoch());
                    }
                    throw e;
                }
            } finally {
                lock.unlock();
            }
            replicaChangesApplied.increment();
            return Ack.INSTANCE;
        }
    }

    /** Gives up the copy {@code r} of {@code key} (its lock held): frees it, and it is never promoted nor written. */
    private void abandon(ReplicaKey key, OwnerSpace r, long epoch) {
        abandoned.merge(key, epoch, Math::max);
        replicas.remove(key, r);
        r.dead = true;
        r.areas.clear();
        r.pages.clear();
        log.warn("memory component {} has no room for its copy of pid {} from memory component {}: given up",
                nodeId.getAsInt(), key.pid(), key.primary());
    }

    private void refuseIfPromoted(ReplicaKey key, long epoch) {
        Long at = promoted.get(key);
        if (at != null && epoch <= at) {
            throw Status.SUPERSEDED.toException("memory component " + nodeId.getAsInt() + " took over pid " + key.pid()
                    + " from memory component " + key.primary() + ", which was declared dead: it takes no more changes"
                    + " from it");
        }
    }

    /** One replicated change, to a replica's copy (its lock held). */
    private void applyReplicated(OwnerSpace r, Message c) {
        switch (c) {
            case OwnerMap m -> applyMap(r, new Vma(m.addr(), m.addr() + Layout.checkRange("M2M_MMAP", m.addr(), m.length()),
                    m.prot()));
            case OwnerMapFile m -> {
                long len = Layout.checkRange("M2M_MMAP_FILE", m.addr(), m.length());
                applyMap(r, new Vma(m.addr(), m.addr() + len, m.prot(), new FileBacking(m.fileVnode(), m.cacheNode(),
                        m.path(), m.fileOffset(), m.shared(), m.fileSize())));
            }
            case OwnerUnmap m -> {
                long len = Layout.checkRange("M2M_MUNMAP", m.addr(), m.length());
                applyUnmap(r, m.addr(), m.addr() + len);
            }
            case OwnerProtect m -> r.areas.protect(m.addr(), m.addr() + Layout.checkRange("M2M_MPROTECT", m.addr(),
                    m.length()), m.prot());
            case OwnerMovePages m -> applyMove(r, m, Layout.checkRange("M2M_MOVE_PAGES", m.from(), m.length()));
            case OwnerWritePages m -> {
                checkPages("M2M_REPLICATE", m.vaddrs(), m.data());
                store(r, m.vaddrs(), m.data(), 0, "replicated page");
            }
            default -> throw invalid("M2M_REPLICATE: " + c.getClass().getSimpleName() + " is not a replicated change");
        }
    }

    /**
     * {@code M2M_PROMOTE}: the primary of this component's copy of pid died: its areas and pages become owned here
     * (merged into pid's own space here, if there is one), replicated to {@code q.replica()} from now on, which is
     * sent the whole space. Later changes from the old primary are refused.
     */
    public Ack promote(Promote q) {
        ReplicaKey key = new ReplicaKey(q.primary(), q.pid());
        Long gaveUp = abandoned.get(key);
        OwnerSpace r0 = replicas.get(key);
        if (gaveUp != null && (r0 == null || r0.replicaEpoch <= gaveUp)) {
            throw Status.NOT_FOUND.toException("memory component " + nodeId.getAsInt() + " gave up its copy of pid "
                    + q.pid() + " from memory component " + q.primary() + " (no room): it cannot take over");
        }
        promoted.merge(key, q.epoch(), Math::max);
        OwnerSpace r = replicas.remove(key);
        boolean first = r != null; // a second PROMOTE finds the copy gone: nothing to count
        List<Vma> areas = List.of();
        while (true) {
            OwnerSpace s = spaceOrCreate(q.pid(), q.vnodeId());
            Lock lock = s.lock.writeLock();
            lock.lock();
            try {
                if (s.dead) {
                    continue;
                }
                if (r != null) {
                    Lock rl = r.lock.writeLock();
                    rl.lock();
                    try {
                        r.dead = true; // late changes of the old primary that already found it look again: refused
                        areas = r.areas.areas();
                        for (Vma a : areas) {
                            applyMap(s, a);
                            copyPages(r, s, a.start(), a.end());
                        }
                        r.areas.clear();
                        r.pages.clear();
                    } finally {
                        rl.unlock();
                    }
                }
                int beforeReplica = s.replica;
                long beforeEpoch = s.replicaEpoch;
                s.replica = q.replica() == nodeId.getAsInt() ? -1 : q.replica();
                s.replicaEpoch = q.epoch();
                // a new pairing epoch is a new copy too, even with the same replica: the replica drops its old copy
                // at the first change of a newer epoch (replicate), so it must be sent everything again
                if (s.replica >= 0 && (r != null || beforeReplica != s.replica || beforeEpoch != s.replicaEpoch)) {
                    try {
                        seedReplica(s);
                    } catch (RuntimeException e) {
                        // the replica has part of the space at best: run without one, so that the home's next
                        // PROMOTE (it retries a failed one) names it again and seeds it whole, rather than finding
                        // it named already and replicating changes of areas it never got
                        s.replica = -1;
                        throw e;
                    }
                }
            } finally {
                lock.unlock();
            }
            if (first) {
                promotions.increment();
                log.info("memory component {} took over pid {} from memory component {}: {} area(s), replica {}",
                        nodeId.getAsInt(), q.pid(), q.primary(), areas.size(), q.replica());
            }
            return Ack.INSTANCE;
        }
    }

    /** Moves the stored pages of [start, end) from {@code from} to {@code to} (both locked), a batch at a time. */
    private void copyPages(OwnerSpace from, OwnerSpace to, long start, long end) {
        long at = start >>> 12;
        long stop = end >>> 12;
        while (at < stop) {
            PageTable.Collected c = from.pages.collect(at, stop, 256);
            long[] vaddrs = c.vpns().clone();
            if (vaddrs.length > 0) {
                for (int i = 0; i < vaddrs.length; i++) {
                    vaddrs[i] <<= 12;
                }
                from.pages.removeRange(at, c.nextVpn()); // frees its frames before the copy takes new ones
                store(to, vaddrs, ByteBuffer.wrap(c.data(), 0, vaddrs.length * PAGE_SIZE), 0, "promoted page");
            }
            if (c.nextVpn() <= at) {
                break;
            }
            at = c.nextVpn();
        }
    }

    /** Sends the whole of {@code s} (locked) to its replica: every area, then every stored page. */
    private void seedReplica(OwnerSpace s) {
        sendAreas(s);
        // the write lock held (the batches' read lock and stripes are reentrant): not throttled, nothing may wait longer
        seedPages(s, s.replica, s.replicaEpoch, false);
    }

    /**
     * This component was declared dead while it was only stopped or cut off, and everything it held was failed over:
     * it drops every space it owned and every copy it kept as a replica. Requests for the processes it owned are
     * answered UNAVAILABLE from then on, so a processor with an old owner map asks the home again.
     */
    public void fence() {
        Long2ObjectOpenHashMap<OwnerSpace> old;
        synchronized (spacesLock) {
            old = spaces;
            for (OwnerSpace s : old.values()) {
                fencedPids.add(s.pid); // before the spaces vanish: a request in between must read UNAVAILABLE, not a fault
            }
            spaces = new Long2ObjectOpenHashMap<>();
        }
        for (OwnerSpace s : old.values()) {
            drop(s);
        }
        homes.clear();
        for (ReplicaKey k : List.copyOf(replicas.keySet())) {
            OwnerSpace r = replicas.remove(k);
            if (r != null) {
                drop(r);
            }
        }
        log.warn("memory component {} was declared dead: dropped {} owned address space(s) and its replicas",
                nodeId.getAsInt(), old.size());
    }

    private static void drop(OwnerSpace s) {
        Lock lock = s.lock.writeLock();
        lock.lock();
        try {
            s.dead = true;
            s.replica = -1;
            s.areas.clear();
            s.pages.clear();
        } finally {
            lock.unlock();
        }
    }

    /**
     * Memory component {@code dead} was declared dead: spaces replicated to it run without a replica until their home
     * names a new one. Returns how many spaces lost their replica.
     */
    public int replicaDied(int dead) {
        int n = 0;
        for (OwnerSpace s : spaces.values()) {
            if (s.replica == dead) {
                s.replica = -1;
                n++;
            }
        }
        return n;
    }

    /** The pid a request of a home to an owner is about ({@link #checkHome} guards it), or -1 for any other request. */
    static long homeRequestPid(Message q) {
        return switch (q) {
            case OwnerMap m -> m.pid();
            case OwnerUnmap m -> m.pid();
            case OwnerMovePages m -> m.pid();
            case OwnerReadPages m -> m.pid();
            case OwnerWritePages m -> m.pid();
            case OwnerDestroy m -> m.pid();
            case OwnerProtect m -> m.pid();
            case OwnerMapFile m -> m.pid();
            case OwnerFileSync m -> m.pid();
            case SetReplica m -> m.pid();
            case Promote m -> m.pid();
            case OwnerMoveOut m -> m.pid();
            default -> -1;
        };
    }

    /** Whether this component owns vRegions of {@code pid} (a copy kept as its replica does not count). */
    public boolean owns(long pid) {
        return spaces.containsKey(pid);
    }

    /**
     * Serves an M2M request from the home role of this same component without going through the network
     * (the home is often an owner too).
     */
    @SuppressWarnings("unchecked")
    public <R extends Message> R serveLocal(Request<R> q) {
        long pid = homeRequestPid(q);
        if (pid >= 0) {
            checkHome(pid, nodeId.getAsInt()); // the home role of this component: recorded like a remote home
        }
        Message reply = switch (q) {
            case OwnerMap m -> map(m);
            case OwnerUnmap m -> unmap(m);
            case OwnerMovePages m -> movePages(m);
            case OwnerReadPages m -> readPages(m);
            case OwnerWritePages m -> writePages(m);
            case OwnerDestroy m -> destroy(m);
            case OwnerProtect m -> protect(m);
            case OwnerMapFile m -> mapFile(m);
            case OwnerFileSync m -> fileSync(m);
            case SetReplica m -> setReplica(m);
            case SetHome m -> setHome(m);
            case Promote m -> promote(m);
            case Replicate m -> replicate(m);
            case OwnerMoveOut m -> moveOut(m);
            default -> throw new IllegalArgumentException(q.getClass().getSimpleName() + " is not an M2M request");
        };
        return (R) reply;
    }

    // ------------------------------------------------------------------ helpers

    /**
     * Bounds how fast a new replica is sent the pages of a running process ({@code memory.reReplicationBytesPerSecond}):
     * the copy runs between the program's own misses and flushes and must leave them the network and the replica.
     */
    public void seedRate(long bytesPerSecond) {
        if (bytesPerSecond < PAGE_SIZE) {
            throw new IllegalArgumentException("a seeding rate must be at least one page a second, got " + bytesPerSecond);
        }
        seedBytesPerSecond = bytesPerSecond;
    }

    /**
     * This component is a new incarnation at the address of an earlier one (restarted), which may have owned pages of
     * any pid below {@code pid}: a miss or flush of such a pid that finds nothing here was meant for it and is
     * answered UNAVAILABLE (ask the home for the owner now), not as a fault of the program.
     */
    public void forgetPidsBefore(long pid) {
        pidsOfEarlierIncarnation = Math.max(pidsOfEarlierIncarnation, pid);
    }

    private OwnerSpace spaceOrFault(long pid, long vaddr) {
        OwnerSpace s = spaces.get(pid);
        if (s == null && pid < pidsOfEarlierIncarnation) {
            throw Status.UNAVAILABLE.toException("pid " + pid + ": memory component " + nodeId.getAsInt() + " restarted "
                    + "and holds none of its pages; their owner is another component now (ask the home)");
        }
        if (s == null && fencedPids.contains(pid)) {
            throw Status.UNAVAILABLE.toException("pid " + pid + ": memory component " + nodeId.getAsInt() + " was declared "
                    + "dead and no longer holds its pages; their owner is another component now (ask the home)");
        }
        if (s == null) {
            throw fault(pid, vaddr, "no area of this address space is owned here");
        }
        return s;
    }

    private OwnerSpace spaceOrCreate(long pid, int vnodeId) {
        OwnerSpace s = spaces.get(pid);
        if (s != null) {
            return s;
        }
        synchronized (spacesLock) {
            s = spaces.get(pid);
            if (s == null) {
                s = new OwnerSpace(pid, vnodeId, new PageTable(store));
                Long2ObjectOpenHashMap<OwnerSpace> next = new Long2ObjectOpenHashMap<>(spaces);
                next.put(pid, s);
                spaces = next;
            }
            return s;
        }
    }

    private static void checkPage(String what, long vaddr) {
        if (!Layout.isPageAligned(vaddr) || vaddr < 0 || vaddr >= Layout.TASK_SIZE) {
            throw invalid(what + ": 0x" + Long.toHexString(vaddr) + " is not a page-aligned user address");
        }
    }

    private static void checkPages(String what, long[] vaddrs, ByteBuffer data) {
        if ((long) vaddrs.length * PAGE_SIZE != data.remaining()) {
            throw invalid(what + ": " + vaddrs.length + " pages need " + (long) vaddrs.length * PAGE_SIZE
                    + " bytes of data, got " + data.remaining());
        }
        for (long v : vaddrs) {
            checkPage(what, v);
        }
    }

    private LegoException fault(long pid, long vaddr, String why) {
        badAddress.increment();
        return Status.BAD_ADDRESS.toException("pid " + pid + ": 0x" + Long.toHexString(vaddr) + " on memory component "
                + nodeId.getAsInt() + ": " + why);
    }

    private LegoException outOfMemory(int pages) {
        noMemory.increment();
        return Status.NO_MEMORY.toException("memory component " + nodeId.getAsInt() + " has no room for " + pages
                + " more page(s): " + store.usedFrames() + " of " + store.capacityFrames() + " in use");
    }

    private static LegoException invalid(String message) {
        return Status.INVALID_ARGUMENT.toException(message);
    }
}
