package org.legoos.processor.excache;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

import java.util.stream.Stream;

import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.legoos.processor.excache.ExCacheConfig.Policy;

/**
 * Reference-model tests under concurrency: an ExCache of 16 lines in front of 1 MiB of data, several threads
 * loading and storing at once so that hits, misses, evictions, flushes and invalidations race. Every load is
 * checked against the model while the run goes on, and the whole memory at the end, both through the cache
 * and on the (simulated) memory components after write-back. Each scenario runs with prefetch on and off, and
 * once with piggyback off; the hot windows are small, so streams (and prefetches) happen by chance as well.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class ExCacheConcurrencyTest {
    private static final int ASID = 9;
    private static final int PAGE = 4096;
    private static final int THREADS = 4;
    private static final int DATA_BYTES = 1 << 20;
    private static final long BASE = 0x4000_0000L;
    private static final int OPS_PER_THREAD = 15_000;
    private static final int SOAK_OPS_PER_THREAD = 120_000;

    /** How a scenario runs: eviction policy, prefetch on or off, piggyback on or off. */
    record Setup(Policy policy, boolean prefetch, boolean piggyback) {
        ExCacheConfig config(long seed) {
            // 16 lines: 4 sets of 4 ways, for 256 pages of data.
            return new ExCacheConfig(16L * PAGE, 4, policy, seed).withPrefetchPages(prefetch ? 16 : 0).withPiggyback(piggyback);
        }
    }

    /** Every policy with prefetch on and off (piggyback on), and FIFO and CLOCK with prefetch on, piggyback off. */
    static Stream<Arguments> setups() {
        List<Arguments> all = new ArrayList<>();
        for (Policy policy : Policy.values()) {
            all.add(Arguments.of(new Setup(policy, true, true)));
            all.add(Arguments.of(new Setup(policy, false, true)));
        }
        all.add(Arguments.of(new Setup(Policy.FIFO, true, false)));
        all.add(Arguments.of(new Setup(Policy.CLOCK, true, false)));
        return all.stream();
    }

    /** Each thread owns a contiguous quarter of the data; values are deterministic per thread. */
    @ParameterizedTest
    @MethodSource("setups")
    void threadsOnDisjointRangesMatchTheModel(Setup setup) throws Exception {
        disjointRanges(setup, OPS_PER_THREAD, ThreadLocalRandom.current().nextLong());
    }

    /**
     * All threads work on the same pages, each storing only into its own 8-byte slots of every line, so stores
     * of different threads race on the same lines while those lines are evicted and refilled.
     */
    @ParameterizedTest
    @MethodSource("setups")
    void threadsSharingLinesNeverLoseEachOthersStores(Setup setup) throws Exception {
        sharedLines(setup, OPS_PER_THREAD, ThreadLocalRandom.current().nextLong());
    }

    /** Every policy with prefetch and piggyback on. */
    static Stream<Arguments> soakSetups() {
        return Stream.of(Policy.values()).map(policy -> Arguments.of(new Setup(policy, true, true)));
    }

    /** Both scenarios, eight times longer, for every policy. */
    @Tag("slow")
    @Timeout(value = 10, unit = TimeUnit.MINUTES)
    @ParameterizedTest
    @MethodSource("soakSetups")
    void soakBothScenarios(Setup setup) throws Exception {
        disjointRanges(setup, SOAK_OPS_PER_THREAD, ThreadLocalRandom.current().nextLong());
        sharedLines(setup, SOAK_OPS_PER_THREAD, ThreadLocalRandom.current().nextLong());
    }

    private static void disjointRanges(Setup setup, int ops, long seed) throws Exception {
        System.out.println("disjointRanges " + setup + " ops=" + ops + " seed=" + seed);
        ModelBackend backend = new ModelBackend(8, 3);
        int share = DATA_BYTES / THREADS;
        byte[][] models = new byte[THREADS][share];
        try (ExCache cache = new ExCache(setup.config(seed), backend)) {
            runThreads(t -> {
                SplittableRandom random = new SplittableRandom(seed + t);
                long base = BASE + (long) t * share;
                byte[] model = models[t];
                byte[] buffer = new byte[3 * PAGE];
                for (int op = 0; op < ops; op++) {
                    // Mostly a hot window of 8 pages that moves, so hits and misses both happen.
                    int window = (op / 2000) * 8 % (share / PAGE - 8);
                    int offset = random.nextInt(4) == 0 ? random.nextInt(share - 16)
                            : window * PAGE + random.nextInt(8 * PAGE - 16);
                    long va = base + offset;
                    switch (random.nextInt(12)) {
                        case 0, 1 -> {
                            long v = random.nextLong();
                            cache.putLong(ASID, va, v);
                            putLong(model, offset, v);
                        }
                        case 2, 3, 4 -> check(cache.getLong(ASID, va), getLong(model, offset), "getLong", t, va);
                        case 5 -> {
                            int v = random.nextInt();
                            cache.putInt(ASID, va, v);
                            putLong(model, offset, v, 4);
                        }
                        case 6 -> check(cache.getInt(ASID, va), (int) getLong(model, offset, 4), "getInt", t, va);
                        case 7 -> {
                            byte v = (byte) random.nextInt();
                            cache.putByte(ASID, va, v);
                            model[offset] = v;
                        }
                        case 8 -> check(cache.getByte(ASID, va), model[offset], "getByte", t, va);
                        case 9 -> {
                            int len = Math.min(random.nextInt(buffer.length) + 1, share - offset);
                            random.nextBytes(buffer);
                            cache.write(ASID, va, buffer, 0, len);
                            System.arraycopy(buffer, 0, model, offset, len);
                        }
                        case 10 -> {
                            int len = Math.min(random.nextInt(buffer.length) + 1, share - offset);
                            cache.read(ASID, va, buffer, 0, len);
                            for (int i = 0; i < len; i++) {
                                check(buffer[i], model[offset + i], "read", t, va + i);
                            }
                        }
                        default -> {
                            int len = random.nextInt(4 * PAGE);
                            long from = base + Math.max(0, offset - len / 2);
                            long clipped = Math.min(len, base + share - from);
                            if (random.nextBoolean()) {
                                cache.flushRange(ASID, from, clipped);
                            } else {
                                cache.invalidateRange(ASID, from, clipped, true);
                            }
                        }
                    }
                }
            });
            cache.checkInvariants();
            byte[] everything = new byte[share];
            for (int t = 0; t < THREADS; t++) {
                cache.read(ASID, BASE + (long) t * share, everything, 0, share);
                assertThat(everything).as("thread %d's range through the cache (seed %d)", t, seed).isEqualTo(models[t]);
            }
            assertCountersAgree(cache, backend, setup);
            cache.invalidateAll(ASID, true);
            for (int t = 0; t < THREADS; t++) {
                assertThat(backend.bytes(ASID, BASE + (long) t * share, share))
                        .as("thread %d's range on the memory components (seed %d)", t, seed).isEqualTo(models[t]);
            }
            assertThat(cache.stats().flushes()).isEqualTo(backend.writeBacks());
            cache.checkInvariants();
        }
    }

    private static void sharedLines(Setup setup, int ops, long seed) throws Exception {
        System.out.println("sharedLines " + setup + " ops=" + ops + " seed=" + seed);
        ModelBackend backend = new ModelBackend(16, 2);
        int slots = DATA_BYTES / 8;
        long[] model = new long[slots]; // slot i is written only by thread i % THREADS
        try (ExCache cache = new ExCache(setup.config(seed), backend)) {
            runThreads(t -> {
                SplittableRandom random = new SplittableRandom(seed ^ (t * 0x9E3779B97F4A7C15L));
                for (int op = 0; op < ops; op++) {
                    // A hot window of 24 pages shared by everyone (more than the 16 lines).
                    int window = (op / 4000) * 24 % (DATA_BYTES / PAGE - 24);
                    int slotInWindow = random.nextInt(24 * PAGE / 8 / THREADS) * THREADS + t;
                    int slot = window * (PAGE / 8) + slotInWindow;
                    long va = BASE + 8L * slot;
                    int kind = random.nextInt(10);
                    if (kind < 4) {
                        long v = random.nextLong();
                        cache.putLong(ASID, va, v);
                        model[slot] = v;
                    } else if (kind < 8) {
                        check(cache.getLong(ASID, va), model[slot], "getLong", t, va);
                    } else if (kind == 8) {
                        int v = random.nextInt();
                        cache.putInt(ASID, va + 4, v); // upper half of the own slot
                        model[slot] = (model[slot] & 0xFFFF_FFFFL) | ((long) v << 32);
                    } else {
                        cache.flushRange(ASID, va & ~(PAGE - 1L), PAGE);
                    }
                }
            });
            cache.checkInvariants();
            for (int slot = 0; slot < slots; slot++) {
                long va = BASE + 8L * slot;
                assertThat(cache.getLong(ASID, va)).as("slot %d (seed %d)", slot, seed).isEqualTo(model[slot]);
            }
            cache.invalidateAll(ASID, true);
            MemorySegment memory = MemorySegment.ofArray(backend.bytes(ASID, BASE, DATA_BYTES));
            for (int slot = 0; slot < slots; slot++) {
                assertThat(memory.getAtIndex(ModelBackend.LONG_LE, slot))
                        .as("slot %d on the memory components (seed %d)", slot, seed).isEqualTo(model[slot]);
            }
            assertCountersAgree(cache, backend, setup);
        }
    }

    private interface Worker {
        void run(int thread) throws Exception;
    }

    private static void runThreads(Worker worker) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(THREADS);
        try {
            CyclicBarrier start = new CyclicBarrier(THREADS);
            List<Future<?>> futures = new ArrayList<>();
            for (int t = 0; t < THREADS; t++) {
                int thread = t;
                futures.add(pool.submit(() -> {
                    start.await();
                    worker.run(thread);
                    return null;
                }));
            }
            for (Future<?> f : futures) {
                f.get(50, TimeUnit.SECONDS);
            }
        } finally {
            pool.shutdownNow();
        }
    }

    static void assertCountersAgree(ExCache cache, ModelBackend backend, Setup setup) {
        ExCacheStats stats = cache.stats();
        System.out.println("  " + stats);
        assertThat(backend.overlaps.get()).as("overlapping backend calls for one page").isZero();
        assertThat(stats.misses()).isEqualTo(backend.fills.get());
        assertThat(stats.zeroFills()).isEqualTo(backend.zeroFills.get());
        assertThat(stats.piggybacks()).isEqualTo(backend.piggybacks.get());
        assertThat(stats.flushes()).isEqualTo(backend.writeBacks());
        assertThat(stats.prefetched()).isEqualTo(backend.prefetchedPages.get());
        assertThat(stats.prefetchMessages()).isLessThanOrEqualTo(backend.batches.get());
        assertThat(stats.prefetchHits()).isLessThanOrEqualTo(stats.prefetched());
        assertThat(stats.evictions()).isPositive();
        assertThat(stats.hits()).isPositive();
        if (!setup.prefetch()) {
            assertThat(backend.batches.get()).isZero();
            assertThat(stats.prefetched()).isZero();
            assertThat(stats.prefetchHits()).isZero();
        }
        if (!setup.piggyback()) {
            assertThat(stats.piggybacks()).isZero();
            assertThat(backend.piggybacks.get()).isZero();
            assertThat(backend.victimFlushes.get()).as("victims handed to fill").isZero();
        }
    }

    private static void check(long actual, long expected, String op, int thread, long va) {
        if (actual != expected) {
            throw new AssertionError(op + " by thread " + thread + " at 0x" + Long.toHexString(va) + " returned 0x"
                    + Long.toHexString(actual) + ", the model has 0x" + Long.toHexString(expected));
        }
    }

    private static long getLong(byte[] model, int offset) {
        return getLong(model, offset, 8);
    }

    private static long getLong(byte[] model, int offset, int size) {
        long v = 0;
        for (int i = 0; i < size; i++) {
            v |= (model[offset + i] & 0xFFL) << (8 * i);
        }
        return v;
    }

    private static void putLong(byte[] model, int offset, long v) {
        putLong(model, offset, v, 8);
    }

    private static void putLong(byte[] model, int offset, long v, int size) {
        for (int i = 0; i < size; i++) {
            model[offset + i] = (byte) (v >>> (8 * i));
        }
    }
}
