package org.legoos.eval;

import java.util.ArrayList;
import java.util.List;
import org.legoos.examples.workload.Workload;
import org.legoos.processor.excache.ExCacheConfig;

/**
 * The paper's main experiment for one workload: the plain-Java twin, then on every deployment LegoOS/J with an
 * ExCache larger than the working set ("full") and with ExCaches of the given shares of it. The working set is
 * measured, not assumed: the first in-JVM run with a cache of 1.5x the workload's estimate counts the distinct pages
 * it touched (misses, zero-fills included, with no eviction; if anything was evicted the cache doubles and it runs again),
 * and that run also warms the JIT; the full row is a second run. Every result line is compared with the twin's.
 *
 * <p>Not thread-safe; runs one thing at a time (the machine has 2 cores and every figure needs both).
 */
public final class WorkloadBench {
    /** The ExCache shares of the working set the paper's plots sweep. */
    public static final double[] DEFAULT_FRACTIONS = {0.5, 0.25, 0.125};

    /**
     * The deployment label of the twin run as its own JVM ({@link PlainTwinJvm}), measured when a deployment runs each
     * program as its own JVM; those deployments' "vs twin" is against it.
     */
    public static final String OWN_JVM_TWIN = "plain Java, own JVM";

    private final Workload workload;
    private final long size;
    private final long seed;
    private final int threads;
    private final ExCacheConfig.Policy policy;
    private final java.util.function.UnaryOperator<ExCacheConfig> tweak;
    private java.time.Duration limit = Deployment.DEFAULT_TIME_LIMIT;

    /**
     * @param tweak applied to every ExCache configuration (prefetch, piggyback switches); identity for defaults
     */
    public WorkloadBench(Workload workload, long size, long seed, int threads, ExCacheConfig.Policy policy,
                         java.util.function.UnaryOperator<ExCacheConfig> tweak) {
        this.workload = workload;
        this.size = size;
        this.seed = seed;
        this.threads = threads;
        this.policy = policy;
        this.tweak = tweak;
    }

    /**
     * How long one run at a reduced ExCache may take before it is killed and reported as timed out (the smaller ones
     * of that deployment are then skipped); the twin and full-ExCache runs always run to the end.
     */
    public WorkloadBench withTimeLimit(java.time.Duration perRun) {
        this.limit = perRun;
        return this;
    }

    /** How many progress steps {@link #run} reports for this many deployments and fractions. */
    public static int steps(int deployments, int fractions) {
        return 1 + deployments * (1 + fractions) + 1;
    }

