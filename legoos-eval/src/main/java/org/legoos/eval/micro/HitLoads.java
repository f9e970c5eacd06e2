package org.legoos.eval.micro;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.legoos.api.ProcessorMode;
import org.legoos.memory.MemoryConfig;
import org.legoos.node.LocalCluster;
import org.legoos.processor.ProcessorConfig;
import org.legoos.processor.excache.ExCacheConfig;
import org.legoos.processor.excache.ExCacheStats;
import org.legoos.processor.task.HostSupport;

/**
 * The hit-cost figures ({@link HitLoadProgram}) in both processor modes: starts a {@link LocalCluster} in thread mode,
 * runs {@value HitLoadProgram#NAME} in it, does the same in process mode (skipped, with the reason, where the host
 * lacks what process mode needs), and prints the programs' lines and a table of ns per load and ratios to a plain
 * segment.
 *
 * <p>Run (after {@code ./mvnw -o -B package -DskipTests -pl legoos-cli -am}, or let {@code ./lego} build the jar):
 * <pre>
 * java --enable-native-access=ALL-UNNAMED -cp legoos-cli/target/lego.jar org.legoos.eval.micro.HitLoads [workingSetBytes [rounds [warmUpMillis]]]
 * </pre>
 * Defaults: {@code 1MiB}, 15 rounds, 1000 ms of warm-up per variant. The ExCache is {@value #CACHE_FACTOR} times the
 * working set (at least 64 MiB), so after the program's first stores every load is a hit; the driver checks that no
 * page was fetched from a memory component during the run (a fetch would mean a page was evicted) and says so.
 */
public final class HitLoads {
    /** ExCache size over the working set. */
    static final long CACHE_FACTOR = 64;
    static final long MIN_CACHE = 64L << 20;
    private static final String VNODE = "hit";

    private HitLoads() {
    }

    /** A finished run in one mode: what the processor ran in, the program's stdout, and the ExCache counters of the run. */
    public record ModeRun(ProcessorMode mode, String modeReason, String stdout, ExCacheStats stats) {
        /** Pages fetched from a memory component during the run: 0 unless the working set did not stay resident. */
        public long fetched() {
            return stats.misses() - stats.zeroFills();
        }
    }

    /** Whether this host can run process mode: null if it can, else what it lacks. */
    public static String processModeUnavailable() {
        HostSupport.Decision d = HostSupport.decide(ProcessorMode.AUTO);
        return d.mode() == ProcessorMode.PROCESS ? null : d.reason();
    }

    /**
     * Starts a one-processor cluster in {@code mode} with an ExCache {@value #CACHE_FACTOR} times the working set, runs
     * {@code hitload workingSetBytes rounds warmUpMillis} in it and stops the cluster.
     *
     * @throws IllegalStateException with the program's output if it does not exit 0
     */
    public static ModeRun run(ProcessorMode mode, long workingSetBytes, int rounds, long warmUpMillis) throws InterruptedException {
        long cache = Math.max(MIN_CACHE, Long.highestOneBit(workingSetBytes * CACHE_FACTOR));
        ProcessorConfig processor = new ProcessorConfig(2, ExCacheConfig.of(cache), 16, 2000, mode, 256L << 20);
        LocalCluster.Spec spec = LocalCluster.Spec.defaults().withCounts(1, 1, 1).withProcessor(processor)
                .withMemory(MemoryConfig.of(Math.max(256L << 20, 4 * workingSetBytes)).withWorkers(0));
        try (LocalCluster c = LocalCluster.start(spec, MicroPrograms.all())) {
            c.createVNode(VNODE);
            var p = c.processors().getFirst();
            ExCacheStats before = p.excacheStats();
            LocalCluster.RunResult r = c.run(VNODE, HitLoadProgram.NAME, String.valueOf(workingSetBytes), String.valueOf(rounds),
                    String.valueOf(warmUpMillis));
            ExCacheStats during = p.excacheStats().minus(before);
            if (r.exitCode() != 0) {
                throw new IllegalStateException(HitLoadProgram.NAME + " in " + mode + " mode exited with " + r.exitCode()
                        + (r.error().isEmpty() ? "" : " (" + r.error() + ")") + "\n--- stdout ---\n" + r.stdout() + "--- stderr ---\n" + r.stderr());
            }
            return new ModeRun(p.mode(), p.modeReason(), r.stdout(), during);
        }
    }

