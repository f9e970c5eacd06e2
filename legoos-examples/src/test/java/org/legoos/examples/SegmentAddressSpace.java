package org.legoos.examples;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import org.legoos.api.AddressSpace;

/**
 * Test-only address space over one block of native memory that hands out segments ({@link #hasSegments}), as process
 * mode does: lets the in-place paths of the examples run in a unit test. Areas are placed one after another (a bump
 * allocator, zeroed memory); munmap only counts. Addresses are the native addresses themselves. Mapping files,
 * mremap, brk and mprotect are not modelled.
 *
 * <p>Thread-safe for loads and stores; mapping calls are synchronized.
 */
final class SegmentAddressSpace implements AddressSpace, AutoCloseable {
    private static final ValueLayout.OfInt INT = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfLong LONG = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private final Arena arena = Arena.ofShared();
    private final MemorySegment all;
    private long next;
    private long mappedBytes;

    SegmentAddressSpace(long capacityBytes) {
        all = arena.allocate(capacityBytes, 4096);
    }

    /** Bytes mapped and not unmapped. */
    synchronized long mappedBytes() {
        return mappedBytes;
    }

    @Override
    public synchronized long mmap(long hint, long length, int prot) {
        long pages = Math.ceilDiv(length, 4096) * 4096;
        if (next + pages > all.byteSize()) {
            throw new org.legoos.api.NoMemoryException("test address space full");
        }
        long va = all.address() + next;
        next += pages;
        mappedBytes += length;
        return va;
    }

    @Override
    public long mmap(long hint, long length, int prot, int flags, String path, long offset) {
        throw new UnsupportedOperationException("file mappings are not modelled");
    }

    @Override
    public synchronized void munmap(long addr, long length) {
        mappedBytes -= length;
    }

    @Override
    public long mremap(long oldAddr, long oldLength, long newLength, boolean mayMove) {
        throw new UnsupportedOperationException("mremap is not modelled");
    }

    @Override
    public long brk(long newBreak) {
        throw new UnsupportedOperationException("brk is not modelled");
    }

    @Override
    public void mprotect(long addr, long length, int prot) {
        throw new UnsupportedOperationException("mprotect is not modelled");
    }

    @Override
    public void msync(long addr, long length) {
    }

    private long at(long va) {
        return va - all.address();
    }

    @Override public byte getByte(long va) { return all.get(ValueLayout.JAVA_BYTE, at(va)); }
    @Override public void putByte(long va, byte value) { all.set(ValueLayout.JAVA_BYTE, at(va), value); }
    @Override public int getInt(long va) { return all.get(INT, at(va)); }
    @Override public void putInt(long va, int value) { all.set(INT, at(va), value); }
    @Override public long getLong(long va) { return all.get(LONG, at(va)); }
    @Override public void putLong(long va, long value) { all.set(LONG, at(va), value); }

    @Override
    public void read(long va, byte[] dst, int offset, int length) {
        MemorySegment.copy(all, ValueLayout.JAVA_BYTE, at(va), dst, offset, length);
    }

    @Override
    public void write(long va, byte[] src, int offset, int length) {
        MemorySegment.copy(src, offset, all, ValueLayout.JAVA_BYTE, at(va), length);
    }

    @Override
    public MemorySegment segment(long va, long length) {
        return all.asSlice(at(va), length);
    }

    @Override
    public boolean hasSegments() {
        return true;
    }

    @Override
    public void close() {
        arena.close();
    }
}
