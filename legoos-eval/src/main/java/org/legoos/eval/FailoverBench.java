package org.legoos.eval;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.legoos.api.AddressSpace;
import org.legoos.api.ComponentState;
import org.legoos.api.LegoContext;
import org.legoos.api.LegoProgram;
import org.legoos.api.ProcessorMode;
import org.legoos.examples.workload.Workload;
import org.legoos.manager.ManagerConfig;
import org.legoos.memory.MemoryConfig;
import org.legoos.memory.MemoryMonitor;
import org.legoos.memory.MemoryStats;
import org.legoos.node.LocalCluster;
import org.legoos.processor.ProcessorConfig;
import org.legoos.processor.client.ProcessClient;
import org.legoos.processor.excache.ExCacheConfig;

/**
 * {@code lego bench --sections failover}: what memory replication costs and how fast it recovers, in-JVM (the
 * components in this JVM, the programs in task JVMs of their own):
 * <ul>
 * <li>the overhead of replication on each workload at 25% ExCache: the same run on two memory components with one copy
 *     of each page and with two (best of two runs each);</li>
 * <li>failover: a program touching its pages without pause while a memory component owning some of them crashes:
 *     the time from the crash to the manager declaring it dead (the heartbeat timeout, the detection), and the
 *     program's longest stall (from the crash until its next access was served by the new owner); and the memory
 *     the replicas hold.</li>
 * </ul>
 */
public final class FailoverBench {
    /** Heartbeat timeout of the failover runs (the manager checks every 50 ms, components report every 100 ms). */
    public static final Duration HEARTBEAT_TIMEOUT = Duration.ofMillis(1_000);
    private static final Pattern STALL = Pattern.compile("maxstall_us=(\\d+)");

    private final int runs;

    /** @param runs failover runs (each a fresh cluster) */
    public FailoverBench(int runs) {
        this.runs = runs;
    }

    /**
     * Touches every page of {@code bytes} of fresh memory in rounds, checking what the previous round wrote: prints
     * "round N" after each, and at the end {@code result maxstall_us=S} (the longest gap between two page accesses).
     * Exits 1 at the first wrong value.
     */
    public static final class FailoverProbe implements LegoProgram {
        @Override
        public int main(LegoContext ctx, String[] args) {
            long bytes = Long.parseLong(args[0]);
            int rounds = Integer.parseInt(args[1]);
            AddressSpace m = ctx.memory();
            long va = m.mmap(bytes);
            long pages = bytes / AddressSpace.PAGE_SIZE;
            long maxGap = 0;
            long last = System.nanoTime();
            for (int round = 0; round < rounds; round++) {
                for (long p = 0; p < pages; p++) {
                    long at = va + p * AddressSpace.PAGE_SIZE;
                    if (round > 0 && m.getLong(at) != p * 31 + round - 1) {
                        ctx.err().println("page " + p + " lost its round " + (round - 1) + " value: " + m.getLong(at));
                        return 1;
                    }
                    m.putLong(at, p * 31 + round);
                    long now = System.nanoTime();
                    maxGap = Math.max(maxGap, now - last);
                    last = now;
                }
                ctx.out().println("round " + round);
                ctx.out().flush();
            }
            ctx.out().println("result maxstall_us=" + maxGap / 1_000);
            return 0;
        }
    }

    /** One failover run. */
    public record FailoverRun(long detectionMillis, long stallMillis, long replicaBytes, long primaryBytes) {
    }

    /** Crashes an owner of a running program's pages {@link #runs} times, a fresh cluster each time. */
    public List<FailoverRun> failovers(Progress progress, int stepBase, int stepTotal) throws Exception {
        List<FailoverRun> out = new ArrayList<>();
        for (int i = 0; i < runs; i++) {
            progress.step("failover: run " + (i + 1) + " of " + runs, stepBase + i, stepTotal);
            out.add(failover());
        }
        return out;
    }

