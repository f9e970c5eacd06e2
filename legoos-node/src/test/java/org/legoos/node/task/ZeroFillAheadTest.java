package org.legoos.node.task;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.legoos.api.AddressSpace;
import org.legoos.api.LegoContext;
import org.legoos.api.LegoProgram;
import org.legoos.api.ProcessorMode;
import org.legoos.node.LocalCluster;
import org.legoos.processor.ProcessMonitor;
import org.legoos.processor.ProcessorConfig;
import org.legoos.processor.excache.ExCacheConfig;
import org.legoos.processor.excache.ExCacheStats;
import org.legoos.processor.excache.FaultExCache;
import org.legoos.task.sys.Userfaultfd;

/**
 * Process mode's zero-fill ahead, end to end: a program that fills fresh memory front to back (as every array
 * initialisation does) faults once per stream step, not once per page, and its pages arrive writable; with prefetch
 * off it faults on every page. The data it reads back is what it wrote, and the never-written pages it skipped
 * read as zeros.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class ZeroFillAheadTest {
    static final int PAGES = 2048;

    /** Writes every other word of {@code PAGES} fresh pages front to back, skipping pages 1000-1009; sums it back. */
    public static final class FillsFreshMemory implements LegoProgram {
        @Override
        public int main(LegoContext ctx, String[] args) {
            AddressSpace m = ctx.memory();
            long a = m.mmap((long) PAGES * AddressSpace.PAGE_SIZE);
            for (long p = 0; p < PAGES; p++) {
                if (p >= 1000 && p < 1010) {
                    continue;
                }
                for (long off = 0; off < AddressSpace.PAGE_SIZE; off += 16) {
                    m.putLong(a + p * AddressSpace.PAGE_SIZE + off, p * AddressSpace.PAGE_SIZE + off);
                }
            }
            long sum = 0;
            long zeros = 0;
            for (long off = 0; off < (long) PAGES * AddressSpace.PAGE_SIZE; off += 8) {
                long v = m.getLong(a + off);
                sum += v;
                zeros += v == 0 ? 1 : 0;
            }
            ctx.out().println("sum " + sum + " zeros " + zeros);
            return 0;
        }
    }

    /** The sum and zero count {@link FillsFreshMemory} must print, computed here. */
    static String expected() {
        long sum = 0;
        long zeros = 0;
        for (long off = 0; off < (long) PAGES * AddressSpace.PAGE_SIZE; off += 8) {
            long p = off / AddressSpace.PAGE_SIZE;
            long v = (p >= 1000 && p < 1010) || off % 16 != 0 ? 0 : off;
            sum += v;
            zeros += v == 0 ? 1 : 0;
        }
        return "sum " + sum + " zeros " + zeros;
    }

    record Faults(ExCacheStats stats, long writeFaults) {
    }

    private static Faults run(int prefetchPages) throws Exception {
        ExCacheConfig cache = new ExCacheConfig(4 * PAGES * (long) AddressSpace.PAGE_SIZE, 16, ExCacheConfig.Policy.FIFO, 3)
                .withPrefetchPages(prefetchPages);
        try (LocalCluster cluster = LocalCluster.start(LocalCluster.Spec.defaults().withCounts(1, 1, 1)
                        .withProcessor(new ProcessorConfig(2, cache, 16, 2000, ProcessorMode.PROCESS, 64L << 20)),
                Map.of("fills", FillsFreshMemory.class))) {
            cluster.createVNode("z");
            ProcessMonitor pm = cluster.processors().getFirst();
            FaultExCache faults = pm.faultCache();
            ExCacheStats before = faults.stats();
            long writeFaultsBefore = faults.writeFaults();
            var r = cluster.run("z", "fills");
            assertThat(r.exitCode()).as(r.toString()).isZero();
            assertThat(r.stdout().strip()).isEqualTo(expected());
            return new Faults(faults.stats().minus(before), faults.writeFaults() - writeFaultsBefore);
        }
    }

    @Test
    void aFrontToBackFillOfFreshMemoryFaultsOncePerStreamStepNotPerPage() throws Exception {
        Assumptions.assumeTrue(Userfaultfd.probe() == null, () -> "no userfaultfd: " + Userfaultfd.probe());
        Faults ahead = run(16);
        Faults off = run(0);
        System.out.println("zero-fill ahead: " + ahead + "\nprefetch off:    " + off);
        // every page of the program's area enters by a miss or ahead of one; without prefetch by its own miss
        assertThat(off.stats().misses()).isGreaterThanOrEqualTo(PAGES);
        assertThat(off.stats().prefetched()).isZero();
        assertThat(ahead.stats().misses()).as("misses with zero-fill ahead").isLessThan(PAGES / 4);
        assertThat(ahead.stats().prefetched()).isGreaterThan(PAGES / 2);
        assertThat(ahead.stats().prefetchMessages()).as("zero-filled pages cost no message").isZero();
        // a storing task gets its pages ahead writable: few write-protect faults
        assertThat(ahead.writeFaults()).isLessThan(PAGES / 4);
    }
}
