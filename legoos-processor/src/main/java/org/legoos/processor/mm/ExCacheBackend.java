package org.legoos.processor.mm;

import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.concurrent.atomic.AtomicReferenceArray;
import org.legoos.api.ComponentUnavailableException;
import org.legoos.api.SegmentationFault;
import org.legoos.api.UserSpace;
import org.legoos.net.protocol.p2m.PageData;
import org.legoos.net.protocol.p2m.PcacheFileFill;
import org.legoos.net.protocol.p2m.PcacheFlush;
import org.legoos.net.protocol.p2m.PcacheMiss;
import org.legoos.net.rpc.RpcNode;
import org.legoos.processor.Failover;
import org.legoos.processor.excache.LineBackend;

/**
 * The ExCache's way to the memory components: routes each miss and flush of an address space to the owner
 * of its vRegion ({@code P2M_PCACHE_MISS}, {@code P2M_PCACHE_FLUSH}), zero-fills pages that were never
 * materialised without any round trip, faults addresses outside every mapping locally, and piggybacks a dirty
 * victim on the miss when both go to the same memory component.
 *
 * <p>Prefetch: the pages of a stream that are mapped, materialised and owned by the missed page's memory
 * component ride on its miss ({@code P2M_PCACHE_MISS} with a stride); the dirty victims of their lines are
 * written back first, in one {@code P2M_PCACHE_FLUSH} per process and memory component.
 *
 * <p>Deferred write-back (LegoOS's victim cache): a dirty victim that cannot ride on a miss message (the miss was a
 * local zero-fill, or went to another memory component) is copied aside instead of being written back on its own;
 * once {@value #DEFER_BATCH} are waiting they go out together, one {@code P2M_PCACHE_FLUSH} per process and memory
 * component. Until a deferred page has been written back, a miss of it takes it back from there
 * ({@link LineBackend.Fill#RESTORED}: the line stays dirty), a miss racing with its write-back waits for it, and no
 * prefetch fetches it, so nobody ever reads a stale copy from a memory component. A page is therefore in at most
 * one place at a time: an ExCache line, the deferred set, or a write-back under way, which is why write-backs of
 * one page can never overtake each other. msync, mremap, munmap and process exit settle the range's deferred pages
 * through {@link #writeBackDeferred} and {@link #discardDeferred}.
 *
 * <p>Thread-safe; called by the ExCache under set locks (see {@link LineBackend}). An address space that is
 * {@linkplain RemoteAddressSpace#close() closing} gets no more lines: its fills fail and nothing is prefetched
 * for it, so no line of it survives its final invalidation.
 */
public final class ExCacheBackend implements LineBackend {
    private static final int PAGE = 4096;
    private static final ByteBuffer NO_VICTIM = ByteBuffer.allocate(0);
    /** Misses and flushes that went to a new owner after theirs failed (failover). */
    private final java.util.concurrent.atomic.LongAdder relocated = new java.util.concurrent.atomic.LongAdder();
    private final java.util.concurrent.atomic.LongAdder retriedOnNewOwner = new java.util.concurrent.atomic.LongAdder();
    /** Deferred victims that trigger a batched write-back (128 KiB). */
    static final int DEFER_BATCH = 32;
    private final RpcNode rpc;
    private final AtomicReferenceArray<RemoteAddressSpace> spaces;

    /** A deferred dirty victim; {@code sending} once a batch has taken it (it stays listed until written back). */
    private static final class Deferred {
        final int asid;
        final long vpn;
        final byte[] data;
        boolean sending;

        Deferred(int asid, long vpn, byte[] data) {
            this.asid = asid;
            this.vpn = vpn;
            this.data = data;
        }
    }

    private final java.util.concurrent.locks.ReentrantLock deferLock = new java.util.concurrent.locks.ReentrantLock();
    private final java.util.concurrent.locks.Condition writtenBack = deferLock.newCondition();
    /** Deferred pages by (asid, vpn); guarded by deferLock. */
    private final java.util.Map<Long, Deferred> deferred = new java.util.HashMap<>();
    /** Entries of {@link #deferred} not yet taken by a batch; guarded by deferLock. */
    private int deferredWaiting;

    public ExCacheBackend(RpcNode rpc, int maxProcesses) {
        this.rpc = rpc;
        this.spaces = new AtomicReferenceArray<>(maxProcesses);
    }

