package org.legoos.memory;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.legoos.memory.Proc.PAGE;
import static org.legoos.memory.Proc.page;
import static org.legoos.memory.Proc.seedOf;

import java.util.concurrent.TimeUnit;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.legoos.api.LegoException;
import org.legoos.api.NoMemoryException;
import org.legoos.api.QuotaExceededException;
import org.legoos.api.SegmentationFault;
import org.legoos.memory.vm.Layout;
import org.legoos.net.protocol.p2m.CreateAddressSpace;
import org.legoos.net.protocol.p2m.Mmap;
import org.legoos.net.rpc.Status;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The home role's address-space calls: mmap, munmap, mremap, brk, msync, and their edge cases. */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class AddressSpaceCallsTest {
    static final long VREGION = 1 << 20;
    TestCluster cluster;
    Proc p;

    @BeforeEach
    void start() {
        cluster = new TestCluster(2, new MemoryConfig(64L << 20, VREGION, 0, 1 << 20, 64 << 10));
        p = Proc.create(cluster, TestCluster.memoryNode(0), 42, 0);
    }

    @AfterEach
    void stop() {
        cluster.close();
    }

    static void assertStatus(ThrowingCallable call, Status status) {
        assertThatThrownBy(call).isInstanceOfSatisfying(LegoException.class,
                e -> assertThat(Status.of(e)).as(e.getMessage()).isEqualTo(status));
    }

    @Test
    void createReportsVRegionSizeAndHeapStartInItsOwnVRegion() {
        assertThat(p.info.vregionBytes()).isEqualTo(VREGION);
        assertThat(p.info.heapStart()).isEqualTo(Layout.heapStart(VREGION)).isGreaterThanOrEqualTo(Layout.MIN_ADDR);
        assertThat(p.info.heapStart() / VREGION).isNotEqualTo(Layout.MMAP_BASE / VREGION);
    }

    @Test
    void createTwiceForOnePidIsExists() {
        assertStatus(() -> Proc.create(cluster, TestCluster.memoryNode(0), 42, 0), Status.EXISTS);
        assertStatus(() -> cluster.call(TestCluster.memoryNode(0), new CreateAddressSpace(7, 43, -1)), Status.INVALID_ARGUMENT);
    }

    @Test
    void callsForAnUnknownPidAreNotFound() {
        assertStatus(() -> cluster.call(TestCluster.memoryNode(1), new Mmap(42, 0, PAGE, 3)), Status.NOT_FOUND);
    }

    @Test
    void mmapWithoutHintFillsTheMmapAreaFirstFit() {
        long a = p.mmap(3 * PAGE);
        long b = p.mmap(PAGE);
        assertThat(a).isEqualTo(Layout.MMAP_BASE);
        assertThat(b).isEqualTo(a + 3 * PAGE);
        p.munmap(a, 3 * PAGE);
        assertThat(p.mmap(2 * PAGE)).isEqualTo(a); // the hole is reused
        assertThat(p.ownerOf(a)).isPositive();
    }

    @Test
    void mmapRoundsLengthUpToPages() {
        long a = p.mmap(10);
        assertThat(p.mmap(1)).isEqualTo(a + PAGE);
    }

    @Test
    void mmapHonoursAFreeAlignedHintOnly() {
        long hint = Layout.MIN_ADDR + (5L << 30);
        assertThat(p.mmap(hint, 2 * PAGE, 3)).isEqualTo(hint);
        // overlapping the first: first fit in the mmap area instead
        assertThat(p.mmap(hint + PAGE, PAGE, 3)).isEqualTo(Layout.MMAP_BASE);
        // unaligned: ignored
        assertThat(p.mmap(hint + 4 * PAGE + 1, PAGE, 3)).isEqualTo(Layout.MMAP_BASE + PAGE);
        // beyond the address space: ignored
        assertThat(p.mmap(Layout.TASK_SIZE - PAGE, 2 * PAGE, 3)).isEqualTo(Layout.MMAP_BASE + 2 * PAGE);
        // page 0 is never mapped
        assertThat(p.mmap(0, PAGE, 3)).isEqualTo(Layout.MMAP_BASE + 4 * PAGE);
    }

    @Test
    void mmapRejectsZeroNegativeOverflowingLengthsAndUnknownProt() {
        assertStatus(() -> p.mmap(0, 0, 3), Status.INVALID_ARGUMENT);
        assertStatus(() -> p.mmap(0, -PAGE, 3), Status.INVALID_ARGUMENT);
        assertStatus(() -> p.mmap(0, Long.MAX_VALUE, 3), Status.INVALID_ARGUMENT);
        assertStatus(() -> p.mmap(0, Layout.TASK_SIZE + PAGE, 3), Status.INVALID_ARGUMENT);
        assertStatus(() -> p.mmap(0, PAGE, 8), Status.INVALID_ARGUMENT);
    }

    @Test
    void mmapLargerThanTheMmapAreaIsNoMemory() {
        assertThatThrownBy(() -> p.mmap(0, Layout.TASK_SIZE - Layout.MMAP_BASE + PAGE, 3)).isInstanceOf(NoMemoryException.class);
    }

    @Test
    void partialMunmapSplitsTheArea() {
        long a = p.mmap(4 * PAGE);
        for (int i = 0; i < 4; i++) {
            p.flush(a + i * PAGE, page(100 + i * 1000));
        }
        p.munmap(a + PAGE, 2 * PAGE);
        assertThat(seedOf(p.miss(a))).isEqualTo(100);
        assertThat(seedOf(p.miss(a + 3 * PAGE))).isEqualTo(3100);
        assertThatThrownBy(() -> p.miss(a + PAGE)).isInstanceOf(SegmentationFault.class);
        assertThatThrownBy(() -> p.miss(a + 2 * PAGE)).isInstanceOf(SegmentationFault.class);
        assertThatThrownBy(() -> p.msync(a, 4 * PAGE)).isInstanceOf(SegmentationFault.class);
        p.msync(a, PAGE);
        p.msync(a + 3 * PAGE, 1);
        // the hole maps again, zero-filled
        assertThat(p.mmap(a + PAGE, 2 * PAGE, 3)).isEqualTo(a + PAGE);
        assertThat(seedOf(p.miss(a + PAGE))).isZero();
        assertThat(cluster.monitor(p.ownerOf(a)).stats().storedBytesPerSpace().get(p.pid)).isEqualTo(2L * PAGE);
    }

    @Test
    void munmapOfUnmappedRangesIsFineButBadArgumentsAreNot() {
        p.munmap(Layout.MMAP_BASE, 100 * PAGE);
        long a = p.mmap(2 * PAGE);
        p.munmap(a - 10 * PAGE, 20 * PAGE); // covers the area and unmapped space around it
        assertThatThrownBy(() -> p.miss(a)).isInstanceOf(SegmentationFault.class);
        assertStatus(() -> p.munmap(a + 1, PAGE), Status.INVALID_ARGUMENT);
        assertStatus(() -> p.munmap(a, 0), Status.INVALID_ARGUMENT);
        assertStatus(() -> p.munmap(a, Long.MAX_VALUE - 10), Status.INVALID_ARGUMENT);
        assertStatus(() -> p.munmap(-PAGE, PAGE), Status.INVALID_ARGUMENT);
    }

    @Test
    void munmapFreesThePagesOnTheOwner() {
        long a = p.mmap(8 * PAGE);
        for (int i = 0; i < 8; i++) {
            p.flush(a + i * PAGE, page(i + 1));
        }
        MemoryMonitor owner = cluster.monitor(p.ownerOf(a));
        assertThat(owner.stats().pagesUsed()).isEqualTo(8);
        p.munmap(a, 8 * PAGE);
        assertThat(owner.stats().pagesUsed()).isZero();
    }

    @Test
    void brkReadsGrowsAndShrinksTheHeap() {
        long heap = p.info.heapStart();
        assertThat(p.brk(0)).isEqualTo(heap);
        assertThat(p.ownerOf(heap)).isEqualTo(-1);
        assertThatThrownBy(() -> p.missAt(p.home, heap, 1)).isInstanceOf(SegmentationFault.class);
        assertThat(p.brk(heap + 10_000)).isEqualTo(heap + 10_000);
        assertThat(p.brk(0)).isEqualTo(heap + 10_000);
        p.flush(heap + 2 * PAGE, page(9)); // page-rounded: 3 pages are mapped
        assertThat(seedOf(p.miss(heap + 2 * PAGE))).isEqualTo(9);
        assertThatThrownBy(() -> p.miss(heap + 3 * PAGE)).isInstanceOf(SegmentationFault.class);
        assertThat(p.brk(heap + 1)).isEqualTo(heap + 1);
        assertThat(seedOf(p.miss(heap))).isZero();
        assertThatThrownBy(() -> p.miss(heap + PAGE)).isInstanceOf(SegmentationFault.class);
        assertThat(p.brk(heap + 3 * PAGE)).isEqualTo(heap + 3 * PAGE);
        assertThat(seedOf(p.miss(heap + 2 * PAGE))).as("shrinking freed the page").isZero();
        assertThat(p.brk(heap)).isEqualTo(heap);
        assertThatThrownBy(() -> p.miss(heap)).isInstanceOf(SegmentationFault.class);
    }

    @Test
    void brkBelowTheHeapStartIsInvalidAndIntoAMappingIsNoMemory() {
        long heap = p.info.heapStart();
        assertStatus(() -> p.brk(heap - 1), Status.INVALID_ARGUMENT);
        assertStatus(() -> p.brk(-5), Status.INVALID_ARGUMENT);
        p.mmap(heap + 4 * PAGE, PAGE, 3);
        p.brk(heap + 4 * PAGE);
        assertThatThrownBy(() -> p.brk(heap + 4 * PAGE + 1)).isInstanceOf(NoMemoryException.class);
        assertThat(p.brk(0)).isEqualTo(heap + 4 * PAGE);
        assertThatThrownBy(() -> p.brk(Layout.MMAP_BASE + PAGE)).isInstanceOf(NoMemoryException.class);
    }

    @Test
    void heapAndMmapAreaLandInDifferentVRegions() {
        long heap = p.info.heapStart();
        p.brk(heap + PAGE);
        long a = p.mmap(PAGE);
        assertThat(heap / VREGION).isNotEqualTo(a / VREGION);
        assertThat(p.map.regions()).contains(heap / VREGION, a / VREGION);
    }

    @Test
    void mremapShrinksInPlaceAndFreesTheTail() {
        long a = p.mmap(4 * PAGE);
        p.flush(a, page(1));
        p.flush(a + 3 * PAGE, page(4));
        assertThat(p.mremap(a, 4 * PAGE, PAGE, false)).isEqualTo(a);
        assertThat(seedOf(p.miss(a))).isEqualTo(1);
        assertThatThrownBy(() -> p.miss(a + 3 * PAGE)).isInstanceOf(SegmentationFault.class);
        assertThat(cluster.monitor(p.ownerOf(a)).stats().pagesUsed()).isEqualTo(1);
        assertThat(p.mremap(a, PAGE, PAGE, false)).isEqualTo(a);
    }

    @Test
    void mremapGrowsInPlaceWhenTheNextRangeIsFree() {
        long a = p.mmap(2 * PAGE);
        p.flush(a + PAGE, page(2));
        assertThat(p.mremap(a, 2 * PAGE, 5 * PAGE, false)).isEqualTo(a);
        assertThat(seedOf(p.miss(a + PAGE))).isEqualTo(2);
        assertThat(seedOf(p.miss(a + 4 * PAGE))).isZero();
        assertThat(p.mmap(PAGE)).isEqualTo(a + 5 * PAGE);
    }

    @Test
    void mremapMovesWhenBlockedAndKeepsTheContents() {
        long a = p.mmap(2 * PAGE);
        long blocker = p.mmap(PAGE);
        assertThat(blocker).isEqualTo(a + 2 * PAGE);
        p.flush(a, page(11));
        p.flush(a + PAGE, page(22));
        assertThatThrownBy(() -> p.mremap(a, 2 * PAGE, 4 * PAGE, false)).isInstanceOf(NoMemoryException.class);
        long b = p.mremap(a, 2 * PAGE, 4 * PAGE, true);
        assertThat(b).isNotEqualTo(a);
        assertThat(seedOf(p.miss(b))).isEqualTo(11);
        assertThat(seedOf(p.miss(b + PAGE))).isEqualTo(22);
        assertThat(seedOf(p.miss(b + 3 * PAGE))).isZero();
        assertThatThrownBy(() -> p.miss(a)).isInstanceOf(SegmentationFault.class);
        assertThat(cluster.monitor(p.ownerOf(b)).stats().pagesUsed()).isEqualTo(2);
    }

    @Test
    void mremapOfAMiddlePartMovesOnlyThatPart() {
        long a = p.mmap(4 * PAGE);
        for (int i = 0; i < 4; i++) {
            p.flush(a + i * PAGE, page(10 * (i + 1)));
        }
        long b = p.mremap(a + PAGE, PAGE, 3 * PAGE, true); // the next page is mapped: must move
        assertThat(b).isNotEqualTo(a + PAGE);
        assertThat(seedOf(p.miss(b))).isEqualTo(20);
        assertThat(seedOf(p.miss(a))).isEqualTo(10);
        assertThat(seedOf(p.miss(a + 2 * PAGE))).isEqualTo(30);
        assertThatThrownBy(() -> p.miss(a + PAGE)).isInstanceOf(SegmentationFault.class);
    }

    @Test
    void mremapNeedsOneMappedAreaAndValidLengths() {
        long a = p.mmap(0, 2 * PAGE, 3);
        long ro = p.mmap(a + 2 * PAGE, PAGE, 1); // adjacent, different protection: another area
        assertThat(ro).isEqualTo(a + 2 * PAGE);
        assertThatThrownBy(() -> p.mremap(a, 3 * PAGE, 4 * PAGE, true)).isInstanceOf(SegmentationFault.class);
        assertThatThrownBy(() -> p.mremap(a + 10 * PAGE, PAGE, 2 * PAGE, true)).isInstanceOf(SegmentationFault.class);
        assertStatus(() -> p.mremap(a + 1, PAGE, 2 * PAGE, true), Status.INVALID_ARGUMENT);
        assertStatus(() -> p.mremap(a, 0, 2 * PAGE, true), Status.INVALID_ARGUMENT);
        assertStatus(() -> p.mremap(a, PAGE, 0, true), Status.INVALID_ARGUMENT);
        assertStatus(() -> p.mremap(a, PAGE, Long.MAX_VALUE, true), Status.INVALID_ARGUMENT);
    }

    @Test
    void adjacentMappingsWithTheSameProtectionRemapAsOne() {
        long a = p.mmap(PAGE);
        long b = p.mmap(PAGE);
        assertThat(b).isEqualTo(a + PAGE);
        p.flush(b, page(5));
        long c = p.mremap(a, 2 * PAGE, 8 * PAGE, true);
        assertThat(c).isEqualTo(a); // nothing after it: grows in place
        assertThat(seedOf(p.miss(a + PAGE))).isEqualTo(5);
    }

    @Test
    void quotaLimitsMappedBytes() {
        Proc q = Proc.create(cluster, TestCluster.memoryNode(1), 77, 8 * PAGE);
        long a = q.mmap(4 * PAGE);
        assertThatThrownBy(() -> q.mmap(5 * PAGE)).isInstanceOf(QuotaExceededException.class);
        long heap = q.info.heapStart();
        q.brk(heap + 3 * PAGE);
        assertThatThrownBy(() -> q.brk(heap + 4 * PAGE + 1)).isInstanceOf(QuotaExceededException.class);
        assertThatThrownBy(() -> q.mremap(a, 4 * PAGE, 6 * PAGE, true)).isInstanceOf(QuotaExceededException.class);
        q.mmap(PAGE); // exactly at the quota
        q.munmap(a, 4 * PAGE);
        q.mmap(4 * PAGE);
        assertThat(cluster.monitor(q.home).stats().mappedBytesPerSpace().get(77L)).isEqualTo(8L * PAGE);
    }

    @Test
    void msyncChecksTheRange() {
        long a = p.mmap(2 * PAGE);
        p.msync(a, 2 * PAGE);
        assertThatThrownBy(() -> p.msync(a, 3 * PAGE)).isInstanceOf(SegmentationFault.class);
        assertStatus(() -> p.msync(a + 3, PAGE), Status.INVALID_ARGUMENT);
        assertStatus(() -> p.msync(a, -1), Status.INVALID_ARGUMENT);
    }

    @Test
    void failedConsultLeavesTheAddressSpaceUnchanged() {
        long a = p.mmap(PAGE);
        var normal = cluster.consultPolicy;
        cluster.consultPolicy = () -> {
            throw Status.UNAVAILABLE.toException("GMM down");
        };
        // spans into a new vRegion: needs a consult, which fails
        assertThatThrownBy(() -> p.mmap(a + PAGE, VREGION, 3)).isInstanceOf(LegoException.class);
        cluster.consultPolicy = () -> -1;
        assertThatThrownBy(() -> p.mmap(a + PAGE, VREGION, 3)).isInstanceOf(NoMemoryException.class);
        cluster.consultPolicy = normal;
        assertThat(cluster.monitor(p.home).stats().mappedBytesPerSpace().get(p.pid)).isEqualTo(PAGE);
        assertThat(p.mmap(a + PAGE, VREGION, 3)).isEqualTo(a + PAGE);
        p.flush(a + VREGION, page(3));
        assertThat(seedOf(p.miss(a + VREGION))).isEqualTo(3);
    }

    @Test
    void everyReplyCarriesTheWholeOwnerMap() {
        long a = p.mmap(3 * VREGION);
        assertThat(p.map.regions()).hasSize(p.map.owners().length).hasSizeGreaterThanOrEqualTo(3);
        p.munmap(a, PAGE);
        assertThat(p.map.regions()).hasSizeGreaterThanOrEqualTo(3);
        for (long va = a; va < a + 3 * VREGION; va += VREGION) {
            assertThat(p.ownerOf(va)).isIn(TestCluster.memoryNode(0), TestCluster.memoryNode(1));
        }
    }
}
