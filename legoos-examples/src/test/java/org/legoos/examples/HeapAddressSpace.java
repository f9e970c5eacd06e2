package org.legoos.examples;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import org.legoos.api.AddressSpace;
import org.legoos.api.NoMemoryException;
import org.legoos.api.SegmentationFault;

/**
 * Test-only model of a process's virtual address space on the Java heap: virtual memory areas in a
 * {@link TreeMap}, 4 KiB pages allocated on first store (a never-stored page reads as zeros, like LegoOS's
 * p-local zero-fill), and {@link SegmentationFault} for any access outside an area or against its
 * protection. {@code mmap} places areas first-fit from {@link #MMAP_BASE} and always leaves an unmapped
 * guard page after each area, so overruns fault; the heap ({@code brk}) starts at {@link #BRK_BASE}.
 * {@code capacityBytes} bounds the mapped bytes, beyond which mapping throws {@link NoMemoryException}.
 *
 * <p>Thread-safe: loads and stores share a read lock; mapping calls take the write lock.
 */
public final class HeapAddressSpace implements AddressSpace {
    static final long BRK_BASE = 0x0000_0000_0040_0000L;
    static final long MMAP_BASE = 0x0000_1000_0000_0000L;
    private static final long TOP = 0x0000_7FFF_FFFF_F000L;
    private static final VarHandle INTS = MethodHandles.byteArrayViewVarHandle(int[].class, ByteOrder.LITTLE_ENDIAN);
    private static final VarHandle LONGS = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);

    private record Area(long start, long end, int prot) {
    }

    private final long capacityBytes;
    private final ReentrantReadWriteLock lock = new ReentrantReadWriteLock();
    private final TreeMap<Long, Area> areas = new TreeMap<>();
    private final Map<Long, byte[]> pages = new ConcurrentHashMap<>();
    private long mappedBytes;
    private long brk = BRK_BASE;

    public HeapAddressSpace() {
        this(Long.MAX_VALUE);
    }

    public HeapAddressSpace(long capacityBytes) {
        this.capacityBytes = capacityBytes;
    }

    /** Bytes currently mapped (mmap areas plus the heap). */
    public long mappedBytes() {
        lock.readLock().lock();
        try {
            return mappedBytes;
        } finally {
            lock.readLock().unlock();
        }
    }

    /** Number of mapped areas. */
    public int areaCount() {
        lock.readLock().lock();
        try {
            return areas.size();
        } finally {
            lock.readLock().unlock();
        }
    }

    private static long roundUp(long n) {
        if (n > TOP) {
            throw new NoMemoryException("length " + n + " exceeds the address space");
        }
        return (n + PAGE_SIZE - 1) & -PAGE_SIZE;
    }

    @Override
    public long mmap(long hint, long length, int prot) {
        if (length <= 0) {
            throw new IllegalArgumentException("mmap length must be positive, got " + length);
        }
        if ((prot & ~PROT_RW) != 0) {
            throw new IllegalArgumentException("bad protection " + prot);
        }
        if ((hint & (PAGE_SIZE - 1)) != 0 || hint < 0) {
            throw new IllegalArgumentException("mmap hint must be page aligned, got 0x" + Long.toHexString(hint));
        }
        long len = roundUp(length);
        lock.writeLock().lock();
        try {
            reserve(len);
            long at = hint != 0 && hint >= MMAP_BASE && isFree(hint, hint + len + PAGE_SIZE) ? hint : findGap(len);
            areas.put(at, new Area(at, at + len, prot));
            return at;
        } finally {
            lock.writeLock().unlock();
        }
    }

    private void reserve(long len) {
        if (len > capacityBytes - mappedBytes) {
            throw new NoMemoryException("cannot map " + len + " bytes: " + mappedBytes + " of " + capacityBytes + " in use");
        }
        mappedBytes += len;
    }

    private boolean isFree(long start, long end) {
        if (end > TOP || end < start) {
            return false;
        }
        Map.Entry<Long, Area> below = areas.lowerEntry(end);
        return below == null || below.getValue().end() + PAGE_SIZE <= start;
    }

    private long findGap(long len) {
        long cursor = MMAP_BASE;
        for (Area a : areas.tailMap(MMAP_BASE - 1, false).values()) {
            if (a.start() >= cursor + len + PAGE_SIZE) {
                return cursor;
            }
            cursor = Math.max(cursor, a.end() + PAGE_SIZE);
        }
        if (cursor + len > TOP) {
            mappedBytes -= len;
            throw new NoMemoryException("no gap of " + len + " bytes left");
        }
        return cursor;
    }

    @Override
    public void munmap(long addr, long length) {
        if ((addr & (PAGE_SIZE - 1)) != 0 || length <= 0) {
            throw new IllegalArgumentException("munmap needs a page-aligned address and a positive length");
        }
        lock.writeLock().lock();
        try {
            unmapLocked(addr, addr + roundUp(length));
        } finally {
            lock.writeLock().unlock();
        }
    }

    private void unmapLocked(long start, long end) {
        for (Area piece : cutLocked(start, end)) {
            mappedBytes -= piece.end() - piece.start();
            for (long p = piece.start(); p < piece.end(); p += PAGE_SIZE) {
                pages.remove(p >>> 12);
            }
        }
    }

    /** Removes [start, end) from the areas, splitting those that stick out; returns the removed pieces. */
    private java.util.List<Area> cutLocked(long start, long end) {
        java.util.List<Area> removed = new ArrayList<>();
        Map.Entry<Long, Area> first = areas.floorEntry(start);
        Long from = first != null && first.getValue().end() > start ? first.getKey() : Long.valueOf(start);
        for (Area a : new ArrayList<>(areas.subMap(from, true, end, false).values())) {
            long s = Math.max(a.start(), start);
            long e = Math.min(a.end(), end);
            if (s >= e) {
                continue;
            }
            areas.remove(a.start());
            if (a.start() < s) {
                areas.put(a.start(), new Area(a.start(), s, a.prot()));
            }
            if (e < a.end()) {
                areas.put(e, new Area(e, a.end(), a.prot()));
            }
            removed.add(new Area(s, e, a.prot()));
        }
        return removed;
    }

    /** This model has no file system: every file is missing. */
    @Override
    public long mmap(long hint, long length, int prot, int flags, String path, long offset) {
        throw new java.io.UncheckedIOException(new java.nio.file.NoSuchFileException(path, null,
                "the heap address space has no files"));
    }

    @Override
    public void mprotect(long addr, long length, int prot) {
        if ((addr & (PAGE_SIZE - 1)) != 0 || length <= 0 || (prot & ~PROT_RW) != 0) {
            throw new IllegalArgumentException("mprotect needs a page-aligned address, a positive length and known bits");
        }
        lock.writeLock().lock();
        try {
            long end = addr + roundUp(length);
            for (long at = addr; at < end; ) {
                Map.Entry<Long, Area> e = areas.floorEntry(at);
                if (e == null || e.getValue().end() <= at) {
                    throw new SegmentationFault("mprotect: 0x" + Long.toHexString(at) + " is not mapped");
                }
                at = e.getValue().end();
            }
            for (Area piece : cutLocked(addr, end)) {
                areas.put(piece.start(), new Area(piece.start(), piece.end(), prot));
            }
        } finally {
            lock.writeLock().unlock();
        }
    }

    @Override
    public long mremap(long oldAddr, long oldLength, long newLength, boolean mayMove) {
        if ((oldAddr & (PAGE_SIZE - 1)) != 0 || oldLength <= 0 || newLength <= 0) {
            throw new IllegalArgumentException("mremap needs a page-aligned address and positive lengths");
        }
        long oldLen = roundUp(oldLength);
        long newLen = roundUp(newLength);
        lock.writeLock().lock();
        try {
            Area a = areaAt(oldAddr);
            if (a == null || oldAddr + oldLen > a.end()) {
                throw new SegmentationFault("mremap: [0x" + Long.toHexString(oldAddr) + ", +" + oldLen + ") is not one mapping");
            }
            if (newLen <= oldLen) {
                if (newLen < oldLen) {
                    unmapLocked(oldAddr + newLen, oldAddr + oldLen);
                }
                return oldAddr;
            }
            long grow = newLen - oldLen;
            Map.Entry<Long, Area> next = areas.higherEntry(a.start());
            boolean roomAfter = a.end() + grow + PAGE_SIZE <= (next == null ? TOP : next.getKey());
            if (oldAddr + oldLen == a.end() && roomAfter) {
                reserve(grow);
                areas.put(a.start(), new Area(a.start(), a.end() + grow, a.prot()));
                return oldAddr;
            }
            if (!mayMove) {
                throw new NoMemoryException("mremap: cannot grow in place at 0x" + Long.toHexString(oldAddr));
            }
            reserve(newLen);
            long at = findGap(newLen);
            areas.put(at, new Area(at, at + newLen, a.prot()));
            for (long off = 0; off < oldLen; off += PAGE_SIZE) {
                byte[] page = pages.remove((oldAddr + off) >>> 12);
                if (page != null) {
                    pages.put((at + off) >>> 12, page);
                }
            }
            unmapLocked(oldAddr, oldAddr + oldLen);
            return at;
        } finally {
            lock.writeLock().unlock();
        }
    }

    @Override
    public long brk(long newBreak) {
        lock.writeLock().lock();
        try {
            if (newBreak == 0 || newBreak < BRK_BASE || newBreak >= MMAP_BASE) {
                return brk;
            }
            long oldEnd = roundUp(brk);
            long newEnd = roundUp(newBreak);
            if (newEnd > oldEnd) {
                long grow = newEnd - oldEnd;
                if (grow > capacityBytes - mappedBytes) {
                    return brk; // as on Linux, a failed brk returns the unchanged break
                }
                mappedBytes += grow;
                areas.remove(BRK_BASE);
                areas.put(BRK_BASE, new Area(BRK_BASE, newEnd, PROT_RW));
            } else if (newEnd < oldEnd) {
                unmapLocked(newEnd, oldEnd);
            }
            brk = newBreak;
            return brk;
        } finally {
            lock.writeLock().unlock();
        }
    }

    @Override
    public void msync(long addr, long length) {
        // Nothing is cached: every store is already in "memory".
    }

    private Area areaAt(long va) {
        Map.Entry<Long, Area> e = areas.floorEntry(va);
        return e != null && va < e.getValue().end() ? e.getValue() : null;
    }

    /** The page holding {@code va} for an access of {@code prot}; null for a never-stored page on a load. */
    private byte[] page(long va, int prot) {
        lock.readLock().lock();
        try {
            Area a = areaAt(va);
            if (a == null) {
                throw new SegmentationFault("access to unmapped address 0x" + Long.toHexString(va));
            }
            if ((a.prot() & prot) != prot) {
                throw new SegmentationFault((prot == PROT_WRITE ? "store to" : "load from")
                        + " protected address 0x" + Long.toHexString(va));
            }
            long vpn = va >>> 12;
            return prot == PROT_WRITE ? pages.computeIfAbsent(vpn, k -> new byte[PAGE_SIZE]) : pages.get(vpn);
        } finally {
            lock.readLock().unlock();
        }
    }

    private static boolean withinPage(long va, int size) {
        return (va & (PAGE_SIZE - 1)) <= PAGE_SIZE - size;
    }

    @Override
    public byte getByte(long va) {
        byte[] p = page(va, PROT_READ);
        return p == null ? 0 : p[(int) (va & (PAGE_SIZE - 1))];
    }

    @Override
    public void putByte(long va, byte value) {
        page(va, PROT_WRITE)[(int) (va & (PAGE_SIZE - 1))] = value;
    }

    @Override
    public int getInt(long va) {
        if (!withinPage(va, 4)) {
            return (int) getSlow(va, 4);
        }
        byte[] p = page(va, PROT_READ);
        return p == null ? 0 : (int) INTS.get(p, (int) (va & (PAGE_SIZE - 1)));
    }

    @Override
    public void putInt(long va, int value) {
        if (!withinPage(va, 4)) {
            putSlow(va, 4, value);
            return;
        }
        INTS.set(page(va, PROT_WRITE), (int) (va & (PAGE_SIZE - 1)), value);
    }

    @Override
    public long getLong(long va) {
        if (!withinPage(va, 8)) {
            return getSlow(va, 8);
        }
        byte[] p = page(va, PROT_READ);
        return p == null ? 0 : (long) LONGS.get(p, (int) (va & (PAGE_SIZE - 1)));
    }

    @Override
    public void putLong(long va, long value) {
        if (!withinPage(va, 8)) {
            putSlow(va, 8, value);
            return;
        }
        LONGS.set(page(va, PROT_WRITE), (int) (va & (PAGE_SIZE - 1)), value);
    }

    private long getSlow(long va, int size) {
        long v = 0;
        for (int i = size - 1; i >= 0; i--) {
            v = (v << 8) | (getByte(va + i) & 0xFF);
        }
        return v;
    }

    private void putSlow(long va, int size, long value) {
        for (int i = 0; i < size; i++) {
            putByte(va + i, (byte) (value >>> (8 * i)));
        }
    }

    @Override
    public void read(long va, byte[] dst, int offset, int length) {
        java.util.Objects.checkFromIndexSize(offset, length, dst.length);
        int done = 0;
        while (done < length) {
            long at = va + done;
            int inPage = (int) Math.min(length - done, PAGE_SIZE - (at & (PAGE_SIZE - 1)));
            byte[] p = page(at, PROT_READ);
            if (p == null) {
                java.util.Arrays.fill(dst, offset + done, offset + done + inPage, (byte) 0);
            } else {
                System.arraycopy(p, (int) (at & (PAGE_SIZE - 1)), dst, offset + done, inPage);
            }
            done += inPage;
        }
    }

    @Override
    public void write(long va, byte[] src, int offset, int length) {
        java.util.Objects.checkFromIndexSize(offset, length, src.length);
        int done = 0;
        while (done < length) {
            long at = va + done;
            int inPage = (int) Math.min(length - done, PAGE_SIZE - (at & (PAGE_SIZE - 1)));
            System.arraycopy(src, offset + done, page(at, PROT_WRITE), (int) (at & (PAGE_SIZE - 1)), inPage);
            done += inPage;
        }
    }
}
