package org.legoos.eval.micro;

import org.legoos.eval.Progress;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.EnumMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.OptionalDouble;
import java.util.stream.Stream;

/**
 * The paper's storage table on LegoOS/J: 4 KiB sequential and random writes (each phase ending with an fsync,
 * timed with it) and reads, through a vNode's file system ({@link StorageBenchProgram}) against the same four
 * phases on a plain local file, in operations per second.
 *
 * <p>The LegoOS/J targets run {@code storagebench} on a cluster of one processor, one memory and one storage
 * component, over the in-JVM transport and over loopback TCP. Every 4 KiB operation is one request from the
 * processor (the file channel caches nothing) to the buffer cache on the vNode's memory component, which fills and
 * writes back 64 KiB chunks from and to the storage component; fsync writes the dirty chunks back and the storage
 * component forces its file. The local target runs the very same phases ({@link StorageWorkload}) on a
 * {@link FileChannel} over a file in a temporary directory, on the same disk as the storage component's files
 * (both under {@code java.io.tmpdir}), with fsync as {@code force(true)}.
 *
 * <p><b>Caches.</b> The OS page cache cannot be dropped from Java (that needs root), so local reads, and the
 * storage component's reads of its own file, are served from the page cache once the file was written: the read
 * phases compare software paths, not disks; only fsync reaches the device. The LegoOS/J buffer cache holds
 * 64 MiB by default, so with the default 256 MiB file most LegoOS/J reads miss it and fetch a chunk from the
 * storage component. Make the file larger than the machine's free memory to measure the disk itself. The file
 * size is a parameter: {@link #QUICK_FILE_BYTES} for a quick look, {@link #DEFAULT_FILE_BYTES} for the table.
 *
 * <p>Each target first runs the four phases untimed on a small warm-up file (a sixteenth of the file, at most
 * 4 MiB), so the first measured phase does not pay for JIT compilation and connection set-up.
 *
 * <p>Memory components: in-JVM one with no worker threads (the embedded default: requests are served on the
 * caller's thread), over TCP one with the configuration default of 4 workers.
 *
 * <p>Not thread-safe: one {@code run} at a time per instance. Clusters and the temporary directory are removed
 * before {@code run} returns or throws; every program run is bounded by the run timeout.
 */
public final class StorageThroughput {
    /** Target label of runs through a LocalCluster. */
    public static final String TARGET_IN_JVM = "LegoOS/J in-JVM";
    /** Target label of runs through a TcpCluster. */
    public static final String TARGET_TCP = "LegoOS/J TCP";
    /** Target label of the baseline on a local file. */
    public static final String TARGET_LOCAL = "local file";
    /** The table's file size. */
    public static final long DEFAULT_FILE_BYTES = 256L << 20;
    /** Quick mode's file size. */
    public static final long QUICK_FILE_BYTES = 16L << 20;
    /** Seed of the random offsets (and the block pattern) unless one is given. */
    public static final long DEFAULT_SEED = 42;
    /** How long one {@code storagebench} run may take by default. */
    public static final Duration DEFAULT_RUN_TIMEOUT = Duration.ofMinutes(15);
    private static final long EXCACHE_BYTES = 16L << 20;
    private static final long MEMORY_CAPACITY_BYTES = 256L << 20;
    private static final long WARM_UP_MAX_BYTES = 4L << 20;

    /**
     * One target and phase.
     *
     * @param target {@link #TARGET_IN_JVM}, {@link #TARGET_TCP} or {@link #TARGET_LOCAL}
     * @param opsPerSec 4 KiB operations per second (writes: including the closing fsync)
     * @param mbps MiB per second, {@code opsPerSec * 4 KiB}
     * @param ratioToLocal {@code opsPerSec} over the local file's for the same phase (1 for the local rows)
     * @param paperRatio the paper's LegoOS-over-Linux ratio for the phase, on LegoOS/J rows (see {@link PaperFigures})
     */
    public record Row(String target, StoragePhase phase, double opsPerSec, double mbps, double ratioToLocal,
                      OptionalDouble paperRatio) {
        @Override
        public String toString() {
            return String.format(Locale.ROOT, "%s %s %.0f ops/s %.1f MiB/s ratio %.3f%s", target, phase.label(), opsPerSec, mbps,
                    ratioToLocal, paperRatio.isPresent() ? String.format(Locale.ROOT, " (paper %.2f)", paperRatio.getAsDouble()) : "");
        }
    }

    private final Duration runTimeout;

    /** With {@link #DEFAULT_RUN_TIMEOUT}. */
    public StorageThroughput() {
        this(DEFAULT_RUN_TIMEOUT);
    }

    /** @throws IllegalArgumentException if {@code runTimeout} is not positive */
    public StorageThroughput(Duration runTimeout) {
        if (runTimeout.isNegative() || runTimeout.isZero()) {
            throw new IllegalArgumentException("runTimeout must be positive, got " + runTimeout);
        }
        this.runTimeout = runTimeout;
    }

    /** Both transports with {@link #DEFAULT_SEED}. */
    public List<Row> run(long fileBytes, Progress progress) throws InterruptedException {
        return run(List.of(Transport.IN_JVM, Transport.TCP), fileBytes, DEFAULT_SEED, progress);
    }