    /** The program's {@code hit variant=...} line for {@code variant} and {@code order}. */
    static Map<String, String> line(String stdout, String variant, String order) {
        for (String l : stdout.split("\\R")) {
            if (l.startsWith("hit variant=" + variant + " order=" + order + " ")) {
                return MicroText.findLine(l, "variant", "order", "ns");
            }
        }
        throw new IllegalStateException("no line for " + variant + " " + order + " in:\n" + stdout);
    }

    /** The table: one row per variant and mode, seq and rand side by side, and the ratios to plain. */
    static List<String> table(List<ModeRun> runs) {
        List<String> out = new ArrayList<>();
        out.add(String.format(Locale.ROOT, "%-8s %-8s %-30s %-30s", "mode", "variant", "seq ns/load (min-max) x plain",
                "rand ns/load (min-max) x plain"));
        for (ModeRun run : runs) {
            String mode = run.mode().name().toLowerCase(Locale.ROOT);
            for (String variant : HitLoadProgram.VARIANTS) {
                StringBuilder row = new StringBuilder(String.format(Locale.ROOT, "%-8s %-8s", mode,
                        variant.equals("getLong") && run.mode() == ProcessorMode.THREAD ? "getLong*" : variant));
                for (String order : HitLoadProgram.ORDERS) {
                    Map<String, String> kv = line(run.stdout(), variant, order);
                    String cell;
                    if (kv.get("ns").equals("n/a")) {
                        cell = "n/a";
                    } else {
                        double ns = Double.parseDouble(kv.get("ns"));
                        double plain = Double.parseDouble(line(run.stdout(), "plain", order).get("ns"));
                        cell = String.format(Locale.ROOT, "%.3f (%s-%s) %.2fx", ns, kv.get("min"), kv.get("max"), ns / plain);
                    }
                    row.append(String.format(Locale.ROOT, " %-30s", cell));
                }
                out.add(row.toString());
            }
        }
        out.add("getLong* in thread mode is an ExCache hit. Targets in process mode: segment 1.0x plain, getLong <= 1.5x.");
        return out;
    }

    public static void main(String[] args) throws Exception {
        String usage = "HitLoads [workingSetBytes [rounds [warmUpMillis]]]";
        long ws = args.length > 0 ? MicroText.size(args, 0, "workingSetBytes", usage) : HitLoadProgram.DEFAULT_WORKING_SET;
        int rounds = args.length > 1 ? (int) MicroText.number(args, 1, "rounds", 1, 100_000, usage) : HitLoadProgram.DEFAULT_ROUNDS;
        long warm = args.length > 2 ? MicroText.number(args, 2, "warmUpMillis", 0, 600_000, usage) : HitLoadProgram.DEFAULT_WARM_UP_MILLIS;
        PrintStream out = System.out;
        List<ModeRun> runs = new ArrayList<>();
        runs.add(report(out, run(ProcessorMode.THREAD, ws, rounds, warm)));
        String lacking = processModeUnavailable();
        if (lacking != null) {
            out.println("process mode skipped: " + lacking);
        } else {
            runs.add(report(out, run(ProcessorMode.PROCESS, ws, rounds, warm)));
        }
        out.println();
        table(runs).forEach(out::println);
        boolean allHits = runs.stream().allMatch(r -> r.fetched() == 0);
        if (!allHits) {
            out.println("WARNING: pages were fetched from a memory component during a run: not every load was a hit");
        }
        out.flush();
        System.exit(allHits ? 0 : 3);
    }

    private static ModeRun report(PrintStream out, ModeRun run) {
        out.printf(Locale.ROOT, "== %s mode (%s); ExCache during the run: %d misses, %d zero-fills, %d fetched, %d evictions%n",
                run.mode().name().toLowerCase(Locale.ROOT), run.modeReason(), run.stats().misses(), run.stats().zeroFills(),
                run.fetched(), run.stats().evictions());
        out.print(run.stdout());
        out.flush();
        return run;
    }
}