    /**
     * Runs everything; {@code inJvm} must be the first deployment (it measures the working set).
     *
     * @throws IllegalStateException if a program fails (its stderr is in the message)
     */
    public List<WorkloadRow> run(InJvmDeployment inJvm, List<Deployment> others, double[] fractions, Progress progress,
                                 int stepBase, int stepTotal) throws Exception {
        List<WorkloadRow> rows = new ArrayList<>();
        String name = workload.name();
        int step = stepBase;
        progress.step(name + ": plain-Java twin", step, stepTotal);
        String expected = null;
        double twin = Double.MAX_VALUE;
        for (int i = 0; i < 2; i++) { // the first run warms the JIT
            System.gc();
            long t0 = System.nanoTime();
            String r = workload.runPlain(size, seed, threads);
            twin = Math.min(twin, (System.nanoTime() - t0) / 1e9);
            if (expected != null && !expected.equals(r)) {
                throw new IllegalStateException(name + ": the twin is not deterministic:\n  " + expected + "\n  " + r);
            }
            expected = r;
        }
        rows.add(new WorkloadRow(name, size, "plain Java", "twin", 0, 0, 0, twin, 0, 1, null, true, false));
        double ownJvmTwin = twin;
        if (inJvm.programsInOwnJvm() || others.stream().anyMatch(Deployment::programsInOwnJvm)) {
            ownJvmTwin = Double.MAX_VALUE;
            for (int i = 0; i < 2; i++) {
                PlainTwinJvm.Outcome o = PlainTwinJvm.run(workload, size, seed, threads);
                if (!expected.equals(o.resultLine())) {
                    throw new IllegalStateException(name + ": the twin in its own JVM differs from the in-harness twin:\n  "
                            + expected + "\n  " + o.resultLine());
                }
                ownJvmTwin = Math.min(ownJvmTwin, o.seconds());
            }
            rows.add(new WorkloadRow(name, size, OWN_JVM_TWIN, "twin", 0, 0, 0, ownJvmTwin, 0, 1, null, true, false));
        }
        step++;

        progress.step(name + ": measuring the working set (in-JVM)", step, stepTotal);
        List<String> args = workload.programArgs(size, seed, threads);
        long estimate = Math.max(ExCacheSizing.MIN_BYTES, workload.estimatedWorkingSetBytes(size));
        ExCacheConfig full = config(estimate * 3 / 2);
        RunOutcome probe = inJvm.run(full, workload.program(), args);
        for (int attempt = 0; probe.ok() && probe.stats().evictions() > 0 && attempt < 3; attempt++) {
            full = config(full.capacityBytes() * 2);
            probe = inJvm.run(full, workload.program(), args);
        }
        require(probe, "in-JVM, ExCache " + full.capacityBytes());
        if (probe.stats().evictions() > 0) {
            throw new IllegalStateException(name + ": the working set did not fit an ExCache of "
                    + full.capacityBytes() + " bytes; estimatedWorkingSetBytes is far too low");
        }
        long ws = probe.touchedBytes();

        List<Deployment> all = new ArrayList<>();
        all.add(inJvm);
        all.addAll(others);
        for (Deployment d : all) {
            double reference = d.programsInOwnJvm() ? ownJvmTwin : twin;
            progress.step(name + ": " + d.label() + ", full ExCache", ++step, stepTotal);
            warmUp(d, full);
            RunOutcome f = d.run(full, workload.program(), args);
            require(f, d.label() + ", full ExCache");
            rows.add(row(d, "full", (double) full.capacityBytes() / ws, full, ws, f, f.seconds(), reference, expected));
            boolean gaveUp = false;
            for (double fraction : fractions) {
                ExCacheConfig c = config((long) (ws * fraction));
                progress.step(name + ": " + d.label() + ", ExCache " + percent(fraction) + (gaveUp ? " (skipped)" : ""),
                        ++step, stepTotal);
                if (gaveUp) {
                    continue; // a smaller ExCache than one that ran out of time only takes longer
                }
                warmUp(d, c);
                RunOutcome o = d.run(c, workload.program(), args, limit);
                if (!o.timedOut()) {
                    require(o, d.label() + ", ExCache " + percent(fraction));
                }
                rows.add(row(d, percent(fraction), fraction, c, ws, o, f.seconds(), reference, expected));
                gaveUp = o.timedOut();
            }
        }
        progress.step(name + ": done", ++step, stepTotal);
        return rows;
    }

    /** A fresh processor JVM runs the workload once at its quick size first, so the measured run is not a cold JIT's. */
    private void warmUp(Deployment d, ExCacheConfig c) throws Exception {
        if (d.coldAfterReconfigure()) {
            require(d.run(c, workload.program(), workload.programArgs(Math.min(size, workload.quickSize()), seed, threads)),
                    d.label() + ", warm-up");
        }
    }

    private ExCacheConfig config(long bytes) {
        return tweak.apply(ExCacheSizing.about(bytes, policy));
    }

    private WorkloadRow row(Deployment d, String label, double fraction, ExCacheConfig c, long ws, RunOutcome o,
                            double full, double twin, String expected) {
        return new WorkloadRow(workload.name(), size, d.label(), label, fraction, c.capacityBytes(), ws, o.seconds(),
                o.seconds() / full, o.seconds() / twin, o.stats(), o.timedOut() || expected.equals(o.resultLine()), o.timedOut());
    }

    private void require(RunOutcome o, String where) {
        if (!o.ok()) {
            throw new IllegalStateException(workload.name() + " failed (" + where + "): exit " + o.exitCode()
                    + (o.resultLine() == null ? ", no result line" : "") + "\n" + o.stderr());
        }
    }

    /** "25%", "12.5%". */
    public static String percent(double fraction) {
        double p = Math.round(fraction * 1000) / 10.0; // one decimal: 12.5%, 28%
        return (p == Math.rint(p) ? String.valueOf((long) p) : String.valueOf(p)) + "%";
    }
}
