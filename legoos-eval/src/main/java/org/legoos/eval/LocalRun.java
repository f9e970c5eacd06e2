package org.legoos.eval;

import java.util.Map;
import org.legoos.examples.workload.Workload;
import org.legoos.processor.excache.ExCacheConfig;

/**
 * A developer's probe: one workload on its plain-Java twin and on an in-JVM LegoOS/J cluster, printing times, the
 * ratio and the ExCache counters. Not the harness ({@code lego bench} is); for checking one workload quickly.
 *
 * <pre>
 * ./mvnw -q -o install -DskipTests -pl legoos-eval -am
 * ./mvnw -q -o dependency:build-classpath -pl legoos-eval -Dmdep.outputFile=target/cp.txt
 * $JAVA_HOME/bin/java --enable-native-access=ALL-UNNAMED -cp legoos-eval/target/classes:$(cat legoos-eval/target/cp.txt) \
 *     org.legoos.eval.LocalRun &lt;WorkloadClass&gt; [size|quick|paper] [fraction...]
 * </pre>
 * {@code WorkloadClass} is a simple name in {@code org.legoos.examples.workload} (e.g. {@code ClassifierWorkload}) or
 * a full class name; fractions (e.g. {@code 0.25}) add runs with an ExCache of that share of the measured working set.
 * Threads: 2; seed 42.
 */
public final class LocalRun {
    private LocalRun() {
    }

    public static void main(String[] args) throws Exception {
        if (args.length < 1) {
            System.err.println("usage: LocalRun <WorkloadClass> [size|quick|paper] [fraction...]");
            System.exit(2);
        }
        String cls = args[0].contains(".") ? args[0] : "org.legoos.examples.workload." + args[0];
        Workload w = (Workload) Class.forName(cls).getDeclaredConstructor().newInstance();
        String s = args.length > 1 ? args[1] : "quick";
        long size = s.equals("quick") ? w.quickSize() : s.equals("paper") ? w.paperSize() : Long.parseLong(s);
        int threads = 2;
        long seed = 42;
        double best = Double.MAX_VALUE;
        String plainResult = null;
        for (int i = 0; i < 2; i++) {
            long t0 = System.nanoTime();
            plainResult = w.runPlain(size, seed, threads);
            best = Math.min(best, (System.nanoTime() - t0) / 1e9);
        }
        System.out.printf("twin: %.3f s  %s%n", best, plainResult);
        long est = w.estimatedWorkingSetBytes(size);
        try (InJvmDeployment d = new InJvmDeployment(threads, Math.max(4L << 30, 4 * est), Map.of())) {
            ExCacheConfig full = ExCacheSizing.about(est * 3 / 2, ExCacheConfig.Policy.FIFO);
            RunOutcome first = d.run(full, w.program(), w.programArgs(size, seed, threads));
            check(first, plainResult);
            RunOutcome r = d.run(full, w.program(), w.programArgs(size, seed, threads));
            check(r, plainResult);
            long ws = first.touchedBytes();
            System.out.printf("LegoOS/J full ExCache (%d MiB, working set %.1f MiB): %.3f s (first run %.3f s) = %.2fx twin  %s%n",
                    full.capacityBytes() >> 20, ws / 1048576.0, r.seconds(), first.seconds(), r.seconds() / best, r.stats());
            for (int i = 2; i < args.length; i++) {
                double f = Double.parseDouble(args[i]);
                ExCacheConfig c = ExCacheSizing.about((long) (ws * f), ExCacheConfig.Policy.FIFO);
                RunOutcome o = d.run(c, w.program(), w.programArgs(size, seed, threads));
                check(o, plainResult);
                System.out.printf("LegoOS/J ExCache %.1f%% (%.1f MiB): %.3f s = %.2fx full  %s%n", 100 * f,
                        c.capacityBytes() / 1048576.0, o.seconds(), o.seconds() / r.seconds(), o.stats());
            }
        }
    }

    private static void check(RunOutcome r, String expected) {
        if (!r.ok()) {
            throw new IllegalStateException("program failed: exit " + r.exitCode() + "\n" + r.stderr());
        }
        if (!r.resultLine().equals(expected)) {
            throw new IllegalStateException("result differs from the twin's:\n  lego: " + r.resultLine() + "\n  twin: " + expected);
        }
    }
}
