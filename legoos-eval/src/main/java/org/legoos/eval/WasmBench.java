package org.legoos.eval;

import java.io.IOException;
import java.io.InputStream;
import java.net.URISyntaxException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.legoos.api.ProcessorMode;
import org.legoos.examples.KvStorePlain;
import org.legoos.examples.WordCount;
import org.legoos.examples.workload.Workload;
import org.legoos.manager.ManagerConfig;
import org.legoos.memory.MemoryConfig;
import org.legoos.node.LocalCluster;
import org.legoos.processor.ProcessMonitor;
import org.legoos.processor.ProcessorConfig;
import org.legoos.processor.RemoteFileService;
import org.legoos.processor.excache.ExCacheConfig;
import org.legoos.processor.excache.ExCacheStats;
import org.legoos.processor.excache.FaultExCache;
import org.legoos.processor.task.HostSupport;
import org.legoos.task.fs.FileService;
import org.legoos.wasm.WasmProgram;

/**
 * {@code lego bench --sections wasm}: the C programs of {@code legoos-wasm/src/main/c}, compiled once to
 * {@code wasm32-wasi}, run unmodified as LegoOS/J processes (LegoOS's "unmodified binaries"), side by side with the same
 * C built natively and run on this machine, and with the bundled Java programs on the same cluster. Every figure comes
 * from this run:
 * <ol>
 * <li>{@code scripts/wasm-build} (found upward from where this class was loaded, {@code legoos-cli/target/lego.jar} or
 *     {@code legoos-eval/target/classes}, or from the current directory) builds the {@code .wasm} and native binaries
 *     into the work directory; if it is missing or fails the section is skipped ({@link Outcome#skipped()}), it never
 *     throws;</li>
 * <li>the native {@code wordcount --generate} writes the word-count input, which is copied into the vNode;</li>
 * <li>word count and the KV store: the native binary locally, the {@code .wasm} on an in-JVM {@link LocalCluster} with
 *     a full ExCache and one of {@value #REDUCED_PERCENT}% of the program's working set, and the Java {@code wordcount}
 *     and {@code kvstore} on the same cluster and inputs. The working set is measured, as in {@link WorkloadBench} by
 *     a first run with an ExCache that evicts nothing (and prefetches nothing, so every page counts once): in process
 *     mode the most pages the run had resident at once, in thread mode the distinct pages it filled. For wasm that is
 *     the linear memory the program used (the heap it grew with {@code memory.grow}, its stack and static data; its
 *     compiled code is JVM classes, outside the address space).
 *     The wasm output must be the native output byte for byte, the Java output its plain-Java reference's; a
 *     difference or a failed run is a failure of the bench ({@link Outcome#failures()});</li>
 * <li>start-up: {@code lego run /apps/ls.wasm /apps} cold (the vNode's {@value WasmProgram#CACHE_DIR} deleted first,
 *     so it compiles) and cached, and the bundled Java {@code hello} for reference, wall time from the client's start
 *     call to the exit.</li>
 * </ol>
 * The processor runs in process mode where the host supports it ({@link HostSupport#decide}), else in thread mode; a
 * mode given to the constructor is used instead of {@code auto}.
 *
 * <p>Not thread-safe; runs one thing at a time (the machine has 2 cores and every figure needs both).
 */
public final class WasmBench {
    /** Input sizes. */
    public record Sizes(long wordcountBytes, long kvKeys, long kvOps) {
        /**
         * {@code --quick}: 16 MiB of text; 200,000 keys and 2,000,000 operations. The KV store's table is most of its
         * working set (tens of MiB at this size), so a quarter of it holds a quarter of the table; word count keeps
         * only the distinct words (the generator's vocabulary is 4096) and a read buffer, so its working set stays
         * under 1 MiB at any input size and the input size sets only how long it runs.
         */
        public static final Sizes QUICK = new Sizes(16L << 20, 200_000, 2_000_000);
        /** Full: 128 MiB of text; 1,000,000 keys and 10,000,000 operations. */
        public static final Sizes FULL = new Sizes(128L << 20, 1_000_000, 10_000_000);

        public Sizes {
            if (wordcountBytes < 1 || kvKeys < 1 || kvOps < 0) {
                throw new IllegalArgumentException("wasm bench sizes: bytes and keys must be positive and ops not "
                        + "negative, got " + wordcountBytes + " bytes, " + kvKeys + " keys, " + kvOps + " ops");
            }
        }
    }

    /**
     * The section's result: its table and a note on what it shows, or why it was skipped.
     *
     * @param table the rows as a table, or null if the section was skipped
     * @param rows the rows (empty if skipped)
     * @param note what the table shows and how it was measured, or null if skipped
     * @param skipped {@code "Skipped because ..."}, or null if the section ran
     * @param failures runs that failed or printed another output than their reference (empty when all is well)
     */
    public record Outcome(ResultTable table, List<Row> rows, String note, String skipped, List<String> failures) {
        public Outcome {
            rows = List.copyOf(rows);
            failures = List.copyOf(failures);
        }
    }

