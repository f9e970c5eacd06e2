package org.legoos.processor.excache;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.lang.foreign.MemorySegment;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.legoos.api.ComponentUnavailableException;
import org.legoos.processor.excache.ExCacheConfig.Policy;

/** Stream prefetch and the piggyback switch, single-threaded, against {@link ModelBackend}. */
@Timeout(value = 20, unit = TimeUnit.SECONDS)
class ExCachePrefetchTest {
    private static final int ASID = 6;
    private static final int PAGE = 4096;
    /** Page {@code i} is at {@code BASE + i * PAGE}; its vpn is {@code 0x2000 + i}, in set {@code i % sets}. */
    private static final long BASE = 0x200_0000L;

    private static long page(int i) {
        return BASE + (long) i * PAGE;
    }

    private static long vpn(int i) {
        return page(i) >>> 12;
    }

    /** The value a preloaded page holds in its long {@code slot}. */
    private static long initial(int page, int slot) {
        return page * 1_000_003L + slot;
    }

    /** Stores pages {@code [from, to)} on the (simulated) memory components with their {@link #initial} values. */
    private static void preload(ModelBackend backend, int from, int to) {
        for (int p = from; p < to; p++) {
            MemorySegment data = MemorySegment.ofArray(new byte[PAGE]);
            for (int slot = 0; slot < PAGE / 8; slot++) {
                data.setAtIndex(ModelBackend.LONG_LE, slot, initial(p, slot));
            }
            backend.put(ASID, vpn(p), data.toArray(java.lang.foreign.ValueLayout.JAVA_BYTE));
        }
    }

    /** {@code sets} sets of {@code ways} ways, FIFO, prefetch of up to 16 pages, piggyback on. */
    private static ExCache cache(int sets, int ways, ModelBackend backend) {
        return new ExCache(new ExCacheConfig((long) sets * ways * PAGE, ways, Policy.FIFO, 3), backend);
    }

    private static void readPage(ExCache cache, int p) {
        int slot = (p * 7) % (PAGE / 8);
        assertThat(cache.getLong(ASID, page(p) + 8L * slot)).as("page %d slot %d", p, slot).isEqualTo(initial(p, slot));
    }

    @Test
    void sequentialScanSendsFarFewerMissMessagesThanPagesAndUsesEveryPrefetchedPage() {
        int pages = 512;
        ModelBackend backend = new ModelBackend();
        preload(backend, 0, pages);
        try (ExCache cache = cache(16, 4, backend)) { // 64 lines
            for (int p = 0; p < pages; p++) {
                readPage(cache, p);
            }
            ExCacheStats stats = cache.stats();
            System.out.println("sequential scan of " + pages + " pages: " + backend.missMessages() + " miss messages, " + stats);
            assertThat(backend.missMessages()).isLessThan(pages / 8);
            assertThat(stats.misses() + stats.prefetched()).isEqualTo(pages);
            assertThat(stats.prefetchHits()).as("first uses of prefetched lines").isEqualTo(stats.prefetched());
            assertThat(stats.prefetchMessages()).isEqualTo(backend.batches.get());
            assertThat(stats.prefetched()).isEqualTo(backend.prefetchedPages.get());
            assertThat(backend.overlaps.get()).isZero();
            cache.checkInvariants();
        }
        ModelBackend plain = new ModelBackend();
        preload(plain, 0, pages);
        try (ExCache cache = new ExCache(new ExCacheConfig(64L * PAGE, 4, Policy.FIFO, 3).withPrefetchPages(0), plain)) {
            for (int p = 0; p < pages; p++) {
                readPage(cache, p);
            }
            assertThat(plain.missMessages()).as("one message per page without prefetch").isEqualTo(pages);
            assertThat(cache.stats().prefetched()).isZero();
            assertThat(plain.batches.get()).isZero();
        }
    }

