package org.legoos.processor;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.legoos.net.protocol.gm.VNodeInfo;
import org.legoos.processor.client.ProcessClient;
import org.legoos.processor.task.TaskChannel;
import org.legoos.processor.task.TaskLauncher;

/** One process-mode process: its task JVM, its system-call channel and what the monitor keeps of it. Thread-safe. */
final class TaskProcess {
    /** Bytes of the task's raw stderr kept for the log when it dies. */
    static final int STDERR_TAIL = 8192;

    final long pid;
    final VNodeInfo vnode;
    final String program;
    final long startedMillis = System.currentTimeMillis();
    final Process process;
    /** The monitor half of the task's memory, once registered. */
    volatile org.legoos.processor.task.TaskMemory memory;
    final Path tmpDir;
    final TaskChannel channel;
    /** Children started with SPAWN, for WAIT. */
    final Map<Long, ProcessClient.Running> children = new ConcurrentHashMap<>();
    private final byte[] tail = new byte[STDERR_TAIL];
    private long tailWritten;
    volatile boolean killed;
    volatile String violation;
    volatile Integer reportedCode;
    volatile String reportedError = "";
    volatile String state = "RUNNING";
    /** Completed when {@link #drainStderr} has copied the task's raw stderr to its end (the pipe closed). */
    final java.util.concurrent.CompletableFuture<Void> stderrDrained = new java.util.concurrent.CompletableFuture<>();

    TaskProcess(long pid, VNodeInfo vnode, String program, TaskLauncher.Launched launched, TaskChannel channel) {
        this.pid = pid;
        this.vnode = vnode;
        this.program = program;
        this.process = launched.process();
        this.tmpDir = launched.tmpDir();
        this.channel = channel;
    }

    /** Kills the task (SIGKILL). */
    void kill() {
        killed = true;
        state = "KILLED";
        process.destroyForcibly();
    }

    /** ExCache misses of the process (page faults its monitor served), 0 before its memory is registered. */
    long misses() {
        var m = memory;
        return m == null ? 0 : m.space().misses();
    }

    /** Threads of the task's JVM, from /proc (0 if unknown). */
    int threads() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc", String.valueOf(process.pid()), "status"))) {
                if (line.startsWith("Threads:")) {
                    return Integer.parseInt(line.substring(8).trim());
                }
            }
        } catch (IOException | RuntimeException e) {
            // gone, or not Linux
        }
        return 0;
    }

    /**
     * Copies the task's raw stderr (JVM messages) to {@code sink} and keeps its tail; returns at its end, completing
     * {@link #stderrDrained}.
     */
    void drainStderr(java.util.function.Consumer<byte[]> sink) {
        byte[] buf = new byte[4096];
        try (InputStream in = process.getErrorStream()) {
            int n;
            while ((n = in.read(buf)) > 0) {
                synchronized (tail) {
                    for (int i = 0; i < n; i++) {
                        tail[(int) (tailWritten++ % STDERR_TAIL)] = buf[i];
                    }
                }
                sink.accept(java.util.Arrays.copyOf(buf, n));
            }
        } catch (IOException e) {
            // the task is gone
        } finally {
            stderrDrained.complete(null);
        }
    }

    /** The last bytes the task's JVM wrote to its stderr. */
    String stderrTail() {
        synchronized (tail) {
            int n = (int) Math.min(tailWritten, STDERR_TAIL);
            byte[] b = new byte[n];
            for (int i = 0; i < n; i++) {
                b[i] = tail[(int) ((tailWritten - n + i) % STDERR_TAIL)];
            }
            return new String(b, StandardCharsets.UTF_8);
        }
    }
}