    /** Timed runs of each row; the table gives the best and the median. */
    public static final int DEFAULT_RUNS = 3;
    /** The reduced ExCache, in percent of the program's working set. */
    public static final int REDUCED_PERCENT = 25;
    /** The table's title. */
    public static final String TITLE = "WebAssembly: C programs as wasm32-wasi processes on LegoOS/J vs native and Java";

    private static final String VNODE = "wasm";
    private static final String SCRIPT = "scripts/wasm-build";
    private static final List<String> BINARIES = List.of("wordcount", "kvstore", "ls");
    /** How far up from the class's location and the current directory the script is looked for. */
    private static final int SEARCH_LEVELS = 4;
    private static final Duration BUILD_LIMIT = Duration.ofMinutes(10); // may install the toolchain with apt-get
    private static final Duration RUN_LIMIT = Duration.ofMinutes(15);
    private static final int CORES = 2;
    private static final long MEMORY_BYTES = 8L << 30; // frames are allocated only when written
    /**
     * A first guess at the bytes per key of kvstore.c's linear memory (its slots of key, 64-byte value and version, a
     * table at most half full, the old table while it doubles); the probe doubles the ExCache if it is too low.
     */
    private static final long KV_BYTES_PER_KEY = 4 * 96;
    /** The first ExCache a working-set probe tries, above the program's estimate: the C heap's slack, stdio. */
    private static final long PROBE_BASE_BYTES = 16L << 20;
    /** The Java kvstore's parameters that match kvstore.c: its 64-byte values, one thread, half of the ops gets. */
    private static final int KV_VALUE_BYTES = 64;
    private static final double KV_GET_RATIO = 0.5;
    /**
     * The Java kvstore's key skew (its default): about 80% of the operations on the hottest 10% of the keys at these
     * key counts, near kvstore.c's 90%.
     */
    private static final double KV_ZIPF = 0.99;
    private static final String STARTUP_DIR = "/apps";
    /** How long a start-up run waits for the processor's waiting task JVMs to be back (process mode). */
    private static final Duration WARM_WAIT = Duration.ofSeconds(15);
    /** How often the resident pages are sampled while the working set is measured (process mode). */
    private static final long SAMPLE_MILLIS = 5;

    private final Path script;
    private final Path workDir;
    private final Sizes sizes;
    private final long seed;
    private final ProcessorMode requestedMode;
    private final int runs;

    private final List<String> failures = new ArrayList<>();
    private LocalCluster cluster;
    private ProcessMonitor processor;
    private ExCacheConfig current;
    private ProcessorMode mode;

    /**
     * @param script the repository's {@code scripts/wasm-build} ({@link #findBuildScript()}), or null if it was not
     *     found (the section is then skipped)
     * @param workDir where the binaries are built (those already there and up to date are kept) and the inputs are
     *     generated (in its {@code data} directory, deleted at the end)
     * @param mode the processor mode, or null for {@link ProcessorMode#AUTO} (process mode where the host supports it)
     * @param runs timed runs per row (at least 1)
     */
    public WasmBench(Path script, Path workDir, Sizes sizes, long seed, ProcessorMode mode, int runs) {
        if (runs < 1) {
            throw new IllegalArgumentException("runs must be at least 1, got " + runs);
        }
        this.script = script;
        this.workDir = workDir.toAbsolutePath();
        this.sizes = java.util.Objects.requireNonNull(sizes, "sizes");
        this.seed = seed;
        this.requestedMode = mode == null ? ProcessorMode.AUTO : mode;
        this.runs = runs;
    }

    /** Progress steps {@link #run} reports. */
    public static int steps() {
        return 2 + 2 + 4 * 3 + 3; // build, input, two native workloads, four programs on LegoOS/J, start-up
    }

    /**
     * The repository's {@code scripts/wasm-build}: looked for in the directory this class was loaded from (the
     * {@code lego.jar}'s, or {@code target/classes}) and up to {@value #SEARCH_LEVELS} levels above it, then in the
     * current directory and above it.
     *
     * @return the script, or null if there is none
     */
    public static Path findBuildScript() {
        List<Path> starts = new ArrayList<>();
        Path code = codeDirectory();
        if (code != null) {
            starts.add(code);
        }
        starts.add(Path.of("").toAbsolutePath());
        for (Path start : starts) {
            Path p = start;
            for (int i = 0; i <= SEARCH_LEVELS && p != null; i++, p = p.getParent()) {
                Path s = p.resolve(SCRIPT);
                if (Files.isRegularFile(s) && Files.isExecutable(s)) {
                    return s;
                }
            }
        }
        return null;
    }

