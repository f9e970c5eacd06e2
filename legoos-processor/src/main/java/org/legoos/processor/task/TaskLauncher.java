package org.legoos.processor.task;

import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;
import java.util.jar.JarOutputStream;
import java.util.stream.Stream;
import org.legoos.api.LegoProgram;
import org.legoos.task.TaskMain;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Starts the JVMs of process-mode tasks: this JVM's java binary, a bounded heap, serial GC, no perf data, a private
 * temp directory, and a class path of only legoos-api, legoos-task and, for a bundled program, its code source (parts
 * of a fat jar are extracted once into content-addressed jars in the cache directory). Start-up uses a JDK AOT cache per
 * class path, trained once in the background; without one tasks start without it.
 *
 * <p>Every task is forked by one long-lived platform thread: {@code PR_SET_PDEATHSIG} fires when the <em>thread</em>
 * that forked a child ends, so a short-lived starter thread would kill its tasks. Thread-safe.
 *
 * <p><b>Warm tasks.</b> A task JVM does nothing for its program before the monitor's {@code START} message (which names
 * the program, its arguments and its vNode; the sandbox is entered after it), so up to {@code warm} JVMs per class
 * path are started ahead, each in its own temp directory, and a launch takes a waiting one: the program skips the
 * JVM's start (about 0.2 s here). A launch starts the replacement in the background. A waiting JVM whose monitor dies
 * reads the end of its channel and exits; {@link #close} ends the waiting ones.
 */
public final class TaskLauncher implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(TaskLauncher.class);

    /** A started task: its OS process and its private temp directory (delete it when the task has exited). */
    public record Launched(Process process, Path tmpDir) {}

    private final Path cacheDir;
    private final long heapBytes;
    private final boolean sandboxOptional;
    private final boolean aot;
    private final String java;
    private final ExecutorService spawner = Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "task-spawner");
        t.setDaemon(true);
        return t;
    });
    /** Class path entry (of a fat jar, per package set) to what the task uses. */
    private final Map<String, Path> extracted = new ConcurrentHashMap<>();
    private final Map<String, AotCache> aotCaches = new ConcurrentHashMap<>();
    private final int warm;
    /** How long after a launch its replacement warm JVM starts. */
    static final long WARM_DELAY_MILLIS = 1_000;
    private final ScheduledExecutorService warmer = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "task-warmer");
        t.setDaemon(true);
        return t;
    });
    /** Started task JVMs waiting for a program, by class path. Guarded by itself. */
    private final Map<String, ArrayDeque<Launched>> waiting = new HashMap<>();
    /** Warm JVMs being started, by class path. Guarded by {@link #waiting}. */
    private final Map<String, Integer> starting = new HashMap<>();
    private final AtomicLong warmSequence = new AtomicLong();
    private volatile boolean closed;
    private final LongAdder warmLaunches = new LongAdder();

    /**
     * @param cacheDir where extracted jars and AOT caches are kept (created if absent)
     * @param heapBytes each task's {@code -Xmx}
     * @param sandboxOptional whether tasks may run without the sandbox (native bindings missing)
     * @param aot whether to use (and create) AOT caches
     */
    public TaskLauncher(Path cacheDir, long heapBytes, boolean sandboxOptional, boolean aot) {
        this(cacheDir, heapBytes, sandboxOptional, aot, 0);
    }

    /** @param warm task JVMs to keep started and waiting for a program, per class path in use */
    public TaskLauncher(Path cacheDir, long heapBytes, boolean sandboxOptional, boolean aot, int warm) {
        if (warm < 0) {
            throw new IllegalArgumentException("warm must not be negative, got " + warm);
        }
        this.warm = warm;
        this.cacheDir = cacheDir;
        this.heapBytes = heapBytes;
        this.sandboxOptional = sandboxOptional;
        this.aot = aot;
        this.java = ProcessHandle.current().info().command().orElse(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        sweepOrphanTempDirs(Path.of(System.getProperty("java.io.tmpdir")));
    }

    /**
     * Prefix of a task's temp directory, followed by its processor component's OS pid, "-", a tag ("pid" and the
     * process's pid, or "warm" and a number for a JVM started ahead) and "-".
     */
    static final String TMP_PREFIX = "legoos-task-of";

    /**
     * Deletes the task temp directories under {@code tmpRoot} whose processor component is no longer running: a
     * processor that was killed could not delete its tasks' directories. Directories of live processors (this one and
     * others on the host) are kept; a name it cannot parse is left alone. Returns how many it deleted.
     */
    public static int sweepOrphanTempDirs(Path tmpRoot) {
        int deleted = 0;
        try (var dirs = Files.newDirectoryStream(tmpRoot, TMP_PREFIX + "*-*")) {
            for (Path d : dirs) {
                String rest = d.getFileName().toString().substring(TMP_PREFIX.length());
                int dash = rest.indexOf('-');
                long owner;
                try {
                    owner = Long.parseLong(rest.substring(0, Math.max(dash, 0)));
                } catch (NumberFormatException e) {
                    continue;
                }
                if (Files.isDirectory(d, LinkOption.NOFOLLOW_LINKS)
                        && ProcessHandle.of(owner).map(ProcessHandle::isAlive).orElse(false) == false) {
                    deleteTree(d);
                    deleted++;
                }
            }
        } catch (IOException e) {
            // a temp root we cannot list has nothing of ours to sweep
        }
        return deleted;
    }

    /** The default cache directory: {@code legoos-task-cache} under the system temp directory. */
    public static Path defaultCacheDir() {
        return Path.of(System.getProperty("java.io.tmpdir"), "legoos-task-cache-" + System.getProperty("user.name", "user"));
    }

    public long heapBytes() {
        return heapBytes;
    }

    /** Starts a task for process {@code pid}; {@code bundled} is the bundled program's class or null for a jar. */
    public Launched launch(long pid, Class<?> bundled) throws IOException {
        return launch(pid, bundled, List.of());
    }

    /**
     * As {@link #launch(long, Class)}, with the libraries the bundled program needs beyond the API on the task's class
     * path: each class stands for its jar (or, in a fat jar, its top package of three names, extracted).
     */
    public Launched launch(long pid, Class<?> bundled, List<Class<?>> libraries) throws IOException {
        List<Path> classPath = classPath(bundled, libraries);
        String key = classPath.toString();
        Launched ready = takeWaiting(key);
        if (ready != null) {
            warmLaunches.increment();
            log.debug("pid {}: warm task JVM {} taken", pid, ready.process().pid());
        }
        Launched l = ready != null ? ready : start(classPath, "pid" + pid);
        if (warm > 0) {
            // later, not now: a JVM starting takes a CPU for a few tenths of a second, which the task just launched
            // and the client waiting for it would otherwise share (on a 2-core host 'lego run hello' got no faster)
            try {
                warmer.schedule(() -> startWaiting(key, classPath), WARM_DELAY_MILLIS, TimeUnit.MILLISECONDS);
            } catch (RejectedExecutionException e) {
                // closed meanwhile
            }
        }
        return l;
    }

    /** A waiting JVM of {@code key} that is still alive, or null. */
    private Launched takeWaiting(String key) {
        while (true) {
            Launched l;
            synchronized (waiting) {
                var q = waiting.get(key);
                l = q == null ? null : q.poll();
            }
            if (l == null || l.process().isAlive()) {
                return l;
            }
            deleteTree(l.tmpDir()); // died waiting (killed from outside): its stderr says why, nobody needs it
        }
    }

    /** Starts JVMs of {@code key} in the background until {@link #warm} wait (or are being started). */
    private void startWaiting(String key, List<Path> classPath) {
        int n;
        synchronized (waiting) {
            ArrayDeque<Launched> q = waiting.get(key);
            int have = (q == null ? 0 : q.size()) + starting.getOrDefault(key, 0);
            n = closed ? 0 : warm - have;
            if (n > 0) {
                starting.merge(key, n, Integer::sum);
            }
        }
        for (int i = 0; i < n; i++) {
            try {
                spawner.execute(() -> {
                    Launched l = null;
                    try {
                        l = startHere(classPath, "warm" + warmSequence.incrementAndGet());
                    } catch (IOException | RuntimeException e) {
                        log.debug("a warm task JVM did not start: {}", e.toString());
                    }
                    synchronized (waiting) {
                        starting.merge(key, -1, Integer::sum);
                        if (l != null && !closed) {
                            waiting.computeIfAbsent(key, k -> new ArrayDeque<>()).add(l);
                            l = null;
                        }
                    }
                    if (l != null) {
                        discard(l);
                    }
                });
            } catch (RejectedExecutionException e) {
                synchronized (waiting) {
                    starting.merge(key, -1, Integer::sum);
                }
            }
        }
    }

    private static void discard(Launched l) {
        l.process().destroyForcibly();
        try {
            l.process().waitFor(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        deleteTree(l.tmpDir());
    }

    /** Starts a task JVM on the spawner thread; {@code tag} names its temp directory. */
    private Launched start(List<Path> classPath, String tag) throws IOException {
        Future<Launched> f = spawner.submit(() -> startHere(classPath, tag));
        try {
            return f.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted starting the task JVM of " + tag, e);
        } catch (ExecutionException e) {
            throw e.getCause() instanceof IOException io ? io : new IOException(e.getCause());
        }
    }

    /** Starts a task JVM; call on the spawner thread only. */
    private Launched startHere(List<Path> classPath, String tag) throws IOException {
        Path tmp = Files.createTempDirectory(TMP_PREFIX + ProcessHandle.current().pid() + "-" + tag + "-");
        List<String> cmd = command(classPath, tmp);
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.PIPE);
        pb.environment().keySet().removeIf(k -> !k.equals("PATH") && !k.equals("LANG") && !k.startsWith("LC_") && !k.equals("TZ"));
        try {
            return new Launched(pb.start(), tmp);
        } catch (IOException | RuntimeException e) {
            deleteTree(tmp);
            throw e;
        }
    }

    /** The task's command line. */
    List<String> command(List<Path> classPath, Path tmp) {
        List<String> cmd = new ArrayList<>();
        cmd.add(java);
        cmd.add("-Xmx" + heapBytes);
        cmd.add("-XX:+UseSerialGC");
        cmd.add("-XX:-UsePerfData");
        cmd.add("-XX:+ExitOnOutOfMemoryError");
        // fd 1 is the system-call channel: every JVM message goes to stderr
        cmd.add("-XX:+DisplayVMOutputToStderr");
        cmd.add("-Xlog:disable");
        cmd.add("-Xlog:all=warning:stderr");
        cmd.add("--enable-native-access=ALL-UNNAMED");
        // Landlock restricts the thread that enters the sandbox and the threads it starts, not the JVM's threads that
        // already run: no finalizers (the Finalizer thread would run program code unrestricted), no attach listener,
        // no JVM signal handlers beyond what it needs.
        cmd.add("--finalization=disabled");
        cmd.add("-XX:+DisableAttachMechanism");
        cmd.add("-Xrs");
        cmd.add("-Djava.io.tmpdir=" + tmp);
        cmd.add("-D" + TaskMain.MONITOR_PID_PROPERTY + "=" + ProcessHandle.current().pid());
        if (sandboxOptional) {
            cmd.add("-D" + TaskMain.SANDBOX_PROPERTY + "=optional");
        }
        String cp = String.join(File.pathSeparator, classPath.stream().map(Path::toString).toList());
        if (aot) {
            cmd.addAll(aotCache(cp).options());
        }
        cmd.add("-cp");
        cmd.add(cp);
        cmd.add(TaskMain.class.getName());
        return cmd;
    }

    /** legoos-api, legoos-task and the bundled program's code source, fat-jar parts extracted. */
    List<Path> classPath(Class<?> bundled) throws IOException {
        return classPath(bundled, List.of());
    }

    /** As {@link #classPath(Class)}, and the code source of each of {@code libraries} (see {@link #launch(long, Class, List)}). */
    List<Path> classPath(Class<?> bundled, List<Class<?>> libraries) throws IOException {
        Set<Path> cp = new LinkedHashSet<>();
        cp.add(entry(LegoProgram.class, List.of("org/legoos/api/")));
        cp.add(entry(TaskMain.class, List.of("org/legoos/task/")));
        if (bundled != null) {
            String pkg = bundled.getPackageName().replace('.', '/') + "/";
            cp.add(entry(bundled, List.of(pkg)));
        }
        for (Class<?> library : libraries) {
            String[] names = library.getPackageName().split("\\.");
            String top = String.join("/", Arrays.copyOf(names, Math.min(3, names.length))) + "/";
            cp.add(entry(library, List.of(top)));
        }
        return new ArrayList<>(cp);
    }

    private Path entry(Class<?> c, List<String> packages) throws IOException {
        Path src;
        try {
            var cs = c.getProtectionDomain().getCodeSource();
            if (cs == null) {
                throw new IOException(c.getName() + " has no code source to put on a task's class path");
            }
            src = Path.of(cs.getLocation().toURI()).toAbsolutePath();
        } catch (URISyntaxException e) {
            throw new IOException(e);
        }
        if (Files.isDirectory(src) || !isFat(src, packages)) {
            return src;
        }
        String key = src + "|" + packages;
        try {
            return extracted.computeIfAbsent(key, k -> {
                try {
                    return extract(src, packages);
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            });
        } catch (UncheckedIOException e) {
            throw e.getCause();
        }
    }

    /** Whether the jar holds classes of org.legoos outside {@code packages} (the monitor's, say). */
    private static boolean isFat(Path jar, List<String> packages) throws IOException {
        try (JarFile j = new JarFile(jar.toFile())) {
            return j.stream().anyMatch(e -> e.getName().endsWith(".class") && packages.stream().noneMatch(e.getName()::startsWith));
        }
    }

    /** Copies the entries of {@code packages} into {@code cacheDir/task-<sha256>.jar}, once. */
    private Path extract(Path jar, List<String> packages) throws IOException {
        Map<String, byte[]> entries = new TreeMap<>();
        try (JarFile j = new JarFile(jar.toFile())) {
            for (JarEntry e : (Iterable<JarEntry>) j.stream()::iterator) {
                if (!e.isDirectory() && packages.stream().anyMatch(e.getName()::startsWith)) {
                    try (InputStream in = j.getInputStream(e)) {
                        entries.put(e.getName(), in.readAllBytes());
                    }
                }
            }
        }
        MessageDigest md;
        try {
            md = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
        for (var e : entries.entrySet()) {
            md.update(e.getKey().getBytes(StandardCharsets.UTF_8));
            md.update((byte) 0);
            md.update(e.getValue());
        }
        String hash = HexFormat.of().formatHex(md.digest()).substring(0, 24);
        Files.createDirectories(cacheDir);
        Path out = cacheDir.resolve("task-" + hash + ".jar");
        if (Files.exists(out)) {
            return out;
        }
        Path tmp = Files.createTempFile(cacheDir, "task-", ".jar.tmp");
        try (JarOutputStream jo = new JarOutputStream(Files.newOutputStream(tmp))) {
            for (var e : entries.entrySet()) {
                JarEntry je = new JarEntry(e.getKey());
                je.setTime(0);
                jo.putNextEntry(je);
                jo.write(e.getValue());
                jo.closeEntry();
            }
        }
        Files.move(tmp, out, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        log.info("extracted {} classes of {} for tasks into {}", packages, jar, out);
        return out;
    }

    private AotCache aotCache(String cp) {
        return aotCaches.computeIfAbsent(cp, k -> new AotCache(cacheDir, java, cp));
    }

    /** Deletes a task's temp directory (best effort). */
    public static void deleteTree(Path dir) {
        if (dir == null || !Files.exists(dir)) {
            return;
        }
        try (Stream<Path> s = Files.walk(dir)) {
            s.sorted(Comparator.reverseOrder()).forEach(p -> {
                try {
                    Files.deleteIfExists(p);
                } catch (IOException ignored) {
                    // best effort
                }
            });
        } catch (IOException e) {
            log.debug("cannot delete {}: {}", dir, e.toString());
        }
    }

    /** The OS pids of the task JVMs started and waiting for a program now. */
    public List<Long> waitingTasks() {
        synchronized (waiting) {
            return waiting.values().stream().flatMap(ArrayDeque::stream).map(l -> l.process().pid()).toList();
        }
    }

    /** Launches that took a waiting JVM. */
    public long warmLaunches() {
        return warmLaunches.sum();
    }

    @Override
    public void close() {
        List<Launched> idle = new ArrayList<>();
        synchronized (waiting) {
            closed = true;
            waiting.values().forEach(idle::addAll);
            waiting.clear();
        }
        warmer.shutdownNow();
        spawner.shutdownNow();
        idle.forEach(TaskLauncher::discard);
    }

    /** Writes nothing; kept for symmetry with the streams a task owns. */
    static void closeQuietly(OutputStream o) {
        try {
            o.close();
        } catch (IOException ignored) {
            // gone
        }
    }
}
