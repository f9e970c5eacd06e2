package org.legoos.eval;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.legoos.examples.workload.Workload;
import org.legoos.examples.workload.Workloads;

/**
 * A workload's plain-Java twin run as its own JVM, timed from launch to exit: the fair reference for a process-mode
 * LegoOS/J process, which is also a fresh JVM (start-up, class loading and a cold JIT included). The in-JVM twin
 * ({@link WorkloadBench}'s warm, best-of-two run inside the harness) is the reference for thread mode, whose programs
 * run in the processor's already warm JVM.
 *
 * <p>The child uses the task JVM's collector ({@code -XX:+UseSerialGC}); its heap is the JVM default, since the twin
 * keeps its data on the Java heap where a LegoOS/J process keeps it in disaggregated memory.
 */
public final class PlainTwinJvm {
    private PlainTwinJvm() {
    }

    /** The child's entry point: {@code workload size seed threads}; prints the twin's result line. */
    public static void main(String[] args) throws Exception {
        if (args.length != 4) {
            System.err.println("usage: PlainTwinJvm WORKLOAD SIZE SEED THREADS");
            System.exit(2);
        }
        Workload w = Workloads.byName(args[0]);
        System.out.println(w.runPlain(Long.parseLong(args[1]), Long.parseLong(args[2]), Integer.parseInt(args[3])));
    }

    /** One timed run: wall seconds from launch to exit, and the result line. */
    public record Outcome(double seconds, String resultLine) {
    }

    /**
     * Runs the twin of {@code w} in a new JVM (this JVM's java and class path).
     *
     * @throws IllegalStateException if the child fails or prints no result line (its output is in the message)
     */
    public static Outcome run(Workload w, long size, long seed, int threads) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.add("-XX:+UseSerialGC");
        cmd.add("-cp");
        cmd.add(System.getProperty("java.class.path"));
        cmd.add(PlainTwinJvm.class.getName());
        cmd.add(w.name());
        cmd.add(Long.toString(size));
        cmd.add(Long.toString(seed));
        cmd.add(Integer.toString(threads));
        File log = File.createTempFile("plain-twin-", ".log");
        try {
            long t0 = System.nanoTime();
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log).start();
            boolean done = p.waitFor(Deployment.DEFAULT_TIME_LIMIT.toMillis(), TimeUnit.MILLISECONDS);
            double seconds = (System.nanoTime() - t0) / 1e9;
            if (!done) {
                p.destroyForcibly().waitFor();
            }
            List<String> out = java.nio.file.Files.readAllLines(log.toPath(), StandardCharsets.UTF_8);
            if (!done || p.exitValue() != 0 || out.isEmpty()) {
                throw new IllegalStateException(w.name() + ": the plain twin in its own JVM failed ("
                        + (done ? "exit " + p.exitValue() : "timed out") + "):\n" + String.join("\n", out));
            }
            return new Outcome(seconds, out.get(out.size() - 1));
        } finally {
            java.nio.file.Files.deleteIfExists(log.toPath());
        }
    }
}
