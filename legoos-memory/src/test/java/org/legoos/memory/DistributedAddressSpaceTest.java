package org.legoos.memory;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.legoos.memory.AddressSpaceCallsTest.assertStatus;
import static org.legoos.memory.Proc.PAGE;
import static org.legoos.memory.Proc.page;
import static org.legoos.memory.Proc.seedOf;

import java.util.Arrays;
import java.util.HashSet;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.legoos.api.SegmentationFault;
import org.legoos.net.rpc.Status;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Address spaces spread over several memory components: vRegions placed by the GMM, misses routed to owners,
 * mremap moving contents between owners, process exit freeing every owner.
 */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class DistributedAddressSpaceTest {
    // the layout of pages over owners, without replicas (replication: ReplicationTest, ConcurrentTrafficTest,
    // legoos-node MemoryFailoverTest)
    static final long VREGION = 1 << 20;
    TestCluster cluster;

    @BeforeEach
    void start() {
        cluster = new TestCluster(3, new MemoryConfig(64L << 20, VREGION, 0, 1 << 20, 64 << 10, 1));
    }

    @AfterEach
    void stop() {
        cluster.close();
    }

    @Test
    void addressSpaceSpanningVRegionsLandsOnSeveralMemoryComponents() {
        Proc p = Proc.create(cluster, TestCluster.memoryNode(0), 1, 0);
        long a = p.mmap(3 * VREGION);
        Set<Integer> owners = new HashSet<>();
        for (long va = a; va < a + 3 * VREGION; va += VREGION) {
            owners.add(p.requireOwner(va));
            p.flush(va + 5 * PAGE, page(va));
        }
        assertThat(owners).hasSize(3);
        assertThat(cluster.consults).hasValue(3);
        for (long va = a; va < a + 3 * VREGION; va += VREGION) {
            assertThat(seedOf(p.miss(va + 5 * PAGE))).isEqualTo(va);
        }
        for (MemoryMonitor m : cluster.monitors) {
            assertThat(m.stats().storedBytesPerSpace()).containsEntry(1L, (long) PAGE);
            assertThat(m.stats().pagesUsed()).isEqualTo(1);
        }
        // the home keeps the whole tree; owners only their parts
        assertThat(cluster.monitor(p.home).stats().mappedBytesPerSpace()).containsEntry(1L, 3 * VREGION);
    }

    @Test
    void missSentToTheWrongOwnerIsSegmentationFault() {
        Proc p = Proc.create(cluster, TestCluster.memoryNode(0), 1, 0);
        long a = p.mmap(2 * VREGION);
        int owner = p.requireOwner(a);
        int other = p.requireOwner(a + VREGION);
        assertThat(other).isNotEqualTo(owner);
        assertThatThrownBy(() -> p.missAt(other, a, 1)).isInstanceOf(SegmentationFault.class);
        assertThatThrownBy(() -> p.flushAt(other, new long[] {a}, page(1))).isInstanceOf(SegmentationFault.class);
        // a multi-page miss stops at the end of the owner's part
        assertThat(p.missAt(owner, a + VREGION - 2 * PAGE, 8)).hasSize(2 * PAGE);
    }

    @Test
    void vRegionsKeepTheirOwnerAcrossMappings() {
        Proc p = Proc.create(cluster, TestCluster.memoryNode(1), 1, 0);
        long a = p.mmap(PAGE);
        long b = p.mmap(PAGE);
        assertThat(p.requireOwner(b)).isEqualTo(p.requireOwner(a));
        assertThat(cluster.consults).hasValue(1);
        p.munmap(a, 2 * PAGE);
        p.mmap(PAGE);
        assertThat(cluster.consults).hasValue(1);
    }

    @Test
    void destroyFreesPagesOnAllOwners() {
        Proc p = Proc.create(cluster, TestCluster.memoryNode(2), 9, 0);
        long a = p.mmap(3 * VREGION);
        long heap = p.info.heapStart();
        p.brk(heap + 2 * PAGE);
        for (long va = a; va < a + 3 * VREGION; va += VREGION / 4) {
            p.flush(va, page(va));
        }
        p.flush(heap, page(1));
        Proc other = Proc.create(cluster, TestCluster.memoryNode(0), 10, 0);
        long o = other.mmap(PAGE);
        other.flush(o, page(5));
        long total = cluster.monitors.stream().mapToLong(m -> m.stats().pagesUsed()).sum();
        assertThat(total).isEqualTo(12 + 1 + 1);

        p.destroy();
        assertThat(cluster.monitors.stream().mapToLong(m -> m.stats().pagesUsed()).sum()).isEqualTo(1);
        for (MemoryMonitor m : cluster.monitors) {
            assertThat(m.stats().storedBytesPerSpace()).doesNotContainKey(9L);
            assertThat(m.stats().mappedBytesPerSpace()).doesNotContainKey(9L);
        }
        assertThatThrownBy(() -> p.miss(a)).isInstanceOf(SegmentationFault.class);
        assertStatus(p::destroy, Status.NOT_FOUND);
        assertStatus(() -> p.mmap(PAGE), Status.NOT_FOUND);
        assertThat(seedOf(other.miss(o))).isEqualTo(5);
        // the pid can be reused for a new process
        Proc again = Proc.create(cluster, TestCluster.memoryNode(1), 9, 0);
        long n = again.mmap(PAGE);
        assertThat(seedOf(again.miss(n))).isZero();
    }

    @Test
    void mremapMovesContentsAcrossOwners() {
        Proc p = Proc.create(cluster, TestCluster.memoryNode(0), 3, 0);
        long a = p.mmap(VREGION); // exactly one vRegion
        long blocker = p.mmap(PAGE);
        assertThat(blocker).isEqualTo(a + VREGION);
        for (int i = 0; i < VREGION / PAGE; i += 3) {
            p.flush(a + (long) i * PAGE, page(1000 + i));
        }
        int oldOwner = p.requireOwner(a);
        long b = p.mremap(a, VREGION, 3 * VREGION, true);
        assertThat(b).isNotEqualTo(a);
        Set<Integer> newOwners = new HashSet<>();
        for (long va = b; va < b + 3 * VREGION; va += VREGION / 2) {
            newOwners.add(p.requireOwner(va));
        }
        assertThat(newOwners).hasSizeGreaterThan(1);
        for (int i = 0; i < VREGION / PAGE; i++) {
            long want = i % 3 == 0 ? 1000 + i : 0;
            assertThat(seedOf(p.miss(b + (long) i * PAGE))).as("page %d", i).isEqualTo(want);
        }
        assertThat(seedOf(p.miss(b + 2 * VREGION))).isZero();
        assertThatThrownBy(() -> p.missAt(oldOwner, a, 1)).isInstanceOf(SegmentationFault.class);
        long stored = cluster.monitors.stream().mapToLong(m -> m.stats().pagesUsed()).sum();
        assertThat(stored).isEqualTo((VREGION / PAGE + 2) / 3);
        assertThat(cluster.monitor(p.home).stats().pagesCopiedAcrossOwners()).isPositive();
    }

    @Test
    void mremapGrowingInPlaceIntoANewVRegionAsksTheGmm() {
        Proc p = Proc.create(cluster, TestCluster.memoryNode(0), 4, 0);
        long a = p.mmap(VREGION - PAGE);
        p.flush(a, page(1));
        int before = cluster.consults.get();
        assertThat(p.mremap(a, VREGION - PAGE, VREGION + PAGE, false)).isEqualTo(a);
        assertThat(cluster.consults.get()).isEqualTo(before + 1);
        p.flush(a + VREGION, page(2));
        assertThat(seedOf(p.miss(a + VREGION))).isEqualTo(2);
        assertThat(seedOf(p.miss(a))).isEqualTo(1);
        assertThat(Arrays.stream(p.map.owners()).distinct().count()).isEqualTo(2);
    }

    @Test
    void heapSpanningVRegionsIsServedByTheirOwners() {
        Proc p = Proc.create(cluster, TestCluster.memoryNode(1), 6, 0);
        long heap = p.info.heapStart();
        p.brk(heap + 2 * VREGION + 10);
        for (long va = heap; va < heap + 2 * VREGION; va += VREGION / 2) {
            p.flush(va, page(va));
        }
        for (long va = heap; va < heap + 2 * VREGION; va += VREGION / 2) {
            assertThat(seedOf(p.miss(va))).isEqualTo(va);
        }
        assertThat(p.requireOwner(heap)).isNotEqualTo(p.requireOwner(heap + VREGION));
        p.brk(heap + PAGE);
        assertThatThrownBy(() -> p.missAt(p.requireOwner(heap + VREGION), heap + VREGION, 1)).isInstanceOf(SegmentationFault.class);
        assertThat(cluster.monitors.stream().mapToLong(m -> m.stats().pagesUsed()).sum()).isEqualTo(1);
    }

    @Test
    void mremapRefusedByAFullOwnerLeavesTheOldMappingIntact() {
        cluster.close();
        cluster = new TestCluster(2, new MemoryConfig(64 * PAGE, VREGION, 0, 1 << 20, 64 << 10, 1));
        int a0 = TestCluster.memoryNode(0);
        int a1 = TestCluster.memoryNode(1);
        Proc p = Proc.create(cluster, a0, 1, 0);
        cluster.consultPolicy = () -> a0;
        long a = p.mmap(VREGION);
        cluster.consultPolicy = () -> a1;
        p.mmap(PAGE); // blocks growth in place; its vRegion is owned by a1
        for (int i = 0; i < 40; i++) {
            p.flush(a + (long) i * PAGE, page(i + 1));
        }
        Proc q = Proc.create(cluster, a1, 2, 0);
        long b = q.mmap(30 * PAGE);
        for (int i = 0; i < 30; i++) {
            q.flush(b + (long) i * PAGE, page(500 + i));
        }
        // everything new goes to a1, which has room for 34 more pages, not 40
        assertThatThrownBy(() -> p.mremap(a, VREGION, 2 * VREGION, true)).isInstanceOf(org.legoos.api.NoMemoryException.class);
        assertThat(cluster.monitor(a1).stats().pagesUsed()).isEqualTo(30);
        assertThat(cluster.monitor(a0).stats().pagesUsed()).isEqualTo(40);
        for (int i = 0; i < 40; i++) {
            assertThat(seedOf(p.miss(a + (long) i * PAGE))).isEqualTo(i + 1);
        }
        assertThat(cluster.monitor(a0).stats().mappedBytesPerSpace()).containsEntry(1L, VREGION + PAGE);
        // with room it works
        q.destroy();
        long moved = p.mremap(a, VREGION, 2 * VREGION, true);
        for (int i = 0; i < 40; i++) {
            assertThat(seedOf(p.miss(moved + (long) i * PAGE))).isEqualTo(i + 1);
        }
        assertThat(cluster.monitor(a0).stats().pagesUsed()).isZero();
        assertThat(cluster.monitor(a1).stats().pagesUsed()).isEqualTo(40);
    }

    @Test
    void destroySucceedsWhenAnOwnerIsGone() {
        Proc p = Proc.create(cluster, TestCluster.memoryNode(0), 1, 0);
        long a = p.mmap(3 * VREGION);
        for (long va = a; va < a + 3 * VREGION; va += VREGION) {
            p.flush(va, page(va));
        }
        cluster.memoryRpcs.get(2).close();
        p.destroy();
        assertThat(cluster.monitors.get(0).stats().pagesUsed()).isZero();
        assertThat(cluster.monitors.get(1).stats().pagesUsed()).isZero();
        assertThat(cluster.monitors.get(0).stats().homeSpaces()).isZero();
    }
}