    /** The directory of the jar this class was loaded from (or the class directory), or null if it is not a file. */
    private static Path codeDirectory() {
        try {
            var source = WasmBench.class.getProtectionDomain().getCodeSource();
            if (source == null) {
                return null;
            }
            Path p = Path.of(source.getLocation().toURI()).toAbsolutePath();
            return Files.isRegularFile(p) ? p.getParent() : p;
        } catch (URISyntaxException | IllegalArgumentException | java.nio.file.FileSystemNotFoundException
                 | SecurityException e) {
            return null; // not a file location (a custom class loader): the current directory is still searched
        }
    }

    /**
     * Builds the binaries, runs everything and tabulates it; a missing or failing build script skips the section.
     *
     * @throws IllegalStateException if the cluster itself fails (a program that fails is a failure, not an exception)
     */
    public Outcome run(Progress progress) throws Exception {
        int total = steps();
        progress.step("wasm: building the C programs (" + SCRIPT + ")", 0, total);
        String unbuilt = build();
        if (unbuilt != null) {
            progress.step("wasm: skipped", total, total);
            return new Outcome(null, List.of(), null, "Skipped because " + unbuilt, List.of());
        }
        Path bin = workDir.resolve("native");
        Path data = Files.createDirectories(workDir.resolve("data"));
        Path input = data.resolve("wordcount-input.txt");
        HostSupport.Decision decision = HostSupport.decide(requestedMode);
        mode = decision.mode();
        List<Row> rows = new ArrayList<>();
        try {
            progress.step("wasm: generating " + mib(sizes.wordcountBytes()) + " of text (native wordcount --generate)", 1,
                    total);
            Native gen = runNative(data, List.of(bin.resolve("wordcount").toString(), "--generate",
                    Long.toString(sizes.wordcountBytes()), input.getFileName().toString(), Long.toString(seed)));
            if (gen.exitCode() != 0 || Files.size(input) != sizes.wordcountBytes()) {
                throw new IllegalStateException("native wordcount --generate failed (exit " + gen.exitCode() + "): "
                        + gen.stderr());
            }
            // the native runs and the plain-Java references first, before the cluster's JVMs compete for the cores
            String wcInput = mib(sizes.wordcountBytes());
            int step = 2;
            progress.step("wasm: wordcount, native", step++, total);
            Timed nativeWc = nativeRows(data, List.of(bin.resolve("wordcount").toString(), input.getFileName().toString()));
            String javaWc;
            try (InputStream in = Files.newInputStream(input)) {
                javaWc = WordCount.referenceSummary(WordCount.countPlain(in), WordCount.DEFAULT_TOP);
            }
            String kvInput = sizes.kvKeys() + " keys, " + sizes.kvOps() + " ops";
            List<String> kvArgs = List.of(Long.toString(sizes.kvKeys()), Long.toString(sizes.kvOps()), Long.toString(seed));
            List<String> nativeKv = new ArrayList<>(List.of(bin.resolve("kvstore").toString()));
            nativeKv.addAll(kvArgs);
            progress.step("wasm: kvstore, native", step++, total);
            Timed nativeK = nativeRows(data, nativeKv);
            String javaKv = KvStorePlain.run(sizes.kvKeys(), sizes.kvOps(), KV_VALUE_BYTES, KV_GET_RATIO, KV_ZIPF, seed, 1);
            String listing = nativeListing(data);

            cluster = LocalCluster.start(new LocalCluster.Spec(1, 1, 1, processorConfig(ExCacheSizing.about(
                    PROBE_BASE_BYTES, ExCacheConfig.Policy.FIFO)), MemoryConfig.of(MEMORY_BYTES).withWorkers(0),
                    ManagerConfig.defaults().withHeartbeatTimeoutMillis(600_000), null, Duration.ofMillis(500)));
            processor = cluster.processors().get(0);
            cluster.createVNode(VNODE, MEMORY_BYTES, 16);
            RemoteFileService fs = cluster.files(VNODE);
            fs.mkdir("/apps");
            fs.mkdir("/data");
            for (String b : BINARIES) {
                upload(fs, workDir.resolve(b + ".wasm"), "/apps/" + b + ".wasm");
            }
            upload(fs, input, "/data/in.txt");

            // word count: the same file, one thread everywhere (the C program has one)
            rows.add(nativeWc.row("wordcount", "C, native (local)", wcInput));
            step = onLego(rows, progress, step, "wordcount", "C as wasm", wcInput, "/apps/wordcount.wasm",
                    List.of("/data/in.txt"), PROBE_BASE_BYTES, nativeWc.stdout(), false, nativeWc.best());
            step = onLego(rows, progress, step, "wordcount", "Java", wcInput, "wordcount",
                    List.of("/data/in.txt", "--threads", "1"), PROBE_BASE_BYTES, javaWc, false, nativeWc.best());

            rows.add(nativeK.row("kvstore", "C, native (local)", kvInput));
            long kvEstimate = PROBE_BASE_BYTES + sizes.kvKeys() * KV_BYTES_PER_KEY;
            step = onLego(rows, progress, step, "kvstore", "C as wasm", kvInput, "/apps/kvstore.wasm", kvArgs, kvEstimate,
                    nativeK.stdout(), false, nativeK.best());
            step = onLego(rows, progress, step, "kvstore", "Java", kvInput, "kvstore", List.of("--keys",
                    Long.toString(sizes.kvKeys()), "--ops", Long.toString(sizes.kvOps()), "--value-bytes",
                    Integer.toString(KV_VALUE_BYTES), "--get-ratio", Double.toString(KV_GET_RATIO), "--zipf",
                    Double.toString(KV_ZIPF), "--seed", Long.toString(seed), "--threads", "1"), kvEstimate, javaKv, true,
                    nativeK.best());

            startup(rows, progress, step, total, listing);
        } finally {
            if (cluster != null) {
                cluster.close();
            }
            deleteLocalTree(data); // the input, the native runs' output; the binaries stay for the next build
        }
        return new Outcome(table(rows, decision), rows, note(decision), null, failures);
    }

