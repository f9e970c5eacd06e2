package org.legoos.eval;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.legoos.examples.workload.Workload;
import org.legoos.processor.excache.ExCacheConfig;
import org.legoos.processor.excache.ExCacheStats;

/**
 * The paper's ExCache-technique comparison, extended with prefetching: one workload at one ExCache share of its
 * working set, with every combination of eviction policy (FIFO, CLOCK, random), piggyback (on, off) and prefetch
 * (on, off), on each deployment, the faster of {@value #REPETITIONS} runs each. The baseline is LegoOS's
 * configuration: FIFO, piggyback on, no prefetch.
 *
 * <p>Not thread-safe.
 */
public final class TechniqueBench {
    /** One combination's run. */
    public record Row(String deployment, ExCacheConfig.Policy policy, boolean piggyback, boolean prefetch, double seconds,
                      double vsBaseline, ExCacheStats stats, boolean correct) {
    }

    /** Runs per combination; the fastest is reported. */
    static final int REPETITIONS = 2;

    private final Workload workload;
    private final long size;
    private final long seed;
    private final int threads;
    private final double fraction;

    public TechniqueBench(Workload workload, long size, long seed, int threads, double fraction) {
        this.workload = workload;
        this.size = size;
        this.seed = seed;
        this.threads = threads;
        this.fraction = fraction;
    }

    /** Progress steps per deployment. */
    public static int steps(int deployments) {
        return 1 + deployments * ExCacheConfig.Policy.values().length * 4;
    }

    /** Runs every combination; the first deployment must be {@code inJvm} (it measures the working set). */
    public List<Row> run(InJvmDeployment inJvm, List<Deployment> others, Progress progress, int stepBase, int stepTotal)
            throws Exception {
        int step = stepBase;
        String name = workload.name();
        progress.step(name + " techniques: twin and working set", step, stepTotal);
        String expected = workload.runPlain(size, seed, threads);
        List<String> args = workload.programArgs(size, seed, threads);
        ExCacheConfig big = ExCacheSizing.about(Math.max(ExCacheSizing.MIN_BYTES, workload.estimatedWorkingSetBytes(size)) * 3 / 2,
                ExCacheConfig.Policy.FIFO);
        RunOutcome probe = inJvm.run(big, workload.program(), args);
        if (!probe.ok()) {
            throw new IllegalStateException(name + " failed: " + probe.stderr());
        }
        long cache = (long) (probe.touchedBytes() * fraction);
        List<Deployment> all = new ArrayList<>();
        all.add(inJvm);
        all.addAll(others);
        List<Row> rows = new ArrayList<>();
        for (Deployment d : all) {
            double baseline = 0;
            for (ExCacheConfig.Policy policy : ExCacheConfig.Policy.values()) {
                for (boolean piggyback : new boolean[] {true, false}) {
                    for (boolean prefetch : new boolean[] {false, true}) {
                        ExCacheConfig c = ExCacheSizing.about(cache, policy).withPiggyback(piggyback)
                                .withPrefetchPages(prefetch ? ExCacheConfig.DEFAULT_PREFETCH_PAGES : 0);
                        progress.step(String.format(Locale.ROOT, "%s techniques: %s, %s, piggyback %s, prefetch %s", name,
                                d.label(), policy, onOff(piggyback), onOff(prefetch)), ++step, stepTotal);
                        if (d.coldAfterReconfigure()) { // a fresh processor JVM: warm its JIT at the quick size first
                            d.run(c, workload.program(), workload.programArgs(Math.min(size, workload.quickSize()), seed, threads));
                        }
                        RunOutcome o = null;
                        for (int rep = 0; rep < REPETITIONS; rep++) { // the faster of two: the effects are smaller than the noise
                            RunOutcome r = d.run(c, workload.program(), args);
                            if (!r.ok()) {
                                throw new IllegalStateException(name + " failed (" + d.label() + ", " + c + "): " + r.stderr());
                            }
                            o = o == null || r.seconds() < o.seconds() ? r : o;
                        }
                        if (baseline == 0) {
                            baseline = o.seconds(); // FIFO, piggyback on, prefetch off: what LegoOS had
                        }
                        rows.add(new Row(d.label(), policy, piggyback, prefetch, o.seconds(), o.seconds() / baseline,
                                o.stats(), expected.equals(o.resultLine())));
                    }
                }
            }
        }
        return rows;
    }

    static String onOff(boolean b) {
        return b ? "on" : "off";
    }
}
