package org.legoos.cli;

import java.io.PrintStream;
import java.nio.file.Path;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.Callable;
import org.legoos.eval.Bench;
import org.legoos.examples.workload.Workload;
import org.legoos.examples.workload.Workloads;
import org.legoos.node.config.LegoConfig;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code lego bench}: the paper's evaluation on this machine (see {@link Bench}); tables on stdout, a progress bar
 * on stderr, and results.md, CSV files and PNG plots under {@code --out}. Exit 1 if a result was wrong.
 */
@Command(name = "bench", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Reproduces the LegoOS paper's evaluation on this machine, side by side with plain Java.",
                "Runs each workload on its plain-Java twin and on LegoOS/J with an ExCache larger than the working set and "
                + "at 50/25/12.5%% of it, in this JVM and over TCP between separate processes; then the memory-throughput, "
                + "storage and ExCache-technique tables, failover, scale, and the C programs built to WebAssembly "
                + "(section wasm: needs the repository's scripts/wasm-build, else it is skipped) against native and Java. "
                + "Prints the tables, writes results.md, CSV files and PNG plots under --out. Exits 1 if any LegoOS/J "
                + "result differs from its twin's."})
final class BenchCommand implements Callable<Integer> {
    @Option(names = "--quick", description = "Small sizes (a few minutes in all) instead of the paper-scale ones.")
    boolean quick;

    @Option(names = {"-w", "--workload"}, split = ",", paramLabel = "NAME",
            description = "Workloads to run (repeatable or comma-separated; default: all of ${COMPLETION-CANDIDATES}).",
            completionCandidates = WorkloadNames.class)
    List<String> workloads = new ArrayList<>();

    @Option(names = "--sections", split = ",", paramLabel = "SECTION",
            description = "Parts to run: ${COMPLETION-CANDIDATES} (default: all).")
    Set<Bench.Section> sections = EnumSet.allOf(Bench.Section.class);

    @Option(names = "--out", paramLabel = "DIR", description = "Where results go (default: bench-results/<date-time>).")
    Path out;

    @Option(names = "--no-tcp", description = "Skip the separate-process TCP deployment.")
    boolean noTcp;

    @Option(names = "--insecure",
            description = "Run the TCP deployment with security.mode: insecure (plaintext) instead of mutual TLS, e.g. to"
                    + " measure what TLS costs.")
    boolean insecure;

    @Option(names = "--mode", paramLabel = "MODE", converter = ModeConverter.class,
            description = "How the processors run the programs, in both deployments: process (each its own JVM, memory "
                    + "through userfaultfd) or thread (threads of the processor's JVM). Default: threads in-JVM, and the "
                    + "configuration's auto over TCP (process mode where the host supports it).")
    org.legoos.api.ProcessorMode mode;

    /** {@code process} or {@code thread}, any case; {@code auto} is a configured choice, not a bench mode. */
    static final class ModeConverter implements picocli.CommandLine.ITypeConverter<org.legoos.api.ProcessorMode> {
        @Override
        public org.legoos.api.ProcessorMode convert(String value) {
            return switch (value.toLowerCase(Locale.ROOT)) {
                case "process" -> org.legoos.api.ProcessorMode.PROCESS;
                case "thread" -> org.legoos.api.ProcessorMode.THREAD;
                default -> throw new picocli.CommandLine.TypeConversionException(
                        "--mode must be process or thread, got '" + value + "'");
            };
        }
    }

    @Option(names = "--threads", defaultValue = "2", description = "Threads per program (default: ${DEFAULT-VALUE}).")
    int threads;

    @Option(names = "--seed", defaultValue = "42", description = "Seed of every generated data set (default: ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--prefetch-pages", paramLabel = "N", defaultValue = "" + org.legoos.processor.excache.ExCacheConfig.DEFAULT_PREFETCH_PAGES,
            description = "Most pages the ExCache prefetches per miss in the workload section; 0 turns prefetch off, as in LegoOS "
                    + "(default: ${DEFAULT-VALUE}).")
    int prefetchPages;

    @Option(names = "--excache", split = ",", paramLabel = "PERCENT",
            description = "ExCache sizes below full to run each workload at, in percent of its working set (comma-separated, "
                    + "e.g. 25 or 50,25,12.5; default: 50, 25, 12.5 and the paper's size for the workload).")
    List<String> excache = new ArrayList<>();

    @Option(names = "--profile", paramLabel = "EVENT", arity = "0..1", fallbackValue = "cpu",
            description = "Profile the run with async-profiler: cpu (default), wall, alloc or lock. Writes flame graphs "
                    + "(profile-EVENT*.html: this JVM, and one per component JVM of the TCP deployment), collapsed stacks and "
                    + "the top methods (profile-EVENT-top.txt) beside the results.")
    String profile;

    private final Io io;

