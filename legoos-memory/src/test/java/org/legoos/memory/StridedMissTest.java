package org.legoos.memory;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.legoos.memory.AddressSpaceCallsTest.assertStatus;
import static org.legoos.memory.Proc.PAGE;
import static org.legoos.memory.Proc.page;
import static org.legoos.memory.Proc.seedOf;

import java.nio.ByteBuffer;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.legoos.api.SegmentationFault;
import org.legoos.memory.vm.Layout;
import org.legoos.net.protocol.p2m.PcacheMiss;
import org.legoos.net.rpc.Status;

/**
 * {@code P2M_PCACHE_MISS} with a stride (the ExCache's batched prefetch): the owner serves the pages at
 * {@code vaddr + i * strideBytes} in order and stops at the first one it cannot serve.
 */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class StridedMissTest {
    private static final ByteBuffer NO_VICTIM = ByteBuffer.allocate(0);
    private TestCluster cluster;
    private Proc p;
    private long a;
    private int node;

    /** An inaccessible guard page, then 8 pages at {@code a}; page i was written with seed 100 + i, except page 5. */
    @BeforeEach
    void start() {
        cluster = new TestCluster(1, new MemoryConfig(1 << 20, 1 << 20, 0, 1 << 20, 64 << 10));
        p = Proc.create(cluster, TestCluster.memoryNode(0), 5, 0);
        long guard = p.mmap(0, PAGE, 0);
        a = p.mmap(8 * PAGE);
        assertThat(a).as("first-fit puts the area right above the guard page").isEqualTo(guard + PAGE);
        node = p.requireOwner(a);
        for (int i = 0; i < 8; i++) {
            if (i != 5) {
                p.flush(a + (long) i * PAGE, page(100 + i));
            }
        }
    }

    @AfterEach
    void stop() {
        cluster.close();
    }

    private byte[] miss(long va, int pages, long strideBytes) {
        ByteBuffer b = cluster.call(node, new PcacheMiss(p.pid, va, pages, 0, NO_VICTIM, strideBytes)).data();
        byte[] out = new byte[b.remaining()];
        b.get(out);
        return out;
    }

    private static long[] seeds(byte[] pages) {
        assertThat(pages.length % PAGE).isZero();
        long[] out = new long[pages.length / PAGE];
        for (int i = 0; i < out.length; i++) {
            out[i] = seedOf(pages, i * PAGE);
        }
        return out;
    }

    @Test
    void strideOfTwoPagesServesEveryOtherPageAndStopsAtTheAreaEnd() {
        assertThat(seeds(miss(a, 8, 2 * PAGE))).containsExactly(100, 102, 104, 106); // a + 8 pages is not mapped
        assertThat(seeds(miss(a + PAGE, 3, 2 * PAGE))).containsExactly(101, 103, 0); // page 5 was never written
        assertThat(seeds(miss(a + PAGE, 8, 3 * PAGE))).containsExactly(101, 104, 107);
        MemoryStats s = cluster.monitors.get(0).stats();
        assertThat(s.zeroPagesServed()).isEqualTo(1);
    }

    @Test
    void negativeStrideWalksDownAndStopsAtAnInaccessibleArea() {
        assertThat(seeds(miss(a + 6 * PAGE, 8, -2 * PAGE))).containsExactly(106, 104, 102, 100); // a - 2 pages: nothing
        assertThat(seeds(miss(a + 2 * PAGE, 8, -PAGE))).containsExactly(102, 101, 100); // a - 1 page: PROT_NONE guard
    }

    @Test
    void consecutiveStrideIsTheOldMultiPageMiss() {
        assertThat(seeds(miss(a + 4 * PAGE, 8, PAGE))).containsExactly(104, 0, 106, 107);
        assertThat(new PcacheMiss(1, a, 2, 0, NO_VICTIM).strideBytes()).isEqualTo(PAGE);
    }

    @Test
    void stridesLeavingTheUserAddressSpaceStopThere() {
        assertThat(seeds(miss(a, 4, Layout.TASK_SIZE))).containsExactly(100);
        assertThat(seeds(miss(a, 4, -Layout.TASK_SIZE))).containsExactly(100);
        assertThat(seeds(miss(a + 7 * PAGE, 4, -(a + 8 * PAGE)))).containsExactly(107); // to -PAGE
    }

    @Test
    void theDemandPageMustBeAccessibleWhateverTheStride() {
        assertThatThrownBy(() -> miss(a + 8 * PAGE, 4, -PAGE)).isInstanceOf(SegmentationFault.class);
        assertThatThrownBy(() -> miss(a - PAGE, 4, PAGE * 2)).isInstanceOf(SegmentationFault.class);
    }

    @Test
    void badStridesAreInvalidArguments() {
        for (long stride : new long[] {0, 1, PAGE - 1, PAGE + 8, -PAGE / 2, Long.MIN_VALUE, Layout.TASK_SIZE + PAGE,
                -Layout.TASK_SIZE - PAGE}) {
            assertStatus(() -> miss(a, 2, stride), Status.INVALID_ARGUMENT);
        }
        assertThat(cluster.monitors.get(0).stats().zeroPagesServed()).isZero();
    }
}
