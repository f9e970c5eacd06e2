package org.legoos.eval;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Set;
import one.profiler.AsyncProfiler;

/**
 * {@code lego bench --profile}: async-profiler over a whole bench run. It samples this JVM (the harness, and in the
 * in-JVM deployments every component: processor, fault handlers, memory, storage, managers) and, through
 * {@link #javaOptions}, every component JVM a TCP deployment starts; each writes a flame graph
 * ({@code profile-EVENT*.html}) and the same stacks in collapsed form ({@code .collapsed}: one line per stack, for
 * diffs and other tools) into the results directory. Task JVMs of process mode are not profiled: they are sandboxed
 * and run only the program and the task runtime; their faults are served, and so profiled, in the processor.
 *
 * <p>The native library comes from the async-profiler jar on the class path (Linux x64 and arm64, macOS), copied
 * into the results directory so child JVMs can load it too.
 */
public final class Profiler implements AutoCloseable {
    /** Events {@code --profile} accepts: CPU time, wall-clock time (threads waiting too), allocations, lock waits. */
    public static final Set<String> EVENTS = Set.of("cpu", "wall", "alloc", "lock");
    /** Most frames of a stack kept (deep enough for Netty and the ExCache's miss path). */
    private static final int DEPTH = 256;

    private final AsyncProfiler profiler;
    private final Path dir;
    private final String event;
    private final Path library;
    private boolean stopped;

    private Profiler(AsyncProfiler profiler, Path dir, String event, Path library) {
        this.profiler = profiler;
        this.dir = dir;
        this.event = event;
        this.library = library;
    }

    /**
     * Starts profiling this JVM for {@code event}, writing into {@code dir}.
     *
     * @throws IllegalArgumentException for an event not in {@link #EVENTS}
     * @throws IllegalStateException where async-profiler has no library for this platform or cannot start
     */
    public static Profiler start(Path dir, String event) throws IOException {
        Objects.requireNonNull(dir, "dir");
        if (!EVENTS.contains(event)) {
            throw new IllegalArgumentException("--profile takes one of " + new java.util.TreeSet<>(EVENTS) + ", got '" + event + "'");
        }
        Files.createDirectories(dir);
        Path library = extractLibrary(dir);
        AsyncProfiler p;
        try {
            p = AsyncProfiler.getInstance(library.toString());
        } catch (UnsatisfiedLinkError e) {
            throw new IllegalStateException("async-profiler cannot load " + library + ": " + e.getMessage(), e);
        }
        try {
            p.execute("start," + options(event));
        } catch (IllegalStateException | IllegalArgumentException e) {
            throw new IllegalStateException("async-profiler did not start (event " + event + "): " + e.getMessage(), e);
        }
        return new Profiler(p, dir, event, library);
    }

    /**
     * The event and its sampling: CPU every 2 ms of CPU time and wall clock every 5 ms per thread (async-profiler's
     * defaults, 10 and 50 ms, leave a short bench run with a few hundred samples); allocations and locks at their
     * defaults.
     */
    private static String options(String event) {
        String interval = switch (event) {
            case "cpu" -> ",interval=2ms";
            case "wall" -> ",interval=5ms";
            default -> "";
        };
        return "event=" + event + interval + ",jstackdepth=" + DEPTH;
    }

    private static Path extractLibrary(Path dir) throws IOException {
        String os = System.getProperty("os.name", "").toLowerCase(Locale.ROOT);
        String arch = System.getProperty("os.arch", "").toLowerCase(Locale.ROOT);
        String platform = os.contains("mac") ? "macos"
                : os.contains("linux") && (arch.equals("amd64") || arch.equals("x86_64")) ? "linux-x64"
                : os.contains("linux") && arch.equals("aarch64") ? "linux-arm64" : null;
        if (platform == null) {
            throw new IllegalStateException("async-profiler has no library for " + os + "/" + arch);
        }
        Path library = dir.resolve("libasyncProfiler.so");
        try (InputStream in = AsyncProfiler.class.getResourceAsStream("/" + platform + "/libasyncProfiler.so")) {
            if (in == null) {
                throw new IllegalStateException("the async-profiler library for " + platform + " is not on the class path");
            }
            Path tmp = Files.createTempFile(dir, "libasyncProfiler", ".tmp");
            Files.copy(in, tmp, StandardCopyOption.REPLACE_EXISTING);
            Files.move(tmp, library, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        }
        return library;
    }

    /**
     * JVM options that make a child JVM profile itself the same way from its start and write its own flame graph and
     * collapsed stacks when it exits ({@code profile-EVENT-pid-PID.*}; a JVM killed with SIGKILL writes nothing).
     */
    public List<String> javaOptions() {
        List<String> opts = new ArrayList<>();
        String base = dir.resolve("profile-" + event + "-pid-%p").toString();
        opts.add("-agentpath:" + library + "=start," + options(event) + ",file=" + base + ".html");
        return opts;
    }

    /** {@code javaCommand} (java, options, class path, main class) with {@link #javaOptions} after the java executable. */
    public List<String> withJavaOptions(List<String> javaCommand) {
        if (javaCommand.isEmpty()) {
            return javaCommand;
        }
        List<String> cmd = new ArrayList<>(javaCommand.size() + 2);
        cmd.add(javaCommand.get(0));
        cmd.addAll(javaOptions());
        cmd.addAll(javaCommand.subList(1, javaCommand.size()));
        return cmd;
    }

    /** The flame graph of this JVM. */
    public Path flameGraph() {
        return dir.resolve("profile-" + event + ".html");
    }

    /**
     * Stops profiling; writes this JVM's flame graph, its collapsed stacks and {@code profile-EVENT-top.txt} (the 30
     * methods with the most samples, self time). Returns the top list's text.
     */
    public String stop() throws IOException {
        if (stopped) {
            return "";
        }
        stopped = true;
        profiler.execute("stop,file=" + flameGraph());
        Files.writeString(dir.resolve("profile-" + event + ".collapsed"), profiler.execute("collapsed"), StandardCharsets.UTF_8);
        String top = profiler.execute("flat=30,traces=0");
        Files.writeString(dir.resolve("profile-" + event + "-top.txt"), top, StandardCharsets.UTF_8);
        return top;
    }

    @Override
    public void close() throws IOException {
        stop();
    }
}