    /** Runs the build script; returns why the section cannot run, or null when the binaries are there. */
    private String build() throws IOException, InterruptedException {
        if (script == null) {
            Path code = codeDirectory();
            return "the repository's " + SCRIPT + " was not found (looked in " + (code == null ? "" : code + ", ")
                    + "the current directory " + Path.of("").toAbsolutePath() + " and up to " + SEARCH_LEVELS
                    + " directories above them); run lego bench from a checkout of LegoOS/J to include this section";
        }
        if (!Files.isRegularFile(script) || !Files.isExecutable(script)) {
            return SCRIPT + " was not found at " + script;
        }
        Files.createDirectories(workDir);
        Path log = workDir.resolve("wasm-build.log");
        Process p = new ProcessBuilder(script.toString(), workDir.toString()).redirectErrorStream(true)
                .redirectOutput(log.toFile()).start();
        if (!p.waitFor(BUILD_LIMIT.toMillis(), TimeUnit.MILLISECONDS)) {
            p.destroyForcibly().waitFor();
            return script + " " + workDir + " did not finish within " + BUILD_LIMIT.toMinutes() + " minutes (output: "
                    + log + ")";
        }
        if (p.exitValue() != 0) {
            return script + " " + workDir + " failed (exit " + p.exitValue() + "): " + tail(Files.readString(log));
        }
        for (String b : BINARIES) {
            for (Path f : List.of(workDir.resolve(b + ".wasm"), workDir.resolve("native").resolve(b))) {
                if (!Files.isRegularFile(f)) {
                    return script + " exited 0 but did not build " + f;
                }
            }
        }
        return null;
    }

    private ProcessorConfig processorConfig(ExCacheConfig excache) {
        return new ProcessorConfig(CORES, excache, 16, 2000, mode, ProcessorConfig.DEFAULT_TASK_HEAP_BYTES);
    }

    /** Restarts the processor with {@code excache} unless it already has it (LegoOS: a pComponent with that DRAM). */
    private void configure(ExCacheConfig excache) {
        if (!excache.equals(current)) {
            processor = cluster.restartProcessor(0, processorConfig(excache));
            current = excache;
        }
    }

    /**
     * One run on the cluster.
     *
     * @param stats the ExCache counters over the run
     * @param peakResidentPages process mode, when sampled: the most pages of the run resident in the ExCache at once;
     *     else -1
     */
    private record LegoRun(Runs.Finished finished, ExCacheStats stats, long peakResidentPages) {
    }

    private LegoRun runOnLego(String program, List<String> args) throws InterruptedException {
        return runOnLego(program, args, false);
    }

    /**
     * Runs {@code program args} to its exit; with {@code sampleResident} in process mode a thread samples the
     * ExCache's resident pages every {@value #SAMPLE_MILLIS} ms meanwhile.
     */
    private LegoRun runOnLego(String program, List<String> args, boolean sampleResident) throws InterruptedException {
        ExCacheStats before = processor.excacheStats();
        FaultExCache pages = sampleResident && mode == ProcessorMode.PROCESS ? processor.faultCache() : null;
        AtomicLong peak = new AtomicLong(-1);
        Thread sampler = null;
        if (pages != null) {
            int base = pages.residentPages(); // none: the previous process's pages left with it
            sampler = Thread.ofPlatform().daemon().name("wasm-bench-resident").start(() -> {
                while (!Thread.currentThread().isInterrupted()) {
                    peak.accumulateAndGet(pages.residentPages() - base, Math::max);
                    try {
                        Thread.sleep(SAMPLE_MILLIS);
                    } catch (InterruptedException e) {
                        return;
                    }
                }
            });
        }
        Runs.Finished f;
        try {
            f = Runs.run(cluster.processes(), VNODE, program, args, RUN_LIMIT);
        } finally {
            if (sampler != null) {
                sampler.interrupt();
                sampler.join();
            }
        }
        return new LegoRun(f, processor.excacheStats().minus(before), peak.get());
    }