    /** Binds an address space to a free ExCache asid and returns the asid. */
    int attach(RemoteAddressSpace space) {
        for (int i = 1; i < spaces.length(); i++) {
            if (spaces.compareAndSet(i, null, space)) {
                return i;
            }
        }
        throw new IllegalStateException("too many processes on this processor component (" + (spaces.length() - 1) + ")");
    }

    void detach(int asid) {
        spaces.set(asid, null);
    }

    /**
     * The space of a page to fill: attached and not closing; if it is not, the victim (which may belong to
     * another process) is written back before the refusal.
     */
    private RemoteAddressSpace openSpace(int asid, int victimAsid, long victimVpn, MemorySegment victimData) {
        RemoteAddressSpace s = spaces.get(asid);
        if (s != null && !s.isClosed()) {
            return s;
        }
        if (victimData != null) {
            flushVictim(asid, victimAsid, victimVpn, victimData);
        }
        throw new IllegalStateException(s == null ? "no address space with asid " + asid
                : "pid " + s.pid() + " has exited: its memory is gone");
    }

    @Override
    public Fill fill(int asid, long vpn, MemorySegment dst, int victimAsid, long victimVpn, MemorySegment victimData) {
        RemoteAddressSpace space = openSpace(asid, victimAsid, victimVpn, victimData);
        return miss(space, vpn, dst, victimAsid, victimVpn, victimData, 0, List.of()).fill();
    }

    @Override
    public void checkWrite(int asid, long vpn) {
        RemoteAddressSpace space = spaces.get(asid);
        if (space == null) {
            throw new IllegalStateException("no address space with asid " + asid);
        }
        long va = vpn << 12;
        int prot = space.vm().protAt(va);
        if (prot < 0) {
            throw new SegmentationFault("pid " + space.pid() + ": address 0x" + Long.toHexString(va) + " is not mapped");
        }
        if (!UserSpace.writable(prot)) {
            throw new SegmentationFault("pid " + space.pid() + ": store to 0x" + Long.toHexString(va)
                    + ", a page without write permission (prot " + prot + ")");
        }
    }

    @Override
    public boolean writableAnonymous(int asid, long vpn) {
        RemoteAddressSpace space = spaces.get(asid);
        return space != null && space.vm().writableAnonymous(vpn << 12);
    }

    @Override
    public int prefetchable(int asid, long vpn, long strideVpns, int max) {
        RemoteAddressSpace space = spaces.get(asid);
        if (space == null || space.isClosed() || max < 1 || strideVpns == 0) {
            return 0;
        }
        return withoutDeferred(asid, vpn, strideVpns, space.vm().fetchableRun(vpn, strideVpns, max));
    }

    @Override
    public int zeroFillable(int asid, long vpn, long strideVpns, int max) {
        RemoteAddressSpace space = spaces.get(asid);
        if (space == null || space.isClosed() || max < 1 || strideVpns == 0) {
            return 0;
        }
        return zeroRun(space, vpn, strideVpns, max);
    }

    /**
     * The never-written run after {@code vpn} that no deferred write-back holds. The deferred set is asked first: a
     * write-back marks its page materialised before the page leaves the set, so a page not deferred at that moment is
     * either never written or marked already, and the state read after it sees which. Asking the state first could
     * read "never written" just before a write-back under way marks the page and leaves the set: the page would be
     * zero-filled over data its memory component holds.
     */
    private int zeroRun(RemoteAddressSpace space, long vpn, long strideVpns, int max) {
        int n = withoutDeferred(space.asid(), vpn, strideVpns, max);
        return n == 0 ? 0 : space.vm().neverWrittenRun(vpn, strideVpns, n);
    }

    /** {@code n} cut before the first page of the run whose newest contents wait in the deferred write-backs. */
    private int withoutDeferred(int asid, long vpn, long strideVpns, int n) {
        deferLock.lock();
        try {
            if (deferred.isEmpty()) {
                return n;
            }
            if (deferred.containsKey(key(asid, vpn))) {
                return 0;
            }
            for (int i = 1; i <= n; i++) { // a deferred page's newest contents are not on its memory component
                if (deferred.containsKey(key(asid, vpn + i * strideVpns))) {
                    return i - 1;
                }
            }
            return n;
        } finally {
            deferLock.unlock();
        }
    }

