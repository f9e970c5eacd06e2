package org.legoos.eval;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/** What machine a run came from, for the report: CPU model, cores, memory, OS, JDK, load average. */
public final class Machine {
    private Machine() {
    }

    /** One line, e.g. "AMD EPYC 7B13, 2 cores, 23.5 GiB, Linux 6.18, JDK 25.0.1 (Eclipse Adoptium), load 0.42". */
    public static String describe() {
        String cpu = "unknown CPU";
        try {
            List<String> lines = Files.readAllLines(Path.of("/proc/cpuinfo"));
            for (String l : lines) {
                if (l.startsWith("model name")) {
                    cpu = l.substring(l.indexOf(':') + 1).strip();
                    break;
                }
            }
        } catch (IOException | RuntimeException e) {
            // not Linux: keep "unknown CPU"
        }
        long memory = -1;
        if (ManagementFactory.getOperatingSystemMXBean() instanceof com.sun.management.OperatingSystemMXBean os) {
            memory = os.getTotalMemorySize();
        }
        return String.format("%s, %d cores, %s, %s %s, JDK %s (%s), load average %.2f", cpu,
                Runtime.getRuntime().availableProcessors(), memory < 0 ? "? GiB" : String.format("%.1f GiB", memory / (double) (1L << 30)),
                System.getProperty("os.name"), System.getProperty("os.version"), Runtime.version(),
                System.getProperty("java.vendor"), loadAverage());
    }

    /** The 1-minute load average, or -1 where the OS does not tell. */
    public static double loadAverage() {
        return ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage();
    }
}
