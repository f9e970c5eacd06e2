package org.legoos.eval.micro;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.OptionalDouble;
import org.legoos.processor.excache.ExCacheStats;

/**
 * The paper's memory-throughput table on LegoOS/J: 4 KiB sequential loads on a cold ExCache ({@link SeqLoadProgram})
 * by 1, 2, 4... threads of one process, against one memory component with 1 and with 4 worker threads, in K IOPS
 * (thousand loads, i.e. ExCache misses, per second).
 *
 * <p>For each worker count (and prefetch setting) it starts a cluster of one processor, one memory and one storage
 * component over the chosen {@link Transport}, with a small ExCache ({@link #DEFAULT_EXCACHE_BYTES}); for each
 * thread count it runs one {@code seqload} process over a region at least 4x the ExCache (a fresh address space
 * each time) and reads the ExCache counters around it. Only the load phase is timed, by the program itself.
 *
 * <p>What to expect: LegoOS/J serves ExCache misses on the memory component's delivery thread whatever its worker
 * count (the workers serve VM calls and the buffer cache; see {@link org.legoos.memory.MemoryConfig}), so the
 * worker dimension is kept for the paper's table but is not expected to change the miss rate. Over the in-JVM
 * transport a miss runs entirely on the loading thread; over TCP the processor reads replies on its loading
 * threads but the memory component reads requests on one connection thread.
 *
 * <p>Not thread-safe: one {@code run} at a time per instance. Every cluster is closed before {@code run} returns or
 * throws; every program run is bounded by the run timeout (the process is killed after it).
 */
public final class MemoryThroughput {
    /** The ExCache the paper-style run uses: small, so the region is many times larger. */
    public static final long DEFAULT_EXCACHE_BYTES = 16L << 20;
    /** The region the paper-style run loads: 16x the ExCache, 65536 pages. */
    public static final long DEFAULT_REGION_BYTES = 256L << 20;
    /** Quick mode: ExCache of 4 MiB ... */
    public static final long QUICK_EXCACHE_BYTES = 4L << 20;
    /** ... and a 16 MiB region (4096 pages). */
    public static final long QUICK_REGION_BYTES = 16L << 20;
    /** Application threads of the table. */
    public static final int[] DEFAULT_THREADS = {1, 2, 4};
    /** Memory-component worker threads of the table. */
    public static final int[] DEFAULT_WORKERS = {1, 4};
    /** The region must be at least this many times the ExCache. */
    public static final int MIN_REGION_TO_CACHE = 4;
    /** How long one {@code seqload} run may take by default. */
    public static final Duration DEFAULT_RUN_TIMEOUT = Duration.ofMinutes(10);
    private static final long SLACK_BYTES = 64L << 20;

    /**
     * One cell of the table.
     *
     * @param transport how the components talked
     * @param memoryWorkers the memory component's worker threads
     * @param threads loading threads of the process
     * @param prefetch whether the ExCache prefetched
     * @param kiops thousand 4 KiB loads per second in the timed phase
     * @param pages loads (pages) in the timed phase
     * @param seconds length of the timed phase
     * @param fetches ExCache misses fetched from the memory component during the whole process (misses minus
     *     local zero-fills): equal to {@code pages} when every timed load missed and nothing was prefetched, the
     *     evidence that the cache was cold
     * @param paperKiops the paper's LegoOS figure for this worker and thread count, if it has one (see
     *     {@link PaperFigures})
     */
    public record Row(Transport transport, int memoryWorkers, int threads, boolean prefetch, double kiops, long pages,
                      double seconds, long fetches, OptionalDouble paperKiops) {
        /** A one-line rendering for logs, e.g. {@code in-JVM workers=4 threads=2 prefetch=off 512.3 KIOPS (paper 426)}. */
        @Override
        public String toString() {
            return String.format(Locale.ROOT, "%s workers=%d threads=%d prefetch=%s %.1f KIOPS pages=%d seconds=%.3f fetches=%d%s",
                    transport.label(), memoryWorkers, threads, prefetch ? "on" : "off", kiops, pages, seconds, fetches,
                    paperKiops.isPresent() ? String.format(Locale.ROOT, " (paper %.0f)", paperKiops.getAsDouble()) : "");
        }
    }

    private final long excacheBytes;
    private final Duration runTimeout;

    /** The paper-style setup: {@link #DEFAULT_EXCACHE_BYTES}, {@link #DEFAULT_RUN_TIMEOUT}. */
    public MemoryThroughput() {
        this(DEFAULT_EXCACHE_BYTES, DEFAULT_RUN_TIMEOUT);
    }

    /**
     * @param excacheBytes the processor's ExCache (64 ways: a power of two times 256 KiB)
     * @param runTimeout the longest one program run may take
     * @throws IllegalArgumentException for an invalid ExCache geometry or a non-positive timeout
     */
    public MemoryThroughput(long excacheBytes, Duration runTimeout) {
        new BenchCluster.Setup(excacheBytes, 1, 1, 4096, 0); // checks the geometry
        if (runTimeout.isNegative() || runTimeout.isZero()) {
            throw new IllegalArgumentException("runTimeout must be positive, got " + runTimeout);
        }
        this.excacheBytes = excacheBytes;
        this.runTimeout = runTimeout;
    }

    /** True when this build's ExCache can prefetch, i.e. {@code prefetch = {false, true}} may be asked for. */
    public static boolean prefetchAvailable() {
        return false;
    }

