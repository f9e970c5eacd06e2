package org.legoos.eval.micro;

import org.legoos.eval.Progress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.OptionalDouble;
import org.legoos.processor.excache.ExCacheConfig;
import org.legoos.processor.excache.ExCacheStats;

/**
 * The paper's memory-throughput table on LegoOS/J: 4 KiB sequential loads on a cold ExCache ({@link SeqLoadProgram})
 * by 1, 2, 4... threads of one process, against one memory component with 1 and with 4 worker threads, in K IOPS
 * (thousand loads of distinct pages per second), with the ExCache's stream prefetch off and on.
 *
 * <p>For each worker count and prefetch setting it starts a cluster of one processor, one memory and one storage
 * component over the chosen {@link Transport}, with a small ExCache ({@link #DEFAULT_EXCACHE_BYTES}); for each
 * thread count it runs one {@code seqload} process over a region at least 4x the ExCache (a fresh address space
 * each time) and reads the ExCache counters around it. Only the load phase is timed, by the program itself. Each
 * cluster first gets untimed warm-up runs (the same region, the most threads) until two in a row agree within
 * {@value #WARM_UP_TOLERANCE_PERCENT}% (at most {@value #MAX_WARM_UP_RUNS}), so that the first cells do not pay for
 * JIT compilation and connection set-up, which the paper's C kernel does not have; and each cell is run
 * {@code repetitions} times (default {@value #DEFAULT_REPETITIONS}), its row being the run with the median
 * throughput, so one scheduling hiccup on a shared machine does not make the cell.
 *
 * <p>Prefetch off is the paper's setting: every load is one {@code P2M_PCACHE_MISS} round trip. With prefetch on
 * ({@link ExCacheConfig#DEFAULT_PREFETCH_PAGES} pages) a miss in a detected stream brings the following pages in
 * the same reply, so most loads hit; LegoOS had no prefetch, so the paper has no such column and the paper figure
 * shown next to those rows is the same prefetch-less one.
 *
 * <p>What to expect: LegoOS/J serves ExCache misses on the memory component's delivery thread whatever its worker
 * count (the workers serve VM calls and the buffer cache; see {@link org.legoos.memory.MemoryConfig}), so the
 * worker dimension is kept for the paper's table but is not expected to change the miss rate. Over the in-JVM
 * transport a miss runs entirely on the loading thread; over TCP each loading thread writes its request and reads
 * its reply itself, but the memory component reads the requests of one processor on one connection thread.
 *
 * <p>Not thread-safe: one {@code run} at a time per instance. Every cluster is closed before {@code run} returns or
 * throws; every program run is bounded by the run timeout (the process is killed after it).
 */
public final class MemoryThroughput {
    /** The ExCache the paper-style run uses: small, so the region is many times larger. */
    public static final long DEFAULT_EXCACHE_BYTES = 16L << 20;
    /** The region the paper-style run loads: 16x the ExCache, 65536 pages. */
    public static final long DEFAULT_REGION_BYTES = 256L << 20;
    /** Quick mode: an ExCache of 4 MiB ... */
    public static final long QUICK_EXCACHE_BYTES = 4L << 20;
    /** ... and a 16 MiB region (4096 pages). */
    public static final long QUICK_REGION_BYTES = 16L << 20;
    /** Application threads of the table. */
    public static final int[] DEFAULT_THREADS = {1, 2, 4};
    /** Memory-component worker threads of the table. */
    public static final int[] DEFAULT_WORKERS = {1, 4};
    /** Pages prefetched per miss in the prefetch-on rows. */
    public static final int PREFETCH_PAGES = ExCacheConfig.DEFAULT_PREFETCH_PAGES;
    /** The region must be at least this many times the ExCache. */
    public static final int MIN_REGION_TO_CACHE = 4;
    /** Runs per cell of the default setup; the row is the median one. */
    public static final int DEFAULT_REPETITIONS = 3;
    /** Most warm-up runs per cluster. */
    public static final int MAX_WARM_UP_RUNS = 6;
    /** Warm-up ends when two runs in a row differ by at most this much. */
    public static final int WARM_UP_TOLERANCE_PERCENT = 15;
    /** How long one {@code seqload} run may take by default. */
    public static final Duration DEFAULT_RUN_TIMEOUT = Duration.ofMinutes(10);
    private static final long SLACK_BYTES = 64L << 20;

    /**
     * One cell of the table.
     *
     * @param transport how the components talked
     * @param memoryWorkers the memory component's worker threads
     * @param threads loading threads of the process
     * @param prefetch whether the ExCache prefetched ({@value #PREFETCH_PAGES} pages per miss)
     * @param kiops thousand 4 KiB loads (one per page) per second in the timed phase
     * @param pages loads (pages) in the timed phase
     * @param seconds length of the timed phase
     * @param fetches ExCache misses fetched from the memory component during the whole process (misses minus
     *     local zero-fills; only the timed phase fetches): {@code pages} when every timed load missed
     * @param prefetched pages the ExCache installed by prefetch during the process; {@code fetches + prefetched}
     *     is at least {@code pages} exactly when the region came from the memory component, i.e. the cache was cold
     * @param paperKiops the paper's LegoOS figure for this worker and thread count, if it has one (see
     *     {@link PaperFigures}; measured without prefetch)
     */
    public record Row(Transport transport, int memoryWorkers, int threads, boolean prefetch, double kiops, long pages,
                      double seconds, long fetches, long prefetched, OptionalDouble paperKiops) {
        /** One line for logs: {@code in-JVM workers=4 threads=2 prefetch=off 512.3 KIOPS ... (paper 426)}. */
        @Override
        public String toString() {
            return String.format(Locale.ROOT, "%s workers=%d threads=%d prefetch=%s %.1f KIOPS pages=%d seconds=%.3f fetches=%d"
                            + " prefetched=%d%s", transport.label(), memoryWorkers, threads, prefetch ? "on" : "off", kiops, pages,
                    seconds, fetches, prefetched,
                    paperKiops.isPresent() ? String.format(Locale.ROOT, " (paper %.0f)", paperKiops.getAsDouble()) : "");
        }
    }