    /**
     * A scan through more memory than the cache holds, interleaved with a small working set used over and over: the
     * scan's pages are installed as streamed and go first, so after its first round the working set stays cached
     * (with plain FIFO every page the scan brings in pushes out the oldest line, a working-set page as often as not:
     * 401 misses of the working set here).
     */
    @Test
    void aScanLargerThanTheCacheEvictsItsOwnPagesNotTheWorkingSetBesideIt() {
        int scanPages = 1024;
        int hotFirst = 2000;
        int hotPages = 32; // two lines of each of the 16 sets; the scan keeps the other two
        ModelBackend backend = new ModelBackend();
        preload(backend, 0, scanPages);
        preload(backend, hotFirst, hotFirst + hotPages);
        try (ExCache cache = cache(16, 4, backend)) {
            int[] order = new SplittableRandom(5).ints(0, hotPages).distinct().limit(hotPages).toArray();
            for (int h : order) { // first used in a random order, as a hash table's pages (a sequential first pass
                readPage(cache, hotFirst + h); // would be taken for a stream, its pages for streamed ones)
            }
            long hotMisses = 0;
            for (int p = 0; p < scanPages; p++) {
                readPage(cache, p);
                long before = cache.stats().misses();
                readPage(cache, hotFirst + p % hotPages);
                hotMisses += cache.stats().misses() - before;
            }
            assertThat(hotMisses).as("misses of the working set during the scan").isZero();
            assertThat(cache.stats().misses()).as("the scan is still prefetched").isLessThan(hotPages + scanPages / 8);
            cache.checkInvariants();
        }
    }

    @Test
    void stridedAndDescendingScansArePrefetchedToo() {
        int pages = 600;
        ModelBackend backend = new ModelBackend();
        preload(backend, 0, pages);
        try (ExCache cache = cache(32, 2, backend)) {
            int touched = 0;
            for (int p = 1; p < pages; p += 3) {
                readPage(cache, p);
                touched++;
            }
            long up = backend.missMessages();
            assertThat(up).as("stride 3: messages for %d pages", touched).isLessThan(touched / 4);
            cache.invalidateAll(ASID, false); // clean: nothing lost; the next scan starts cold
            touched = 0;
            for (int p = pages - 1; p >= 0; p -= 2) {
                readPage(cache, p);
                touched++;
            }
            assertThat(backend.missMessages() - up).as("stride -2: messages for %d pages", touched).isLessThan(touched / 4);
            ExCacheStats stats = cache.stats();
            assertThat(stats.prefetchHits()).isEqualTo(stats.prefetched());
            cache.checkInvariants();
        }
    }

    @Test
    void randomAccessIssuesAlmostNoPrefetches() {
        long seed = Long.getLong("legoos.seed", System.nanoTime());
        System.out.println("ExCachePrefetchTest.randomAccessIssuesAlmostNoPrefetches seed=" + seed);
        SplittableRandom random = new SplittableRandom(seed);
        int pages = 2048;
        ModelBackend backend = new ModelBackend();
        preload(backend, 0, pages);
        try (ExCache cache = cache(16, 4, backend)) {
            for (int i = 0; i < 20_000; i++) {
                readPage(cache, random.nextInt(pages));
            }
            ExCacheStats stats = cache.stats();
            System.out.println("  " + stats);
            assertThat(stats.misses()).isGreaterThan(15_000);
            assertThat(stats.prefetched()).as("pages prefetched for %d random misses (seed %d)", stats.misses(), seed)
                    .isLessThan(stats.misses() / 100);
        }
    }

    @Test
    void prefetchNeverReplacesACachedPageWithAnOlderCopy() {
        ModelBackend backend = new ModelBackend();
        preload(backend, 0, 64);
        try (ExCache cache = cache(16, 4, backend)) {
            cache.putLong(ASID, page(5), -5L); // dirty, ahead of the stream
            cache.putLong(ASID, page(9), -9L);
            for (int p = 0; p < 40; p++) {
                long expected = p == 5 ? -5L : p == 9 ? -9L : initial(p, 0);
                assertThat(cache.getLong(ASID, page(p))).as("page %d", p).isEqualTo(expected);
            }
            assertThat(cache.stats().prefetched()).isPositive();
            cache.invalidateAll(ASID, true);
            assertThat(backend.longAt(ASID, page(5))).isEqualTo(-5L);
            assertThat(backend.longAt(ASID, page(9))).isEqualTo(-9L);
        }
    }