    @Override
    public BatchFill fillBatch(int asid, long vpn, MemorySegment dst, int victimAsid, long victimVpn,
                               MemorySegment victimData, long strideVpns, List<PrefetchLine> lines) {
        writeBack(asid, lines); // before anything overwrites their lines, and whatever happens to the miss
        RemoteAddressSpace space = openSpace(asid, victimAsid, victimVpn, victimData);
        return miss(space, vpn, dst, victimAsid, victimVpn, victimData, strideVpns, lines);
    }

    /**
     * The miss of page {@code vpn}: zero-fill, fault, or one {@code P2M_PCACHE_MISS} for it and the pages of
     * {@code lines} (whose victims are written back already), with the victim piggybacked if it goes to the same
     * memory component.
     */
    private BatchFill miss(RemoteAddressSpace space, long vpn, MemorySegment dst, int victimAsid, long victimVpn,
                           MemorySegment victimData, long strideVpns, List<PrefetchLine> lines) {
        long va = vpn << 12;
        VmMirror vm = space.vm();
        space.countMiss();
        space.throwIfFailed();
        // first: it may wait for a write-back of the page under way, which makes the page materialised
        byte[] restored = takeDeferred(space.asid(), vpn);
        VmMirror.PageState state = vm.pageState(vpn);
        if (state == VmMirror.PageState.UNMAPPED || state == VmMirror.PageState.NO_ACCESS) {
            if (restored != null) { // cannot happen (mprotect and munmap settle the range's deferred pages first)
                redefer(space.asid(), vpn, restored);
            }
            if (victimData != null) {
                flushVictim(space.asid(), victimAsid, victimVpn, victimData);
            }
            throw new SegmentationFault("pid " + space.pid() + ": address 0x" + Long.toHexString(va)
                    + (state == VmMirror.PageState.UNMAPPED ? " is not mapped" : " is in a PROT_NONE area"));
        }
        if (restored != null || state == VmMirror.PageState.NEVER_WRITTEN) {
            if (victimData != null) {
                defer(space.asid(), victimAsid, victimVpn, victimData); // reads the victim before dst (the same line) is written
            }
            if (restored != null) {
                MemorySegment.copy(MemorySegment.ofArray(restored), 0, dst, 0, PAGE);
                return new BatchFill(Fill.RESTORED, 0); // prefetch pages were accepted for another state: drop them
            }
            dst.fill((byte) 0);
            // lines ahead come from zeroFillable (the cache holds their sets' locks): zero-filled too, nothing sent;
            // asked again so a line is only ever zero-filled while its page is still never written
            int ahead = lines.isEmpty() ? 0 : Math.min(lines.size(), zeroRun(space, vpn, strideVpns, lines.size()));
            for (int i = 0; i < ahead; i++) {
                lines.get(i).dst().fill((byte) 0);
            }
            return new BatchFill(Fill.ZERO_FILLED, ahead);
        }
        int owner = vm.ownerOf(va);
        if (owner < 0) {
            throw new IllegalStateException("pid " + space.pid() + ": mapped page 0x" + Long.toHexString(va)
                    + " has data on a memory component but none owns its vRegion (owner map out of date)");
        }
        if (state == VmMirror.PageState.IN_FILE) {
            // its owner reads it from the file (not on the fast miss path: the file may be cached elsewhere)
            if (victimData != null) {
                defer(space.asid(), victimAsid, victimVpn, victimData); // read before dst (the same line) is written
            }
            PageData page = callOwner(space, owner, va, new PcacheFileFill(space.pid(), va));
            if (page.data().remaining() != PAGE) {
                throw new IllegalStateException("memory component " + owner + " sent " + page.data().remaining()
                        + " bytes for a file page");
            }
            MemorySegment.copy(MemorySegment.ofBuffer(page.data()), 0, dst, 0, PAGE);
            return new BatchFill(Fill.FETCHED, 0);
        }
        boolean piggyback = false;
        ByteBuffer victim = NO_VICTIM;
        long victimVa = 0;
        if (victimData != null) {
            RemoteAddressSpace vs = spaces.get(victimAsid);
            if (vs == space && vs.vm().ownerOf(victimVpn << 12) == owner && vs.vm().isMapped(victimVpn << 12)) {
                piggyback = true;
                victim = victimData.asByteBuffer();
                victimVa = victimVpn << 12;
            } else {
                defer(space.asid(), victimAsid, victimVpn, victimData);
            }
        }
        int pages = 1 + lines.size();
        long stride = pages == 1 ? PcacheMiss.CONSECUTIVE : strideVpns * PAGE;
        PageData reply;
        try {
            reply = callOwner(space, owner, piggyback ? new long[] {va, victimVa} : new long[] {va},
                    new PcacheMiss(space.pid(), va, pages, victimVa, victim, stride));
        } catch (OwnersDiverged split) { // the victim's vRegion and the missed one have different owners now
            int victimOwner = space.vm().ownerOf(victimVa);
            if (victimOwner >= 0) { // else its range was unmapped meanwhile: its data is dead
                flushPages(space, victimOwner, new long[] {victimVa}, victim.duplicate());
            }
            reply = callOwner(space, space.vm().ownerOf(va), va, new PcacheMiss(space.pid(), va, pages, 0, NO_VICTIM, stride));
        }
        if (piggyback) {
            vm.markMaterialised(victimVpn);
        }
        ByteBuffer data = reply.data();
        int bytes = data.remaining();
        if (bytes % PAGE != 0 || bytes < PAGE || bytes > pages * PAGE) {
            throw new IllegalStateException("memory component " + owner + " sent " + bytes + " bytes for a miss of "
                    + pages + " page(s)");
        }
        MemorySegment received = MemorySegment.ofBuffer(data);
        MemorySegment.copy(received, 0, dst, 0, PAGE);
        int prefetched = bytes / PAGE - 1;
        for (int i = 0; i < prefetched; i++) {
            MemorySegment.copy(received, (long) (i + 1) * PAGE, lines.get(i).dst(), 0, PAGE);
        }
        return new BatchFill(piggyback ? Fill.FETCHED_WITH_PIGGYBACK : Fill.FETCHED, prefetched);
    }