    /** {@link #run(Transport, int[], int[], boolean[], long, Progress)} without prefetch. */
    public List<Row> run(Transport transport, int[] threadCounts, int[] memoryWorkers, long regionBytes, Progress progress)
            throws InterruptedException {
        return run(transport, threadCounts, memoryWorkers, new boolean[] {false}, regionBytes, progress);
    }

    /**
     * Measures every combination of worker count, prefetch setting and thread count, in that nesting order.
     *
     * @param threadCounts loading threads per run, each in [1, 256]
     * @param memoryWorkers worker threads of the memory component (0 allowed in-JVM only: serve on the caller)
     * @param prefetch ExCache prefetch settings to run; {@code true} only if {@link #prefetchAvailable()}
     * @param regionBytes the loaded region: a multiple of 4096, at least {@value #MIN_REGION_TO_CACHE}x the ExCache
     * @return one row per run, in the order run
     * @throws IllegalArgumentException for bad parameters, before any cluster starts
     * @throws UnsupportedOperationException if prefetch is asked for and not available
     * @throws IllegalStateException if a run fails, is wrong (loaded values differ from the stored ones) or exceeds
     *     the run timeout
     */
    public List<Row> run(Transport transport, int[] threadCounts, int[] memoryWorkers, boolean[] prefetch, long regionBytes,
                         Progress progress) throws InterruptedException {
        Objects.requireNonNull(transport, "transport");
        Objects.requireNonNull(progress, "progress");
        check(transport, threadCounts, memoryWorkers, prefetch, regionBytes);
        int maxThreads = Arrays.stream(threadCounts).max().orElseThrow();
        int total = memoryWorkers.length * prefetch.length * threadCounts.length;
        int done = 0;
        List<Row> rows = new ArrayList<>();
        progress.step("seqload " + transport.label() + ": " + total + " runs of " + regionBytes / 4096 + " pages", 0, total);
        for (int workers : memoryWorkers) {
            for (boolean pf : prefetch) {
                BenchCluster.Setup setup = new BenchCluster.Setup(excacheBytes, Math.max(2, maxThreads), workers,
                        regionBytes + SLACK_BYTES, pf ? 8 : 0);
                try (BenchCluster cluster = BenchCluster.start(transport, setup)) {
                    cluster.createVNode("seqload", 2 * regionBytes + SLACK_BYTES);
                    for (int threads : threadCounts) {
                        Row row = runOne(cluster, transport, workers, pf, threads, regionBytes);
                        rows.add(row);
                        progress.step("seqload " + transport.label() + " workers=" + workers + " prefetch=" + (pf ? "on" : "off")
                                + " threads=" + threads, ++done, total);
                    }
                }
            }
        }
        return rows;
    }

    private Row runOne(BenchCluster cluster, Transport transport, int workers, boolean prefetch, int threads, long regionBytes)
            throws InterruptedException {
        ExCacheStats before = cluster.excacheStats();
        BenchCluster.Output out = cluster.run("seqload", runTimeout, SeqLoadProgram.NAME, String.valueOf(regionBytes),
                String.valueOf(threads));
        ExCacheStats during = cluster.excacheStats().minus(before);
        Map<String, String> kv = MicroText.findLine(out.stdout(), "iops", "pages", "seconds", "verified");
        if (!Boolean.parseBoolean(kv.get("verified"))) {
            throw new IllegalStateException("seqload loaded other values than it stored: " + out.stdout());
        }
        long pages = Long.parseLong(kv.get("pages"));
        double seconds = Double.parseDouble(kv.get("seconds"));
        return new Row(transport, workers, threads, prefetch, pages / seconds / 1000.0, pages, seconds,
                during.misses() - during.zeroFills(), PaperFigures.memoryLegoKiops(workers, threads));
    }

    private void check(Transport transport, int[] threadCounts, int[] memoryWorkers, boolean[] prefetch, long regionBytes) {
        if (threadCounts == null || threadCounts.length == 0) {
            throw new IllegalArgumentException("give at least one thread count");
        }
        if (memoryWorkers == null || memoryWorkers.length == 0) {
            throw new IllegalArgumentException("give at least one memory worker count");
        }
        if (prefetch == null || prefetch.length == 0) {
            throw new IllegalArgumentException("give at least one prefetch setting");
        }
        for (int t : threadCounts) {
            if (t < 1 || t > 256) {
                throw new IllegalArgumentException("thread counts must be in [1, 256], got " + t);
            }
        }
        int minWorkers = transport == Transport.TCP ? 1 : 0;
        for (int w : memoryWorkers) {
            if (w < minWorkers || w > 1024) {
                throw new IllegalArgumentException("memory worker counts must be in [" + minWorkers + ", 1024] over "
                        + transport.label() + ", got " + w);
            }
        }
        for (boolean p : prefetch) {
            if (p && !prefetchAvailable()) {
                throw new UnsupportedOperationException("ExCache prefetch is not available in this build; run with prefetch off");
            }
        }
        if (regionBytes % 4096 != 0 || regionBytes < MIN_REGION_TO_CACHE * excacheBytes) {
            throw new IllegalArgumentException("regionBytes must be a multiple of 4096 and at least " + MIN_REGION_TO_CACHE
                    + "x the ExCache (" + MIN_REGION_TO_CACHE * excacheBytes + "), got " + regionBytes);
        }
        int maxThreads = Arrays.stream(threadCounts).max().orElseThrow();
        if (regionBytes / 4096 < maxThreads) {
            throw new IllegalArgumentException("regionBytes " + regionBytes + " has fewer pages than " + maxThreads + " threads");
        }
    }
}