    @ParameterizedTest
    @EnumSource(Policy.class)
    void dirtyVictimsOfPrefetchedLinesAreWrittenBackBeforeTheirLinesAreReused(Policy policy) {
        ModelBackend backend = new ModelBackend();
        preload(backend, 1000, 1064);
        // 16 sets of 1 way: every prefetched page evicts the dirty page of its set.
        try (ExCache cache = new ExCache(new ExCacheConfig(16L * PAGE, 1, policy, 5), backend)) {
            for (int p = 100; p < 116; p++) {
                cache.putLong(ASID, page(p) + 16, p * 11L);
            }
            for (int p = 1000; p < 1004; p++) {
                readPage(cache, p); // the fourth miss prefetches 1004..1007, into the sets of dirty pages 108..111
            }
            assertThat(cache.stats().prefetched()).isEqualTo(4);
            assertThat(backend.prefetchVictimFlushes.get()).isEqualTo(4);
            assertThat(backend.victims()).filteredOn(v -> !v.piggybacked()).hasSize(4);
            for (int p = 108; p < 112; p++) {
                assertThat(cache.isCached(ASID, page(p))).isFalse();
                assertThat(backend.longAt(ASID, page(p) + 16)).as("page %d on the memory component", p).isEqualTo(p * 11L);
            }
            for (int p = 1004; p < 1064; p++) {
                readPage(cache, p);
            }
            for (int p = 100; p < 116; p++) {
                assertThat(cache.getLong(ASID, page(p) + 16)).as("page %d", p).isEqualTo(p * 11L);
            }
            assertThat(cache.stats().flushes()).isEqualTo(backend.writeBacks());
            assertThat(backend.overlaps.get()).isZero();
            cache.checkInvariants();
        }
    }

    @Test
    void backendFailureDuringABatchLeavesTheCacheConsistentAndReachesTheCaller() {
        ModelBackend backend = new ModelBackend();
        preload(backend, 1000, 1032);
        try (ExCache cache = cache(16, 2, backend)) {
            for (int p = 0; p < 32; p++) {
                cache.putLong(ASID, page(p) + 8, -p - 1L); // both ways of every set dirty
            }
            readPage(cache, 1000);
            readPage(cache, 1001);
            readPage(cache, 1002);
            backend.failNextBatch(new ComponentUnavailableException("memory component down"));
            assertThatThrownBy(() -> cache.getLong(ASID, page(1003))).isInstanceOf(ComponentUnavailableException.class)
                    .hasMessageContaining("down");
            cache.checkInvariants();
            for (int p = 1003; p < 1008; p++) {
                assertThat(cache.isCached(ASID, page(p))).as("page %d", p).isFalse();
            }
            assertThat(backend.prefetchVictimFlushes.get()).as("victims written back before the failure").isEqualTo(4);
            for (int p = 1000; p < 1032; p++) {
                readPage(cache, p);
            }
            for (int p = 0; p < 32; p++) {
                assertThat(cache.getLong(ASID, page(p) + 8)).as("page %d", p).isEqualTo(-p - 1L);
            }
            assertThat(cache.stats().prefetched()).isPositive();
            cache.checkInvariants();
        }
    }

    @Test
    void pagesTheMemoryComponentDidNotSendStayFree() {
        ModelBackend backend = new ModelBackend();
        preload(backend, 0, 64);
        backend.limitBatch(1);
        try (ExCache cache = cache(16, 4, backend)) {
            for (int p = 0; p < 4; p++) {
                readPage(cache, p); // the fourth asks for 4..7, gets 4
            }
            assertThat(cache.stats().prefetched()).isEqualTo(1);
            assertThat(cache.isCached(ASID, page(4))).isTrue();
            assertThat(cache.isCached(ASID, page(5))).isFalse();
            cache.checkInvariants();
            for (int p = 4; p < 64; p++) {
                readPage(cache, p);
            }
            assertThat(cache.stats().prefetchHits()).isEqualTo(cache.stats().prefetched());
            cache.checkInvariants();
        }
    }

