package org.legoos.memory.vm;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * A set of non-overlapping {@link Vma}s ordered by address: the VMA tree of an address space (at its home)
 * or of the vRegions one memory component owns. Adjacent areas with the same protection are merged, as
 * Linux merges VMAs, so an area created by two neighbouring mmaps can be remapped as one.
 *
 * <p>Not thread-safe: its owner guards it (the home's per-process lock, the owner's per-address-space lock);
 * only {@link #mappedBytes()} may be read without that lock.
 */
public final class VmaTree {
    private final TreeMap<Long, Vma> byStart = new TreeMap<>();
    /** Written under the owner's lock; volatile so statistics may read it without the lock. */
    private volatile long mappedBytes;

    /** Total bytes of all areas (may be read without the owner's lock, for statistics). */
    public long mappedBytes() {
        return mappedBytes;
    }

    public boolean isEmpty() {
        return byStart.isEmpty();
    }

    /** The areas in address order (a copy). */
    public List<Vma> areas() {
        return new ArrayList<>(byStart.values());
    }

    /** The area containing {@code addr}, or null. */
    public Vma find(long addr) {
        Map.Entry<Long, Vma> e = byStart.floorEntry(addr);
        return e != null && e.getValue().contains(addr) ? e.getValue() : null;
    }

    /** Whether no area overlaps [start, end). */
    public boolean isFree(long start, long end) {
        Map.Entry<Long, Vma> before = byStart.floorEntry(start);
        if (before != null && before.getValue().end() > start) {
            return false;
        }
        Long next = byStart.higherKey(start);
        return next == null || next >= end;
    }

    /** Whether every byte of [start, end) is inside some area. */
    public boolean isMapped(long start, long end) {
        long at = start;
        while (at < end) {
            Vma v = find(at);
            if (v == null) {
                return false;
            }
            at = v.end();
        }
        return true;
    }

    /** The one area covering all of [start, end), or null if none does. */
    public Vma covering(long start, long end) {
        Vma v = find(start);
        return v != null && v.end() >= end ? v : null;
    }

    /**
     * How many consecutive pages from {@code start} (at most {@code maxPages}) lie in areas whose protection
     * includes any bit of {@code protMask}.
     */
    public int accessiblePages(long start, int maxPages, int protMask) {
        int n = 0;
        long at = start;
        while (n < maxPages) {
            Vma v = find(at);
            if (v == null || (v.prot() & protMask) == 0) {
                break;
            }
            long fit = (v.end() - at) >>> 12;
            long take = Math.min(fit, maxPages - n);
            n += (int) take;
            at += take << 12;
        }
        return n;
    }

    /**
     * Adds the area [start, end) with {@code prot}, merging it with same-protection neighbours.
     *
     * @throws IllegalStateException if the range overlaps an existing area (callers check {@link #isFree})
     */
    public void add(long start, long end, int prot) {
        add(new Vma(start, end, prot));
    }

    /**
     * Adds the area {@code v}; an anonymous one merges with anonymous same-protection neighbours (file-backed areas
     * never merge).
     *
     * @throws IllegalStateException if it overlaps an existing area
     */
    public void add(Vma v) {
        long start = v.start();
        long end = v.end();
        if (!isFree(start, end)) {
            throw new IllegalStateException("[0x" + Long.toHexString(start) + ", 0x" + Long.toHexString(end) + ") overlaps a mapped area");
        }
        mappedBytes += end - start;
        if (v.file() != null) {
            byStart.put(start, v);
            return;
        }
        int prot = v.prot();
        Map.Entry<Long, Vma> before = byStart.lowerEntry(start);
        if (before != null && before.getValue().end() == start && before.getValue().prot() == prot
                && before.getValue().file() == null) {
            start = before.getKey();
            byStart.remove(start);
        }
        Vma after = byStart.get(end);
        if (after != null && after.prot() == prot && after.file() == null) {
            byStart.remove(end);
            end = after.end();
        }
        byStart.put(start, new Vma(start, end, prot));
    }

    /**
     * Removes [start, end) from every area it overlaps, splitting areas that stick out on either side.
     * Unmapped parts of the range are ignored.
     *
     * @return the removed pieces, clipped to [start, end), in address order
     */
    public List<Vma> remove(long start, long end) {
        List<Vma> removed = new ArrayList<>();
        Long from = byStart.floorKey(start);
        List<Vma> overlapping = new ArrayList<>(byStart.subMap(from == null ? start : from, true, end, false).values());
        for (Vma v : overlapping) {
            if (v.end() <= start) {
                continue;
            }
            byStart.remove(v.start());
            if (v.start() < start) {
                byStart.put(v.start(), v.slice(v.start(), start));
            }
            if (v.end() > end) {
                byStart.put(end, v.slice(end, v.end()));
            }
            Vma piece = v.slice(Math.max(v.start(), start), Math.min(v.end(), end));
            mappedBytes -= piece.length();
            removed.add(piece);
        }
        return removed;
    }

    /**
     * Gives every area overlapping [start, end) protection {@code prot} for its part inside the range, splitting
     * areas that stick out and merging same-protection neighbours. Unmapped parts of the range are ignored.
     */
    public void protect(long start, long end, int prot) {
        for (Vma piece : remove(start, end)) {
            add(piece.withProt(prot));
        }
    }

    /** Areas overlapping [start, end), clipped to it, in address order. */
    public List<Vma> overlapping(long start, long end) {
        List<Vma> out = new ArrayList<>();
        Long from = byStart.floorKey(start);
        for (Vma v : byStart.subMap(from == null ? start : from, true, end, false).values()) {
            if (v.end() > start) {
                out.add(v.slice(Math.max(v.start(), start), Math.min(v.end(), end)));
            }
        }
        return out;
    }

    /**
     * The lowest address {@code a >= from} with [a, a + length) free and {@code a + length <= limit}, or -1.
     */
    public long firstFit(long from, long limit, long length) {
        long candidate = from;
        Vma around = find(from);
        if (around != null) {
            candidate = around.end();
        }
        for (Vma v : byStart.tailMap(candidate, true).values()) {
            if (candidate > limit - length) {
                return -1;
            }
            if (v.start() - candidate >= length) {
                return candidate;
            }
            candidate = Math.max(candidate, v.end());
        }
        return candidate <= limit - length ? candidate : -1;
    }

    /** Removes every area. */
    public void clear() {
        byStart.clear();
        mappedBytes = 0;
    }
}
