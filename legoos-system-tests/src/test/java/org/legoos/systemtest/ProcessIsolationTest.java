package org.legoos.systemtest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;
import static org.legoos.systemtest.SeparateJvmClusterTest.ms;

import java.io.IOException;
import java.io.PipedInputStream;
import java.io.PipedOutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.LocalTime;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.SortedMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.legoos.api.LegoProgram;
import org.legoos.examples.CorpusGenerator;
import org.legoos.examples.WordCount;
import org.legoos.node.cluster.NodeRole;
import org.legoos.processor.ProcessMonitor;
import org.legoos.processor.client.ProcessClient;
import org.legoos.systemtest.LoopbackCluster.Component;
import org.legoos.systemtest.LoopbackCluster.Launch;
import org.legoos.systemtest.programs.ConnectToComponent;
import org.legoos.systemtest.programs.Entropy;
import org.legoos.systemtest.programs.ExitSeven;
import org.legoos.systemtest.programs.HeapHog;
import org.legoos.systemtest.programs.LoudCrash;
import org.legoos.systemtest.programs.ManyThreads;
import org.legoos.systemtest.programs.ReadHostFile;
import org.legoos.systemtest.programs.Spin;
import org.legoos.systemtest.programs.TouchMemory;
import org.legoos.systemtest.programs.WriteHostFile;
import org.legoos.task.TaskMain;
import org.legoos.testkit.Await;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.Timeout;

