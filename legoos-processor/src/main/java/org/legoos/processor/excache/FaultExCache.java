package org.legoos.processor.excache;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicReferenceArray;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The ExCache of process mode: the set of pages resident in the task JVMs of this processor component, bounded by
 * the same geometry as the software {@link ExCache} ({@code excacheBytes}, ways, sets indexed by virtual page
 * number) and evicted by the same {@link EvictionPolicy}. A load or store that hits is a plain hardware access in
 * the task and costs the monitor nothing; the monitor only sees the two kinds of page fault userfaultfd reports
 * (PROCESSES.md):
 * <ul>
 *   <li><b>missing</b>: a miss. The page is filled through the same {@link LineBackend} as thread mode (zero-fill
 *   of a never-written page without a round trip, {@code P2M_PCACHE_MISS} to the vRegion's owner otherwise, the set's
 *   victim piggybacked when it is dirty, prefetched pages of the same memory component riding on the miss) and
 *   installed write-protected, or writable and dirty if the fault was a store (or if the task's loaded pages
 *   have lately been stored to soon after, see {@link StorePredictor});</li>
 *   <li><b>write-protect</b>: the first store to a clean page. The backend checks the page's protection; the page
 *   becomes dirty and writable. This is dirty tracking with no cost on the hit path.</li>
 * </ul>
 * An access that cannot be served (unmapped, no permission, the owner lost) is not a hang and not a zero page: the
 * page is poisoned, the task's access raises {@code InternalError}, and the task asks why through its FAULT system
 * call (see {@link #failure}).
 *
 * <p>Frames are identified by set and way; the set's lock guards its frames, as in the software ExCache, and every
 * operation on a page (fill, store permission, write-back, eviction) takes exactly the lock of that page's set. A
 * victim is always in the missed page's set, so a miss holds one lock (prefetch lines of other sets are taken only
 * with {@code tryLock}: never a deadlock). The backend is called under the set lock, as {@link LineBackend} requires.
 *
 * <p>Hits are hardware loads and are not counted; {@link #stats()} reports 0 hits.
 */
public final class FaultExCache extends AbstractPageCache implements AutoCloseable {
    private static final int PAGE = ExCacheConfig.LINE_SIZE;
    private static final int SHIFT = 12;
    private static final long MAX_VPN = -1L >>> SHIFT;
    private static final byte DIRTY = 1;
    private static final byte WRITABLE = 2;

    /**
     * One task's pages as the monitor reaches them: its userfaultfd and its memory file. Implemented over
     * {@code org.legoos.task.sys.Userfaultfd} for real tasks; tests may model it.
     */
    public interface TaskPages {
        /** Installs the page at {@code va} with the 4096 bytes of {@code src}; false if it was already there. */
        boolean install(long va, MemorySegment src, boolean writeProtect);

        /** Write-protects the page, or lets stores through (and wakes the faulting threads). */
        void writeProtect(long va, boolean protect);

        /** Wakes the threads that faulted on the page (it is there now, or gone and to be faulted again). */
        void wake(long va);

        /** Makes every access to the (absent) page fail with SIGBUS, which the task sees as {@code InternalError}. */
        void poison(long va);

        /** Copies the resident page's 4096 bytes into {@code dst} (never touches an absent page). */
        void read(long va, MemorySegment dst);

        /**
         * Write-protects the resident pages of {@code [va, va+len)}, or lets stores through: one call (one TLB
         * shootdown of the task) where {@link #writeProtect(long, boolean)} per page costs one each.
         */
        default void writeProtect(long va, long len, boolean protect) {
            for (long p = va; p < va + len; p += PAGE) {
                writeProtect(p, protect);
            }
        }

        /** Copies the resident pages of {@code [va, va+len)} into {@code dst}, in one read where it can. */
        default void read(long va, long len, MemorySegment dst) {
            for (long p = va; p < va + len; p += PAGE) {
                read(p, dst.asSlice(p - va, PAGE));
            }
        }

        /** Whether the task's memory file holds the page at {@code va} (a resident page, or one being installed). */
        boolean present(long va);

        /** Frees the pages of {@code [va, va+len)} in the task (they fault again on the next access). */
        void drop(long va, long len);
    }

    private final ExCacheConfig config;
    private final EvictionPolicy policy;
    private final int ways;
    private final int setMask;
    private final ReentrantLock[] setLocks;
    /** Per frame: asid (0 free) and vpn; guarded by the set's lock. */
    private final int[] frameAsid;
    private final long[] frameVpn;
    private final byte[] frameFlags;
    private final byte[] referenced;
    private final AtomicReferenceArray<TaskPages> tasks;
    /** Why the last access of each task to a poisoned page failed (null: none); read by the FAULT system call. */
    private final AtomicReferenceArray<Failure> failures;
    private final LongAdder misses = new LongAdder();
    private final LongAdder zeroFills = new LongAdder();
    private final LongAdder evictions = new LongAdder();
    private final LongAdder flushes = new LongAdder();
    private final LongAdder piggybacks = new LongAdder();
    private final LongAdder prefetched = new LongAdder();
    private final LongAdder prefetchMessages = new LongAdder();
    private final LongAdder writeFaults = new LongAdder();
    private final LongAdder writableAhead = new LongAdder();
    private final LongAdder orphanDrops = new LongAdder();
    private final LongAdder staleFrames = new LongAdder();
    private final LongAdder poisoned = new LongAdder();
    private final StorePredictor stores;
    /**
     * The access streams of each task thread that missed, by (asid, Linux thread id), as the software ExCache keeps
     * one detector per thread: a thread has one fault outstanding at a time, so its detector is never used by two
     * handlers at once (the lock only orders one handler's updates before the next one's).
     */
    private final ConcurrentHashMap<Long, StreamDetector> streams = new ConcurrentHashMap<>();
    private volatile ExCacheStats baseline = ExCacheStats.ZERO;

    public FaultExCache(ExCacheConfig config, LineBackend backend, int maxAsids) {
        super(backend);
        this.config = Objects.requireNonNull(config, "config");
        this.policy = config.policy().create(config.sets(), config.ways(), config.randomSeed());
        this.ways = config.ways();
        this.setMask = config.sets() - 1;
        this.setLocks = new ReentrantLock[config.sets()];
        for (int i = 0; i < setLocks.length; i++) {
            setLocks[i] = new ReentrantLock();
        }
        int frames = config.lines();
        this.frameAsid = new int[frames];
        this.frameVpn = new long[frames];
        this.frameFlags = new byte[frames];
        this.referenced = policy.usesReferenceBits() ? new byte[frames] : null;
        this.tasks = new AtomicReferenceArray<>(maxAsids);
        this.failures = new AtomicReferenceArray<>(maxAsids);
        this.stores = new StorePredictor(maxAsids);
    }

    public ExCacheConfig config() {
        return config;
    }

    /** Starts serving the faults of the task whose address space has {@code asid}. */
    public void attach(int asid, TaskPages pages) {
        if (!tasks.compareAndSet(asid, null, Objects.requireNonNull(pages, "pages"))) {
            throw new IllegalStateException("asid " + asid + " already has a task");
        }
        failures.set(asid, null);
        stores.reset(asid);
    }

    /** Forgets the task of {@code asid}: call after {@link #invalidateAll} once it has exited. */
    public void detach(int asid) {
        tasks.set(asid, null);
        failures.set(asid, null);
        streams.keySet().removeIf(k -> (int) (k >>> 32) == asid);
    }

    /**
     * Why the task's last access to a poisoned page failed, or null. The FAULT system call asks after the task's
     * access raised {@code InternalError}.
     */
    public RuntimeException failure(int asid) {
        Failure f = failures.get(asid);
        return f == null ? null : f.why();
    }

    /**
     * Why the task's last failed access failed, if it was an access like this one (a load or a store of the page of
     * {@code va}), else null: a page the owner refuses (past the end of its file) fails every such access, where a
     * refused store leaves the page good for loads.
     */
    public RuntimeException failure(int asid, long va, boolean write) {
        Failure f = failures.get(asid);
        return f != null && f.page() == (va & -PAGE) && f.write() == write ? f.why() : null;
    }

    /** The last failed access of a task: its page, whether it was a store, and why. */
    private record Failure(long page, boolean write, RuntimeException why) {
    }

    /** Dirty victims of a prefetch at consecutive pages of one task. */
    private record VictimRun(TaskPages task, long firstVpn, int pages) {
    }

    private int setOf(long vpn) {
        return (int) vpn & setMask;
    }

    /** The frame of (asid, vpn) in its set, or -1. Caller holds the set's lock. */
    private int find(int set, int asid, long vpn) {
        int base = set * ways;
        for (int f = base; f < base + ways; f++) {
            if (frameAsid[f] == asid && frameVpn[f] == vpn) {
                return f;
            }
        }
        return -1;
    }

    private int freeFrame(int set) {
        int base = set * ways;
        for (int f = base; f < base + ways; f++) {
            if (frameAsid[f] == 0) {
                return f;
            }
        }
        return -1;
    }

    /** Staging memory of one fault handler thread: the missed page, the victim, the prefetched pages. */
    public static final class Buffers implements AutoCloseable {
        private final Arena arena = Arena.ofShared();
        final MemorySegment page;
        final MemorySegment victim;
        final MemorySegment[] prefetch;
        /**
         * The dirty victims of the prefetched pages' frames, written back in the batch that fetches the pages: one
         * block, so a run of victims at consecutive addresses is read in one go.
         */
        final MemorySegment prefetchVictims;

        public Buffers(int prefetchPages) {
            page = arena.allocate(PAGE, PAGE);
            victim = arena.allocate(PAGE, PAGE);
            prefetch = new MemorySegment[prefetchPages];
            for (int i = 0; i < prefetchPages; i++) {
                prefetch[i] = arena.allocate(PAGE, PAGE);
            }
            prefetchVictims = arena.allocate((long) Math.max(1, prefetchPages) * PAGE, PAGE);
        }

        MemorySegment prefetchVictim(int i) {
            return prefetchVictims.asSlice((long) i * PAGE, PAGE);
        }

        @Override
        public void close() {
            arena.close();
        }
    }

    /** A new set of staging buffers for one fault handler thread. */
    public Buffers newBuffers() {
        return new Buffers(config.prefetchPages());
    }

    /**
     * Serves one page fault of the task of {@code asid} at {@code va}: {@code wp} for a store to a write-protected
     * page, else a missing page ({@code write} if the access was a store). Never throws for the program's errors:
     * those poison the page and are kept for {@link #failure}. Called by the task's fault handler thread.
     */
    public void fault(int asid, long va, boolean write, boolean wp, Buffers buf) {
        fault(asid, va, write, wp, 0, buf);
    }

    /**
     * {@link #fault(int, long, boolean, boolean, Buffers)} by task thread {@code thread} (its Linux thread id, 0 if
     * unknown): prefetch follows each thread's own access streams.
     */
    public void fault(int asid, long va, boolean write, boolean wp, int thread, Buffers buf) {
        TaskPages t = tasks.get(asid);
        if (t == null) {
            return;
        }
        long vpn = va >>> SHIFT;
        long page = vpn << SHIFT;
        int set = setOf(vpn);
        ReentrantLock lock = setLocks[set];
        lock.lock();
        try {
            int f = find(set, asid, vpn);
            if (wp || f >= 0) {
                if (f < 0) {
                    // No frame: the page was evicted since the fault was reported, or (seen under load, cause not
                    // yet pinned down) the task still maps a write-protected copy the cache no longer tracks. Waking
                    // alone would let the store fault again forever; dropping the page (nothing if it is gone
                    // already) makes it fault again as a miss, served from the page's owner. A write-protected page
                    // took no store since it was protected, so the dropped copy holds nothing the owner lacks.
                    orphanDrops.increment();
                    t.drop(page, PAGE);
                    t.wake(page);
                } else if (!wp && !t.present(page)) {
                    // A miss on a page a frame claims, and the task's memory holds no such page: not a second report
                    // of a served miss (waking would let it fault forever) but a frame gone stale. Clean, it is
                    // served again from the owner; dirty, its last stores are lost and the access fails, saying so.
                    staleFrames.increment();
                    boolean dirty = (frameFlags[f] & DIRTY) != 0;
                    free(set, f);
                    if (dirty) {
                        throw new IllegalStateException("page 0x" + Long.toHexString(page)
                                + " vanished from the task with stores not written back");
                    }
                    miss(t, asid, vpn, set, write, thread, buf);
                } else if (write || wp) {
                    permitStore(t, asid, vpn, f);
                } else {
                    t.wake(page); // a second report of a miss already served
                }
                return;
            }
            miss(t, asid, vpn, set, write, thread, buf);
        } catch (RuntimeException e) { // the program's fault or a lost component: the access fails, the handler goes on
            fail(t, asid, vpn, set, write || wp, e);
        } finally {
            lock.unlock();
        }
    }

    /** The first store to a resident page: allowed if the page is writable now; it becomes dirty. */
    private void permitStore(TaskPages t, int asid, long vpn, int f) {
        backend.checkWrite(asid, vpn);
        if ((frameFlags[f] & WRITABLE) == 0) {
            writeFaults.increment();
            if ((frameFlags[f] & DIRTY) == 0) {
                stores.stored(asid);
            }
        }
        frameFlags[f] = DIRTY | WRITABLE;
        t.writeProtect(vpn << SHIFT, false);
    }

    /**
     * The access to page {@code vpn} cannot be served: the page leaves the cache (written back first if dirty, so a
     * refused store loses nothing), and is poisoned, so the access ends in the task instead of waiting forever.
     */
    private void fail(TaskPages t, int asid, long vpn, int set, boolean write, RuntimeException why) {
        long page = vpn << SHIFT;
        failures.set(asid, new Failure(page, write, why));
        poisoned.increment();
        int f = find(set, asid, vpn);
        if (f >= 0) {
            try {
                if ((frameFlags[f] & DIRTY) != 0) {
                    writeBack(t, asid, vpn, f, null);
                }
            } catch (RuntimeException e) {
                why.addSuppressed(e);
            }
            t.drop(page, PAGE);
            free(set, f);
        }
        t.poison(page);
    }

    private void miss(TaskPages t, int asid, long vpn, int set, boolean write, int thread, Buffers buf) {
        if (write) {
            backend.checkWrite(asid, vpn);
        }
        int f = freeFrame(set);
        int victimAsid = 0;
        long victimVpn = -1;
        MemorySegment victimData = null;
        TaskPages victimTask = null;
        if (f < 0) {
            f = set * ways + policy.victim(set, referenced);
            victimAsid = frameAsid[f];
            victimVpn = frameVpn[f];
            victimTask = tasks.get(victimAsid);
            if (frameFlags[f] == 0 && victimAsid > 0) {
                stores.unstored(victimAsid);
            }
            if (victimTask != null && (frameFlags[f] & DIRTY) != 0) {
                victimTask.writeProtect(victimVpn << SHIFT, true); // no store may change it while it is written back
                victimTask.read(victimVpn << SHIFT, buf.victim);
                victimData = buf.victim;
            }
        } else {
            frameAsid[f] = -1; // reserved for the missed page while we hold the lock
        }
        List<LineBackend.PrefetchLine> lines = List.of();
        List<ReentrantLock> held = List.of();
        long stride = 0;
        int installedAhead = 0;
        boolean zeroAhead = false;
        StreamDetector streamsOf = config.prefetchPages() == 0 ? null
                : streams.computeIfAbsent((long) asid << 32 | (thread & 0xffffffffL),
                        k -> new StreamDetector(config.prefetchPages()));
        int[] lineFrames = null;
        int reserved = 0; // lineFrames[0 .. reserved) are this miss's (frameAsid -1 until filled)
        // the runs of dirty victims of lineFrames (task, first vpn, pages), dropped from their tasks once written back
        List<VictimRun> aheadVictims = List.of();
        try {
            // as the software ExCache: only a miss that continues a confirmed stream of the task's misses prefetches
            // (a random miss fetching the next pages would evict useful ones for pages nobody reads)
            int depth = 0;
            if (streamsOf != null) {
                synchronized (streamsOf) {
                    depth = streamsOf.onMiss(asid, vpn);
                    stride = depth > 0 ? streamsOf.stride() : 0;
                }
            }
            // a stream of first touches zero-fills ahead: each page so filled is a fault round trip the task saves
            int n = depth > 0 ? backend.prefetchable(asid, vpn, stride, depth) : 0;
            zeroAhead = n == 0 && depth > 0 && (n = backend.zeroFillable(asid, vpn, stride, depth)) > 0;
            if (n > 0) {
                held = new ArrayList<>(n);
                lineFrames = new int[n];
                int chosen = 0;
                for (int i = 0; i < n; i++) {
                    long pv = vpn + (i + 1) * stride;
                    if (pv < 0 || pv > MAX_VPN) {
                        break;
                    }
                    int ps = setOf(pv);
                    ReentrantLock l = setLocks[ps];
                    if (ps != set) {
                        if (!l.tryLock()) {
                            break;
                        }
                        held.add(l);
                    }
                    int pf = find(ps, asid, pv) >= 0 ? -1 : prefetchFrame(ps, f, lineFrames, chosen);
                    if (pf < 0) {
                        break; // resident already, or no frame in its set
                    }
                    lineFrames[chosen++] = pf;
                    if (frameAsid[pf] == 0) {
                        frameAsid[pf] = -1; // reserved for this prefetch while we hold the lock
                        reserved = chosen;
                    }
                }
                // Asked again with the sets locked, and only this answer counts: a munmap, mremap or brk of another
                // thread unmaps its range in the mirror first and then drops the range's pages set by set, so a page
                // still mapped now is dropped after we install it, and one unmapped since the first answer is not
                // fetched (installing it would leave the old contents resident where the next mmap expects zeros).
                int still = chosen == 0 ? 0 : Math.max(0, Math.min(chosen, zeroAhead
                        ? backend.zeroFillable(asid, vpn, stride, chosen) : backend.prefetchable(asid, vpn, stride, chosen)));
                // A frame chosen for a page past that answer keeps its dirty victim (it was left untouched); one that was
                // free or had a clean victim is reserved and freed below.
                reserved = Math.max(reserved, still);
                lines = new ArrayList<>(still);
                for (int i = 0; i < still; ) {
                    int pf = lineFrames[i];
                    if (frameAsid[pf] <= 0) {
                        lines.add(new LineBackend.PrefetchLine(vpn + (i + 1) * stride, buf.prefetch[i], 0, -1, null));
                        i++;
                        continue;
                    }
                    // Dirty victims, as a miss's: protected against stores, copied out, written back in the batch (one
                    // message per owner for all of them) before their frames take the pages, then dropped. A stream's
                    // victims are the pages it streamed before, at consecutive addresses: each run of them is protected,
                    // read and dropped with one call each (a TLB shootdown of the task per call, not per page).
                    int runAsid = frameAsid[pf];
                    long first = frameVpn[pf];
                    int end = i + 1;
                    while (end < still && frameAsid[lineFrames[end]] == runAsid
                            && frameVpn[lineFrames[end]] == first + (end - i)) {
                        end++;
                    }
                    long bytes = (long) (end - i) * PAGE;
                    TaskPages vt = tasks.get(runAsid);
                    if (vt != null) {
                        vt.writeProtect(first << SHIFT, bytes, true);
                        vt.read(first << SHIFT, bytes, buf.prefetchVictims.asSlice((long) i * PAGE, bytes));
                        if (aheadVictims.isEmpty()) {
                            aheadVictims = new ArrayList<>(2);
                        }
                        aheadVictims.add(new VictimRun(vt, first, end - i));
                        flushes.add(end - i);
                    }
                    for (int k = i; k < end; k++) {
                        int frame = lineFrames[k];
                        free(frame / ways, frame);
                        evictions.increment();
                        frameAsid[frame] = -1;
                        lines.add(new LineBackend.PrefetchLine(vpn + (k + 1) * stride, buf.prefetch[k], runAsid,
                                first + (k - i), vt != null ? buf.prefetchVictim(k) : null));
                    }
                    i = end;
                }
            }
            LineBackend.BatchFill r;
            try {
                r = lines.isEmpty()
                        ? new LineBackend.BatchFill(backend.fill(asid, vpn, buf.page, victimAsid, victimVpn, victimData), 0)
                        : backend.fillBatch(asid, vpn, buf.page, victimAsid, victimVpn, victimData, stride, lines);
            } finally {
                if (victimTask != null || victimAsid != 0) {
                    // written back (or its loss recorded by the backend): the victim leaves the cache either way
                    if (victimTask != null) {
                        victimTask.drop(victimVpn << SHIFT, PAGE);
                    }
                    free(set, f);
                    evictions.increment();
                }
                for (VictimRun run : aheadVictims) { // so are the prefetched pages' victims
                    run.task().drop(run.firstVpn() << SHIFT, (long) run.pages() * PAGE);
                }
            }
            misses.increment();
            switch (r.fill()) {
                case ZERO_FILLED -> zeroFills.increment();
                case FETCHED_WITH_PIGGYBACK -> {
                    if (victimData != null) {
                        piggybacks.increment();
                    }
                }
                default -> {
                }
            }
            if (victimData != null) {
                flushes.increment(); // as ExCacheStats counts: every dirty line written back, piggybacked ones too
            }
            boolean dirty = write || r.fill() == LineBackend.Fill.RESTORED;
            boolean storesExpected = stores.expectStore(asid);
            if (!dirty && storesExpected && backend.writableAnonymous(asid, vpn)) {
                dirty = true; // a store is expected: spare the task its write-protect fault
                writableAhead.increment();
            }
            install(t, asid, vpn, f, buf.page, dirty, depth > 0);
            for (int i = 0; i < r.prefetched(); i++) {
                long pv = vpn + (i + 1) * stride;
                // zero-filled ahead pages of a storing task are installed writable, as the missed page
                boolean dirtyAhead = zeroAhead && storesExpected && backend.writableAnonymous(asid, pv);
                if (dirtyAhead) {
                    writableAhead.increment();
                }
                install(t, asid, pv, lineFrames[i], buf.prefetch[i], dirtyAhead, true);
            }
            installedAhead = r.prefetched();
            if (r.prefetched() > 0) {
                prefetched.add(r.prefetched());
                if (!zeroAhead) {
                    prefetchMessages.increment(); // zero-filled ahead pages cost no message
                }
            }
        } finally {
            if (streamsOf != null) {
                synchronized (streamsOf) {
                    streamsOf.prefetched(installedAhead);
                }
            }
            if (frameAsid[f] == -1) {
                frameAsid[f] = 0; // the fill failed
            }
            for (int i = 0; i < reserved; i++) {
                if (frameAsid[lineFrames[i]] == -1) {
                    frameAsid[lineFrames[i]] = 0; // reserved and not filled
                }
            }
            for (ReentrantLock l : held) {
                l.unlock();
            }
        }
    }

    /**
     * A frame of {@code set} for a prefetched page: a free one, or the policy's victim. A clean victim is dropped at
     * once; a dirty one is left as it is (the caller writes it back in the batch, if the page is still fetched). -1
     * if the victim is {@code missFrame} (the missed page's), reserved, or one of {@code chosen[0 .. count)}. Caller
     * holds the set's lock.
     */
    private int prefetchFrame(int set, int missFrame, int[] chosen, int count) {
        int f = freeFrame(set);
        if (f >= 0) {
            return f;
        }
        f = set * ways + policy.victim(set, referenced);
        if (f == missFrame || frameAsid[f] <= 0) {
            return -1;
        }
        for (int i = 0; i < count; i++) {
            if (chosen[i] == f) {
                return -1;
            }
        }
        if ((frameFlags[f] & DIRTY) != 0) {
            return f;
        }
        if (frameFlags[f] == 0) {
            stores.unstored(frameAsid[f]);
        }
        TaskPages owner = tasks.get(frameAsid[f]);
        if (owner != null) {
            owner.drop(frameVpn[f] << SHIFT, PAGE);
        }
        free(set, f);
        evictions.increment();
        return f;
    }

    private void install(TaskPages t, int asid, long vpn, int f, MemorySegment data, boolean dirty, boolean streaming) {
        if (!t.install(vpn << SHIFT, data, !dirty)) {
            t.wake(vpn << SHIFT);
        }
        frameAsid[f] = asid;
        frameVpn[f] = vpn;
        frameFlags[f] = (byte) (dirty ? DIRTY | WRITABLE : 0);
        int set = f / ways;
        if (streaming) {
            policy.installedStreaming(set, f - set * ways);
        } else {
            policy.installed(set, f - set * ways);
        }
        if (referenced != null) {
            referenced[f] = (byte) (streaming ? 0 : 1); // a streamed page gets no second chance (no hit is seen here)
        }
    }

    private void free(int set, int f) {
        frameAsid[f] = 0;
        frameVpn[f] = 0;
        frameFlags[f] = 0;
        policy.invalidated(set, f - set * ways);
    }

    /**
     * Writes back a dirty resident page: write-protects it first (a store meanwhile faults and makes it dirty again
     * only after), reads it through the task's memory file, sends it to its owner. Caller holds the set's lock.
     */
    private void writeBack(TaskPages t, int asid, long vpn, int f, MemorySegment scratch) {
        long page = vpn << SHIFT;
        if ((frameFlags[f] & WRITABLE) != 0) {
            t.writeProtect(page, true);
            frameFlags[f] &= ~WRITABLE;
        }
        try (Arena a = scratch == null ? Arena.ofConfined() : null) {
            MemorySegment data = scratch != null ? scratch : a.allocate(PAGE, PAGE);
            t.read(page, data);
            backend.flush(asid, vpn, data);
        }
        frameFlags[f] &= ~DIRTY;
        flushes.increment();
    }

    @Override
    protected void ensureOpen() {
    }

    @Override
    protected long capacityPages() {
        return frameAsid.length;
    }

    @Override
    protected void rangePages(int asid, long first, long last, RangeOp op) {
        TaskPages t = tasks.get(asid);
        if (t == null) {
            return;
        }
        try (Arena a = Arena.ofConfined()) {
            MemorySegment scratch = a.allocate(PAGE, PAGE);
            for (long vpn = first; vpn <= last; vpn++) {
                int set = setOf(vpn);
                setLocks[set].lock();
                try {
                    int f = find(set, asid, vpn);
                    if (f >= 0) {
                        frameOp(t, asid, set, f, op, scratch);
                    }
                } finally {
                    setLocks[set].unlock();
                }
            }
        }
        dropUnframed(t, first, last, op);
    }

    @Override
    protected void scanPages(int asid, long first, long last, RangeOp op) {
        TaskPages t = tasks.get(asid);
        if (t == null) {
            return;
        }
        try (Arena a = Arena.ofConfined()) {
            MemorySegment scratch = a.allocate(PAGE, PAGE);
            for (int set = 0; set <= setMask; set++) {
                setLocks[set].lock();
                try {
                    for (int f = set * ways; f < (set + 1) * ways; f++) {
                        if (frameAsid[f] == asid && frameVpn[f] >= first && frameVpn[f] <= last) {
                            frameOp(t, asid, set, f, op, scratch);
                        }
                    }
                } finally {
                    setLocks[set].unlock();
                }
            }
        }
        if (last != Long.MAX_VALUE) {
            dropUnframed(t, first, last, op);
        }
    }

    /** A dropped range leaves nothing in the task, not even a page no frame knows of (there should be none). */
    private static void dropUnframed(TaskPages t, long first, long last, RangeOp op) {
        if (op == RangeOp.DROP || op == RangeOp.DROP_WRITE_BACK) {
            t.drop(first << SHIFT, (last - first + 1) << SHIFT);
        }
    }

    private void frameOp(TaskPages t, int asid, int set, int f, RangeOp op, MemorySegment scratch) {
        long vpn = frameVpn[f];
        switch (op) {
            case FLUSH -> {
                if ((frameFlags[f] & DIRTY) != 0) {
                    writeBack(t, asid, vpn, f, scratch);
                }
            }
            case REVOKE_WRITE -> {
                if ((frameFlags[f] & WRITABLE) != 0) {
                    t.writeProtect(vpn << SHIFT, true);
                    frameFlags[f] &= ~WRITABLE;
                }
            }
            case DROP, DROP_WRITE_BACK -> {
                if (op == RangeOp.DROP_WRITE_BACK && (frameFlags[f] & DIRTY) != 0) {
                    writeBack(t, asid, vpn, f, scratch);
                }
                t.drop(vpn << SHIFT, PAGE);
                free(set, f);
            }
        }
    }

    /** Pages resident in all tasks now. */
    public int residentPages() {
        int n = 0;
        for (int a : frameAsid) {
            if (a > 0) {
                n++;
            }
        }
        return n;
    }

    /** First stores to clean pages (write-protect faults), a cost thread mode does not have. */
    public long writeFaults() {
        return writeFaults.sum();
    }

    /** Write-protect faults on pages no frame held, answered by dropping the task's copy (see {@link #fault}). */
    public long orphanDrops() {
        return orphanDrops.sum();
    }

    /** Accesses failed by poisoning their page: the programs' segmentation faults and pages that could not be served. */
    public long poisoned() {
        return poisoned.sum();
    }

    /** Misses on pages a frame claimed but the task did not hold (see {@link #fault}); expected to stay 0. */
    public long staleFrames() {
        return staleFrames.sum();
    }

    /** Pages a load missed that were installed writable because a store was expected ({@link StorePredictor}). */
    public long writableAhead() {
        return writableAhead.sum();
    }

    @Override
    public ExCacheStats stats() {
        return raw().minus(baseline);
    }

    public void resetStats() {
        baseline = raw();
    }

    private ExCacheStats raw() {
        return new ExCacheStats(0, misses.sum(), zeroFills.sum(), evictions.sum(), flushes.sum(), piggybacks.sum(), 0,
                prefetched.sum(), prefetchMessages.sum());
    }

    @Override
    public void close() {
    }
}
