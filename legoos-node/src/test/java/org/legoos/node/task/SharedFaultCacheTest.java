package org.legoos.node.task;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.legoos.api.AddressSpace;
import org.legoos.api.LegoContext;
import org.legoos.api.LegoProgram;
import org.legoos.api.ProcessorMode;
import org.legoos.memory.MemoryConfig;
import org.legoos.node.LocalCluster;
import org.legoos.processor.ProcessorConfig;
import org.legoos.processor.excache.ExCacheConfig;
import org.legoos.processor.excache.ExCacheStats;
import org.legoos.task.sys.Userfaultfd;

/**
 * Several task JVMs at once on one processor, sharing its tiny process-mode ExCache: each task's victims are often
 * another task's pages, its misses race with their evictions on the same sets, and the tasks force GCs (safepoints
 * while faults are in flight) and remap memory. Every task checks every load against its own model, and that a
 * fresh mapping at addresses just unmapped reads zeros (the word-count data loss of session 5 was exactly that).
 */
@Timeout(value = 240, unit = TimeUnit.SECONDS)
class SharedFaultCacheTest {
    /** {@code churn SEED PAGES STEPS}: two threads of random stores and checked loads, GCs and remaps. */
    public static final class Churn implements LegoProgram {
        @Override
        public int main(LegoContext ctx, String[] args) throws Exception {
            long seed = Long.parseLong(args[0]);
            int pages = Integer.parseInt(args[1]);
            int steps = Integer.parseInt(args[2]);
            AddressSpace m = ctx.memory();
            long words = (long) pages * AddressSpace.PAGE_SIZE / 8;
            long a = m.mmap((long) pages * AddressSpace.PAGE_SIZE);
            long[] model = new long[(int) words];
            String[] failure = new String[2];
            List<Thread> threads = new ArrayList<>();
            for (int t = 0; t < 2; t++) {
                int ti = t;
                threads.add(ctx.startThread("churn-" + t, () -> {
                    Random r = new Random(seed * 31 + ti);
                    int half = model.length / 2;
                    long scratchPages = 4;
                    for (int step = 0; step < steps && failure[ti] == null; step++) {
                        int i = ti * half + r.nextInt(half);
                        if (r.nextInt(3) == 0) {
                            long v = seed << 40 ^ r.nextLong() >>> 24; // tagged with the task's seed
                            m.putLong(a + 8L * i, v);
                            model[i] = v;
                        } else {
                            long v = m.getLong(a + 8L * i);
                            if (v != model[i]) {
                                failure[ti] = "step " + step + ": word " + i + " read 0x" + Long.toHexString(v)
                                        + ", expected 0x" + Long.toHexString(model[i]);
                            }
                        }
                        if (step % 700 == 0) {
                            System.gc();
                        }
                        if (step % 400 == 399) { // a dirty mapping unmapped, then a new one that must read zeros
                            long s = m.mmap(scratchPages * AddressSpace.PAGE_SIZE);
                            for (long p = 0; p < scratchPages; p++) {
                                m.putLong(s + p * AddressSpace.PAGE_SIZE + 8, 0xdead0000L + p);
                            }
                            m.munmap(s, scratchPages * AddressSpace.PAGE_SIZE);
                            long again = m.mmap(scratchPages * AddressSpace.PAGE_SIZE);
                            for (long p = 0; p < scratchPages; p++) {
                                long v = m.getLong(again + p * AddressSpace.PAGE_SIZE + 8);
                                if (v != 0) {
                                    failure[ti] = "step " + step + ": a fresh mapping at 0x" + Long.toHexString(again)
                                            + " read 0x" + Long.toHexString(v) + " in page " + p;
                                }
                            }
                            m.munmap(again, scratchPages * AddressSpace.PAGE_SIZE);
                        }
                    }
                }));
            }
            for (Thread t : threads) {
                t.join();
            }
            for (String f : failure) {
                if (f != null) {
                    ctx.err().println("DIVERGED " + f);
                    return 3;
                }
            }
            for (int i = 0; i < model.length; i++) {
                if (m.getLong(a + 8L * i) != model[i]) {
                    ctx.err().println("DIVERGED at the end: word " + i);
                    return 3;
                }
            }
            ctx.out().println("ok " + seed);
            return 0;
        }
    }

    @Test
    void threeTasksShareATinyExCacheWithGcsAndRemapsAndEachSeesOnlyItsOwnMemory() throws Exception {
        Assumptions.assumeTrue(Userfaultfd.probe() == null, () -> "no userfaultfd: " + Userfaultfd.probe());
        // 32 pages in 8 sets of 4 for 3 tasks of 96 pages each: almost every access of a task that just ran another
        // one misses, and the victim is another task's page about half the time
        ExCacheConfig tiny = new ExCacheConfig(32 * AddressSpace.PAGE_SIZE, 4, ExCacheConfig.Policy.FIFO, 5)
                .withPrefetchPages(ExCacheConfig.DEFAULT_PREFETCH_PAGES);
        long seed = Long.getLong("legoos.seed", System.nanoTime() & 0xffff);
        System.out.println("SharedFaultCacheTest seed " + seed + " (replay: -Dlegoos.seed=" + seed + ")");
        try (LocalCluster cluster = LocalCluster.start(LocalCluster.Spec.defaults().withCounts(1, 2, 1)
                        .withMemory(MemoryConfig.of(1L << 30).withVregionBytes(64 << 10))
                        .withProcessor(new ProcessorConfig(2, tiny, 16, 2000, ProcessorMode.PROCESS, 64L << 20)),
                Map.of("churn", Churn.class))) {
            cluster.createVNode("shared");
            ExCacheStats before = cluster.processors().getFirst().faultCache().stats();
            ExecutorService pool = Executors.newFixedThreadPool(3);
            try {
                List<Future<LocalCluster.RunResult>> runs = new ArrayList<>();
                for (int t = 0; t < 3; t++) {
                    String taskSeed = String.valueOf(seed + t + 1);
                    Callable<LocalCluster.RunResult> run = () -> cluster.run("shared", "churn", taskSeed, "96", "4000");
                    runs.add(pool.submit(run));
                }
                for (Future<LocalCluster.RunResult> f : runs) {
                    LocalCluster.RunResult r = f.get(200, TimeUnit.SECONDS);
                    assertThat(r.exitCode()).as("seed %d: %s", seed, r).isZero();
                    assertThat(r.stdout()).startsWith("ok ");
                }
            } finally {
                pool.shutdownNow();
            }
            ExCacheStats s = cluster.processors().getFirst().faultCache().stats().minus(before);
            System.out.println("SharedFaultCacheTest: " + s);
            assertThat(s.evictions()).as("the tasks competed for the cache").isGreaterThan(1000);
            assertThat(cluster.processors().getFirst().faultCache().residentPages()).as("exited tasks hold no pages").isZero();
        }
    }
}
