package org.legoos.cli;

import java.io.File;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.legoos.node.cluster.NodeRole;

/**
 * The run directory of a cluster started by {@code lego up} (default {@code ./.lego}): {@code lego.yaml} (the
 * effective configuration every component read), {@code pids/<name>.pid} and {@code logs/<name>.log} per component
 * process. A pid file holds the pid and the process's start time, so a recycled pid is never signalled.
 *
 * <p>Not thread-safe; one {@code lego up} or {@code lego down} at a time per directory.
 */
final class RunDir {
    /** A component process recorded in the directory. */
    record Entry(String name, NodeRole role, long pid, long startMillis) {
    }

    private final Path dir;

    RunDir(Path dir) {
        this.dir = dir.toAbsolutePath().normalize();
    }

    Path dir() {
        return dir;
    }

    /** The file name of the dashboard's token in a run directory (the manager writes it, owner-only). */
    static final String DASHBOARD_TOKEN = "dashboard.token";

    /** The dashboard's URL without its token, as 'lego up' wrote it (absent: no dashboard). */
    Path dashboardUrlFile() {
        return dir.resolve("dashboard.url");
    }

    Path configFile() {
        return dir.resolve("lego.yaml");
    }

    Path log(String name) {
        return dir.resolve("logs").resolve(name + ".log");
    }

    private Path pidFile(String name) {
        return dir.resolve("pids").resolve(name + ".pid");
    }

    /** Starts a component process: output to its log, stdin from nowhere, recorded in a pid file. */
    Process launch(String name, NodeRole role, List<String> command, Map<String, String> env) throws IOException {
        Files.createDirectories(dir.resolve("logs"));
        Files.createDirectories(dir.resolve("pids"));
        ProcessBuilder pb = new ProcessBuilder(command)
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(log(name).toFile()))
                .redirectInput(ProcessBuilder.Redirect.from(new File(File.separatorChar == '/' ? "/dev/null" : "NUL")));
        pb.environment().putAll(env);
        Process p = pb.start();
        long start = p.info().startInstant().map(Instant::toEpochMilli).orElse(0L);
        Files.writeString(pidFile(name), p.pid() + " " + start + " " + role.wireName() + "\n", StandardCharsets.UTF_8);
        return p;
    }

    /** Every recorded component, manager first, then by name. */
    List<Entry> entries() {
        Path pids = dir.resolve("pids");
        if (!Files.isDirectory(pids)) {
            return List.of();
        }
        List<Entry> out = new ArrayList<>();
        try (Stream<Path> files = Files.list(pids)) {
            for (Path f : files.filter(p -> p.getFileName().toString().endsWith(".pid")).toList()) {
                String name = f.getFileName().toString().replaceFirst("\\.pid$", "");
                String[] parts = Files.readString(f, StandardCharsets.UTF_8).trim().split("\\s+");
                try {
                    NodeRole role = parts.length > 2 ? NodeRole.byWireName(parts[2]) : null;
                    out.add(new Entry(name, role == null ? NodeRole.PROCESSOR : role, Long.parseLong(parts[0]),
                            parts.length > 1 ? Long.parseLong(parts[1]) : 0));
                } catch (NumberFormatException e) {
                    Files.deleteIfExists(f); // not ours to signal
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        out.sort(Comparator.comparing((Entry e) -> e.role() != NodeRole.MANAGER).thenComparing(Entry::name));
        return out;
    }

    /** The live process of an entry, unless it exited (or its pid now belongs to another process). */
    static Optional<ProcessHandle> live(Entry e) {
        Optional<ProcessHandle> h = ProcessHandle.of(e.pid()).filter(ProcessHandle::isAlive);
        if (h.isPresent() && e.startMillis() != 0) {
            Optional<Instant> started = h.get().info().startInstant();
            if (started.isPresent() && Math.abs(started.get().toEpochMilli() - e.startMillis()) > 1000) {
                return Optional.empty(); // pid recycled
            }
        }
        return h;
    }

    /** Entries whose process still runs. */
    List<Entry> running() {
        return entries().stream().filter(e -> live(e).isPresent()).toList();
    }

    void forget(Entry e) {
        try {
            Files.deleteIfExists(pidFile(e.name()));
        } catch (IOException ex) {
            throw new UncheckedIOException(ex);
        }
    }

    /**
     * Stops {@code entries}: SIGTERM to all of them, then SIGKILL to those still running after {@code timeout}.
     * Prints one line per process; forgets their pid files.
     *
     * @return how many had to be killed
     */
    int stop(List<Entry> entries, Duration timeout, PrintStream out) throws InterruptedException {
        List<Entry> signalled = new ArrayList<>();
        List<ProcessHandle> handles = new ArrayList<>();
        for (Entry e : entries) {
            Optional<ProcessHandle> h = live(e);
            if (h.isEmpty()) {
                forget(e);
                continue;
            }
            h.get().destroy(); // SIGTERM: the component's shutdown hook leaves the cluster cleanly
            signalled.add(e);
            handles.add(h.get());
        }
        long deadline = System.nanoTime() + timeout.toNanos();
        int killed = 0;
        for (int i = 0; i < handles.size(); i++) {
            ProcessHandle h = handles.get(i);
            Entry e = signalled.get(i);
            long left = Math.max(0, deadline - System.nanoTime());
            try {
                h.onExit().get(left, TimeUnit.NANOSECONDS);
                out.println("stopped " + e.name() + " (pid " + e.pid() + ")");
            } catch (java.util.concurrent.TimeoutException | java.util.concurrent.ExecutionException te) {
                h.destroyForcibly();
                h.onExit().join();
                killed++;
                out.println("killed " + e.name() + " (pid " + e.pid() + "): still running " + timeout.toMillis()
                        + " ms after SIGTERM");
            }
            forget(e);
        }
        out.flush();
        return killed;
    }

    /** The last {@code lines} lines of a component's log, for error messages. */
    String tail(String name, int lines) {
        try {
            List<String> all = Files.readAllLines(log(name), StandardCharsets.UTF_8);
            return String.join(System.lineSeparator(), all.subList(Math.max(0, all.size() - lines), all.size()));
        } catch (IOException e) {
            return "(no log at " + log(name) + ")";
        }
    }
}