    @Test
    void neverWrittenAndUnmappedPagesEndTheBatch() {
        ModelBackend backend = new ModelBackend();
        preload(backend, 0, 10);
        preload(backend, 11, 20);
        long unmapped = vpn(15);
        backend.mapped(v -> v != unmapped);
        try (ExCache cache = cache(32, 2, backend)) {
            for (int p = 0; p < 4; p++) {
                readPage(cache, p); // the fourth prefetches 4..7
            }
            readPage(cache, 8); // asks for 9..16: page 10 was never written
            assertThat(cache.isCached(ASID, page(9))).isTrue();
            assertThat(cache.isCached(ASID, page(10))).isFalse();
            assertThat(cache.getLong(ASID, page(10))).isZero();
            for (int p = 11; p < 15; p++) {
                readPage(cache, p);
            }
            assertThat(cache.isCached(ASID, page(15))).isFalse();
            assertThatThrownBy(() -> cache.getLong(ASID, page(15))).isInstanceOf(org.legoos.api.SegmentationFault.class);
            cache.checkInvariants();
        }
    }

    @Test
    void aBackendWithoutPrefetchSupportStillWorks() {
        ModelBackend model = new ModelBackend();
        preload(model, 0, 64);
        LineBackend plain = new LineBackend() {
            @Override
            public Fill fill(int asid, long vpn, MemorySegment dst, int victimAsid, long victimVpn, MemorySegment victimData) {
                return model.fill(asid, vpn, dst, victimAsid, victimVpn, victimData);
            }

            @Override
            public void flush(int asid, long vpn, MemorySegment src) {
                model.flush(asid, vpn, src);
            }
        };
        try (ExCache cache = new ExCache(new ExCacheConfig(64L * PAGE, 4, Policy.FIFO, 3), plain)) {
            for (int p = 0; p < 64; p++) {
                readPage(cache, p);
            }
            assertThat(cache.stats().prefetched()).isZero();
            assertThat(model.missMessages()).isEqualTo(64);
        }
    }

    @Test
    void theDefaultBatchFillFallsBackToOneFillPerPage() {
        ModelBackend model = new ModelBackend();
        preload(model, 0, 64);
        LineBackend onlyPrefetchable = new LineBackend() {
            @Override
            public Fill fill(int asid, long vpn, MemorySegment dst, int victimAsid, long victimVpn, MemorySegment victimData) {
                return model.fill(asid, vpn, dst, victimAsid, victimVpn, victimData);
            }

            @Override
            public void flush(int asid, long vpn, MemorySegment src) {
                model.flush(asid, vpn, src);
            }

            @Override
            public int prefetchable(int asid, long vpn, long strideVpns, int max) {
                return model.prefetchable(asid, vpn, strideVpns, max);
            }
        };
        try (ExCache cache = new ExCache(new ExCacheConfig(16L * PAGE, 1, Policy.FIFO, 3), onlyPrefetchable)) {
            for (int p = 200; p < 216; p++) {
                cache.putLong(ASID, page(p), p); // dirty victims for the prefetched lines
            }
            cache.resetStats();
            for (int p = 0; p < 64; p++) {
                readPage(cache, p);
            }
            ExCacheStats stats = cache.stats();
            assertThat(stats.prefetched()).isPositive();
            assertThat(stats.misses() + stats.prefetched()).isEqualTo(64);
            assertThat(model.fills.get()).isEqualTo(64 + 16); // one per page, plus the 16 zero-filled stores
            for (int p = 200; p < 216; p++) {
                assertThat(cache.getLong(ASID, page(p))).isEqualTo(p);
            }
            cache.checkInvariants();
        }
    }

