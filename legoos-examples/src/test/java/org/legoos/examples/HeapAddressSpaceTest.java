package org.legoos.examples;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.concurrent.TimeUnit;
import org.legoos.api.AddressSpace;
import org.legoos.api.NoMemoryException;
import org.legoos.api.SegmentationFault;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The test model of the address space behaves like the real one where the examples depend on it. */
@Timeout(value = 10, unit = TimeUnit.SECONDS)
class HeapAddressSpaceTest {
    private final HeapAddressSpace mem = new HeapAddressSpace();

    @Test
    void freshMappingReadsZeroAndKeepsStores() {
        long va = mem.mmap(3 * AddressSpace.PAGE_SIZE);
        assertThat(mem.getLong(va + 100)).isZero();
        mem.putLong(va + AddressSpace.PAGE_SIZE - 4, 0x1122334455667788L); // straddles a page
        assertThat(mem.getLong(va + AddressSpace.PAGE_SIZE - 4)).isEqualTo(0x1122334455667788L);
        assertThat(mem.getInt(va + AddressSpace.PAGE_SIZE)).isEqualTo(0x11223344);
        byte[] b = new byte[10_000];
        for (int i = 0; i < b.length; i++) {
            b[i] = (byte) i;
        }
        mem.write(va + 5, b, 0, b.length);
        byte[] back = new byte[b.length];
        mem.read(va + 5, back, 0, back.length);
        assertThat(back).isEqualTo(b);
    }

    @Test
    void accessAfterMunmapIsASegmentationFault() {
        long va = mem.mmap(AddressSpace.PAGE_SIZE);
        mem.putLong(va, 1);
        mem.munmap(va, AddressSpace.PAGE_SIZE);
        assertThatThrownBy(() -> mem.getLong(va)).isInstanceOf(SegmentationFault.class);
        assertThatThrownBy(() -> mem.putByte(va, (byte) 1)).isInstanceOf(SegmentationFault.class);
        assertThat(mem.mappedBytes()).isZero();
    }

    @Test
    void overrunPastAMappingFaultsOnTheGuardPage() {
        long a = mem.mmap(AddressSpace.PAGE_SIZE);
        mem.mmap(AddressSpace.PAGE_SIZE);
        assertThatThrownBy(() -> mem.getByte(a + AddressSpace.PAGE_SIZE)).isInstanceOf(SegmentationFault.class);
    }

    @Test
    void partialMunmapSplitsTheArea() {
        long va = mem.mmap(3 * AddressSpace.PAGE_SIZE);
        mem.munmap(va + AddressSpace.PAGE_SIZE, AddressSpace.PAGE_SIZE);
        mem.putByte(va, (byte) 1);
        mem.putByte(va + 2 * AddressSpace.PAGE_SIZE, (byte) 2);
        assertThatThrownBy(() -> mem.getByte(va + AddressSpace.PAGE_SIZE)).isInstanceOf(SegmentationFault.class);
        assertThat(mem.areaCount()).isEqualTo(2);
    }

    @Test
    void readOnlyMappingRejectsStores() {
        long va = mem.mmap(0, AddressSpace.PAGE_SIZE, AddressSpace.PROT_READ);
        assertThat(mem.getLong(va)).isZero();
        assertThatThrownBy(() -> mem.putLong(va, 1)).isInstanceOf(SegmentationFault.class);
    }

    @Test
    void mremapGrowsInPlaceOrMovesKeepingContents() {
        long a = mem.mmap(AddressSpace.PAGE_SIZE);
        mem.putLong(a, 42);
        assertThat(mem.mremap(a, AddressSpace.PAGE_SIZE, 4 * AddressSpace.PAGE_SIZE, false)).isEqualTo(a);
        mem.mmap(AddressSpace.PAGE_SIZE); // now blocks growth in place
        assertThatThrownBy(() -> mem.mremap(a, 4 * AddressSpace.PAGE_SIZE, 8 * AddressSpace.PAGE_SIZE, false))
                .isInstanceOf(NoMemoryException.class);
        long b = mem.mremap(a, 4 * AddressSpace.PAGE_SIZE, 8 * AddressSpace.PAGE_SIZE, true);
        assertThat(b).isNotEqualTo(a);
        assertThat(mem.getLong(b)).isEqualTo(42);
        assertThatThrownBy(() -> mem.getLong(a)).isInstanceOf(SegmentationFault.class);
    }

    @Test
    void brkGrowsAndShrinksTheHeap() {
        long base = mem.brk(0);
        assertThat(mem.brk(base + 10_000)).isEqualTo(base + 10_000);
        mem.putLong(base + 9_000, 7);
        assertThat(mem.brk(base + 100)).isEqualTo(base + 100);
        assertThatThrownBy(() -> mem.getLong(base + 9_000)).isInstanceOf(SegmentationFault.class);
    }

    @Test
    void capacityIsEnforced() {
        HeapAddressSpace small = new HeapAddressSpace(4 * AddressSpace.PAGE_SIZE);
        small.mmap(3 * AddressSpace.PAGE_SIZE);
        assertThatThrownBy(() -> small.mmap(2 * AddressSpace.PAGE_SIZE)).isInstanceOf(NoMemoryException.class);
        assertThat(small.mappedBytes()).isEqualTo(3 * AddressSpace.PAGE_SIZE);
    }
}
