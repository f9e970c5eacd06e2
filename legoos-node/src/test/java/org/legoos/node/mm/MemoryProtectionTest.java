package org.legoos.node.mm;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;
import org.legoos.api.AddressSpace;
import org.legoos.api.LegoContext;
import org.legoos.api.LegoProgram;
import org.legoos.api.SegmentationFault;
import org.legoos.node.LocalCluster;

/**
 * mprotect and mapping protections as a program sees them, on a cluster with a tiny ExCache (so protected pages are
 * evicted, written back and fetched again) and 3 memory components with small vRegions: every violation is a
 * {@link SegmentationFault} at the access, data written before a protection change stays, and refused calls
 * change nothing.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(value = 120, unit = TimeUnit.SECONDS)
public class MemoryProtectionTest {
    private static final int PAGE = AddressSpace.PAGE_SIZE;
    private LocalCluster cluster;

    /** Runs the checks; prints one line per passed check, exits 1 at the first failed one. */
    public static final class Protect implements LegoProgram {
        private LegoContext ctx;
        private int checks;

        private void check(boolean ok, String what) {
            if (!ok) {
                throw new IllegalStateException("check failed: " + what);
            }
            checks++;
            ctx.out().println("ok " + what);
        }

        private static long value(long va) {
            return va * 0x9E3779B97F4A7C15L;
        }

        private static void fill(AddressSpace m, long va, int pages) {
            for (int p = 0; p < pages; p++) {
                for (int w = 0; w < PAGE; w += 512) {
                    m.putLong(va + (long) p * PAGE + w, value(va + (long) p * PAGE + w));
                }
            }
        }

        private static boolean holds(AddressSpace m, long va, int pages) {
            for (int p = 0; p < pages; p++) {
                for (int w = 0; w < PAGE; w += 512) {
                    if (m.getLong(va + (long) p * PAGE + w) != value(va + (long) p * PAGE + w)) {
                        return false;
                    }
                }
            }
            return true;
        }

        @Override
        public int main(LegoContext ctx, String[] args) {
            this.ctx = ctx;
            AddressSpace m = ctx.memory();
            int pages = 96; // more than the ExCache holds: lines are evicted, some deferred, some piggybacked
            long va = m.mmap((long) pages * PAGE);
            fill(m, va, pages);
            m.mprotect(va, (long) pages * PAGE, AddressSpace.PROT_READ);
            check(holds(m, va, pages), "data written before mprotect(READ) reads back");
            check(TinyCluster.faults(() -> m.putLong(va + 512, 1)), "store to a read-only page faults at the access");
            check(TinyCluster.faults(() -> m.write(va + PAGE - 2, new byte[4], 0, 4)), "bulk write into read-only pages faults");
            check(m.getLong(va + 512) == value(va + 512), "a refused store changed nothing");
            m.msync(va, (long) pages * PAGE);
            long scratch = m.mmap(256L * PAGE); // evict everything
            fill(m, scratch, 256);
            check(holds(m, va, pages), "read-only pages read back after eviction");

            m.mprotect(va + 16L * PAGE, 8L * PAGE, AddressSpace.PROT_NONE);
            check(TinyCluster.faults(() -> m.getLong(va + 16L * PAGE)), "load from a PROT_NONE page faults");
            check(TinyCluster.faults(() -> m.getByte(va + 24L * PAGE - 1)), "load from the last PROT_NONE page faults");
            check(m.getLong(va + 24L * PAGE) == value(va + 24L * PAGE), "the page after the PROT_NONE range reads");
            m.mprotect(va, (long) pages * PAGE, AddressSpace.PROT_RW);
            check(holds(m, va, pages), "data survives PROT_NONE and back");
            m.putLong(va + 8, 77);
            check(m.getLong(va + 8) == 77, "store after mprotect(RW) works");
            m.putLong(va + 8, value(va + 8));

            // dirty lines at the moment write permission goes away are written back, not lost or refused later
            fill(m, scratch, 256);
            for (int p = 0; p < pages; p++) {
                m.putLong(va + (long) p * PAGE + 16, ~value(va + (long) p * PAGE + 16));
            }
            m.mprotect(va, (long) pages * PAGE, AddressSpace.PROT_READ);
            fill(m, scratch, 256);
            boolean kept = true;
            for (int p = 0; p < pages; p++) {
                kept &= m.getLong(va + (long) p * PAGE + 16) == ~value(va + (long) p * PAGE + 16);
            }
            check(kept, "stores just before mprotect(READ) survive eviction");

            long ro = m.mmap(0, 4L * PAGE, AddressSpace.PROT_READ);
            check(m.getLong(ro + 100) == 0, "a read-only mapping reads zeros");
            check(TinyCluster.faults(() -> m.putInt(ro + 100, 1)), "a store to a read-only mapping faults at the access");

            long gapped = m.mmap(8L * PAGE);
            m.munmap(gapped + 4L * PAGE, PAGE);
            m.putLong(gapped, 5);
            check(TinyCluster.faults(() -> m.mprotect(gapped, 8L * PAGE, AddressSpace.PROT_READ)),
                    "mprotect of a range with a hole is a segmentation fault");
            m.putLong(gapped, 6);
            check(m.getLong(gapped) == 6, "a refused mprotect changed nothing");
            boolean refused;
            try {
                m.mprotect(gapped + 8, PAGE, AddressSpace.PROT_READ);
                refused = false;
            } catch (IllegalArgumentException expected) {
                refused = true;
            }
            check(refused, "mprotect of an unaligned address is an illegal argument");
            try {
                m.mprotect(gapped, PAGE, 4);
                refused = false;
            } catch (IllegalArgumentException expected) {
                refused = true;
            }
            check(refused, "unknown protection bits are an illegal argument");

            long moved = m.mremap(ro, 4L * PAGE, 64L * PAGE, true);
            check(TinyCluster.faults(() -> m.putLong(moved + 63L * PAGE, 1)), "mremap keeps the area's protection");
            ctx.out().println("checks " + checks);
            return 0;
        }
    }

    @BeforeAll
    void start() {
        cluster = TinyCluster.start(1, Map.of("protect", Protect.class));
        cluster.createVNode("p");
    }

    @AfterAll
    void stop() {
        cluster.close();
    }

    @Test
    void protectionIsEnforcedAtTheAccessAndDataSurvivesEveryChange() throws Exception {
        LocalCluster.RunResult r = cluster.run("p", "protect");
        assertThat(r.exitCode()).as(r.stdout() + r.stderr() + r.error()).isZero();
        assertThat(r.stdout()).contains("checks 18");
    }
}
