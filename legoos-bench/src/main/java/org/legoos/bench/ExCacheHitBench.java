package org.legoos.bench;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;

import org.legoos.processor.excache.ExCache;
import org.legoos.processor.excache.ExCacheConfig;
import org.legoos.processor.excache.LineBackend;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The ExCache hit path against the same 8-byte loads on a plain off-heap {@link MemorySegment}: a 1 MiB working
 * set (256 pages) in a 4 MiB, 64-way ExCache, filled and warmed in setup so every access is a hit. Each
 * invocation loads the whole working set, sequentially or in a precomputed random order, and reports time per
 * load. The JIT vectorises the plain sequential loop (about one cycle per load); the ExCache loop cannot be,
 * since every load validates its set's stamp. The store pair shows what a hit store costs (two atomic
 * instructions, see {@link ExCache}).
 *
 * <p>{@code scrapeMicros} &gt; 0 reads the cache's counters ({@link ExCache#stats()}, what a metrics scrape does) from
 * another thread every that many microseconds while the loads run: the hits are counted in cells the loading thread
 * writes, so a scrape could cost the hit path coherence misses. 1000 is 15000 times Prometheus's default scrape rate.
 *
 * <p>Run: {@code java -jar legoos-bench/target/benchmarks.jar ExCacheHitBench -f 1 -wi 2 -i 3 -w 1s -r 1s}.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Fork(value = 1, jvmArgsAppend = {"--enable-native-access=ALL-UNNAMED", "-Xmx1g"})
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
public class ExCacheHitBench {
    private static final int ASID = 1;
    private static final long BASE = 0x10_0000_0000L;
    private static final int WORKING_SET = 1 << 20;
    private static final int LOADS = WORKING_SET / Long.BYTES;
    private static final long CACHE_BYTES = 4L << 20;
    private static final ValueLayout.OfLong LONG_LE = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    @Param({"FIFO"})
    public String policy;

    /** Microseconds between two reads of the counters by a scraping thread; 0: none (metrics off). */
    @Param({"0"})
    public long scrapeMicros;

    private Thread scraper;
    private volatile boolean scraping;

    private ExCache cache;
    private Arena arena;
    private MemorySegment plain;
    private int[] randomOffsets;

    /** Memory components that have never seen a page: every miss is a local zero-fill. */
    private static final class ZeroFillBackend implements LineBackend {
        @Override
        public Fill fill(int asid, long vpn, MemorySegment dst, int victimAsid, long victimVpn, MemorySegment victimData) {
            dst.fill((byte) 0);
            return Fill.ZERO_FILLED;
        }

        @Override
        public void flush(int asid, long vpn, MemorySegment src) {
        }
    }

    @Setup(Level.Trial)
    public void setUp() {
        cache = new ExCache(new ExCacheConfig(CACHE_BYTES, ExCacheConfig.DEFAULT_WAYS,
                ExCacheConfig.Policy.parse(policy), 1), new ZeroFillBackend());
        arena = Arena.ofShared();
        plain = arena.allocate(WORKING_SET, 4096);
        for (int i = 0; i < LOADS; i++) {
            long value = i * 0x9E3779B97F4A7C15L;
            cache.putLong(ASID, BASE + 8L * i, value);
            plain.set(LONG_LE, 8L * i, value);
        }
        randomOffsets = new int[LOADS];
        SplittableRandom random = new SplittableRandom(42);
        for (int i = 0; i < LOADS; i++) {
            randomOffsets[i] = 8 * random.nextInt(LOADS);
        }
        if (cache.stats().misses() != WORKING_SET / 4096 || cache.stats().evictions() != 0) {
            throw new IllegalStateException("working set does not fit: " + cache.stats());
        }
        if (scrapeMicros > 0) {
            scraping = true;
            scraper = Thread.ofPlatform().daemon().name("scraper").start(() -> {
                long sink = 0;
                while (scraping) {
                    sink += cache.stats().hits();
                    java.util.concurrent.locks.LockSupport.parkNanos(scrapeMicros * 1000);
                }
                if (sink == 42) {
                    System.out.print("");
                }
            });
        }
    }

    @TearDown(Level.Trial)
    public void tearDown() throws InterruptedException {
        scraping = false;
        if (scraper != null) {
            scraper.join();
        }
        if (cache.stats().misses() != WORKING_SET / 4096) {
            throw new IllegalStateException("benchmark missed: " + cache.stats());
        }
        cache.close();
        arena.close();
    }

    @Benchmark
    @OperationsPerInvocation(LOADS)
    public long excacheSequentialLoad() {
        long sum = 0;
        for (long va = BASE; va < BASE + WORKING_SET; va += 8) {
            sum += cache.getLong(ASID, va);
        }
        return sum;
    }

    @Benchmark
    @OperationsPerInvocation(LOADS)
    public long segmentSequentialLoad() {
        long sum = 0;
        for (long offset = 0; offset < WORKING_SET; offset += 8) {
            sum += plain.get(LONG_LE, offset);
        }
        return sum;
    }

    @Benchmark
    @OperationsPerInvocation(LOADS)
    public long excacheRandomLoad() {
        long sum = 0;
        int[] offsets = randomOffsets;
        for (int i = 0; i < offsets.length; i++) {
            sum += cache.getLong(ASID, BASE + offsets[i]);
        }
        return sum;
    }

    @Benchmark
    @OperationsPerInvocation(LOADS)
    public long segmentRandomLoad() {
        long sum = 0;
        int[] offsets = randomOffsets;
        for (int i = 0; i < offsets.length; i++) {
            sum += plain.get(LONG_LE, offsets[i]);
        }
        return sum;
    }

    @Benchmark
    @OperationsPerInvocation(LOADS)
    public void excacheSequentialStore() {
        for (long va = BASE; va < BASE + WORKING_SET; va += 8) {
            cache.putLong(ASID, va, va);
        }
    }

    @Benchmark
    @OperationsPerInvocation(LOADS)
    public void segmentSequentialStore() {
        for (long offset = 0; offset < WORKING_SET; offset += 8) {
            plain.set(LONG_LE, offset, offset);
        }
    }
}
