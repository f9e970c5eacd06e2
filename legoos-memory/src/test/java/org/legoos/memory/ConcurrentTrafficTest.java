package org.legoos.memory;

import static org.assertj.core.api.Assertions.assertThat;
import static org.legoos.memory.Proc.PAGE;
import static org.legoos.memory.Proc.page;
import static org.legoos.memory.Proc.seedOf;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.legoos.api.SegmentationFault;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Many processor threads missing and flushing at once against monitors with worker pools. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class ConcurrentTrafficTest {
    static final long VREGION = 1 << 20;
    static final int THREADS = 8;
    TestCluster cluster;
    ExecutorService pool;

    @BeforeEach
    void start() {
        cluster = new TestCluster(2, new MemoryConfig(64L << 20, VREGION, 4, 1 << 20, 64 << 10));
        pool = Executors.newFixedThreadPool(THREADS);
    }

    @AfterEach
    void stop() throws InterruptedException {
        pool.shutdownNow();
        pool.awaitTermination(10, TimeUnit.SECONDS);
        cluster.close();
    }

    @Test
    void concurrentMissesAndFlushesKeepEveryPageIntact() throws Exception {
        long seed = Long.getLong("legoos.seed", System.nanoTime());
        System.out.println("ConcurrentTrafficTest seed = " + seed + " (rerun with -Dlegoos.seed=" + seed + ")");
        Proc p = Proc.create(cluster, TestCluster.memoryNode(0), 1, 0);
        long a = p.mmap(2 * VREGION); // both owners
        int pagesPerThread = (int) (2 * VREGION / PAGE / THREADS);
        List<Future<long[]>> results = new ArrayList<>();
        for (int t = 0; t < THREADS; t++) {
            int thread = t;
            results.add(pool.submit(() -> {
                Random rnd = new Random(seed + thread);
                long base = a + (long) thread * pagesPerThread * PAGE;
                long[] last = new long[pagesPerThread];
                for (int op = 0; op < 600; op++) {
                    int i = rnd.nextInt(pagesPerThread);
                    long va = base + (long) i * PAGE;
                    switch (rnd.nextInt(3)) {
                        case 0 -> {
                            long s = ((long) thread << 40) | ((long) op << 20) | (i + 1);
                            p.flush(va, page(s));
                            last[i] = s;
                        }
                        case 1 -> {
                            // miss with the previously written page of this thread riding along
                            int j = rnd.nextInt(pagesPerThread);
                            long victimVa = base + (long) j * PAGE;
                            if (p.requireOwner(victimVa) == p.requireOwner(va)) {
                                long s = ((long) thread << 40) | ((long) op << 20) | (j + 1);
                                byte[] got = p.missWithVictim(va, victimVa, page(s));
                                last[j] = s;
                                if (va != victimVa) {
                                    assertThat(seedOf(got)).isEqualTo(last[i]);
                                } else {
                                    assertThat(seedOf(got)).isEqualTo(s);
                                }
                            }
                        }
                        default -> assertThat(seedOf(p.miss(va))).isEqualTo(last[i]);
                    }
                }
                return last;
            }));
        }
        // meanwhile, another process maps and unmaps on the same monitors
        Proc q = Proc.create(cluster, TestCluster.memoryNode(1), 2, 0);
        for (int k = 0; k < 50; k++) {
            long b = q.mmap(8 * PAGE);
            q.flush(b, page(k + 1));
            assertThat(seedOf(q.miss(b))).isEqualTo(k + 1);
            q.munmap(b, 8 * PAGE);
            try {
                q.miss(b);
                throw new AssertionError("miss after munmap succeeded");
            } catch (SegmentationFault expected) {
                // as it should
            }
        }
        long expectedPages = 0;
        for (int t = 0; t < THREADS; t++) {
            long[] last = results.get(t).get(50, TimeUnit.SECONDS);
            long base = a + (long) t * pagesPerThread * PAGE;
            for (int i = 0; i < pagesPerThread; i++) {
                assertThat(seedOf(p.miss(base + (long) i * PAGE))).isEqualTo(last[i]);
                if (last[i] != 0) {
                    expectedPages++;
                }
            }
        }
        long stored = cluster.monitors.stream().mapToLong(m -> m.stats().pagesUsed()).sum();
        assertThat(stored).as("every page on its owner and on its replica").isEqualTo(2 * expectedPages);
        p.destroy();
        q.destroy();
        assertThat(cluster.monitors.stream().mapToLong(m -> m.stats().pagesUsed()).sum()).isZero();
    }
}