    /** "25", "12.5%" -> 0.25, 0.125; anything else is a usage error naming the value. */
    static List<Double> fractions(List<String> percents) {
        List<Double> f = new ArrayList<>();
        for (String p : percents) {
            String v = p.strip();
            v = v.endsWith("%") ? v.substring(0, v.length() - 1) : v;
            double d;
            try {
                d = Double.parseDouble(v);
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("--excache takes percentages of the working set such as 25 or 12.5, got '" + p + "'");
            }
            if (!(d > 0 && d < 100)) {
                throw new IllegalArgumentException("--excache sizes must be above 0% and below 100% (full always runs), got '" + p + "'");
            }
            f.add(d / 100);
        }
        return f;
    }

    BenchCommand(Io io) {
        this.io = io;
    }

    /** Workload names for the help text. */
    static final class WorkloadNames extends ArrayList<String> {
        WorkloadNames() {
            super(Workloads.all().stream().map(Workload::name).toList());
        }
    }

    @Override
    public Integer call() throws Exception {
        if (threads < 1 || threads > 64) {
            throw new IllegalArgumentException("--threads must be in [1, 64], got " + threads);
        }
        Path dir = out != null ? out : Path.of("bench-results",
                LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss", Locale.ROOT)));
        String cmd = "lego bench" + (quick ? " --quick" : "") + (workloads.isEmpty() ? "" : " --workload " + String.join(",", workloads))
                + (sections.size() == Bench.Section.values().length ? "" : " --sections " + sections.stream()
                .map(s -> s.name().toLowerCase(Locale.ROOT)).reduce((a, b) -> a + "," + b).orElse(""))
                + (noTcp ? " --no-tcp" : "")
                + (prefetchPages == org.legoos.processor.excache.ExCacheConfig.DEFAULT_PREFETCH_PAGES ? "" : " --prefetch-pages " + prefetchPages)
                + (mode == null ? "" : " --mode " + mode.name().toLowerCase(Locale.ROOT))
                + (excache.isEmpty() ? "" : " --excache " + String.join(",", excache))
                + (profile == null ? "" : " --profile " + profile)
                + (insecure ? " --insecure" : "");
        List<Double> cacheFractions = fractions(excache);
        Bench.Plan plan = new Bench.Plan(quick, workloads, sections, !noTcp, dir, seed, threads,
                UpCommand.javaCommand(LegoConfig.defaults()), cmd, prefetchPages, mode, cacheFractions,
                insecure ? org.legoos.api.security.SecurityMode.INSECURE : org.legoos.api.security.SecurityMode.TLS);
        org.legoos.eval.Profiler profiler = profile == null ? null : org.legoos.eval.Profiler.start(dir, profile);
        if (profiler != null) {
            plan = plan.withJavaCommand(profiler.withJavaOptions(plan.javaCommand()));
        }
        if (System.getenv("LEGO_LOG") == null) {
            // the in-JVM cluster's component logs (joins, restarts) would tear the progress bar; errors still show
            ((ch.qos.logback.classic.Logger) org.slf4j.LoggerFactory.getLogger("org.legoos"))
                    .setLevel(ch.qos.logback.classic.Level.ERROR);
        }
        Bar bar = new Bar(io.err(), io.errIsTerminal());
        List<String> failures;
        try {
            failures = new Bench(plan, io.out(), bar).run();
        } finally {
            bar.end();
            if (profiler != null) {
                profiler.stop();
            }
        }
        io.out().println();
        io.out().println("results: " + dir.resolve("results.md") + " (CSV and PNG files beside it)");
        if (profiler != null) {
            io.out().println("profile: " + profiler.flameGraph() + " (top methods in " + dir.resolve("profile-" + profile
                    + "-top.txt") + "; component JVMs of the TCP deployment wrote profile-" + profile + "-pid-*.html)");
        }
        for (String f : failures) {
            io.err().println("lego bench: " + f);
        }
        return failures.isEmpty() ? Lego.EXIT_OK : Lego.EXIT_FAILURE;
    }

    /**
     * The progress bar: {@code [=======>        ] 12/40  wordcount: in-JVM, ExCache 25%  (3m10s)}, redrawn in place
     * on a terminal; one line per step otherwise (logs stay readable).
     */
    static final class Bar implements org.legoos.eval.Progress {
        private static final int WIDTH = 24;
        private final PrintStream err;
        private final boolean terminal;
        private final long start = System.nanoTime();
        private boolean drawn;

        Bar(PrintStream err, boolean terminal) {
            this.err = err;
            this.terminal = terminal;
        }

        @Override
        public void step(String what, int done, int total) {
            int filled = total == 0 ? WIDTH : (int) ((long) WIDTH * Math.min(done, total) / total);
            long s = (System.nanoTime() - start) / 1_000_000_000L;
            String line = "[" + "=".repeat(filled) + (filled < WIDTH ? ">" + " ".repeat(WIDTH - filled - 1) : "") + "] "
                    + done + "/" + total + "  " + what + "  (" + (s / 60) + "m" + String.format(Locale.ROOT, "%02d", s % 60) + "s)";
            if (terminal) {
                err.print("\r\033[K" + line);
                drawn = true;
            } else {
                err.println(line);
            }
            err.flush();
        }

        void end() {
            if (drawn) {
                err.println();
                drawn = false;
            }
        }
    }
}
