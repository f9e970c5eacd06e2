package org.legoos.wasm;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.Map;
import java.util.TreeMap;
import org.legoos.api.AddressSpace;
import org.legoos.api.NoMemoryException;
import org.legoos.api.SegmentationFault;

/**
 * Test-only address space that hands out segments ({@link #hasSegments}), as process mode does, over one block of
 * native memory whose addresses are the LegoOS addresses. Unlike legoos-examples' bump allocator it models what a wasm
 * memory needs: first-fit {@code mmap} with an unmapped guard page after each area, {@code munmap} (freed bytes are
 * zeroed, so a later mapping reads zeros), and {@code mremap} that grows in place when the next area leaves room and
 * otherwise moves the area (copying it) if allowed. A mapping that does not fit throws {@link NoMemoryException}.
 * Mapping files, brk and mprotect are not modelled. Loads and stores are not checked against the areas (as in process
 * mode, where an unmapped page is the kernel's business), only against the block.
 *
 * <p>Thread-safe for loads and stores; mapping calls are synchronized.
 */
final class SegmentAddressSpace implements AddressSpace, AutoCloseable {
    private static final ValueLayout.OfInt INT = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfLong LONG = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private final Arena arena = Arena.ofShared();
    private final MemorySegment all;
    /** Mapped areas: start offset in the block to end offset. */
    private final TreeMap<Long, Long> areas = new TreeMap<>();
    private int moves;

    SegmentAddressSpace(long capacityBytes) {
        all = arena.allocate(capacityBytes, PAGE_SIZE);
    }

    /** Bytes mapped now. */
    synchronized long mappedBytes() {
        long n = 0;
        for (Map.Entry<Long, Long> e : areas.entrySet()) {
            n += e.getValue() - e.getKey();
        }
        return n;
    }

    /** How many mremaps moved their area. */
    synchronized int moves() {
        return moves;
    }

    private static long pages(long length) {
        if (length <= 0) {
            throw new IllegalArgumentException("length must be positive, got " + length);
        }
        return Math.ceilDiv(length, PAGE_SIZE) * PAGE_SIZE;
    }

    /** Whether [start, end) plus a guard page is free and inside the block. */
    private boolean isFree(long start, long end) {
        if (start < 0 || end + PAGE_SIZE > all.byteSize()) {
            return false;
        }
        Map.Entry<Long, Long> below = areas.floorEntry(end + PAGE_SIZE - 1);
        return below == null || below.getValue() + PAGE_SIZE <= start;
    }

    private long firstFit(long len) {
        long at = 0;
        for (Map.Entry<Long, Long> e : areas.entrySet()) {
            if (at + len + PAGE_SIZE <= e.getKey()) {
                return at;
            }
            at = Math.max(at, e.getValue() + PAGE_SIZE);
        }
        if (at + len + PAGE_SIZE > all.byteSize()) {
            throw new NoMemoryException("test address space full: no room for " + len + " bytes");
        }
        return at;
    }

    @Override
    public synchronized long mmap(long hint, long length, int prot) {
        long len = pages(length);
        long h = hint == 0 ? -1 : hint - all.address();
        long at = h >= 0 && h % PAGE_SIZE == 0 && isFree(h, h + len) ? h : firstFit(len);
        areas.put(at, at + len);
        return all.address() + at;
    }

    @Override
    public long mmap(long hint, long length, int prot, int flags, String path, long offset) {
        throw new UnsupportedOperationException("file mappings are not modelled");
    }

    @Override
    public synchronized void munmap(long addr, long length) {
        long start = addr - all.address();
        long end = start + pages(length);
        for (Map.Entry<Long, Long> e : new TreeMap<>(areas.subMap(areas.floorKey(start) == null ? start
                : areas.floorKey(start), true, end, false)).entrySet()) {
            long s = Math.max(e.getKey(), start);
            long t = Math.min(e.getValue(), end);
            if (s >= t) {
                continue;
            }
            areas.remove(e.getKey());
            if (e.getKey() < s) {
                areas.put(e.getKey(), s);
            }
            if (t < e.getValue()) {
                areas.put(t, e.getValue());
            }
            all.asSlice(s, t - s).fill((byte) 0);
        }
    }

    @Override
    public synchronized long mremap(long oldAddr, long oldLength, long newLength, boolean mayMove) {
        long start = oldAddr - all.address();
        long oldLen = pages(oldLength);
        long newLen = pages(newLength);
        Long end = areas.get(start);
        if (end == null || end != start + oldLen) {
            throw new SegmentationFault("mremap: 0x" + Long.toHexString(oldAddr) + " +" + oldLen + " is not one area");
        }
        if (newLen <= oldLen) {
            if (newLen < oldLen) {
                munmap(oldAddr + newLen, oldLen - newLen);
            }
            return oldAddr;
        }
        areas.remove(start);
        if (isFree(start, start + newLen)) {
            areas.put(start, start + newLen);
            return oldAddr;
        }
        if (!mayMove) {
            areas.put(start, end);
            throw new NoMemoryException("mremap: cannot grow in place");
        }
        long to;
        try {
            to = firstFit(newLen);
        } catch (NoMemoryException e) {
            areas.put(start, end);
            throw e;
        }
        areas.put(to, to + newLen);
        MemorySegment.copy(all, start, all, to, oldLen);
        all.asSlice(start, oldLen).fill((byte) 0);
        moves++;
        return all.address() + to;
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
