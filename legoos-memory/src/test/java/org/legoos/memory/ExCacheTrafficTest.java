package org.legoos.memory;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.legoos.memory.AddressSpaceCallsTest.assertStatus;
import static org.legoos.memory.Proc.PAGE;
import static org.legoos.memory.Proc.page;
import static org.legoos.memory.Proc.seedOf;

import java.nio.ByteBuffer;
import java.util.concurrent.TimeUnit;
import org.legoos.api.NoMemoryException;
import org.legoos.api.SegmentationFault;
import org.legoos.memory.vm.Layout;
import org.legoos.net.protocol.p2m.PcacheFlush;
import org.legoos.net.protocol.p2m.PcacheMiss;
import org.legoos.net.rpc.Status;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The owner role under ExCache traffic: misses, flushes, piggybacked victims, bad addresses, a full page store. */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class ExCacheTrafficTest {
    TestCluster cluster;

    private Proc start(long capacityBytes) {
        cluster = new TestCluster(1, new MemoryConfig(capacityBytes, 1 << 20, 0, 1 << 20, 64 << 10));
        return Proc.create(cluster, TestCluster.memoryNode(0), 5, 0);
    }

    @AfterEach
    void stop() {
        if (cluster != null) {
            cluster.close();
        }
    }

    @Test
    void neverFlushedPageReadsAsZeros() {
        Proc p = start(1 << 20);
        long a = p.mmap(2 * PAGE);
        assertThat(p.miss(a)).hasSize(PAGE).containsOnly(0);
        assertThat(cluster.monitors.get(0).stats().zeroPagesServed()).isEqualTo(1);
        assertThat(cluster.monitors.get(0).stats().pagesUsed()).isZero();
    }

    @Test
    void flushThenMissReturnsTheData() {
        Proc p = start(1 << 20);
        long a = p.mmap(4 * PAGE);
        byte[] two = new byte[2 * PAGE];
        System.arraycopy(page(7), 0, two, 0, PAGE);
        System.arraycopy(page(8), 0, two, PAGE, PAGE);
        p.flushAt(p.requireOwner(a), new long[] {a + 2 * PAGE, a}, two);
        assertThat(seedOf(p.miss(a))).isEqualTo(8);
        assertThat(seedOf(p.miss(a + 2 * PAGE))).isEqualTo(7);
        p.flush(a, page(9)); // overwrite in place
        assertThat(seedOf(p.miss(a))).isEqualTo(9);
        MemoryStats s = cluster.monitors.get(0).stats();
        assertThat(s.pagesUsed()).isEqualTo(2);
        assertThat(s.pagesFlushed()).isEqualTo(3);
        assertThat(s.storedBytesPerSpace()).containsEntry(5L, 2L * PAGE);
    }

    @Test
    void missOnDirtyVictimPiggybacksFlush() {
        Proc p = start(1 << 20);
        long a = p.mmap(2 * PAGE);
        byte[] got = p.missWithVictim(a + PAGE, a, page(77));
        assertThat(seedOf(got)).isZero();
        assertThat(seedOf(p.miss(a))).isEqualTo(77);
        assertThat(cluster.monitors.get(0).stats().piggybackedVictims()).isEqualTo(1);
        // the victim may be the very page missed (the processor re-reads a line it just wrote back)
        assertThat(seedOf(p.missWithVictim(a, a, page(78)))).isEqualTo(78);
    }

    @Test
    void multiPageMissStopsAtTheEndOfTheArea() {
        Proc p = start(1 << 20);
        long a = p.mmap(3 * PAGE);
        p.flush(a + PAGE, page(2));
        byte[] got = p.miss(a, 8);
        assertThat(got).hasSize(3 * PAGE);
        assertThat(seedOf(got, PAGE)).isEqualTo(2);
        assertThat(p.miss(a + 2 * PAGE, 1)).hasSize(PAGE);
    }

    @Test
    void missOnUnmappedAddressIsSegmentationFault() {
        Proc p = start(1 << 20);
        long a = p.mmap(PAGE);
        assertThatThrownBy(() -> p.missAt(TestCluster.memoryNode(0), a + PAGE, 1)).isInstanceOf(SegmentationFault.class);
        assertThatThrownBy(() -> p.missAt(TestCluster.memoryNode(0), Layout.MMAP_BASE - PAGE, 1)).isInstanceOf(SegmentationFault.class);
        // an address space this owner holds nothing of
        assertThatThrownBy(() -> cluster.call(TestCluster.memoryNode(0), new PcacheMiss(999, a, 1, 0, ByteBuffer.allocate(0))))
                .isInstanceOf(SegmentationFault.class);
        assertThat(cluster.monitors.get(0).stats().refusedBadAddress()).isEqualTo(3);
    }

    @Test
    void missAfterMunmapIsSegmentationFault() {
        Proc p = start(1 << 20);
        long a = p.mmap(2 * PAGE);
        p.flush(a, page(1));
        p.munmap(a, 2 * PAGE);
        assertThatThrownBy(() -> p.missAt(TestCluster.memoryNode(0), a, 1)).isInstanceOf(SegmentationFault.class);
        assertThatThrownBy(() -> p.flushAt(TestCluster.memoryNode(0), new long[] {a}, page(1))).isInstanceOf(SegmentationFault.class);
    }

    @Test
    void protectionIsEnforcedOnStores() {
        Proc p = start(1 << 20);
        long ro = p.mmap(0, PAGE, 1);
        long none = p.mmap(0, PAGE, 0);
        assertThat(p.miss(ro)).containsOnly(0);
        assertThatThrownBy(() -> p.flush(ro, page(1))).isInstanceOf(SegmentationFault.class);
        assertThatThrownBy(() -> p.miss(none)).isInstanceOf(SegmentationFault.class);
        assertThatThrownBy(() -> p.missWithVictim(none, ro, page(1))).isInstanceOf(SegmentationFault.class);
    }

    @Test
    void malformedMissesAndFlushesAreInvalidArguments() {
        Proc p = start(1 << 20);
        long a = p.mmap(2 * PAGE);
        int node = TestCluster.memoryNode(0);
        assertStatus(() -> p.missAt(node, a + 8, 1), Status.INVALID_ARGUMENT);
        assertStatus(() -> p.missAt(node, a, 0), Status.INVALID_ARGUMENT);
        assertStatus(() -> p.missAt(node, a, 100_000), Status.INVALID_ARGUMENT);
        assertStatus(() -> p.missAt(node, -PAGE, 1), Status.INVALID_ARGUMENT);
        assertStatus(() -> cluster.call(node, new PcacheMiss(5, a, 1, a, ByteBuffer.allocate(100))), Status.INVALID_ARGUMENT);
        assertStatus(() -> cluster.call(node, new PcacheMiss(5, a, 1, a + 1, ByteBuffer.allocate(PAGE))), Status.INVALID_ARGUMENT);
        assertStatus(() -> p.flushAt(node, new long[] {a + 1}, page(1)), Status.INVALID_ARGUMENT);
        assertStatus(() -> p.flushAt(node, new long[] {a, a + PAGE}, page(1)), Status.INVALID_ARGUMENT);
        assertStatus(() -> cluster.call(node, new PcacheFlush(5, new long[] {a}, ByteBuffer.allocate(PAGE + 1))),
                Status.INVALID_ARGUMENT);
        // nothing was stored by any of them
        assertThat(cluster.monitors.get(0).stats().pagesUsed()).isZero();
        cluster.call(node, new PcacheFlush(5, new long[0], ByteBuffer.allocate(0)));
    }

    @Test
    void fullPageStoreRefusesWithNoMemoryAndKeepsExistingPages() {
        Proc p = start(4 * PAGE);
        long a = p.mmap(8 * PAGE);
        for (int i = 0; i < 3; i++) {
            p.flush(a + i * PAGE, page(i + 1));
        }
        byte[] two = new byte[2 * PAGE];
        System.arraycopy(page(100), 0, two, 0, PAGE);
        System.arraycopy(page(200), 0, two, PAGE, PAGE);
        int node = p.requireOwner(a);
        // needs two new frames, one is free: refused as a whole, page 0 not overwritten
        assertThatThrownBy(() -> p.flushAt(node, new long[] {a, a + 4 * PAGE, a + 5 * PAGE}, concat(page(100), two)))
                .isInstanceOf(NoMemoryException.class);
        assertThat(seedOf(p.miss(a))).isEqualTo(1);
        assertThat(seedOf(p.miss(a + 4 * PAGE))).isZero();
        p.flush(a + 3 * PAGE, page(4)); // the last free frame
        assertThatThrownBy(() -> p.flush(a + 4 * PAGE, page(5))).isInstanceOf(NoMemoryException.class);
        assertThatThrownBy(() -> p.missWithVictim(a, a + 6 * PAGE, page(6))).isInstanceOf(NoMemoryException.class);
        p.flush(a, page(10)); // rewriting a stored page needs no frame
        for (int i = 1; i < 4; i++) {
            assertThat(seedOf(p.miss(a + i * PAGE))).isEqualTo(i + 1);
        }
        assertThat(seedOf(p.miss(a))).isEqualTo(10);
        MemoryStats s = cluster.monitors.get(0).stats();
        assertThat(s.pagesUsed()).isEqualTo(4);
        assertThat(s.refusedNoMemory()).isEqualTo(3);
        // freeing makes room again
        p.munmap(a + 3 * PAGE, PAGE);
        p.flush(a + 4 * PAGE, page(5));
        assertThat(seedOf(p.miss(a + 4 * PAGE))).isEqualTo(5);
    }

    private static byte[] concat(byte[] a, byte[] b) {
        byte[] out = new byte[a.length + b.length];
        System.arraycopy(a, 0, out, 0, a.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }

    @Test
    void closedMonitorAnswersUnavailable() {
        Proc p = start(1 << 20);
        long a = p.mmap(PAGE);
        cluster.monitors.get(0).close();
        assertStatus(() -> p.miss(a), Status.UNAVAILABLE);
        assertStatus(() -> p.mmap(PAGE), Status.UNAVAILABLE);
    }
}