    /**
     * Writes back the dirty victims of {@code lines}: one {@code P2M_PCACHE_FLUSH} per process and memory
     * component. Victims whose range was unmapped meanwhile (or whose process is gone) are dead and skipped.
     * Every group is tried; the first failure is thrown afterwards (later ones suppressed by it), so only the
     * victims of the failed components are lost.
     */
    private void writeBack(int callerAsid, List<PrefetchLine> lines) {
        int n = lines.size();
        RemoteAddressSpace[] spaceOf = new RemoteAddressSpace[n];
        int[] ownerOf = new int[n];
        int pending = 0;
        for (int i = 0; i < n; i++) {
            PrefetchLine l = lines.get(i);
            if (l.victimData() == null) {
                continue;
            }
            RemoteAddressSpace s = spaces.get(l.victimAsid());
            long va = l.victimVpn() << 12;
            int owner = liveOwner(s, va);
            if (owner >= 0) {
                spaceOf[i] = s;
                ownerOf[i] = owner;
                pending++;
            }
        }
        Failures failures = new Failures(callerAsid);
        for (int i = 0; i < n && pending > 0; i++) {
            RemoteAddressSpace space = spaceOf[i];
            if (space == null) {
                continue;
            }
            int owner = ownerOf[i];
            int count = 0;
            for (int j = i; j < n; j++) {
                if (spaceOf[j] == space && ownerOf[j] == owner) {
                    count++;
                }
            }
            long[] vaddrs = new long[count];
            ByteBuffer data = ByteBuffer.allocate(count * PAGE);
            MemorySegment out = MemorySegment.ofBuffer(data);
            for (int j = i, k = 0; k < count; j++) {
                if (spaceOf[j] == space && ownerOf[j] == owner) {
                    PrefetchLine l = lines.get(j);
                    vaddrs[k] = l.victimVpn() << 12;
                    MemorySegment.copy(l.victimData(), 0, out, (long) k * PAGE, PAGE);
                    spaceOf[j] = null;
                    k++;
                }
            }
            pending -= count;
            try {
                flushPages(space, owner, vaddrs, data);
                for (long va : vaddrs) {
                    space.vm().markMaterialised(va >>> 12);
                }
            } catch (RuntimeException e) {
                failures.add(space, e);
            }
        }
        failures.throwIfAny();
    }