    @Test
    void withPiggybackOffADirtyVictimGetsAFlushOfItsOwnBeforeTheMiss() {
        ModelBackend backend = new ModelBackend(); // one component: piggyback would be possible
        try (ExCache cache = new ExCache(new ExCacheConfig(PAGE, 1, Policy.FIFO, 0).withPiggyback(false), backend)) {
            cache.putLong(ASID, page(1), 11);
            cache.invalidateRange(ASID, page(1), PAGE, true);
            cache.putLong(ASID, page(0), 0x1122334455667788L);
            cache.resetStats();
            long flushCalls = backend.flushCalls.get();

            assertThat(cache.getLong(ASID, page(1))).isEqualTo(11); // evicts dirty page 0

            assertThat(backend.flushCalls.get()).isEqualTo(flushCalls + 1);
            assertThat(backend.victims()).isEmpty(); // nothing rode on the miss
            ExCacheStats stats = cache.stats();
            assertThat(stats.piggybacks()).isZero();
            assertThat(stats.flushes()).isEqualTo(1);
            assertThat(stats.evictions()).isEqualTo(1);
            assertThat(backend.longAt(ASID, page(0))).isEqualTo(0x1122334455667788L);
            assertThat(cache.getLong(ASID, page(0))).isEqualTo(0x1122334455667788L);
        }
    }

    @Test
    void withPiggybackOffAFailedVictimFlushKeepsTheVictimCachedAndDirty() {
        ModelBackend backend = new ModelBackend();
        try (ExCache cache = new ExCache(new ExCacheConfig(PAGE, 1, Policy.FIFO, 0).withPiggyback(false), backend)) {
            cache.putLong(ASID, page(0), 42);
            backend.failNextFlush(new ComponentUnavailableException("memory component down"));
            assertThatThrownBy(() -> cache.getLong(ASID, page(1))).isInstanceOf(ComponentUnavailableException.class);
            cache.checkInvariants();
            assertThat(cache.isCached(ASID, page(0))).isTrue();
            assertThat(cache.isDirty(ASID, page(0))).isTrue();
            assertThat(cache.isCached(ASID, page(1))).isFalse();
            assertThat(cache.stats().evictions()).isZero();
            assertThat(cache.getLong(ASID, page(1))).isZero(); // works once the component is back
            assertThat(backend.longAt(ASID, page(0))).isEqualTo(42);
            assertThat(cache.getLong(ASID, page(0))).isEqualTo(42);
        }
    }

    @Test
    void configSwitchesDefaultOnAndAreChecked() {
        ExCacheConfig c = new ExCacheConfig(64L * PAGE, 4, Policy.CLOCK, 9);
        assertThat(c.prefetchPages()).isEqualTo(ExCacheConfig.DEFAULT_PREFETCH_PAGES).isEqualTo(16);
        assertThat(c.piggyback()).isTrue();
        assertThat(ExCacheConfig.of(1L << 20).prefetchPages()).isEqualTo(16);
        ExCacheConfig off = c.withPrefetchPages(0).withPiggyback(false);
        assertThat(off.prefetchPages()).isZero();
        assertThat(off.piggyback()).isFalse();
        assertThat(off.withPolicy(Policy.FIFO)).isEqualTo(new ExCacheConfig(64L * PAGE, 4, Policy.FIFO, 9, 0, false));
        assertThatThrownBy(() -> c.withPrefetchPages(-1)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("prefetchPages").hasMessageContaining("-1");
        assertThatThrownBy(() -> c.withPrefetchPages(ExCacheConfig.MAX_PREFETCH_PAGES + 1))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("1024");
        assertThat(new ExCacheStats(1, 2, 3, 4, 5, 6, 7).prefetched()).isZero();
        assertThat(new ExCacheStats(0, 0, 0, 0, 0, 0, 3, 4, 1).prefetchAccuracy()).isEqualTo(0.75);
    }
}
