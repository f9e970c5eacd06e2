package org.legoos.bench.tcp;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * What a round trip costs the machine rather than the clock: CPU time and context switches (thread sleeps and
 * wake-ups) of this JVM, and of a helper process such as {@code redis-server}, read from {@code /proc}. Unlike
 * latency these barely move when other work shares the host, which makes them the steadier way to compare
 * transports on a busy machine. Linux only; elsewhere every reading is -1.
 *
 * <p>Not thread-safe.
 */
public final class ProcStats {
    private static final long CLOCK_TICK_NANOS = 10_000_000L; // USER_HZ is 100 on Linux

    private ProcStats() {
    }

    /** CPU time (user + system) of process {@code pid} so far, in nanoseconds; -1 if unknown. */
    public static long cpuNanos(long pid) {
        if (pid == ProcessHandle.current().pid()
                && ManagementFactory.getOperatingSystemMXBean() instanceof com.sun.management.OperatingSystemMXBean os) {
            return os.getProcessCpuTime();
        }
        try {
            String stat = Files.readString(Path.of("/proc", String.valueOf(pid), "stat"));
            String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
            return (Long.parseLong(f[11]) + Long.parseLong(f[12])) * CLOCK_TICK_NANOS; // utime, stime
        } catch (IOException | RuntimeException e) {
            return -1;
        }
    }

    /** Voluntary plus involuntary context switches of every thread of process {@code pid} so far; -1 if unknown. */
    public static long contextSwitches(long pid) {
        long sum = 0;
        try (DirectoryStream<Path> tasks = Files.newDirectoryStream(Path.of("/proc", String.valueOf(pid), "task"))) {
            for (Path t : tasks) {
                try {
                    for (String line : Files.readAllLines(t.resolve("status"))) {
                        if (line.startsWith("voluntary_ctxt_switches:") || line.startsWith("nonvoluntary_ctxt_switches:")) {
                            sum += Long.parseLong(line.substring(line.indexOf(':') + 1).trim());
                        }
                    }
                } catch (IOException threadEnded) {
                    // a thread that ended meanwhile: its switches are gone from the count either way
                }
            }
        } catch (IOException | RuntimeException e) {
            return -1;
        }
        return sum;
    }
}
