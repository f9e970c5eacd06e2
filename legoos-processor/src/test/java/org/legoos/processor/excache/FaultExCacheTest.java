package org.legoos.processor.excache;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * {@link FaultExCache} against a reference model, without a kernel: {@link FakeTask} plays the task's page tables
 * (resident pages, write protection, poison) and raises the faults a real task's loads and stores would, the
 * {@link ModelBackend} plays the memory components. Whatever the cache evicts, piggybacks or prefetches, every load
 * must return the last value stored, and the resident pages must never exceed the cache.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class FaultExCacheTest {
    private static final int PAGE = 4096;

    /** A task's memory as the kernel keeps it: the fault handler is called synchronously on every fault. */
    static final class FakeTask implements FaultExCache.TaskPages {
        final Map<Long, byte[]> resident = new HashMap<>();
        final Set<Long> writeProtected = new HashSet<>();
        final Set<Long> poisoned = new HashSet<>();
        FaultExCache cache;
        int asid;
        FaultExCache.Buffers buf;
        int faults;

        @Override
        public boolean install(long va, MemorySegment src, boolean wp) {
            if (resident.containsKey(va)) {
                return false;
            }
            resident.put(va, src.asSlice(0, PAGE).toArray(ValueLayout.JAVA_BYTE));
            if (wp) {
                writeProtected.add(va);
            } else {
                writeProtected.remove(va);
            }
            return true;
        }

        @Override
        public void writeProtect(long va, boolean protect) {
            if (protect) {
                writeProtected.add(va);
            } else {
                writeProtected.remove(va);
            }
        }

        /** Calls of the ranged write-protect and the pages they covered (a stream's victims come in runs). */
        int rangeProtects;
        int rangeProtectedPages;

        @Override
        public void writeProtect(long va, long len, boolean protect) {
            assertThat(len % PAGE).isZero();
            rangeProtects++;
            rangeProtectedPages += (int) (len / PAGE);
            for (long p = va; p < va + len; p += PAGE) {
                assertThat(resident).as("protecting an absent page 0x%x", p).containsKey(p);
                writeProtect(p, protect);
            }
        }

        @Override
        public void read(long va, long len, MemorySegment dst) {
            assertThat(dst.byteSize()).isEqualTo(len);
            for (long p = va; p < va + len; p += PAGE) {
                read(p, dst.asSlice(p - va, PAGE));
            }
        }

        @Override
        public void wake(long va) {
        }

        @Override
        public void poison(long va) {
            assertThat(resident).doesNotContainKey(va);
            poisoned.add(va);
        }

        @Override
        public void read(long va, MemorySegment dst) {
            byte[] p = resident.get(va);
            assertThat(p).as("the handler read an absent page 0x%x", va).isNotNull();
            MemorySegment.copy(MemorySegment.ofArray(p), 0, dst, 0, PAGE);
        }

        @Override
        public boolean present(long va) {
            return resident.containsKey(va);
        }

        @Override
        public void drop(long va, long len) {
            for (long p = va; p < va + len; p += PAGE) {
                resident.remove(p);
                writeProtected.remove(p);
            }
        }

        /** A load of the long at va (page aligned + offset), faulting as the kernel would. */
        long load(long va) {
            long page = va & ~(PAGE - 1L);
            for (int i = 0; !resident.containsKey(page); i++) {
                assertThat(i).as("load 0x%x not served", va).isLessThan(3);
                assertThat(poisoned).doesNotContain(page);
                faults++;
                cache.fault(asid, va, false, false, buf);
            }
            return MemorySegment.ofArray(resident.get(page)).get(ModelBackend.LONG_LE, va - page);
        }

        void store(long va, long value) {
            long page = va & ~(PAGE - 1L);
            for (int i = 0; !resident.containsKey(page) || writeProtected.contains(page); i++) {
                assertThat(i).as("store 0x%x not served", va).isLessThan(3);
                assertThat(poisoned).doesNotContain(page);
                faults++;
                cache.fault(asid, va, true, resident.containsKey(page), buf);
            }
            MemorySegment.ofArray(resident.get(page)).set(ModelBackend.LONG_LE, va - page, value);
        }
    }

    private static FakeTask task(FaultExCache cache, int asid) {
        FakeTask t = new FakeTask();
        t.cache = cache;
        t.asid = asid;
        t.buf = cache.newBuffers();
        cache.attach(asid, t);
        return t;
    }

    @Test
    void everyLoadSeesTheLastStoreThroughEvictionsPiggybacksAndPrefetch() {
        long seed = Long.getLong("legoos.seed", System.nanoTime());
        System.out.println("FaultExCacheTest seed " + seed);
        Random rnd = new Random(seed);
        ModelBackend backend = new ModelBackend(64, 2);
        // 16 pages in 4 sets of 4 ways, shared by two tasks touching 200 pages each
        FaultExCache cache = new FaultExCache(new ExCacheConfig(16L * PAGE, 4, ExCacheConfig.Policy.FIFO, seed)
                .withPrefetchPages(4), backend, 4);
        FakeTask[] tasks = {task(cache, 1), task(cache, 2)};
        java.util.List<Map<Long, Long>> model = java.util.List.of(new HashMap<>(), new HashMap<>());
        long base = 1L << 40;
        for (int step = 0; step < 20_000; step++) {
            int ti = rnd.nextInt(2);
            FakeTask t = tasks[ti];
            long page = rnd.nextInt(8) == 0 ? rnd.nextInt(200) : (step / 7) % 200; // mostly a stream, some random
            long va = base + page * PAGE + 8L * rnd.nextInt(PAGE / 8);
            if (rnd.nextBoolean()) {
                long v = rnd.nextLong();
                t.store(va, v);
                model.get(ti).put(va, v);
            } else {
                assertThat(t.load(va)).as("seed %d step %d task %d va 0x%x", seed, step, ti, va)
                        .isEqualTo(model.get(ti).getOrDefault(va, 0L));
            }
            assertThat(tasks[0].resident.size() + tasks[1].resident.size()).isLessThanOrEqualTo(16);
            assertThat(cache.residentPages()).isEqualTo(tasks[0].resident.size() + tasks[1].resident.size());
        }
        ExCacheStats s = cache.stats();
        assertThat(s.evictions()).isPositive();
        assertThat(s.piggybacks()).isPositive();
        // the counters mean what the software ExCache's mean: flushes are every write-back, piggybacks a subset
        assertThat(s.flushes()).isGreaterThanOrEqualTo(s.piggybacks());
        assertThat(s.zeroFills()).isPositive();
        assertThat(s.prefetched()).isPositive();
        assertThat(backend.overlaps.get()).isZero();
        // msync of everything, then nothing is dirty: a second flush writes nothing
        cache.flushRange(1, base, 200L * PAGE);
        long flushes = cache.stats().flushes();
        cache.flushRange(1, base, 200L * PAGE);
        assertThat(cache.stats().flushes()).isEqualTo(flushes);
        // munmap drops the pages; exit of the other task frees its frames
        cache.invalidateRange(1, base, 200L * PAGE, false);
        assertThat(tasks[0].resident).isEmpty();
        cache.invalidateAll(2, true);
        assertThat(tasks[1].resident).isEmpty();
        assertThat(cache.residentPages()).isZero();
    }

    /**
     * A stream of loads and stores through a cache full of dirty pages (a sequential update, a copy into memory): each
     * prefetched page's frame holds a dirty victim. Those victims are written back in the batch that fetches the
     * pages, so the stream keeps its prefetch (before: prefetch stopped at the first dirty victim, one fault per page).
     * A batch that fails after writing its victims back poisons only the missed page and loses no store.
     */
    @Test
    void aStreamThroughDirtyPagesKeepsItsPrefetchAndABatchThatFailsLosesNoStore() {
        ModelBackend backend = new ModelBackend(1 << 20, 1);
        FaultExCache cache = new FaultExCache(new ExCacheConfig(16L * PAGE, 4, ExCacheConfig.Policy.FIFO, 1L)
                .withPrefetchPages(4), backend, 4);
        FakeTask t = task(cache, 1);
        long base = 1L << 40;
        int pages = 256;
        for (int p = 0; p < pages; p++) {
            t.store(base + (long) p * PAGE, p + 1);
        }
        long missesBefore = cache.stats().misses();
        for (int p = 0; p < pages; p++) {
            long va = base + (long) p * PAGE;
            assertThat(t.load(va)).as("page %d", p).isEqualTo(p + 1);
            t.store(va, p + 1001);
        }
        assertThat(cache.stats().misses() - missesBefore).as("misses of the update pass").isLessThan(pages / 3);
        assertThat(backend.prefetchVictimFlushes.get()).isGreaterThan(pages / 2);
        assertThat(backend.overlaps.get()).isZero();
        assertThat(t.rangeProtectedPages).as("the victims are protected in runs").isEqualTo((int) backend.prefetchVictimFlushes.get())
                .isGreaterThan(t.rangeProtects); // runs of up to 3 pages here (a prefetch of 4 over 4 sets)

        backend.failNextBatch(new IllegalStateException("memory component 3 lost"));
        int poisonedAt = -1;
        for (int p = 0; p < pages && poisonedAt < 0; p++) {
            long va = base + (long) p * PAGE;
            if (!t.resident.containsKey(va)) {
                cache.fault(1, va, false, false, t.buf);
                if (t.poisoned.contains(va)) {
                    poisonedAt = p;
                    break;
                }
            }
            assertThat(t.load(va)).as("page %d", p).isEqualTo(p + 1001);
            t.store(va, p + 2001);
        }
        assertThat(poisonedAt).as("the failed batch poisoned its missed page").isPositive();
        assertThat(cache.failure(1)).hasMessageContaining("memory component 3 lost");
        for (int p = 0; p < pages; p++) {
            if (p != poisonedAt) {
                assertThat(t.load(base + (long) p * PAGE)).as("page %d", p).isEqualTo(p < poisonedAt ? p + 2001 : p + 1001);
            }
        }
        assertThat(cache.residentPages()).isEqualTo(t.resident.size()).isLessThanOrEqualTo(16);
    }

    /**
     * As {@code ExCachePrefetchTest}'s twin for the software ExCache: a scan through more memory than the cache holds,
     * beside a working set used over and over, evicts the scan's own pages (installed as streamed), not the working
     * set's, although no hit is ever seen here.
     */
    @Test
    void aScanLargerThanTheCacheEvictsItsOwnPagesNotTheWorkingSetBesideIt() {
        ModelBackend backend = new ModelBackend(1 << 20, 1);
        long base = 1L << 40;
        int scanPages = 1024;
        int hotFirst = 4096;
        int hotPages = 32; // two frames of each of the 16 sets; the scan keeps the other two
        for (int p : new int[] {0, hotFirst}) {
            for (int i = 0; i < (p == 0 ? scanPages : hotPages); i++) {
                byte[] page = new byte[PAGE];
                MemorySegment.ofArray(page).set(ModelBackend.LONG_LE, 0, p + i + 1L);
                backend.put(1, (base >>> 12) + p + i, page);
            }
        }
        FaultExCache cache = new FaultExCache(new ExCacheConfig(64L * PAGE, 4, ExCacheConfig.Policy.FIFO, 1L)
                .withPrefetchPages(16), backend, 4);
        FakeTask t = task(cache, 1);
        for (int h : new Random(5).ints(0, hotPages).distinct().limit(hotPages).toArray()) {
            assertThat(t.load(base + (long) (hotFirst + h) * PAGE)).isEqualTo(hotFirst + h + 1L); // in a random order
        }
        int hotFaults = 0;
        for (int p = 0; p < scanPages; p++) {
            assertThat(t.load(base + (long) p * PAGE)).isEqualTo(p + 1L);
            int before = t.faults;
            int h = hotFirst + p % hotPages;
            assertThat(t.load(base + (long) h * PAGE)).isEqualTo(h + 1L);
            hotFaults += t.faults - before;
        }
        assertThat(hotFaults).as("faults of the working set during the scan (415 with plain FIFO)").isZero();
        assertThat(cache.stats().misses()).as("the scan is still prefetched").isLessThan(hotPages + scanPages / 8);
    }

    /** 16 pages in 4 sets of 4 ways over a model backend, no prefetch. */
    private static FaultExCache smallCache() {
        return new FaultExCache(new ExCacheConfig(16L * PAGE, 4, ExCacheConfig.Policy.FIFO, 1L), new ModelBackend(64, 2), 4);
    }

    @Test
    void aStoreToAWriteProtectedPageNoFrameHoldsFaultsAgainAsAMissInsteadOfForever() {
        FaultExCache cache = smallCache();
        FakeTask t = task(cache, 1);
        long va = (1L << 40) + 5L * PAGE;
        t.store(va, 42);
        cache.flushRange(1, va, PAGE); // written back: the owner has 42, the page is clean and write-protected
        cache.invalidateRange(1, va, PAGE, false);
        // the task still maps a write-protected copy the cache no longer tracks (as seen under load in process mode)
        byte[] stale = new byte[PAGE];
        MemorySegment.ofArray(stale).set(ModelBackend.LONG_LE, 0, 42L);
        t.resident.put(va, stale);
        t.writeProtected.add(va);
        t.store(va + 8, 7); // before the fix: woken without change, the store faulted again forever
        assertThat(t.load(va)).isEqualTo(42);
        assertThat(t.load(va + 8)).isEqualTo(7);
        assertThat(cache.orphanDrops()).isEqualTo(1);
        assertThat(cache.residentPages()).isEqualTo(1);
    }

    @Test
    void aMissOnAPageAStaleFrameClaimsIsServedAgainWhenCleanAndFailsLoudlyWhenDirty() {
        FaultExCache cache = smallCache();
        FakeTask t = task(cache, 1);
        long clean = (1L << 40) + 3L * PAGE;
        long dirty = (1L << 40) + 4L * PAGE;
        t.store(clean, 5);
        cache.flushRange(1, clean, PAGE); // the owner has 5; the frame stays, clean
        t.store(dirty, 6);
        // both pages vanish from the task behind the cache's back: the frames are stale
        t.resident.remove(clean);
        t.resident.remove(dirty);
        assertThat(t.load(clean)).isEqualTo(5); // before: woken without change, the load faulted forever
        assertThat(cache.staleFrames()).isEqualTo(1);
        cache.fault(1, dirty, false, false, t.buf);
        assertThat(t.poisoned).contains(dirty);
        assertThat(cache.failure(1)).hasMessageContaining("vanished from the task with stores not written back");
        assertThat(cache.staleFrames()).isEqualTo(2);
    }

    @Test
    void aStoreToAReadOnlyPageIsPoisonedAndLosesNothing() {
        ModelBackend backend = new ModelBackend();
        FaultExCache cache = new FaultExCache(new ExCacheConfig(16L * PAGE, 4, ExCacheConfig.Policy.FIFO, 1), backend, 4);
        FakeTask t = task(cache, 1);
        long va = 1L << 40;
        t.store(va, 42);
        cache.revokeWrite(1, va, PAGE); // mprotect(PROT_READ): the store permission goes, the data stays dirty
        backend.mapped(vpn -> true);
        // the backend refuses stores from now on
        LineBackend readOnly = new LineBackend() {
            @Override
            public Fill fill(int asid, long vpn, MemorySegment dst, int victimAsid, long victimVpn, MemorySegment victimData) {
                return backend.fill(asid, vpn, dst, victimAsid, victimVpn, victimData);
            }

            @Override
            public void flush(int asid, long vpn, MemorySegment src) {
                backend.flush(asid, vpn, src);
            }

            @Override
            public void checkWrite(int asid, long vpn) {
                throw new org.legoos.api.SegmentationFault("store to a read-only page 0x" + Long.toHexString(vpn << 12));
            }
        };
        FaultExCache ro = new FaultExCache(new ExCacheConfig(16L * PAGE, 4, ExCacheConfig.Policy.FIFO, 1), readOnly, 4);
        FakeTask r = task(ro, 1);
        assertThat(r.load(va)).isZero(); // never written back through this cache: the model backend has zeros
        r.cache.fault(1, va, true, true, r.buf); // the store's write-protect fault
        assertThat(r.poisoned).contains(va);
        assertThat(ro.failure(1)).isInstanceOf(org.legoos.api.SegmentationFault.class);
        // the refused store fails stores of that page only: a load of it (another thread's) is good
        assertThat(ro.failure(1, va + 8, true)).isSameAs(ro.failure(1));
        assertThat(ro.failure(1, va + 8, false)).isNull();
        assertThat(ro.failure(1, va + PAGE, true)).isNull();
        assertThat(ro.poisoned()).isEqualTo(1);
        assertThat(t.load(va)).isEqualTo(42); // the first cache still has the dirty page
    }
    /**
     * The race that lost words in word count over TCP (one run in six): a miss decides to prefetch the next pages,
     * then another thread munmaps them (mirror first, then the range's pages set by set) before the miss locks their
     * sets. The prefetch must not install them: their old contents would stay resident where the next mmap of the
     * same addresses expects zeros.
     */
    @Test
    void aPrefetchDecidedBeforeAMunmapInstallsNothingOfTheUnmappedRange() {
        ModelBackend model = new ModelBackend();
        long base = 1L << 40;
        long vpn0 = base >>> 12;
        for (int i = -4; i < 8; i++) {
            byte[] page = new byte[PAGE];
            page[0] = (byte) (i + 5);
            model.put(1, vpn0 + i, page); // written back: prefetchable
        }
        boolean[] unmapped = new boolean[1];
        FaultExCache[] cache = new FaultExCache[1];
        LineBackend racing = new LineBackend() {
            @Override
            public Fill fill(int asid, long vpn, MemorySegment dst, int victimAsid, long victimVpn, MemorySegment victimData) {
                return model.fill(asid, vpn, dst, victimAsid, victimVpn, victimData);
            }

            @Override
            public BatchFill fillBatch(int asid, long vpn, MemorySegment dst, int victimAsid, long victimVpn,
                                       MemorySegment victimData, long strideVpns, java.util.List<PrefetchLine> lines) {
                return model.fillBatch(asid, vpn, dst, victimAsid, victimVpn, victimData, strideVpns, lines);
            }

            @Override
            public void flush(int asid, long vpn, MemorySegment src) {
                model.flush(asid, vpn, src);
            }

            @Override
            public int prefetchable(int asid, long vpn, long strideVpns, int max) {
                if (unmapped[0]) {
                    return 0; // [base, base + 8 pages) is gone from the mirror
                }
                int n = model.prefetchable(asid, vpn, strideVpns, max);
                // another thread's munmap of [base, base + 8 pages) runs now: the mirror forgets the range, then
                // its pages drop
                unmapped[0] = true;
                cache[0].invalidateRange(asid, base, 8L * PAGE, false);
                return n;
            }
        };
        cache[0] = new FaultExCache(new ExCacheConfig(64L * PAGE, 4, ExCacheConfig.Policy.FIFO, 1).withPrefetchPages(4),
                racing, 4);
        FakeTask t = task(cache[0], 1);
        for (int i = 4; i >= 1; i--) {
            t.load(base - i * (long) PAGE); // a stream: the fourth miss confirms it and prefetches from base on
        }
        assertThat(unmapped[0]).as("the stream asked for a prefetch").isTrue();
        assertThat(t.resident.keySet()).as("pages of the unmapped range left resident").allMatch(va -> va < base);
        assertThat(cache[0].residentPages()).isEqualTo(t.resident.size());
    }

    /**
     * A task that stores to the pages it has just loaded (a hash table) learns to get them writable at its load:
     * one fault per page instead of two. A task that only loads never gets a page writable, so it never pays a
     * write-back for a page it did not change. Values stay right either way.
     */
    @Test
    void pagesLoadedThenStoredAreInstalledWritableOnceThePatternIsSeenAndOnlyThen() {
        long base = 1L << 40;
        int pages = 400;
        ModelBackend backend = new ModelBackend();
        FaultExCache cache = new FaultExCache(new ExCacheConfig(16L * PAGE, 4, ExCacheConfig.Policy.FIFO, 1), backend, 4);
        FakeTask t = task(cache, 1);
        for (int round = 0; round < 2; round++) {
            for (long p = 0; p < pages; p++) {
                long va = base + p * PAGE;
                long v = t.load(va);
                t.store(va, v + p + 1);
            }
        }
        assertThat(cache.writableAhead()).as("loaded pages installed writable").isGreaterThan(pages);
        // 2 * 400 pages; two faults each until the score is on, then one, plus a clean probe every 16th page
        assertThat(t.faults).isLessThan(2 * pages * 5 / 4);
        for (long p = 0; p < pages; p++) {
            assertThat(t.load(base + p * PAGE)).isEqualTo(2 * (p + 1));
        }

        ModelBackend readerBackend = new ModelBackend();
        FaultExCache readerCache = new FaultExCache(new ExCacheConfig(16L * PAGE, 4, ExCacheConfig.Policy.FIFO, 1),
                readerBackend, 4);
        FakeTask reader = task(readerCache, 1);
        for (int round = 0; round < 2; round++) {
            for (long p = 0; p < pages; p++) {
                assertThat(reader.load(base + p * PAGE)).isZero();
            }
        }
        assertThat(readerCache.writableAhead()).isZero();
        assertThat(readerCache.stats().flushes() + readerCache.stats().piggybacks()).isZero();
        assertThat(reader.writeProtected).hasSize(reader.resident.size());
    }

    /** The score of a task turns the guess on after enough stored pages and off again after enough unstored ones. */
    @Test
    void thePredictorTurnsOnAndOffAndProbesWhileOn() {
        StorePredictor s = new StorePredictor(4);
        for (int i = 0; i < StorePredictor.ON - 1; i++) {
            s.stored(2);
        }
        assertThat(s.expectStore(2)).isFalse();
        s.stored(2);
        int expected = 0;
        for (int i = 0; i < 4 * StorePredictor.PROBE_EVERY; i++) {
            expected += s.expectStore(2) ? 1 : 0;
        }
        assertThat(expected).isEqualTo(4 * (StorePredictor.PROBE_EVERY - 1)); // one clean probe in each 16
        assertThat(s.expectStore(1)).as("another task has its own score").isFalse();
        s.unstored(2);
        assertThat(s.expectStore(2)).isFalse();
        s.reset(2);
        for (int i = 0; i < 100; i++) {
            s.unstored(2); // saturates at 0
        }
        for (int i = 0; i < StorePredictor.ON; i++) {
            s.stored(2);
        }
        assertThat(s.expectStore(2)).isTrue();
    }
}
