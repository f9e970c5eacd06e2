package org.legoos.node.task;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;
import org.legoos.api.AddressSpace;
import org.legoos.api.LegoContext;
import org.legoos.api.LegoProgram;
import org.legoos.api.ProcessorMode;
import org.legoos.api.SegmentationFault;
import org.legoos.node.LocalCluster;
import org.legoos.processor.ProcessorConfig;
import org.legoos.processor.excache.ExCacheConfig;

/**
 * Segmentation faults in process mode are thrown at the access, also from compiled code: there a poisoned page's
 * {@code InternalError} is asynchronous (it surfaced lines later, in the program's own frame, where no catch of
 * {@code SegmentationFault} saw it: the process died with 135). Each program warms the accessors up until the JIT has
 * compiled and inlined them, then takes hundreds of faults, every one of which must be a {@code SegmentationFault}
 * caught around the access, while good accesses to the same pages (by the same thread and by another one) read what
 * was stored and never fail.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class PreciseFaultTest {
    private static final int PAGE = AddressSpace.PAGE_SIZE;
    private LocalCluster cluster;

    /** Stores to a read-only page and loads from a hole, compiled, with good loads of the same page in between. */
    public static final class Faults implements LegoProgram {
        private static long value(long va) {
            return va * 0x9E3779B97F4A7C15L;
        }

        /** A store that must fault; true if it did, as a SegmentationFault from the access itself. */
        private static boolean store(AddressSpace m, long va, long v) {
            try {
                m.putLong(va, v);
                return false;
            } catch (SegmentationFault expected) {
                return true;
            }
        }

        private static boolean load(AddressSpace m, long va) {
            try {
                m.getLong(va);
                return false;
            } catch (SegmentationFault expected) {
                return true;
            }
        }

        /** A loop of loads only (the JIT would hoist an invariant read out of it): sums 64 words at {@code va}. */
        private static long sum64(AddressSpace m, long va) {
            long sum = 0;
            for (int i = 0; i < 64; i++) {
                sum += m.getLong(va + 8L * i);
            }
            return sum;
        }

        private static boolean loop(AddressSpace m, long va) {
            try {
                sum64(m, va);
                return false;
            } catch (SegmentationFault expected) {
                return true;
            }
        }

        private static boolean bulk(AddressSpace m, long va) {
            try {
                m.write(va, new byte[16], 0, 16);
                return false;
            } catch (SegmentationFault expected) {
                return true;
            }
        }

        @Override
        public int main(LegoContext ctx, String[] args) throws Exception {
            int rounds = Integer.parseInt(args[0]);
            AddressSpace m = ctx.memory();
            long rw = m.mmap(16L * PAGE);
            long ro = m.mmap(4L * PAGE);
            for (long va = ro; va < ro + 4L * PAGE; va += 8) {
                m.putLong(va, value(va));
            }
            m.mprotect(ro, 4L * PAGE, AddressSpace.PROT_READ);
            long hole = m.mmap(2L * PAGE);
            m.munmap(hole, 2L * PAGE);
            long sum = 0;
            for (int i = 0; i < 2_000_000; i++) { // warm-up: C2 compiles and inlines the accessors
                long va = rw + (i & (16 * PAGE / 8 - 1)) * 8L;
                m.putLong(va, i);
                sum += m.getLong(va) + m.getLong(ro + (i & (4 * PAGE / 8 - 1)) * 8L);
                if ((i & 63) == 0) {
                    sum += sum64(m, rw + (i & (8 * PAGE - 1)));
                }
            }
            // Another thread reads the read-only pages all along: loads of a page poisoned by a refused store are good.
            AtomicReference<Throwable> readerFailed = new AtomicReference<>();
            AtomicLong readerLoads = new AtomicLong();
            java.util.concurrent.atomic.AtomicBoolean stop = new java.util.concurrent.atomic.AtomicBoolean();
            Thread reader = ctx.startThread("reader", () -> {
                try {
                    long n = 0;
                    while (!stop.get()) {
                        for (long va = ro; va < ro + 4L * PAGE; va += 64) {
                            if (m.getLong(va) != value(va)) {
                                throw new AssertionError("reader: 0x" + Long.toHexString(va) + " changed");
                            }
                            n++;
                        }
                    }
                    readerLoads.set(n);
                } catch (Throwable t) {
                    readerFailed.set(t);
                }
            });
            int stores = 0;
            int loads = 0;
            int copies = 0;
            int loops = 0;
            for (int r = 0; r < rounds; r++) {
                long at = ro + (r % 4) * (long) PAGE + 8L * (r % 500);
                stores += store(m, at, -1) ? 1 : 0;
                if (m.getLong(at) != value(at)) {
                    ctx.err().println("round " + r + ": a refused store changed 0x" + Long.toHexString(at));
                    return 2;
                }
                loads += load(m, hole + (r % 2) * (long) PAGE + 8) ? 1 : 0;
                copies += bulk(m, at) ? 1 : 0;
                loops += loop(m, hole + (r % 2) * (long) PAGE) ? 1 : 0;
                m.putLong(rw + 8L * r, r); // good stores keep working between faults
            }
            stop.set(true);
            reader.join();
            for (int r = 0; r < rounds; r++) {
                if (m.getLong(rw + 8L * r) != r) {
                    ctx.err().println("good store " + r + " lost");
                    return 3;
                }
            }
            ctx.out().println("stores " + stores + " loads " + loads + " copies " + copies + " loops " + loops + " reader "
                    + (readerFailed.get() == null ? "ok " + readerLoads.get() : readerFailed.get()) + " (" + sum + ")");
            return stores == rounds && loads == rounds && copies == rounds && loops == rounds && readerFailed.get() == null
                    ? 0 : 1;
        }
    }

    @BeforeAll
    void start() {
        ExCacheConfig cache = new ExCacheConfig(256 * PAGE, 8, ExCacheConfig.Policy.FIFO, 3);
        cluster = LocalCluster.start(LocalCluster.Spec.defaults().withCounts(1, 1, 1)
                        .withProcessor(new ProcessorConfig(2, cache, 16, 2000, ProcessorMode.PROCESS, 64L << 20)),
                Map.of("faults", Faults.class));
        cluster.createVNode("pf");
    }

    @AfterAll
    void stop() {
        if (cluster != null) {
            cluster.close();
        }
    }

    @Test
    void compiledAccessesThrowSegmentationFaultAtTheAccess() throws Exception {
        var r = cluster.run("pf", "faults", "300");
        assertThat(r.exitCode()).as(r.stdout() + r.stderr()).isZero();
        assertThat(r.stdout()).contains("stores 300 loads 300 copies 300 loops 300 reader ok");
    }
}
