package org.legoos.eval.micro;

import org.legoos.eval.Progress;
import java.util.List;

/**
 * Runs the micro-benchmark drivers at their table sizes and prints the rows: not a test, a measuring tool for the
 * report ({@code java ... MicroMeasureMain memory|storage [in-jvm|tcp|both] [quick]}).
 */
public final class MicroMeasureMain {
    private MicroMeasureMain() {
    }

    public static void main(String[] args) throws Exception {
        String what = args.length > 0 ? args[0] : "memory";
        String which = args.length > 1 ? args[1] : "both";
        boolean quick = args.length > 2 && args[2].equals("quick");
        List<Transport> transports = switch (which) {
            case "in-jvm" -> List.of(Transport.IN_JVM);
            case "tcp" -> List.of(Transport.TCP);
            default -> List.of(Transport.IN_JVM, Transport.TCP);
        };
        Progress progress = (w, d, t) -> System.err.printf("[%d/%d] %s%n", d, t, w);
        long t0 = System.nanoTime();
        if (what.equals("memory")) {
            MemoryThroughput m = quick ? new MemoryThroughput(MemoryThroughput.QUICK_EXCACHE_BYTES, MemoryThroughput.DEFAULT_RUN_TIMEOUT)
                    : new MemoryThroughput();
            long region = quick ? MemoryThroughput.QUICK_REGION_BYTES : MemoryThroughput.DEFAULT_REGION_BYTES;
            for (Transport t : transports) {
                for (MemoryThroughput.Row r : m.run(t, MemoryThroughput.DEFAULT_THREADS, MemoryThroughput.DEFAULT_WORKERS, region, progress)) {
                    System.out.println(r);
                }
            }
        } else {
            StorageThroughput s = new StorageThroughput();
            long size = quick ? StorageThroughput.QUICK_FILE_BYTES : StorageThroughput.DEFAULT_FILE_BYTES;
            for (StorageThroughput.Row r : s.run(transports, size, StorageThroughput.DEFAULT_SEED, progress)) {
                System.out.println(r);
            }
        }
        System.out.printf("total %.1f s%n", (System.nanoTime() - t0) / 1e9);
    }
}
