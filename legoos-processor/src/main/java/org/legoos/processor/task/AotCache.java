package org.legoos.processor.task;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
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
 * made (a directory on the class path, an old JDK), simply start without it.
 */
final class AotCache {
    private static final Logger log = LoggerFactory.getLogger(AotCache.class);
    private final Path file;
    private final String java;
    private final String classPath;
    private final AtomicBoolean training = new AtomicBoolean();
    private volatile boolean failed;

    AotCache(Path cacheDir, String java, String classPath) {
        this.java = java;
        this.classPath = classPath;
        this.file = cacheDir.resolve("aot-" + hash(Runtime.version() + "|" + java + "|" + classPath) + ".aot");
    }

    /** The JVM options that use the cache, or none while it is being made (or if it cannot be). */
    List<String> options() {
        if (Files.isRegularFile(file)) {
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

    private static String hash(String s) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8)))
                    .substring(0, 24);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