    /**
     * The owner to write back page {@code va} of {@code space} to, or -1 if its data is dead (the process is gone or
     * the page was unmapped meanwhile). A mapped page whose vRegion has no owner is a loud error, never dropped.
     */
    private static int liveOwner(RemoteAddressSpace space, long va) {
        if (space == null || !space.vm().isMapped(va)) {
            return -1;
        }
        int owner = space.vm().ownerOf(va);
        if (owner < 0) {
            throw new IllegalStateException("pid " + space.pid() + ": dirty page 0x" + Long.toHexString(va)
                    + " is mapped but no memory component owns its vRegion (owner map out of date)");
        }
        return owner;
    }

    /**
     * Write-back failures sorted by whose they are: those of the calling thread's process are thrown to it, those
     * of another process (whose dirty pages rode along in a batch) are recorded on that process, which fails at its
     * next miss or VM call ({@link RemoteAddressSpace#throwIfFailed}), never the caller.
     */
    private static final class Failures {
        private final int callerAsid;
        private RuntimeException mine;

        Failures(int callerAsid) {
            this.callerAsid = callerAsid;
        }

        void add(RemoteAddressSpace space, RuntimeException e) {
            if (space.asid() != callerAsid) {
                space.fail(e);
            } else if (mine == null) {
                mine = e;
            } else {
                mine.addSuppressed(e);
            }
        }

        void throwIfAny() {
            if (mine != null) {
                throw mine;
            }
        }
    }

    /** Writes back the dirty victim of a fill of {@code callerAsid}'s page; a failure goes to the victim's process. */
    private void flushVictim(int callerAsid, int victimAsid, long victimVpn, MemorySegment victimData) {
        RemoteAddressSpace victimSpace = spaces.get(victimAsid);
        if (victimSpace == null) {
            return; // its process is gone, and its memory with it
        }
        Failures failures = new Failures(callerAsid);
        try {
            flush(victimAsid, victimVpn, victimData);
        } catch (RuntimeException e) {
            failures.add(victimSpace, e);
        }
        failures.throwIfAny();
    }

    /** Puts a page taken by {@link #takeDeferred} back, unchanged. */
    private void redefer(int asid, long vpn, byte[] data) {
        deferLock.lock();
        try {
            deferred.put(key(asid, vpn), new Deferred(asid, vpn, data));
            deferredWaiting++;
        } finally {
            deferLock.unlock();
        }
    }

    private static long key(int asid, long vpn) {
        return ((long) asid << 40) | vpn; // user addresses are below 2^47, so vpn < 2^35
    }

    /**
     * Copies a dirty victim aside for a batched write-back (the line it occupies is about to be reused); when
     * {@value #DEFER_BATCH} are waiting, writes them all back now, on this thread.
     */
    private void defer(int callerAsid, int asid, long vpn, MemorySegment data) {
        byte[] copy = new byte[PAGE];
        MemorySegment.copy(data, 0, MemorySegment.ofArray(copy), 0, PAGE);
        boolean full;
        deferLock.lock();
        try {
            Deferred old = deferred.put(key(asid, vpn), new Deferred(asid, vpn, copy));
            if (old != null) { // impossible while the page was cached: a page is in one place at a time
                deferred.put(key(asid, vpn), old);
                throw new IllegalStateException("page " + vpn + " of asid " + asid + " was deferred twice");
            }
            full = ++deferredWaiting >= DEFER_BATCH;
        } finally {
            deferLock.unlock();
        }
        if (full) {
            sendDeferred(callerAsid, d -> true);
        }
    }

    /**
     * A miss of (asid, vpn): its deferred contents if they are still waiting (they are forgotten here: the line that
     * gets them is dirty); if a write-back of them is under way, waits until it is done and returns null (the memory
     * component then has them); null if the page is not deferred.
     */
    private byte[] takeDeferred(int asid, long vpn) {
        deferLock.lock();
        try {
            if (deferred.isEmpty()) {
                return null;
            }
            long k = key(asid, vpn);
            Deferred d = deferred.get(k);
            if (d == null) {
                return null;
            }
            if (!d.sending) {
                deferred.remove(k);
                deferredWaiting--;
                return d.data;
            }
            while (deferred.get(k) == d) {
                writtenBack.awaitUninterruptibly();
            }
            return null;
        } finally {
            deferLock.unlock();
        }
    }

