package org.legoos.processor.task;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.legoos.task.TaskMain;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The JDK AOT cache (JEP 483/514) of one task class path: created once, in the background, by a training run of the task
 * runtime ({@code TaskMain --train} with {@code -XX:AOTCacheOutput}); tasks started before it exists, or if it cannot be
 * made (a directory on the class path, an old JDK), simply start without it. Every build makes a new class path and so
 * a new cache of some 15 MB: the directory keeps the {@value #KEEP} most recently used ({@link #prune}).
 */
final class AotCache {
    private static final Logger log = LoggerFactory.getLogger(AotCache.class);
    /** Caches kept in the directory (the most recently used; a use touches the file). */
    static final int KEEP = 4;
    /** A file younger than this is never pruned: another processor may be writing or about to use it. */
    static final Duration GRACE = Duration.ofHours(1);
    private final Path file;
    private final String java;
    private final String classPath;
    private final AtomicBoolean training = new AtomicBoolean();
    private volatile boolean failed;

    AotCache(Path cacheDir, String java, String classPath) {
        this.java = java;
        this.classPath = classPath;
        this.file = cacheDir.resolve("aot-" + hash(Runtime.version() + "|" + java + "|" + classPath + "|"
                + versions(classPath)) + ".aot");
    }

    /** Where this class path's cache is (or will be). */
    Path file() {
        return file;
    }

    /** The JVM options that use the cache, or none while it is being made (or if it cannot be). */
    List<String> options() {
        if (Files.isRegularFile(file)) {
            try {
                Files.setLastModifiedTime(file, FileTime.fromMillis(System.currentTimeMillis()));
            } catch (IOException e) {
                // pruned meanwhile (then this task starts without it) or read-only: only the pruning order suffers
            }
            return List.of("-XX:AOTCache=" + file, "-XX:AOTMode=auto");
        }
        if (!failed && training.compareAndSet(false, true)) {
            Thread.ofVirtual().name("aot-training").start(this::train);
        }
        return List.of();
    }

    /** Makes the cache now (for tests and measurements); true if it exists afterwards. */
    boolean trainNow() {
        if (!Files.isRegularFile(file)) {
            train();
        }
        return Files.isRegularFile(file);
    }

    private void train() {
        for (String entry : classPath.split(File.pathSeparator)) {
            if (Files.isDirectory(Path.of(entry))) {
                failed = true;
                log.debug("no AOT cache for task class path {}: it has a directory", classPath);
                return;
            }
        }
        Path tmp = file.resolveSibling(file.getFileName() + "." + ProcessHandle.current().pid() + ".tmp");
        Path logFile = file.resolveSibling(file.getFileName() + ".log");
        try {
            Files.createDirectories(file.getParent());
            long t0 = System.nanoTime();
            Process p = new ProcessBuilder(java, "-XX:AOTCacheOutput=" + tmp, "-XX:+UseSerialGC", "-XX:-UsePerfData",
                    "-Xlog:disable", "-Xlog:all=warning:stderr", "--enable-native-access=ALL-UNNAMED",
                    "-cp", classPath, TaskMain.class.getName(), TaskMain.TRAIN)
                    .redirectErrorStream(true).redirectOutput(logFile.toFile()).start();
            if (!p.waitFor(5, TimeUnit.MINUTES)) {
                p.destroyForcibly();
                throw new IOException("training run did not end in 5 minutes");
            }
            if (p.exitValue() != 0 || !Files.isRegularFile(tmp)) {
                throw new IOException("training run exited " + p.exitValue() + " (see " + logFile + ")");
            }
            Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            log.info("AOT cache for tasks made in {} ms: {}", TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0), file);
            int pruned = prune(file.getParent(), KEEP, System.currentTimeMillis());
            if (pruned > 0) {
                log.info("pruned {} old task AOT cache file(s) from {}", pruned, file.getParent());
            }
        } catch (IOException e) {
            failed = true;
            log.info("tasks start without an AOT cache: {}", e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            training.set(false);
        } finally {
            try {
                Files.deleteIfExists(tmp);
            } catch (IOException ignored) {
                // best effort
            }
        }
    }

    /**
     * Deletes all but the {@code keep} most recently used caches in {@code dir} (with their training logs), and
     * training leftovers ({@code .tmp}), sparing any file modified within {@link #GRACE} of {@code nowMillis}. A JVM
     * that maps a deleted cache keeps its mapping. Returns the number of caches and leftovers deleted; never throws.
     */
    static int prune(Path dir, int keep, long nowMillis) {
        record Entry(Path path, long modified) {
        }
        List<Entry> caches = new ArrayList<>();
        List<Path> leftovers = new ArrayList<>();
        int young = 0; // caches within the grace period: kept, and counted among the ones kept
        try (var files = Files.list(dir)) {
            for (Path p : (Iterable<Path>) files::iterator) {
                String name = p.getFileName().toString();
                boolean cache = name.startsWith("aot-") && name.endsWith(".aot");
                if (!cache && !(name.startsWith("aot-") && name.endsWith(".tmp"))) {
                    continue;
                }
                long modified = Files.getLastModifiedTime(p).toMillis();
                if (nowMillis - modified < GRACE.toMillis()) {
                    young += cache ? 1 : 0;
                } else if (cache) {
                    caches.add(new Entry(p, modified));
                } else {
                    leftovers.add(p);
                }
            }
        } catch (IOException | RuntimeException e) {
            log.debug("task AOT caches in {} not pruned: {}", dir, e.toString());
            return 0;
        }
        int deleted = 0;
        keep -= young;
        caches.sort(Comparator.comparingLong(Entry::modified).reversed());
        for (int i = Math.max(0, keep); i < caches.size(); i++) {
            Path p = caches.get(i).path();
            leftovers.add(p);
            leftovers.add(p.resolveSibling(p.getFileName() + ".log"));
        }
        for (Path p : leftovers) {
            try {
                if (Files.deleteIfExists(p) && !p.getFileName().toString().endsWith(".log")) {
                    deleted++;
                }
            } catch (IOException e) {
                // in use elsewhere or gone: next time
            }
        }
        return deleted;
    }

    /**
     * The size and modification time of each class-path entry: a jar rebuilt at the same path (a development build,
     * a jar of ~/.m2) gets a new cache, never one holding its old classes, which a stale cache was seen to serve.
     */
    private static String versions(String classPath) {
        StringBuilder b = new StringBuilder();
        for (String entry : classPath.split(File.pathSeparator)) {
            try {
                Path p = Path.of(entry);
                b.append(Files.size(p)).append('@').append(Files.getLastModifiedTime(p).toMillis()).append(';');
            } catch (IOException | RuntimeException e) {
                b.append("?;"); // missing: the task fails to start anyway and says why
            }
        }
        return b.toString();
    }

    private static String hash(String s) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8)))
                    .substring(0, 24);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