    /**
     * The two rows of one program on the cluster: full ExCache and {@value #REDUCED_PERCENT}% of its working set. A
     * probe run measures the working set first (and warms the compile cache and, in thread mode, the JIT).
     *
     * @param resultLineOnly compare only the {@code result} line of the output (the rest has timings)
     * @return the next progress step
     */
    private int onLego(List<Row> rows, Progress progress, int step, String workload, String program, String input,
                       String path, List<String> args, long estimate, String expected, boolean resultLineOnly,
                       double nativeBest) throws InterruptedException {
        String label = workload + ", " + program;
        progress.step("wasm: " + label + ", measuring the working set", step++, steps());
        // prefetch off while measuring: every page the program touched is then one miss, counted once (with it on,
        // process mode, which sees no hits, would count every prefetched page, used or not)
        ExCacheConfig full = ExCacheSizing.about(estimate, ExCacheConfig.Policy.FIFO);
        configure(full.withPrefetchPages(0));
        LegoRun probe = runOnLego(path, args, true);
        for (int attempt = 0; ok(probe) && probe.stats().evictions() > 0 && attempt < 4; attempt++) {
            full = ExCacheSizing.about(full.capacityBytes() * 2, ExCacheConfig.Policy.FIFO);
            configure(full.withPrefetchPages(0));
            probe = runOnLego(path, args, true);
        }
        String failed = check(probe, expected, resultLineOnly);
        if (failed != null) {
            failures.add("wasm: " + label + " (working-set run): " + failed);
            rows.add(Row.failed(workload, program, input, "full", failed));
            rows.add(Row.failed(workload, program, input, REDUCED_PERCENT + "%", "not run"));
            return step + 2;
        }
        long ws = workingSetBytes(probe);
        if (probe.stats().evictions() > 0) {
            failures.add("wasm: " + label + ": the working set did not fit an ExCache of " + mib(full.capacityBytes()));
        }
        ExCacheConfig reduced = ExCacheSizing.about(ws * REDUCED_PERCENT / 100, ExCacheConfig.Policy.FIFO);
        for (ExCacheConfig c : List.of(full, reduced)) {
            String config = c == full ? "full" : REDUCED_PERCENT + "%";
            progress.step("wasm: " + label + ", ExCache " + config, step++, steps());
            configure(c);
            double[] seconds = new double[runs];
            LegoRun best = null;
            String error = null;
            for (int i = 0; i < runs && error == null; i++) {
                LegoRun r = runOnLego(path, args);
                error = check(r, expected, resultLineOnly);
                seconds[i] = r.finished().seconds();
                best = best == null || r.finished().seconds() < best.finished().seconds() ? r : best;
            }
            if (error != null) {
                failures.add("wasm: " + label + ", ExCache " + config + ": " + error);
                rows.add(Row.failed(workload, program, input, config, error));
                continue;
            }
            Arrays.sort(seconds);
            rows.add(new Row(workload, program, input, config, c.capacityBytes(), ws, seconds[0], median(seconds),
                    seconds[0] / nativeBest, best.stats().misses(), "same"));
        }
        return step;
    }

    /**
     * The working set of a run whose ExCache evicted nothing: in process mode the most pages it had resident at once
     * (a linear memory that moves as it grows, {@code mremap}, leaves its old pages behind; counting the pages it
     * touched would count those twice), in thread mode the distinct pages it filled.
     */
    private long workingSetBytes(LegoRun probe) {
        long pages = probe.peakResidentPages() >= 0 ? probe.peakResidentPages() : probe.stats().touchedPages();
        return Math.max(1, pages) * ExCacheConfig.LINE_SIZE;
    }

    private static boolean ok(LegoRun r) {
        return !r.finished().timedOut() && r.finished().exitCode() == 0;
    }

    /** Why a run is wrong (failed, timed out, another output than {@code expected}), or null if it is right. */
    private static String check(LegoRun r, String expected, boolean resultLineOnly) {
        Runs.Finished f = r.finished();
        if (f.timedOut()) {
            return "TIMEOUT after " + RUN_LIMIT.toMinutes() + " minutes (killed)";
        }
        if (f.exitCode() != 0) {
            return "exit " + f.exitCode() + ": " + tail(f.stderr() + f.error());
        }
        String got = resultLineOnly ? Workload.resultLine(f.stdout()) : f.stdout();
        String want = resultLineOnly ? expected.strip() : expected;
        if (!want.equals(got)) {
            return "DIFFERENT output: expected " + firstLine(want) + ", got " + (got == null ? "no result line"
                    : firstLine(got));
        }
        return null;
    }