    /**
     * Writes back the waiting deferred pages that {@code which} selects, one {@code P2M_PCACHE_FLUSH} per process
     * and memory component; pages whose range was unmapped meanwhile (or whose process is gone) are dead and
     * dropped. Every group is tried; the first failure is thrown afterwards.
     */
    private void sendDeferred(int callerAsid, java.util.function.Predicate<Deferred> which) {
        List<Deferred> batch = new java.util.ArrayList<>();
        deferLock.lock();
        try {
            for (Deferred d : deferred.values()) {
                if (!d.sending && which.test(d)) {
                    d.sending = true;
                    batch.add(d);
                }
            }
            deferredWaiting -= batch.size();
        } finally {
            deferLock.unlock();
        }
        if (batch.isEmpty()) {
            return;
        }
        Failures failures = new Failures(callerAsid);
        try {
            java.util.Map<Long, List<Deferred>> groups = new java.util.LinkedHashMap<>(); // (asid, owner) -> pages
            for (Deferred d : batch) {
                RemoteAddressSpace s = spaces.get(d.asid);
                int owner;
                try {
                    owner = liveOwner(s, d.vpn << 12);
                } catch (RuntimeException e) {
                    failures.add(s, e);
                    continue;
                }
                if (owner >= 0) {
                    groups.computeIfAbsent(((long) d.asid << 32) | owner, g -> new java.util.ArrayList<>()).add(d);
                }
            }
            for (var e : groups.entrySet()) {
                List<Deferred> pages = e.getValue();
                RemoteAddressSpace space = spaces.get(pages.get(0).asid);
                int owner = (int) (long) e.getKey();
                long[] vaddrs = new long[pages.size()];
                ByteBuffer data = ByteBuffer.allocate(pages.size() * PAGE);
                for (int i = 0; i < vaddrs.length; i++) {
                    vaddrs[i] = pages.get(i).vpn << 12;
                    data.put(i * PAGE, pages.get(i).data);
                }
                try {
                    flushPages(space, owner, vaddrs, data);
                    for (long va : vaddrs) {
                        space.vm().markMaterialised(va >>> 12);
                    }
                } catch (RuntimeException ex) {
                    for (long va : vaddrs) { // so later misses go to the failed component and fail, not read zeros
                        space.vm().markMaterialised(va >>> 12);
                    }
                    failures.add(space, ex);
                }
            }
        } finally {
            deferLock.lock();
            try {
                for (Deferred d : batch) {
                    deferred.remove(key(d.asid, d.vpn), d);
                }
                writtenBack.signalAll();
            } finally {
                deferLock.unlock();
            }
        }
        failures.throwIfAny();
    }

    /** Waits until no write-back of a deferred page of {@code asid} in {@code [first, last]} is under way. */
    private void awaitSent(int asid, long first, long last) {
        deferLock.lock();
        try {
            while (deferred.values().stream().anyMatch(d -> d.asid == asid && d.vpn >= first && d.vpn <= last)) {
                writtenBack.awaitUninterruptibly();
            }
        } finally {
            deferLock.unlock();
        }
    }

    @Override
    public void writeBackDeferred(int asid, long firstVpn, long lastVpn) {
        sendDeferred(asid, d -> d.asid == asid && d.vpn >= firstVpn && d.vpn <= lastVpn);
        awaitSent(asid, firstVpn, lastVpn);
    }

    @Override
    public void discardDeferred(int asid, long firstVpn, long lastVpn) {
        deferLock.lock();
        try {
            var it = deferred.values().iterator();
            while (it.hasNext()) {
                Deferred d = it.next();
                if (!d.sending && d.asid == asid && d.vpn >= firstVpn && d.vpn <= lastVpn) {
                    it.remove();
                    deferredWaiting--;
                }
            }
        } finally {
            deferLock.unlock();
        }
        awaitSent(asid, firstVpn, lastVpn);
    }

    /** Deferred pages not yet written back (for tests). */
    int deferredPages() {
        deferLock.lock();
        try {
            return deferred.size();
        } finally {
            deferLock.unlock();
        }
    }

    /** A call to the memory component owning page {@code va} of {@code space}: {@link #callOwner(RemoteAddressSpace, int, long[], org.legoos.net.protocol.Request)}. */
    private <R extends org.legoos.net.protocol.Message> R callOwner(RemoteAddressSpace space, int owner, long va,
                                                                  org.legoos.net.protocol.Request<R> request) {
        return callOwner(space, owner, new long[] {va}, request);
    }