/**
 * The isolation suite of process mode ({@code --processor.mode process}: every process is a sandboxed child JVM of
 * its processor component, its memory served through userfaultfd), in a real cluster of separate JVMs on loopback
 * (manager with a 2 s heartbeat timeout, one memory and one storage component; each test adds its own processor
 * component):
 * <ol>
 * <li>a processor component killed mid-fault (a task blocked in a page fault its processor no longer serves): the task
 *     JVM dies with it, {@code lego run} reports the failure;</li>
 * <li>hostile programs (System.exit, reading and writing host files, connecting to components, heap exhaustion, an
 *     endless loop killed with {@code lego kill}, thousands of threads, a crash report on the raw stderr) run on the
 *     same processor component while a word count runs there: each is contained and reported with the right exit
 *     code, the word count's result is right, the processor lives on and no task JVM is left.</li>
 * </ol>
 * The processor killed in the first test is DEAD before the second adds its own, so the GPM places the second test's
 * processes on that one (the order matters only for that; each test also runs alone).
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
@Timeout(value = 150, unit = TimeUnit.SECONDS)
class ProcessIsolationTest {
    private static final Duration HEARTBEAT_TIMEOUT = Duration.ofSeconds(2);
    /** The processor's kill grace ({@code --processor.kill-grace}); a killed task must be gone within it. */
    private static final Duration KILL_GRACE = Duration.ofSeconds(2);
    /** How long a task JVM may outlive its processor component (PR_SET_PDEATHSIG makes it immediate). */
    private static final Duration ORPHAN_BOUND = Duration.ofSeconds(5);
    /**
     * The word count's corpus: big enough that it runs during the whole suite (on this 2-core machine 64 MiB took 27 s
     * once a stream's pages stopped evicting the hash tables, and the last hostile program but ManyThreads ended 22 s
     * after the word count started).
     */
    private static final long CORPUS_BYTES = 80L << 20;
    private static final int MANY_THREADS = 4000;
    private static final String PROGRAMS = "org.legoos.systemtest.programs.";
    private static final String JAR = "/bin/hostile.jar";

    private static final Pattern START = Pattern.compile(
            "^(\\d\\d:\\d\\d:\\d\\d\\.\\d{3}) .*start pid=(\\d+) program=(\\S+) .* as task os pid (\\d+)");
    private static final Pattern EXIT = Pattern.compile(
            "^(\\d\\d:\\d\\d:\\d\\d\\.\\d{3}) .*exit pid=(\\d+) code=(-?\\d+)(?: error=(.*?))? \\(processor's ExCache");
    private static final Pattern KILL = Pattern.compile("^(\\d\\d:\\d\\d:\\d\\d\\.\\d{3}) .*kill pid=(\\d+) \\(task os pid (\\d+)\\)");

    private Path dir;
    private LoopbackCluster cluster;

    @BeforeAll
    void startCluster() throws Exception {
        dir = LegoJar.workDir(getClass().getSimpleName()).toRealPath();
        long t0 = System.nanoTime();
        cluster = LoopbackCluster.start(dir, List.of("--manager.heartbeat-timeout", HEARTBEAT_TIMEOUT.toMillis() + "ms",
                        "--manager.heartbeat-check-interval", "200ms", "--manager.report-interval", "250ms"),
                List.of("--manager.report-interval", "250ms"));
        cluster.setUp(() -> {
            cluster.add(Launch.of(NodeRole.MEMORY, "--memory.capacity-bytes", "512MiB", "--memory.workers", "2"),
                    Launch.of(NodeRole.STORAGE));
            cluster.lego("vnode create", "iso").ok();
            cluster.lego("cp", hostileJar().toString(), "iso:" + JAR).ok();
            System.out.printf("cluster up in %d ms: manager %s, %s%n", ms(t0), cluster.managerAddress(), cluster.components());
        });
    }

    @AfterAll
    void stopCluster() {
        if (cluster != null) {
            cluster.close();
        }
    }

    /** One jar with every program of the suite; {@code lego run /bin/hostile.jar!CLASS} picks one. */
    private Path hostileJar() throws IOException {
        return ProgramJar.write(ExitSeven.class, dir.resolve("hostile.jar"));
    }

    private static String program(Class<? extends LegoProgram> c) {
        return JAR + "!" + c.getName();
    }

    /** A processor component in process mode. */
    private Component addProcessor(String excache) throws InterruptedException {
        Component p = cluster.add(Launch.of(NodeRole.PROCESSOR, "--processor.mode", "process", "--processor.excache-bytes", excache,
                "--processor.cores", "2", "--processor.kill-grace", KILL_GRACE.toMillis() + "ms",
                "--processor.task-heap-bytes", "128MiB")).getFirst();
        String mode = p.jvm().stderr().lines().filter(l -> l.contains(" runs processes in ")).findFirst().orElse("");
        assertThat(mode).as(p.jvm().tail()).contains("runs processes in process mode");
        // a host without userfaultfd or Landlock ABI 4+ runs process mode without the sandbox (or not at all): nothing to test
        assumeTrue(mode.endsWith("in process mode (configured)"), "this host cannot sandbox tasks: " + mode);
        return p;
    }

    // ------------------------------------------------------------------ 1: killed mid-fault

    @Test
    @Order(1)
    void aProcessorComponentKilledMidFaultTakesItsTaskJvmWithIt() throws Exception {
        Component processor = addProcessor("1MiB");
        long bytes = 8L << 20; // 8 times the ExCache: every store misses
        JvmProcess run = cluster.startLego("run-touch", "run", "--vnode", "iso", program(TouchMemory.class), String.valueOf(bytes));
        run.awaitStdout(Pattern.compile("^round 2$"), Duration.ofSeconds(60));
        Task task = awaitTask(processor, TouchMemory.class.getName());
        assertThat(running(task.osPid())).as("task JVM %d runs", task.osPid()).isTrue();

        // freeze the processor: the task's next miss waits for a fault handler that will never answer
        signal("STOP", processor.jvm().pid());
        Optional<String> inFault;
        try {
            inFault = awaitThreadInUserfault(task.osPid(), Duration.ofSeconds(5));
        } catch (AssertionError e) {
            signal("CONT", processor.jvm().pid());
            throw e;
        }
        System.out.println("task JVM " + task.osPid() + inFault.map(t -> ": thread '" + t + "' waits in handle_userfault")
                .orElse(": (wchan not readable here; fault state not checked)"));

        long t0 = System.nanoTime();
        processor.jvm().kill9();
        Await.until("task JVM " + task.osPid() + " dies with its processor component", ORPHAN_BOUND, () -> !running(task.osPid()));
        long goneMs = ms(t0);
        System.out.printf("processor %s killed mid-fault: its task JVM %d was gone %d ms later%n", processor, task.osPid(), goneMs);
        // the JVMs it kept waiting for the next process too (processor.warmTasks): they never ran a program
        Await.until("no task JVM of the killed processor is left, waiting ones included", ORPHAN_BOUND,
                () -> taskJvmsOfThisCluster(false).isEmpty());

        int code = run.awaitExit(HEARTBEAT_TIMEOUT.plusSeconds(30));
        System.out.printf("lego run exited %d after %d ms: %s%n", code, ms(t0), run.stderr().strip());
        assertThat(code).as(run.tail()).isEqualTo(ProcessClient.EXIT_COMPONENT_DIED);
        assertThat(run.stderr()).as("lego run says why\n" + run.tail())
                .containsPattern("lego: pid " + task.pid() + " is lost: .*node " + processor.nodeId() + "\\b.*\\b(DEAD|died)\\b");
        cluster.awaitMember(processor.nodeId(), m -> m.state() == org.legoos.api.ComponentState.DEAD, Duration.ofSeconds(10), "DEAD");
    }

    /** Waits until a thread of process {@code pid} sleeps in {@code handle_userfault}; empty if wchan cannot be read. */
    private static Optional<String> awaitThreadInUserfault(long pid, Duration timeout) {
        Path tasks = Path.of("/proc", String.valueOf(pid), "task");
        boolean[] readable = new boolean[1];
        String found = Await.value("a thread of task JVM " + pid + " waits in a page fault", timeout, () -> {
            try (Stream<Path> s = Files.list(tasks)) {
                for (Path t : s.toList()) {
                    String wchan = read(t.resolve("wchan")).strip();
                    if (!wchan.isEmpty() && !wchan.equals("0")) {
                        readable[0] = true;
                    }
                    if (wchan.contains("userfault")) {
                        return read(t.resolve("comm")).strip();
                    }
                }
            } catch (IOException | UncheckedIOException e) {
                throw new AssertionError("task JVM " + pid + " is gone: " + e);
            }
            return readable[0] ? null : "";
        });
        return found.isEmpty() ? Optional.empty() : Optional.of(found);
    }

    // ------------------------------------------------------------------ 2: hostile programs next to a word count

    @Test
    @Order(2)
    void hostileProgramsAreContainedWhileAWordCountOnTheSameProcessorFinishesCorrectly() throws Exception {
        Component processor = addProcessor("16MiB");
        long seed = Long.getLong("systemtest.seed", System.nanoTime());
        System.out.println("word count corpus seed " + seed + " (replay with -Dsystemtest.seed=" + seed + ")");
        // the reference: the same corpus, generated here and counted by the plain Java count (while the cluster works)
        CompletableFuture<String> expected = CompletableFuture.supplyAsync(() -> reference(CORPUS_BYTES, seed));

        long t0 = System.nanoTime();
        JvmProcess wordCount = cluster.startLego("run-wordcount", "run", "--vnode", "iso", "wordcount", "--generate",
                String.valueOf(CORPUS_BYTES), "--seed", String.valueOf(seed), "--top", "10");
        Task wc = awaitTask(processor, "wordcount");

        String hostFile = Stream.of("/etc/hostname", "/etc/passwd").filter(f -> Files.isReadable(Path.of(f))).findFirst()
                .orElseThrow(() -> new AssertionError("no readable host file to try"));
        Path written = dir.resolve("written-by-a-task.txt");
        Map<Class<? extends LegoProgram>, JvmProcess> runs = new LinkedHashMap<>();
        runs.put(Spin.class, run(Spin.class));
        runs.put(ExitSeven.class, run(ExitSeven.class));
        runs.put(ReadHostFile.class, run(ReadHostFile.class, hostFile));
        runs.put(WriteHostFile.class, run(WriteHostFile.class, written.toString()));
        runs.put(ConnectToComponent.class, run(ConnectToComponent.class, processor.address(), cluster.managerAddress(),
                cluster.components(NodeRole.MEMORY).getFirst().address()));
        runs.put(HeapHog.class, run(HeapHog.class));
        runs.put(ManyThreads.class, run(ManyThreads.class, String.valueOf(MANY_THREADS)));
        runs.put(LoudCrash.class, run(LoudCrash.class, String.valueOf(1 << 20)));
        runs.put(Entropy.class, run(Entropy.class));

        // the endless loop: kill it once it spins; SIGKILL takes effect within the kill grace
        runs.get(Spin.class).awaitStdout(Pattern.compile("^spinning$"), Duration.ofSeconds(60));
        Task spin = awaitTask(processor, Spin.class.getName());
        assertThat(running(spin.osPid())).isTrue();
        CliResult kill = cluster.lego("kill", String.valueOf(spin.pid())).ok();
        long killed = System.nanoTime();
        assertThat(kill.stdout()).contains("killed pid " + spin.pid());
        Await.until("killed task JVM " + spin.osPid() + " is gone", KILL_GRACE, () -> !running(spin.osPid()));
        long goneMs = ms(killed);

        Map<Class<? extends LegoProgram>, Integer> codes = new LinkedHashMap<>();
        for (var e : runs.entrySet()) {
            codes.put(e.getKey(), e.getValue().awaitExit(LoopbackCluster.CLI_TIMEOUT));
        }
        long suiteMs = ms(t0);
        String log = processor.jvm().stderr();
        String why = "\n" + processor.jvm().tail();

        // Spin: SIGKILL, reported as 137, and the processor saw the exit within the kill grace of the kill
        LocalTime killAt = at(KILL, log, spin.pid());
        LocalTime exitAt = at(EXIT, log, spin.pid());
        long reportedMs = ChronoUnit.MILLIS.between(killAt, exitAt);
        System.out.printf("spin: task JVM gone %d ms after lego kill returned; processor: kill to exit report %d ms%n", goneMs,
                reportedMs);
        assertThat(codes.get(Spin.class)).as(runs.get(Spin.class).tail()).isEqualTo(ProcessMonitor.EXIT_KILLED);
        assertThat(reportedMs).as("kill to exit report, processor log" + why).isBetween(0L, KILL_GRACE.toMillis());

        // System.exit(7): 7, nothing else hurt
        assertThat(codes.get(ExitSeven.class)).as(runs.get(ExitSeven.class).tail()).isEqualTo(7);
        assertThat(runs.get(ExitSeven.class).stdout()).isEqualTo("exiting with 7\n");

        // host files and the network: every attempt denied
        JvmProcess read = runs.get(ReadHostFile.class);
        assertThat(codes.get(ReadHostFile.class)).as(read.tail()).isEqualTo(ReadHostFile.ALL_DENIED);
        assertThat(read.stdout()).as(read.tail()).doesNotContain("READ").contains("denied: nio read of " + hostFile)
                .contains("AccessDeniedException").contains("Permission denied");
        JvmProcess write = runs.get(WriteHostFile.class);
        assertThat(codes.get(WriteHostFile.class)).as(write.tail()).isEqualTo(WriteHostFile.ALL_DENIED);
        assertThat(write.stdout()).as(write.tail()).doesNotContain("WROTE").contains("denied: nio write of " + written);
        assertThat(written).as("the host file a task tried to write").doesNotExist();
        JvmProcess connect = runs.get(ConnectToComponent.class);
        assertThat(codes.get(ConnectToComponent.class)).as(connect.tail()).isEqualTo(ConnectToComponent.ALL_DENIED);
        assertThat(connect.stdout()).as(connect.tail()).doesNotContain("CONNECTED").doesNotContain("LISTENING")
                .contains("denied: connect to " + processor.address()).contains("Permission denied");

        // heap exhaustion: that task ends with a clear report; the processor's own heap is untouched
        JvmProcess hog = runs.get(HeapHog.class);
        assertThat(codes.get(HeapHog.class)).as(hog.tail()).isNotZero().isNotEqualTo(ProcessClient.EXIT_COMPONENT_DIED);
        assertThat(hog.stderr()).as("the launcher sees the OutOfMemoryError\n" + hog.tail()).contains("OutOfMemoryError");
        Task hogTask = task(log, HeapHog.class.getName());
        assertThat(exitLine(log, hogTask.pid()).group(4)).as("processor's exit report" + why).startsWith("out of memory");

        // thousands of threads: contained either way
        JvmProcess many = runs.get(ManyThreads.class);
        assertThat(codes.get(ManyThreads.class)).as(many.tail()).isIn(0, ManyThreads.LIMITED);
        assertThat(many.stdout()).as(many.tail()).matches("(?s)(started " + MANY_THREADS + " threads|thread limit at \\d+: .*)\n");

        // a crash report on the raw stderr arrives whole, before the exit
        JvmProcess crash = runs.get(LoudCrash.class);
        assertThat(codes.get(LoudCrash.class)).as(crash.tail()).isEqualTo(LoudCrash.EXIT_CODE);
        assertWholeReport(crash.stderr());

        // not hostile: a SecureRandom (File.createTempFile, UUID.randomUUID) works in the sandbox without stalling
        JvmProcess entropy = runs.get(Entropy.class);
        assertThat(codes.get(Entropy.class)).as(entropy.tail()).isZero();
        assertThat(entropy.stdout()).as(entropy.tail()).startsWith("entropy: NativePRNG in ");

        // the overlap was real: the word count started before every hostile program and exited after all of them, but
        // ManyThreads, which need only start while it runs: its harm is its threads while it lives (starting 4,000 of
        // them took 14 s here), and its exit is a plain return
        int wcCode = wordCount.awaitExit(LoopbackCluster.CLI_TIMEOUT);
        long wcMs = ms(t0);
        log = processor.jvm().stderr();
        List<String> lines = log.lines().toList();
        int wcStart = lineOf(lines, START, wc.pid());
        int wcExit = lineOf(lines, EXIT, wc.pid());
        for (Class<? extends LegoProgram> c : runs.keySet()) {
            Task t = task(log, c.getName());
            assertThat(lineOf(lines, START, t.pid())).as("%s started after the word count%s", c.getSimpleName(), why)
                    .isGreaterThan(wcStart);
            if (c == ManyThreads.class) {
                assertThat(lineOf(lines, START, t.pid())).as("%s started before the word count exited%s", c.getSimpleName(),
                        why).isLessThan(wcExit);
            } else {
                assertThat(lineOf(lines, EXIT, t.pid())).as("%s exited before the word count%s", c.getSimpleName(), why)
                        .isLessThan(wcExit);
            }
        }
        System.out.printf("hostile programs done after %d ms, word count after %d ms; exit codes %s%n", suiteMs, wcMs, codes);

        // the word count is right
        assertThat(wcCode).as(wordCount.tail()).isZero();
        assertThat(wordCount.stdout()).isEqualTo(expected.get(60, TimeUnit.SECONDS));

        // the processor component lives on, with no process and no task JVM left
        assertThat(processor.jvm().isAlive()).isTrue();
        CliResult status = cluster.lego("status").ok();
        System.out.println(status.stdout());
        assertThat(status.table("NODE")).filteredOn(r -> r.get("NODE").equals(String.valueOf(processor.nodeId())))
                .singleElement().satisfies(r -> assertThat(r).containsEntry("STATE", "ALIVE").containsEntry("MODE", "process"));
        CliResult ps = cluster.lego("ps").ok();
        assertThat(ps.stdout()).as(ps.toString()).doesNotContain(JAR).doesNotContain("wordcount");
        // JVMs waiting for the next process (processor.warmTasks) may stay: they never ran a program
        Await.until("every task JVM that ran a process is gone", Duration.ofSeconds(5), () -> taskJvmsOfThisCluster(true).isEmpty());
        for (Class<? extends LegoProgram> c : runs.keySet()) {
            assertThat(running(task(log, c.getName()).osPid())).as("task JVM of %s", c.getSimpleName()).isFalse();
        }
    }

    private JvmProcess run(Class<? extends LegoProgram> c, String... args) {
        List<String> a = new ArrayList<>(List.of("--vnode", "iso", program(c)));
        a.addAll(List.of(args));
        return cluster.startLego("run-" + c.getSimpleName(), "run", a.toArray(String[]::new));
    }

    /** What word count prints for the corpus of {@code (bytes, seed)}: summary and result line, from the plain count. */
    private static String reference(long bytes, long seed) {
        try (PipedInputStream in = new PipedInputStream(1 << 16); PipedOutputStream out = new PipedOutputStream(in)) {
            Thread gen = Thread.ofPlatform().name("corpus").start(() -> {
                try (out) {
                    CorpusGenerator.generate(out, bytes, seed);
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            });
            SortedMap<String, Long> counts = WordCount.countPlain(in);
            gen.join();
            return WordCount.referenceSummary(counts, 10) + WordCount.referenceResult(counts) + "\n";
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** Every line of the report, numbered without a gap, then the last line: nothing of it was lost. */
    private static void assertWholeReport(String stderr) {
        List<String> report = stderr.lines().filter(l -> l.startsWith("loud crash: ")).toList();
        assertThat(report).as("the crash report reached lego run").isNotEmpty();
        assertThat(report.getLast()).as("the report's last line reached lego run (%d report lines)", report.size())
                .isEqualTo(LoudCrash.LAST_LINE);
        for (int i = 0; i < report.size() - 1; i++) {
            if (!report.get(i).equals("loud crash: report line " + i)) {
                throw new AssertionError("report line " + i + " is '" + report.get(i) + "'");
            }
        }
        assertThat(report.size()).as("report lines of about 1 MiB").isGreaterThan(30_000);
    }

    // ------------------------------------------------------------------ processor log, /proc

    /** A process on a processor: LegoOS/J pid and the OS pid of its task JVM. */
    private record Task(long pid, long osPid) {}

    /** Waits until the processor's log shows the start of a process running {@code programSuffix}. */
    private static Task awaitTask(Component processor, String programSuffix) {
        try {
            return Await.value(programSuffix + " starts on " + processor, Duration.ofSeconds(60), () -> {
                try {
                    return task(processor.jvm().stderr(), programSuffix);
                } catch (AssertionError e) {
                    return null;
                }
            });
        } catch (AssertionError e) {
            throw new AssertionError(e.getMessage() + "\n" + processor.jvm().tail(), e);
        }
    }

    /** The one process of the log whose program ends with {@code programSuffix}. */
    private static Task task(String log, String programSuffix) {
        List<Task> found = new ArrayList<>();
        for (String line : log.split("\n")) {
            Matcher m = START.matcher(line);
            if (m.find() && m.group(3).endsWith(programSuffix)) {
                found.add(new Task(Long.parseLong(m.group(2)), Long.parseLong(m.group(4))));
            }
        }
        if (found.size() != 1) {
            throw new AssertionError(found.size() + " processes of " + programSuffix + " in the processor's log");
        }
        return found.getFirst();
    }

    private static Matcher exitLine(String log, long pid) {
        for (String line : log.split("\n")) {
            Matcher m = EXIT.matcher(line);
            if (m.find() && Long.parseLong(m.group(2)) == pid) {
                return m;
            }
        }
        throw new AssertionError("no exit of pid " + pid + " in the processor's log");
    }

    /** The time stamp of the first log line matching {@code p} for {@code pid} (group 2). */
    private static LocalTime at(Pattern p, String log, long pid) {
        List<String> lines = log.lines().toList();
        Matcher m = p.matcher(lines.get(lineOf(lines, p, pid)));
        assertThat(m.find()).isTrue();
        return LocalTime.parse(m.group(1));
    }

    private static int lineOf(List<String> lines, Pattern p, long pid) {
        for (int i = 0; i < lines.size(); i++) {
            Matcher m = p.matcher(lines.get(i));
            if (m.find() && Long.parseLong(m.group(2)) == pid) {
                return i;
            }
        }
        throw new AssertionError("no line /" + p + "/ for pid " + pid + " in the processor's log");
    }

    /** Whether {@code osPid} is a live (not zombie) task JVM. */
    private static boolean running(long osPid) {
        Path proc = Path.of("/proc", String.valueOf(osPid));
        String cmdline = read(proc.resolve("cmdline"));
        return cmdline.contains(TaskMain.class.getName()) && !state(proc).equals("Z");
    }

    /**
     * Live task JVMs (command line naming the task main class) working in this cluster's directory; with {@code
     * sandboxedOnly} only those that entered their sandbox (so ran a program: {@code NoNewPrivs} is set then), not the
     * ones waiting for a process.
     */
    private List<String> taskJvmsOfThisCluster(boolean sandboxedOnly) {
        List<String> found = new ArrayList<>();
        try (Stream<Path> s = Files.list(Path.of("/proc"))) {
            for (Path p : s.filter(p -> p.getFileName().toString().matches("\\d+")).toList()) {
                String cmdline = read(p.resolve("cmdline")).replace('\0', ' ');
                if (!cmdline.contains(TaskMain.class.getName()) || state(p).equals("Z")) {
                    continue;
                }
                if (sandboxedOnly && !read(p.resolve("status")).contains("NoNewPrivs:\t1")) {
                    continue;
                }
                try {
                    if (Files.readSymbolicLink(p.resolve("cwd")).equals(dir)) {
                        found.add(p.getFileName() + ": " + cmdline);
                    }
                } catch (IOException e) {
                    // gone meanwhile
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return found;
    }

    /** The state letter of {@code /proc/PID/stat} ("" if gone). */
    private static String state(Path proc) {
        String stat = read(proc.resolve("stat"));
        int close = stat.lastIndexOf(')');
        return close < 0 || close + 2 >= stat.length() ? "" : stat.substring(close + 2, close + 3);
    }

    private static String read(Path p) {
        try {
            return new String(Files.readAllBytes(p), StandardCharsets.UTF_8);
        } catch (IOException e) {
            return "";
        }
    }

    /** kill -SIG pid. */
    private static void signal(String sig, long pid) throws IOException, InterruptedException {
        Process k = new ProcessBuilder("kill", "-" + sig, String.valueOf(pid)).inheritIO().start();
        assertThat(k.waitFor()).as("kill -%s %d", sig, pid).isZero();
    }
}