    /**
     * Start-up: ls.wasm cold (its compiled classes deleted first) and cached, and the Java hello. The listing must be
     * what the native ls prints for a local directory holding the same files.
     */
    private void startup(List<Row> rows, Progress progress, int step, int total, String listing) throws Exception {
        RemoteFileService fs = cluster.files(VNODE);
        String ls = "/apps/ls.wasm";
        List<String> lsArgs = List.of(STARTUP_DIR);
        String hello = "hello from pid \\d+ on vNode " + VNODE + "\n";
        // prime: each program once, so the processor keeps a waiting task JVM for each class path (process mode)
        for (String p : List.of(ls, "hello")) {
            LegoRun r = runOnLego(p, p.equals(ls) ? lsArgs : List.of());
            String error = check(r, p.equals(ls) ? listing : r.finished().stdout(), false);
            if (error != null) {
                failures.add("wasm: start-up, first run of " + p + ": " + error);
                for (String what : List.of("ls.wasm, cold: compiles", "ls.wasm, cached: loads the compiled classes",
                        "Java hello (reference)")) {
                    rows.add(Row.failed("start-up", what, "-", "-", "not run: " + p + " failed"));
                }
                progress.step("wasm: done", total, total);
                return;
            }
        }
        int waiting = awaitWarm(-1);
        String program = "ls.wasm " + STARTUP_DIR;
        progress.step("wasm: start-up, " + program + " cold (compiles)", step++, total);
        rows.add(startupRow("ls.wasm, cold: compiles", ls, lsArgs, listing, waiting,
                () -> deleteTree(fs, WasmProgram.CACHE_DIR)));
        progress.step("wasm: start-up, " + program + " cached", step++, total);
        rows.add(startupRow("ls.wasm, cached: loads the compiled classes", ls, lsArgs, listing, waiting, () -> { }));
        progress.step("wasm: start-up, Java hello", step++, total);
        rows.add(startupRow("Java hello (reference)", "hello", List.of(), hello, waiting, () -> { }));
        progress.step("wasm: done", total, total);
    }