    /**
     * A call to the memory component owning pages {@code vaddrs} of {@code space} (all in vRegions of that owner).
     * If it is unavailable, the call is retried for up to {@link Failover#WAIT_MILLIS}, each time after asking the
     * home for the owner map again: once the manager has declared the owner dead, the home has moved its vRegions to
     * their replica, which gets the retry (a request is idempotent: a miss reads, a flush or piggybacked victim
     * stores the same bytes again); an owner whose vRegion moved away refuses the same way. If the owner has no room
     * (NO_MEMORY), the home moves the pages' vRegions to a component with room and the call goes there; only when
     * the cluster as a whole has none does the program see NO_MEMORY. A failure that outlasts the wait is explained
     * to the program.
     *
     * @throws OwnersDiverged if after an owner change the pages no longer share one owner (the caller splits the call)
     */
    private <R extends org.legoos.net.protocol.Message> R callOwner(RemoteAddressSpace space, int owner, long[] vaddrs,
                                                                  org.legoos.net.protocol.Request<R> request) {
        long deadline = 0;
        long pauseMillis = 10;
        int relocations = 0;
        while (true) {
            try {
                return rpc.call(owner, request);
            } catch (ComponentUnavailableException e) {
                long now = System.nanoTime();
                if (deadline == 0) {
                    deadline = now + Failover.WAIT_MILLIS * 1_000_000L;
                } else if (now - deadline >= 0) {
                    throw unavailable(space, owner, vaddrs[0], e);
                }
                if (space.isClosed()) {
                    throw unavailable(space, owner, vaddrs[0], e);
                }
                try {
                    Thread.sleep(pauseMillis);
                } catch (InterruptedException stop) {
                    Thread.currentThread().interrupt();
                    throw unavailable(space, owner, vaddrs[0], e);
                }
                pauseMillis = Math.min(250, pauseMillis * 2);
                try {
                    space.refreshOwners();
                } catch (RuntimeException homeLost) {
                    e.addSuppressed(homeLost);
                    throw unavailable(space, owner, vaddrs[0], e);
                }
                if (space.ownerLost(owner)) {
                    throw lost(space, owner, vaddrs[0], e);
                }
            } catch (org.legoos.api.LegoException e) {
                if (org.legoos.net.rpc.Status.of(e) != org.legoos.net.rpc.Status.NO_MEMORY || space.isClosed()) {
                    throw e;
                }
                if (++relocations > MAX_RELOCATIONS) {
                    throw new org.legoos.api.LegoException(e.status(), e.getMessage() + ", and moving "
                            + "this process's vRegions to other memory components " + MAX_RELOCATIONS + " times did not"
                            + " make room for them: the cluster is out of memory", e);
                }
                try {
                    space.relocate(owner, vaddrs);
                } catch (org.legoos.api.LegoException none) {
                    if (org.legoos.net.rpc.Status.of(none) != org.legoos.net.rpc.Status.NO_MEMORY) {
                        none.addSuppressed(e);
                        throw none;
                    }
                    // both halves for the program: which component is full, and why nothing could take its pages
                    var out = new org.legoos.api.LegoException(none.status(), e.getMessage()
                            + ", and moving the vRegion elsewhere failed: " + none.getMessage(), none);
                    out.addSuppressed(e);
                    throw out;
                } catch (RuntimeException other) {
                    other.addSuppressed(e);
                    throw other;
                }
                relocated.increment();
            }
            int next = sharedOwner(space, vaddrs);
            if (next >= 0 && next != owner) {
                retriedOnNewOwner.increment();
                owner = next;
            }
        }
    }

    /** How often one call may have its vRegions moved for lack of room before NO_MEMORY reaches the program. */
    private static final int MAX_RELOCATIONS = 4;

    /**
     * The owner all of {@code vaddrs} have now (-1 if the first has none).
     *
     * @throws OwnersDiverged if they have different owners
     */
    private static int sharedOwner(RemoteAddressSpace space, long[] vaddrs) {
        int next = space.vm().ownerOf(vaddrs[0]);
        for (long va : vaddrs) {
            if (space.vm().ownerOf(va) != next) {
                throw new OwnersDiverged();
            }
        }
        return next;
    }

    /**
     * The pages of one call to an owner have different owners now (one of their vRegions failed over or moved): the
     * caller splits the call by owner. Nothing was applied.
     */
    private static final class OwnersDiverged extends RuntimeException {
        OwnersDiverged() {
            super(null, null, false, false);
        }
    }