    private final long excacheBytes;
    private final Duration runTimeout;
    private final int repetitions;

    /** The paper-style setup: {@link #DEFAULT_EXCACHE_BYTES}, {@link #DEFAULT_RUN_TIMEOUT}, {@link #DEFAULT_REPETITIONS}. */
    public MemoryThroughput() {
        this(DEFAULT_EXCACHE_BYTES, DEFAULT_RUN_TIMEOUT, DEFAULT_REPETITIONS);
    }

    /** One run per cell (quick mode, tests). */
    public MemoryThroughput(long excacheBytes, Duration runTimeout) {
        this(excacheBytes, runTimeout, 1);
    }

    /**
     * @param excacheBytes the processor's ExCache (64 ways: a power of two times 256 KiB)
     * @param runTimeout the longest one program run may take
     * @param repetitions runs per cell, at least 1; the row is the run with the median throughput
     * @throws IllegalArgumentException for an invalid ExCache geometry, a non-positive timeout or repetition count
     */
    public MemoryThroughput(long excacheBytes, Duration runTimeout, int repetitions) {
        ExCacheConfig.of(excacheBytes); // checks the geometry, with its own message
        if (runTimeout.isNegative() || runTimeout.isZero()) {
            throw new IllegalArgumentException("runTimeout must be positive, got " + runTimeout);
        }
        if (repetitions < 1 || repetitions > 100) {
            throw new IllegalArgumentException("repetitions must be in [1, 100], got " + repetitions);
        }
        this.excacheBytes = excacheBytes;
        this.runTimeout = runTimeout;
        this.repetitions = repetitions;
    }

    /** {@link #run(Transport, int[], int[], boolean[], long, Progress)} with prefetch off (the paper's setting), then on. */
    public List<Row> run(Transport transport, int[] threadCounts, int[] memoryWorkers, long regionBytes, Progress progress)
            throws InterruptedException {
        return run(transport, threadCounts, memoryWorkers, new boolean[] {false, true}, regionBytes, progress);
    }

    /**
     * Measures every combination of worker count, prefetch setting and thread count, in that nesting order.
     *
     * @param threadCounts loading threads per run, each in [1, 256]
     * @param memoryWorkers worker threads of the memory component (0 allowed in-JVM only: serve on the caller)
     * @param prefetch ExCache prefetch settings to run (off: the paper's setting)
     * @param regionBytes the loaded region: a multiple of 4096, at least {@value #MIN_REGION_TO_CACHE}x the ExCache
     * @return one row per run, in the order run
     * @throws IllegalArgumentException for bad parameters, before any cluster starts
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
                        regionBytes + SLACK_BYTES, pf ? PREFETCH_PAGES : 0);
                try (BenchCluster cluster = BenchCluster.start(transport, setup)) {
                    int actual = cluster.excacheConfig().prefetchPages();
                    if ((actual > 0) != pf) {
                        throw new IllegalStateException("asked for prefetch " + (pf ? "on" : "off") + " but the processor's ExCache"
                                + " prefetches " + actual + " pages");
                    }
                    cluster.createVNode("seqload", 2 * regionBytes + SLACK_BYTES);
                    warmUp(cluster, maxThreads, regionBytes);
                    for (int threads : threadCounts) {
                        rows.add(runCell(cluster, transport, workers, pf, threads, regionBytes));
                        progress.step("seqload " + transport.label() + " workers=" + workers + " prefetch=" + (pf ? "on" : "off")
                                + " threads=" + threads, ++done, total);
                    }
                }
            }
        }
        return rows;
    }

    /**
     * Untimed runs with the most threads until the throughput settles: compiles the miss path (JIT) and opens the
     * connections before the first measured cell, which would otherwise pay for both.
     */
    private void warmUp(BenchCluster cluster, int threads, long regionBytes) throws InterruptedException {
        double last = -1;
        for (int i = 0; i < MAX_WARM_UP_RUNS; i++) {
            BenchCluster.Output out = cluster.run("seqload", runTimeout, SeqLoadProgram.NAME, String.valueOf(regionBytes),
                    String.valueOf(threads));
            double iops = Double.parseDouble(MicroText.findLine(out.stdout(), "iops").get("iops"));
            if (last > 0 && Math.abs(iops - last) <= last * WARM_UP_TOLERANCE_PERCENT / 100.0) {
                return;
            }
            last = iops;
        }
    }

    /** {@link #repetitions} runs of one cell; the one with the median throughput. */
    private Row runCell(BenchCluster cluster, Transport transport, int workers, boolean prefetch, int threads, long regionBytes)
            throws InterruptedException {
        List<Row> runs = new ArrayList<>();
        for (int i = 0; i < repetitions; i++) {
            runs.add(runOne(cluster, transport, workers, prefetch, threads, regionBytes));
        }
        runs.sort(java.util.Comparator.comparingDouble(Row::kiops));
        return runs.get(runs.size() / 2);
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
                during.misses() - during.zeroFills(), during.prefetched(), PaperFigures.memoryLegoKiops(workers, threads));
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