    /**
     * Runs the four phases on a local file, then on LegoOS/J over each transport.
     *
     * @param fileBytes the file: a positive multiple of 4096
     * @return the local rows, then each transport's, each in phase order
     * @throws IllegalArgumentException for a bad size or no transport, before anything runs
     * @throws IllegalStateException if a run fails, reads back other data than it wrote, or exceeds the timeout
     * @throws UncheckedIOException if the local file cannot be written
     */
    public List<Row> run(List<Transport> transports, long fileBytes, long seed, Progress progress) throws InterruptedException {
        Objects.requireNonNull(progress, "progress");
        StorageWorkload.checkFileBytes(fileBytes);
        if (transports == null || transports.isEmpty()) {
            throw new IllegalArgumentException("give at least one transport");
        }
        int total = 1 + transports.size();
        progress.step("storagebench: " + fileBytes / StorageWorkload.BLOCK + " blocks on " + total + " targets", 0, total);
        Map<StoragePhase, Double> local = runLocal(fileBytes, seed);
        progress.step("storagebench " + TARGET_LOCAL, 1, total);
        List<Row> rows = new ArrayList<>();
        addRows(rows, TARGET_LOCAL, local, local, false);
        int done = 1;
        for (Transport t : transports) {
            Map<StoragePhase, Double> lego = runLego(t, fileBytes, seed);
            String target = t == Transport.IN_JVM ? TARGET_IN_JVM : TARGET_TCP;
            addRows(rows, target, lego, local, true);
            progress.step("storagebench " + target, ++done, total);
        }
        return rows;
    }

    private static void addRows(List<Row> rows, String target, Map<StoragePhase, Double> ops, Map<StoragePhase, Double> local,
                                boolean lego) {
        for (StoragePhase p : StoragePhase.values()) {
            double v = ops.get(p);
            rows.add(new Row(target, p, v, v * StorageWorkload.BLOCK / (1 << 20), v / local.get(p),
                    lego ? OptionalDouble.of(PaperFigures.storageRatio(p)) : OptionalDouble.empty()));
        }
    }

    private static Map<StoragePhase, Double> runLocal(long fileBytes, long seed) {
        Path dir = null;
        try {
            dir = Files.createTempDirectory("legoos-storagebench-local");
            runLocalOnce(dir.resolve("warm-up.dat"), warmUpBytes(fileBytes), seed);
            StorageWorkload.Outcome outcome = runLocalOnce(dir.resolve("storagebench.dat"), fileBytes, seed);
            if (!outcome.verified()) {
                throw new IllegalStateException(String.format(Locale.ROOT,
                        "the local file read back with CRC32C %08x, expected %08x", outcome.checksum(), outcome.expectedChecksum()));
            }
            Map<StoragePhase, Double> m = new EnumMap<>(StoragePhase.class);
            for (StorageWorkload.PhaseResult r : outcome.phases()) {
                m.put(r.phase(), r.opsPerSec());
            }
            return m;
        } catch (IOException e) {
            throw new UncheckedIOException("local storage baseline in " + dir + ": " + e.getMessage(), e);
        } finally {
            if (dir != null) {
                deleteTree(dir);
            }
        }
    }

    private static StorageWorkload.Outcome runLocalOnce(Path file, long fileBytes, long seed) throws IOException {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING)) {
            return new StorageWorkload(ch, fileBytes, seed, () -> Thread.currentThread().isInterrupted()).run();
        }
    }

    /** The untimed warm-up file: a sixteenth of the file, at least one block and at most {@value #WARM_UP_MAX_BYTES} bytes. */
    private static long warmUpBytes(long fileBytes) {
        return Math.max(StorageWorkload.BLOCK, Math.min(WARM_UP_MAX_BYTES, fileBytes / 16 / StorageWorkload.BLOCK * StorageWorkload.BLOCK));
    }

    private Map<StoragePhase, Double> runLego(Transport transport, long fileBytes, long seed) throws InterruptedException {
        int workers = transport == Transport.IN_JVM ? 0 : 4;
        BenchCluster.Setup setup = new BenchCluster.Setup(EXCACHE_BYTES, 2, workers, MEMORY_CAPACITY_BYTES,
                BenchCluster.Setup.DEFAULT_PREFETCH);
        try (BenchCluster cluster = BenchCluster.start(transport, setup)) {
            cluster.createVNode("storagebench", 0);
            cluster.run("storagebench", runTimeout, StorageBenchProgram.NAME, String.valueOf(warmUpBytes(fileBytes)),
                    String.valueOf(seed), "/warm-up.dat");
            BenchCluster.Output out = cluster.run("storagebench", runTimeout, StorageBenchProgram.NAME, String.valueOf(fileBytes),
                    String.valueOf(seed));
            return parse(out.stdout());
        }
    }

    /** The per-phase ops/s of a {@code storagebench} output, checking it verified its data. */
    static Map<StoragePhase, Double> parse(String stdout) {
        Map<String, String> check = MicroText.findLine(stdout, "checksum", "expected", "verified");
        if (!Boolean.parseBoolean(check.get("verified"))) {
            throw new IllegalStateException("storagebench read back other data than it wrote:\n" + stdout);
        }
        Map<StoragePhase, Double> m = new EnumMap<>(StoragePhase.class);
        for (String line : stdout.split("\\R")) {
            if (line.startsWith("phase=")) {
                Map<String, String> kv = MicroText.findLine(line, "phase", "opsPerSec");
                m.put(StoragePhase.ofLabel(kv.get("phase")), Double.parseDouble(kv.get("opsPerSec")));
            }
        }
        if (m.size() != StoragePhase.values().length) {
            throw new IllegalStateException("storagebench reported " + m.keySet() + ", not all four phases:\n" + stdout);
        }
        return m;
    }

    private static void deleteTree(Path dir) {
        try (Stream<Path> walk = Files.walk(dir)) {
            walk.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException ignored) {
            // best effort: a temporary directory
        }
    }
}