    /** What the native ls prints for a local copy of the vNode's {@value #STARTUP_DIR}: the start-up runs' reference. */
    private String nativeListing(Path data) throws IOException, InterruptedException {
        Path apps = Files.createDirectories(data.resolve(STARTUP_DIR.substring(1)));
        for (String b : BINARIES) {
            Files.copy(workDir.resolve(b + ".wasm"), apps.resolve(b + ".wasm"),
                    java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        }
        Native n = runNative(data, List.of(workDir.resolve("native").resolve("ls").toString(),
                apps.getFileName().toString()));
        if (n.exitCode() != 0) {
            throw new IllegalStateException("native ls failed (exit " + n.exitCode() + "): " + n.stderr());
        }
        return n.stdout();
    }

    /** Something done before each timed start-up run (deleting the compile cache). */
    @FunctionalInterface
    private interface Before {
        void run() throws IOException;
    }

    /**
     * @param expected the output, or for {@code hello} (whose output has its pid) a regular expression of it
     */
    private Row startupRow(String what, String program, List<String> args, String expected, int waiting, Before before)
            throws Exception {
        double[] seconds = new double[runs];
        long warm = 0;
        String error = null;
        for (int i = 0; i < runs && error == null; i++) {
            before.run();
            awaitWarm(waiting);
            long launches = processor.warmTaskLaunches();
            LegoRun r = runOnLego(program, args);
            warm += processor.warmTaskLaunches() - launches;
            seconds[i] = r.finished().seconds();
            String out = r.finished().stdout();
            error = check(r, program.equals("hello") && out.matches(expected) ? out : expected, false);
        }
        String input = args.isEmpty() ? "-" : String.join(" ", args);
        if (error != null) {
            failures.add("wasm: start-up, " + what + ": " + error);
            return Row.failed("start-up", what, input, "-", error);
        }
        Arrays.sort(seconds);
        String result = mode == ProcessorMode.PROCESS ? "ok, " + warm + "/" + runs + " in a waiting task JVM" : "ok";
        return new Row("start-up", what, input, "-", 0, 0, seconds[0], median(seconds), 0, -1, result);
    }

    /**
     * Process mode: waits (at most {@link #WARM_WAIT}) until the processor has {@code want} task JVMs waiting for a
     * program, as it has between commands typed by a user; {@code want < 0} waits until the number stops growing.
     * Returns the number waiting. Thread mode: 0 at once.
     */
    private int awaitWarm(int want) throws InterruptedException {
        if (mode != ProcessorMode.PROCESS) {
            return 0;
        }
        long deadline = System.nanoTime() + WARM_WAIT.toNanos();
        int n = processor.waitingTaskJvms().size();
        long stableSince = System.nanoTime();
        while (System.nanoTime() < deadline) {
            int now = processor.waitingTaskJvms().size();
            if (want >= 0 ? now >= want : now != n) {
                if (want >= 0) {
                    return now;
                }
                n = now;
                stableSince = System.nanoTime();
            } else if (want < 0 && n > 0 && System.nanoTime() - stableSince > 3_000_000_000L) {
                return n; // no more are being started
            }
            Thread.sleep(50);
        }
        return processor.waitingTaskJvms().size();
    }

    /** Deletes {@code path} and everything under it from the vNode's file system; nothing if it is absent. */
    private static void deleteTree(FileService fs, String path) throws IOException {
        List<FileService.DirEntry> entries;
        try {
            entries = fs.readdir(path);
        } catch (NoSuchFileException e) {
            return;
        }
        for (FileService.DirEntry e : entries) {
            String child = path + "/" + e.name();
            if (e.directory()) {
                deleteTree(fs, child);
            } else {
                fs.unlink(child);
            }
        }
        fs.rmdir(path);
    }

    /** Deletes a local directory and everything in it. */
    private static void deleteLocalTree(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (var walk = Files.walk(dir)) {
            for (Path p : walk.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        }
    }

    /** Copies a local file into the vNode's file system. */
    private static void upload(FileService fs, Path local, String path) throws IOException {
        fs.create(path, false);
        ByteBuffer buf = ByteBuffer.allocate(8 << 20);
        long offset = 0;
        try (FileChannel ch = FileChannel.open(local, StandardOpenOption.READ)) {
            for (int n; (n = ch.read(buf.clear())) > 0; ) {
                fs.write(path, offset, buf.flip());
                offset += n;
            }
        }
        fs.close(path);
    }

    /** A native run's outcome. */
    private record Native(int exitCode, String stdout, String stderr, double seconds) {
    }

    /** Runs {@code command} in {@code dir}, stdout and stderr to files (so a hung program can be killed), timed. */
    private Native runNative(Path dir, List<String> command) throws IOException, InterruptedException {
        Path out = workDir.resolve("data").resolve("native.out");
        Path err = workDir.resolve("data").resolve("native.err");
        long t0 = System.nanoTime();
        Process p = new ProcessBuilder(command).directory(dir.toFile()).redirectOutput(out.toFile())
                .redirectError(err.toFile()).start();
        if (!p.waitFor(RUN_LIMIT.toMillis(), TimeUnit.MILLISECONDS)) {
            p.destroyForcibly().waitFor();
            throw new IllegalStateException(String.join(" ", command) + " ran past " + RUN_LIMIT.toMinutes() + " minutes");
        }
        double seconds = (System.nanoTime() - t0) / 1e9;
        return new Native(p.exitValue(), Files.readString(out, StandardCharsets.UTF_8),
                Files.readString(err, StandardCharsets.UTF_8), seconds);
    }

    /** The native runs of one workload: times sorted, the output (the reference; the same in every run). */
    private record Timed(double[] seconds, String stdout) {
        double best() {
            return seconds[0];
        }

        Row row(String workload, String program, String input) {
            return new Row(workload, program, input, "-", 0, 0, best(), median(seconds), 1, -1, "reference");
        }
    }

    private Timed nativeRows(Path dir, List<String> command) throws IOException, InterruptedException {
        double[] seconds = new double[runs];
        String stdout = null;
        for (int i = 0; i < runs; i++) {
            Native n = runNative(dir, command);
            if (n.exitCode() != 0) {
                throw new IllegalStateException(String.join(" ", command) + " failed (exit " + n.exitCode() + "): "
                        + n.stderr());
            }
            if (stdout != null && !stdout.equals(n.stdout())) {
                throw new IllegalStateException(String.join(" ", command) + " is not deterministic: it printed "
                        + firstLine(stdout) + ", then " + firstLine(n.stdout()));
            }
            stdout = n.stdout();
            seconds[i] = n.seconds();
        }
        Arrays.sort(seconds);
        return new Timed(seconds, stdout);
    }

    /**
     * One row of the table.
     *
     * @param excacheBytes the ExCache's capacity (0: not on LegoOS/J)
     * @param workingSetBytes distinct bytes of pages the program touched (0: not measured)
     * @param best the fastest run, seconds (0 if it failed)
     * @param median the median run, seconds
     * @param vsNative {@code best / native best} (0: not compared)
     * @param misses ExCache misses in the fastest run (-1: none counted)
     * @param result {@code reference}, {@code same}, {@code ok} or what went wrong
     */
    public record Row(String workload, String program, String input, String excache, long excacheBytes,
                      long workingSetBytes, double best, double median, double vsNative, long misses, String result) {
        static Row failed(String workload, String program, String input, String excache, String why) {
            return new Row(workload, program, input, excache, 0, 0, 0, 0, 0, -1, why);
        }

        /** Whether the run printed what its reference printed (or is the reference). */
        public boolean correct() {
            return result.equals("reference") || result.equals("same") || result.startsWith("ok");
        }
    }

    private ResultTable table(List<Row> rows, HostSupport.Decision decision) {
        ResultTable t = new ResultTable(TITLE + " (in-JVM cluster, " + modeName(decision) + "; best and median of "
                + runs + " runs; vs native = best / native best)", "workload", "program", "input", "ExCache",
                ">ExCache MiB", ">working set MiB", ">of working set", ">best s", ">median s", ">vs native", ">misses",
                "result");
        for (Row r : rows) {
            boolean ran = r.best() > 0;
            t.row(r.workload(), r.program(), r.input(), r.excache(),
                    r.excacheBytes() == 0 ? "-" : String.format(Locale.ROOT, "%.2f", r.excacheBytes() / 1048576.0),
                    r.workingSetBytes() == 0 ? "-" : String.format(Locale.ROOT, "%.2f", r.workingSetBytes() / 1048576.0),
                    r.workingSetBytes() == 0 ? "-" : String.format(Locale.ROOT, "%.0f%%",
                            100.0 * r.excacheBytes() / r.workingSetBytes()),
                    ran ? String.format(Locale.ROOT, "%.3f", r.best()) : "-",
                    ran ? String.format(Locale.ROOT, "%.3f", r.median()) : "-",
                    r.vsNative() == 0 ? "-" : String.format(Locale.ROOT, "%.2fx", r.vsNative()),
                    r.misses() < 0 ? "-" : r.misses(), r.result());
        }
        return t;
    }

    private static String modeName(HostSupport.Decision d) {
        return d.mode().name().toLowerCase(Locale.ROOT) + " mode (" + d.reason() + ")";
    }

    private String note(HostSupport.Decision decision) {
        return "What this shows: the same C source, compiled once to wasm32-wasi by " + SCRIPT + ", runs unmodified as a "
                + "LegoOS/J process (Chicory's wasm-to-bytecode compiler, its linear memory in the process's disaggregated "
                + "address space) and prints byte for byte what the native build prints (result: same). 'vs native' at a "
                + "full ExCache is what the portable binary costs here: the process's start-up (its compiled classes "
                + "loaded from the vNode's cache" + (decision.mode() == ProcessorMode.PROCESS ? ", in a task JVM" : "")
                + "), Chicory's compiled code on a JVM whose JIT starts cold, and bounds-checked accesses to a linear "
                + "memory in the address space; at " + REDUCED_PERCENT + "% it adds the ExCache misses to the memory "
                + "component. The working set is measured by a first run with an ExCache that "
                + "evicted and prefetched nothing: " + (decision.mode() == ProcessorMode.PROCESS
                ? "the most pages it had resident at once (sampled every " + SAMPLE_MILLIS + " ms)"
                : "the distinct pages it filled, so a page of a linear memory that moved as it grew (mremap) counts at "
                + "both addresses and the working set of a growing wasm program is overstated") + "; for wasm that is the linear memory the program used (heap grown "
                + "with memory.grow, stack, data), not its compiled code. The full ExCache is that run's; the reduced one is " + REDUCED_PERCENT + "% of it (never below "
                + mib(ExCacheSizing.MIN_BYTES) + ", the smallest ExCache the harness configures; 'of working set' "
                + "gives the real share). Word count streams its file through a fixed buffer and keeps only the "
                + "distinct words, so its working set stays small whatever the input size; the KV store's table is its "
                + "working set. The Java rows are the bundled Java programs on the same cluster, inputs and thread count "
                + "(1, as the C programs), checked against their plain-Java references: wordcount reads the same file "
                + "but its words are letters only (the C program also counts digits), and kvstore is a different store "
                + "(values in a log-structured arena, a Zipf " + KV_ZIPF + " mix of gets and puts, no deletes) run with "
                + "the same keys, operations, " + KV_VALUE_BYTES + "-byte values and " + Math.round(KV_GET_RATIO * 100)
                + "% gets, so they stand side by side rather than race. Start-up: wall time from the client's start call "
                + "to the exit of ls.wasm " + STARTUP_DIR + " with the vNode's " + WasmProgram.CACHE_DIR + " deleted "
                + "first (parse, compile, instantiate) and with it in place (the compiled classes loaded), and of the "
                + "bundled Java hello" + (decision.mode() == ProcessorMode.PROCESS ? "; in process mode each started "
                + "once the processor had its task JVMs waiting again, as between two commands a user types." : ".");
    }

    private static double median(double[] sorted) {
        int n = sorted.length;
        return n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
    }

    private static String mib(long bytes) {
        return bytes % (1L << 20) == 0 ? (bytes >> 20) + " MiB" : String.format(Locale.ROOT, "%.2f MiB", bytes / 1048576.0);
    }

    private static String firstLine(String s) {
        int nl = s.indexOf('\n');
        return "'" + (nl < 0 ? s : s.substring(0, nl)) + "'";
    }

    private static String tail(String s) {
        String t = s.strip();
        return t.length() <= 400 ? t : "..." + t.substring(t.length() - 400);
    }
}
