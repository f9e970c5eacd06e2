package org.legoos.processor.excache;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.legoos.processor.excache.ExCacheConfig.Policy;

/**
 * Prefetch under concurrency, against a reference model: over a region four times the size of the cache (all of
 * it written back before, so streams are prefetched), one thread streams forward page by page, one streams with
 * strides of +3 and -2 pages, and two load and store at random pages (and flush or invalidate some). Every
 * thread owns every fourth 8-byte slot of each page, checks each load of its slots against its model as it goes
 * (a stale prefetched copy, or a dirty victim of a prefetch not written back before another thread missed on
 * it, would show as an old value) and stores new values into them (so lines are dirty and prefetches evict dirty
 * victims). At the end every slot is checked through the cache and on the memory components.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class ExCachePrefetchConcurrencyTest {
    private static final int ASID = 12;
    private static final int PAGE = 4096;
    private static final int SLOTS_PER_PAGE = PAGE / 8;
    private static final int THREADS = 4;
    private static final int PAGES = 256;
    private static final long BASE = 0x3000_0000L;

    record Setup(Policy policy, boolean piggyback, int components) {
    }

    static Stream<Arguments> setups() {
        List<Arguments> all = new ArrayList<>();
        for (Policy policy : Policy.values()) {
            all.add(Arguments.of(new Setup(policy, true, 1)));
        }
        all.add(Arguments.of(new Setup(Policy.FIFO, false, 1)));
        all.add(Arguments.of(new Setup(Policy.CLOCK, true, 3))); // batches end at component borders
        return all.stream();
    }

    @ParameterizedTest
    @MethodSource("setups")
    void streamsAndRandomStoresNeverLoseAStoreNorReadAStaleValue(Setup setup) throws Exception {
        run(setup, 6, 15_000, Long.getLong("legoos.seed", System.nanoTime()));
    }

    /** Four times longer, FIFO on one memory component and CLOCK on three. */
    @Tag("slow")
    @Timeout(value = 10, unit = TimeUnit.MINUTES)
    @ParameterizedTest
    @MethodSource("soakSetups")
    void soak(Setup setup) throws Exception {
        run(setup, 24, 60_000, Long.getLong("legoos.seed", System.nanoTime()));
    }

    static Stream<Arguments> soakSetups() {
        return Stream.of(Arguments.of(new Setup(Policy.FIFO, true, 1)), Arguments.of(new Setup(Policy.CLOCK, true, 3)));
    }

    private static long initial(int slot) {
        return 0x5EED_0000_0000L + slot;
    }

    private static void run(Setup setup, int passes, int randomOps, long seed) throws Exception {
        System.out.println("ExCachePrefetchConcurrencyTest " + setup + " passes=" + passes + " randomOps=" + randomOps
                + " seed=" + seed + " (rerun with -Dlegoos.seed=" + seed + ")");
        ModelBackend backend = new ModelBackend(32, setup.components());
        long[] model = new long[PAGES * SLOTS_PER_PAGE]; // slot s is loaded and stored only by thread s % THREADS
        for (int p = 0; p < PAGES; p++) {
            MemorySegment data = MemorySegment.ofArray(new byte[PAGE]);
            for (int i = 0; i < SLOTS_PER_PAGE; i++) {
                int slot = p * SLOTS_PER_PAGE + i;
                model[slot] = initial(slot);
                data.setAtIndex(ModelBackend.LONG_LE, i, model[slot]);
            }
            backend.put(ASID, (BASE >>> 12) + p, data.toArray(ValueLayout.JAVA_BYTE));
        }
        // 64 lines, 16 sets of 4 ways: batches of up to 15 pages.
        ExCacheConfig config = new ExCacheConfig(64L * PAGE, 4, setup.policy(), seed).withPiggyback(setup.piggyback());
        try (ExCache cache = new ExCache(config, backend)) {
            runThreads(t -> {
                SplittableRandom random = new SplittableRandom(seed + 31L * t);
                Checker c = new Checker(cache, model, t, random);
                switch (t) {
                    case 0 -> {
                        for (int pass = 0; pass < passes; pass++) {
                            for (int p = 0; p < PAGES; p++) {
                                c.visit(p);
                            }
                        }
                    }
                    case 1 -> {
                        for (int pass = 0; pass < passes; pass++) {
                            for (int p = pass % 3; p < PAGES; p += 3) {
                                c.visit(p);
                            }
                            for (int p = PAGES - 1 - pass % 2; p >= 0; p -= 2) {
                                c.visit(p);
                            }
                        }
                    }
                    default -> {
                        for (int op = 0; op < randomOps; op++) {
                            int p = random.nextInt(PAGES);
                            int roll = random.nextInt(100);
                            if (roll == 0) {
                                cache.flushRange(ASID, BASE + (long) p * PAGE, PAGE);
                            } else if (roll == 1) {
                                cache.invalidateRange(ASID, BASE + (long) p * PAGE, 2L * PAGE * (1 + random.nextInt(3)),
                                        true);
                            } else {
                                c.visit(p);
                            }
                        }
                    }
                }
            });
            cache.checkInvariants();
            for (int slot = 0; slot < model.length; slot++) {
                long va = BASE + 8L * slot;
                long got = cache.getLong(ASID, va);
                if (got != model[slot]) {
                    throw new AssertionError("slot " + slot + " through the cache is 0x" + Long.toHexString(got)
                            + ", the model has 0x" + Long.toHexString(model[slot]) + " (seed " + seed + ")");
                }
            }
            ExCacheStats stats = cache.stats();
            System.out.println("  " + stats);
            assertThat(backend.overlaps.get()).as("overlapping backend calls for one page").isZero();
            assertThat(stats.misses()).isEqualTo(backend.fills.get());
            assertThat(stats.piggybacks()).isEqualTo(backend.piggybacks.get());
            assertThat(stats.flushes()).isEqualTo(backend.writeBacks());
            assertThat(stats.prefetched()).isEqualTo(backend.prefetchedPages.get()).isPositive();
            assertThat(backend.prefetchVictimFlushes.get()).as("dirty victims of prefetched lines").isPositive();
            if (!setup.piggyback()) {
                assertThat(stats.piggybacks()).isZero();
            }
            cache.invalidateAll(ASID, true);
            MemorySegment memory = MemorySegment.ofArray(backend.bytes(ASID, BASE, PAGES * PAGE));
            for (int slot = 0; slot < model.length; slot++) {
                long got = memory.getAtIndex(ModelBackend.LONG_LE, slot);
                if (got != model[slot]) {
                    throw new AssertionError("slot " + slot + " on the memory components is 0x" + Long.toHexString(got)
                            + ", the model has 0x" + Long.toHexString(model[slot]) + " (seed " + seed + ")");
                }
            }
            cache.checkInvariants();
        }
    }

    /** One thread's loads and stores of its own slots. */
    private static final class Checker {
        private final ExCache cache;
        private final long[] model;
        private final int thread;
        private final SplittableRandom random;
        private final byte[] buffer = new byte[PAGE];

        Checker(ExCache cache, long[] model, int thread, SplittableRandom random) {
            this.cache = cache;
            this.model = model;
            this.thread = thread;
            this.random = random;
        }

        /** Checks two of the thread's slots of page {@code p} (or all, with a bulk read) and stores into one. */
        void visit(int p) {
            if (random.nextInt(8) == 0) {
                cache.read(ASID, BASE + (long) p * PAGE, buffer, 0, PAGE);
                MemorySegment page = MemorySegment.ofArray(buffer);
                for (int i = thread; i < SLOTS_PER_PAGE; i += THREADS) {
                    check(page.getAtIndex(ModelBackend.LONG_LE, i), p * SLOTS_PER_PAGE + i, "read");
                }
            } else {
                for (int k = 0; k < 2; k++) {
                    int slot = ownSlot(p);
                    check(cache.getLong(ASID, BASE + 8L * slot), slot, "getLong");
                }
            }
            int slot = ownSlot(p);
            long v = random.nextLong();
            if (random.nextBoolean()) {
                cache.putLong(ASID, BASE + 8L * slot, v);
            } else {
                byte[] bytes = new byte[8];
                MemorySegment.ofArray(bytes).set(ModelBackend.LONG_LE, 0, v);
                cache.write(ASID, BASE + 8L * slot, bytes, 0, 8);
            }
            model[slot] = v;
        }

        private int ownSlot(int p) {
            return p * SLOTS_PER_PAGE + random.nextInt(SLOTS_PER_PAGE / THREADS) * THREADS + thread;
        }

        private void check(long got, int slot, String op) {
            if (got != model[slot]) {
                throw new AssertionError(op + " by thread " + thread + " of slot " + slot + " (page " + slot / SLOTS_PER_PAGE
                        + ") returned 0x" + Long.toHexString(got) + ", the model has 0x" + Long.toHexString(model[slot]));
            }
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
}
