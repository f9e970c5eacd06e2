package org.legoos.systemtest;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.legoos.testkit.Await;

/**
 * One operating-system process a system test started (a component or a {@code lego} client JVM), with its stdout and
 * stderr captured to {@code NAME.out} and {@code NAME.err} in the test's directory. Every wait is bounded and fails
 * with the process's log tail; {@link #close()} stops it (SIGTERM, then SIGKILL). Every process started here is also
 * killed by a shutdown hook of the test JVM, so none outlives a crashed or timed-out test run.
 *
 * <p>Thread-safe: the state is the OS process and the log files.
 */
final class JvmProcess implements AutoCloseable {
    private static final Set<Process> LIVE = ConcurrentHashMap.newKeySet();
    private static final Duration STOP_GRACE = Duration.ofSeconds(5);

    static {
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            for (Process p : LIVE) {
                p.descendants().forEach(ProcessHandle::destroyForcibly);
                p.destroyForcibly();
            }
        }, "system-test-reaper"));
    }

    private final String name;
    private final Process process;
    private final Path out;
    private final Path err;

    private JvmProcess(String name, Process process, Path out, Path err) {
        this.name = name;
        this.process = process;
        this.out = out;
        this.err = err;
    }

    /** Starts {@code command} with its output going to {@code dir/NAME.out} and {@code dir/NAME.err}. */
    static JvmProcess start(String name, List<String> command, Path dir) {
        Path out = dir.resolve(name + ".out");
        Path err = dir.resolve(name + ".err");
        try {
            Files.writeString(dir.resolve(name + ".cmd"), String.join(" ", command) + "\n");
            ProcessBuilder pb = new ProcessBuilder(command)
                    .directory(dir.toFile())
                    .redirectInput(ProcessBuilder.Redirect.from(nullDevice()))
                    .redirectOutput(out.toFile())
                    .redirectError(err.toFile());
            pb.environment().remove("LEGO_LOG"); // components log their events at INFO, clients only warnings
            Process p = pb.start();
            LIVE.add(p);
            p.onExit().thenRun(() -> LIVE.remove(p));
            return new JvmProcess(name, p, out, err);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start " + name + ": " + command, e);
        }
    }

    private static java.io.File nullDevice() {
        return new java.io.File(System.getProperty("os.name").startsWith("Windows") ? "NUL" : "/dev/null");
    }

    String name() {
        return name;
    }

    long pid() {
        return process.pid();
    }

    boolean isAlive() {
        return process.isAlive();
    }

    /** Everything it has written to stdout so far. */
    String stdout() {
        return read(out);
    }

    /** Everything it has written to stderr so far. */
    String stderr() {
        return read(err);
    }

    Path stderrFile() {
        return err;
    }

    private static String read(Path p) {
        try {
            return Files.exists(p) ? Files.readString(p, StandardCharsets.UTF_8) : "";
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * Waits until a line of its stdout matches {@code pattern}.
     *
     * @return the match
     * @throws AssertionError if the process exits first or {@code timeout} passes, with its log tail
     */
    Matcher awaitStdout(Pattern pattern, Duration timeout) throws InterruptedException {
        return await(pattern, timeout, true);
    }

    /** Waits until a line of its stderr (its log) matches {@code pattern}; like {@link #awaitStdout}. */
    Matcher awaitStderr(Pattern pattern, Duration timeout) throws InterruptedException {
        return await(pattern, timeout, false);
    }

    private Matcher await(Pattern pattern, Duration timeout, boolean stdout) {
        String where = "/" + pattern + "/ on " + (stdout ? "stdout" : "stderr");
        try {
            return Await.value(name + " prints " + where, timeout, () -> {
                boolean aliveBefore = process.isAlive(); // read the output after: a line printed just before exit counts
                for (String line : (stdout ? stdout() : stderr()).split("\n")) {
                    Matcher m = pattern.matcher(line);
                    if (m.find()) {
                        return m;
                    }
                }
                if (!aliveBefore) {
                    throw new IllegalStateException(name + " exited with code " + process.exitValue() + " before printing "
                            + where);
                }
                return null;
            });
        } catch (AssertionError | IllegalStateException e) {
            throw new AssertionError(e.getMessage() + "\n" + tail(), e);
        }
    }

    /**
     * Waits for it to exit.
     *
     * @return its exit code
     * @throws AssertionError if it still runs after {@code timeout} (it is then killed)
     */
    int awaitExit(Duration timeout) throws InterruptedException {
        if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
            String tail = tail();
            close();
            throw new AssertionError(name + " still ran after " + timeout.toMillis() + " ms and was killed\n" + tail);
        }
        return process.exitValue();
    }

    /** kill -9: SIGKILL, no chance to leave cleanly; waits (bounded) until it is gone. */
    void kill9() throws InterruptedException {
        process.destroyForcibly();
        if (!process.waitFor(10, TimeUnit.SECONDS)) {
            throw new AssertionError(name + " survived SIGKILL for 10 s");
        }
    }

    /** Sends {@code signal} (e.g. STOP, CONT) with kill(1). */
    void signal(String signal) throws InterruptedException, java.io.IOException {
        Process k = new ProcessBuilder("kill", "-" + signal, Long.toString(process.pid())).inheritIO().start();
        if (!k.waitFor(10, TimeUnit.SECONDS) || k.exitValue() != 0) {
            throw new AssertionError("kill -" + signal + " " + name + " failed");
        }
    }

    /** The last lines of its stdout and stderr, for failure messages. */
    String tail() {
        return "--- " + name + " (pid " + process.pid() + ") stdout " + out + ":\n" + last(stdout(), 15)
                + "--- stderr " + err + ":\n" + last(stderr(), 25);
    }

    private static String last(String text, int lines) {
        String[] l = text.split("\n", -1);
        int from = Math.max(0, l.length - lines - 1);
        return String.join("\n", java.util.Arrays.asList(l).subList(from, l.length)) + (text.endsWith("\n") ? "" : "\n");
    }

    /** Asks it to stop (SIGTERM) without waiting. */
    void terminate() {
        process.destroy();
    }

    /** Stops it: SIGTERM, then SIGKILL if it is still running after a few seconds. Idempotent; never throws. */
    @Override
    public void close() {
        if (!process.isAlive()) {
            return;
        }
        process.destroy();
        awaitGoneOrKill(process, STOP_GRACE);
    }

    /** Waits up to {@code grace} for {@code p} to exit, then SIGKILLs it (and anything it started). */
    static void awaitGoneOrKill(Process p, Duration grace) {
        try {
            if (!p.waitFor(grace.toMillis(), TimeUnit.MILLISECONDS)) {
                p.descendants().forEach(ProcessHandle::destroyForcibly);
                p.destroyForcibly();
                p.waitFor(5, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            p.destroyForcibly();
            Thread.currentThread().interrupt();
        }
    }

    /** Stops every one of {@code processes} at once: SIGTERM to all, one shared grace period, then SIGKILL. */
    static void closeAll(List<JvmProcess> processes) {
        for (JvmProcess p : processes) {
            p.process.destroy();
        }
        long deadline = System.nanoTime() + STOP_GRACE.toNanos();
        for (JvmProcess p : processes) {
            awaitGoneOrKill(p.process, Duration.ofNanos(Math.max(0, deadline - System.nanoTime())));
        }
    }

    @Override
    public String toString() {
        return name + " (pid " + process.pid() + ")";
    }
}