    /**
     * {@code P2M_PCACHE_FLUSH} of {@code vaddrs} ({@code data} 4096 bytes each, in order) to their owner, split into
     * one flush per owner if their vRegions stopped sharing one meanwhile.
     */
    private void flushPages(RemoteAddressSpace space, int owner, long[] vaddrs, ByteBuffer data) {
        try {
            callOwner(space, owner, vaddrs, new PcacheFlush(space.pid(), vaddrs, data));
        } catch (OwnersDiverged split) {
            it.unimi.dsi.fastutil.ints.Int2ObjectLinkedOpenHashMap<it.unimi.dsi.fastutil.ints.IntArrayList> byOwner =
                    new it.unimi.dsi.fastutil.ints.Int2ObjectLinkedOpenHashMap<>();
            for (int i = 0; i < vaddrs.length; i++) {
                byOwner.computeIfAbsent(space.vm().ownerOf(vaddrs[i]), o -> new it.unimi.dsi.fastutil.ints.IntArrayList()).add(i);
            }
            for (var g : byOwner.int2ObjectEntrySet()) {
                int[] idx = g.getValue().toIntArray();
                long[] part = new long[idx.length];
                ByteBuffer partData = ByteBuffer.allocate(idx.length * PAGE);
                for (int k = 0; k < idx.length; k++) {
                    part[k] = vaddrs[idx[k]];
                    partData.put(k * PAGE, data, data.position() + idx[k] * PAGE, PAGE);
                }
                if (g.getIntKey() < 0) {
                    throw new IllegalStateException("pid " + space.pid() + ": mapped page 0x" + Long.toHexString(part[0])
                            + " has data to write back but no memory component owns its vRegion (owner map out of date)");
                }
                flushPages(space, g.getIntKey(), part, partData);
            }
        }
    }

    /** Misses and flushes whose vRegions moved off a full memory component before they were served. */
    public long relocated() {
        return relocated.sum();
    }

    /** The error a program sees when its home says the memory component holding its page died without a replica. */
    private static ComponentUnavailableException lost(RemoteAddressSpace space, int owner, long va,
                                                      ComponentUnavailableException cause) {
        return pagesLost(space, owner, va, cause, "): it was declared dead without a replica of this process's pages there");
    }

    /** The error a program sees when the memory component holding its page is gone and no replica took over. */
    private static ComponentUnavailableException unavailable(RemoteAddressSpace space, int owner, long va,
                                                             ComponentUnavailableException cause) {
        return pagesLost(space, owner, va, cause, ") and no replica took over within " + Failover.WAIT_MILLIS + " ms");
    }

    private static ComponentUnavailableException pagesLost(RemoteAddressSpace space, int owner, long va,
                                                           ComponentUnavailableException cause, String why) {
        var e = new ComponentUnavailableException(cause.status(), "pid " + space.pid() + ": memory component node " + owner
                + " holding address 0x" + Long.toHexString(va) + " is unavailable (" + cause.getMessage() + why
                + "; this process's memory there is lost");
        e.initCause(cause);
        return e;
    }

    /**
     * Where to look for a process's home when its home and the home replica it knows of are both gone: the live
     * memory components (by default none; the process monitor asks the manager's membership).
     */
    private volatile java.util.function.Supplier<int[]> liveMemories = () -> new int[0];

    public void setLiveMemories(java.util.function.Supplier<int[]> memories) {
        this.liveMemories = java.util.Objects.requireNonNull(memories, "memories");
    }

    int[] liveMemories() {
        try {
            return liveMemories.get();
        } catch (RuntimeException e) {
            return new int[0];
        }
    }

    /** Misses and flushes that went to a new owner after theirs failed (failover). */
    public long retriedOnNewOwner() {
        return retriedOnNewOwner.sum();
    }

    @Override
    public void flush(int asid, long vpn, MemorySegment src) {
        RemoteAddressSpace space = spaces.get(asid);
        if (space == null) {
            return; // its process is gone, and its memory with it
        }
        long va = vpn << 12;
        int owner = liveOwner(space, va);
        if (owner < 0) {
            return; // the range was unmapped meanwhile: its data is dead
        }
        flushPages(space, owner, new long[] {va}, src.asByteBuffer());
        space.vm().markMaterialised(vpn);
    }
}