    private FailoverRun failover() throws Exception {
        LocalCluster.Spec base = LocalCluster.Spec.defaults();
        LocalCluster.Spec spec = new LocalCluster.Spec(1, 3, 1,
                new ProcessorConfig(2, ExCacheSizing.about(2L << 20, ExCacheConfig.Policy.FIFO), 16, 2000,
                        ProcessorMode.PROCESS, ProcessorConfig.DEFAULT_TASK_HEAP_BYTES),
                MemoryConfig.of(256L << 20).withWorkers(0).withVregionBytes(1 << 20).withReplicas(2),
                ManagerConfig.defaults().withHeartbeatTimeoutMillis(HEARTBEAT_TIMEOUT.toMillis()).withTickPeriodMillis(50),
                base.storageRoot(), Duration.ofMillis(100));
        try (LocalCluster c = LocalCluster.start(spec, Map.of("failoverprobe", FailoverProbe.class))) {
            c.createVNode("fo");
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            ByteArrayOutputStream err = new ByteArrayOutputStream();
            ProcessClient.Running p = c.processes().start("fo", "failoverprobe", List.of(String.valueOf(16L << 20), "40"),
                    out, err);
            long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
            while (!out.toString(StandardCharsets.UTF_8).contains("round 1\n")) {
                if (p.onExit().isDone() || System.nanoTime() > deadline) {
                    throw new IllegalStateException("the failover probe did not start: " + err);
                }
                Thread.sleep(5);
            }
            long replica = 0;
            long used = 0;
            int victim = -1;
            List<MemoryMonitor> mems = c.memories();
            for (int i = 0; i < mems.size(); i++) {
                MemoryStats s = mems.get(i).stats();
                replica += s.replicaBytes();
                used += s.usedBytes();
                if (victim < 0 && s.homeSpaces() == 0 && s.ownedSpaces() > 0) {
                    victim = i;
                }
            }
            if (victim < 0) {
                throw new IllegalStateException("no memory component owns pages of the probe without being its home");
            }
            int node = mems.get(victim).nodeId();
            long t0 = System.nanoTime();
            c.crashMemory(victim);
            long dead = -1;
            while (dead < 0 && System.nanoTime() - t0 < Duration.ofSeconds(30).toNanos()) {
                for (var m : c.manager().members()) {
                    if (m.nodeId() == node && m.state() == ComponentState.DEAD) {
                        dead = System.nanoTime();
                    }
                }
                Thread.sleep(2);
            }
            int code = p.onExit().get(120, java.util.concurrent.TimeUnit.SECONDS);
            Matcher stall = STALL.matcher(out.toString(StandardCharsets.UTF_8));
            if (code != 0 || !stall.find() || dead < 0) {
                throw new IllegalStateException("the failover probe failed (exit " + code + "): " + err);
            }
            return new FailoverRun((dead - t0) / 1_000_000, Long.parseLong(stall.group(1)) / 1_000, replica, used - replica);
        }
    }

    /** One workload's 25% ExCache run with one copy and with two of each page. */
    public record OverheadRow(String workload, String deployment, double oneCopySeconds, double twoCopiesSeconds,
                              long misses, long flushes) {
        public double overhead() {
            return twoCopiesSeconds / oneCopySeconds - 1;
        }
    }

    /** Memory per component for the overhead runs of {@code w}. */
    public static long memoryFor(Workload w, long size) {
        return Math.max(1L << 30, 4 * w.estimatedWorkingSetBytes(size));
    }

    /** The replication overhead of {@code w} at 25% ExCache in-JVM (process mode, two memory components). */
    public static OverheadRow overhead(Workload w, long size, long seed, int threads) throws Exception {
        long memory = memoryFor(w, size);
        try (InJvmDeployment one = new InJvmDeployment(threads, memory, Map.of(), ProcessorMode.PROCESS, 2, 1);
             InJvmDeployment two = new InJvmDeployment(threads, memory, Map.of(), ProcessorMode.PROCESS, 2, 2)) {
            return overhead(w, size, seed, threads, one, two, "in-JVM");
        }
    }

    /**
     * The replication overhead of {@code w} at 25% ExCache: {@code one} keeps one copy of each page, {@code two} two
     * (its working set measured with a full ExCache on {@code one} first; best of two runs each, alternating).
     */
    public static OverheadRow overhead(Workload w, long size, long seed, int threads, Deployment one, Deployment two,
                                       String label) throws Exception {
        List<String> args = w.programArgs(size, seed, threads);
        ExCacheConfig full = ExCacheSizing.about(Math.max(ExCacheSizing.MIN_BYTES,
                w.estimatedWorkingSetBytes(size) * 3 / 2), ExCacheConfig.Policy.FIFO);
        RunOutcome probe = one.run(full, w.program(), args);
        if (!probe.ok()) {
            throw new IllegalStateException(w.name() + " failed: " + probe.stderr());
        }
        // the counters' count of touched pages (a process-mode run can report none): else the workload's estimate
        long ws = probe.touchedBytes() > 0 ? probe.touchedBytes() : w.estimatedWorkingSetBytes(size);
        ExCacheConfig quarter = ExCacheSizing.about(Math.max(ExCacheSizing.MIN_BYTES, ws / 4), ExCacheConfig.Policy.FIFO);
        double best1 = Double.MAX_VALUE;
        double best2 = Double.MAX_VALUE;
        RunOutcome last = null;
        for (int i = 0; i < 2; i++) {
            RunOutcome a = one.run(quarter, w.program(), args);
            RunOutcome b = two.run(quarter, w.program(), args);
            if (!a.ok() || !b.ok() || !a.resultLine().equals(probe.resultLine()) || !b.resultLine().equals(probe.resultLine())) {
                throw new IllegalStateException(w.name() + ": a run at 25% failed or differs: " + a.stderr() + b.stderr());
            }
            best1 = Math.min(best1, a.seconds());
            best2 = Math.min(best2, b.seconds());
            last = b;
        }
        // separate-process deployments do not report ExCache counters
        return new OverheadRow(w.name(), label, best1, best2, last.stats() == null ? -1 : last.stats().misses(),
                last.stats() == null ? -1 : last.stats().flushes());
    }

    static String ms(long millis) {
        return String.format(Locale.ROOT, "%d ms", millis);
    }
}
