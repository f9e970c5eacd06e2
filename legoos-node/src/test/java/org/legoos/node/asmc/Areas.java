package org.legoos.node.asmc;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The reference model's list of areas: non-overlapping page-aligned ranges, each with a tag (the protection
 * for a thread's own mappings, the thread id in the {@linkplain Claims global claims}). Adjacent ranges with
 * the same tag merge, as the home's VMA tree merges same-protection neighbours. Not thread-safe.
 */
final class Areas {
    record Area(long start, long end, int tag) {
        long length() {
            return end - start;
        }
    }

    private final TreeMap<Long, Area> byStart = new TreeMap<>();

    Area find(long addr) {
        Map.Entry<Long, Area> e = byStart.floorEntry(addr);
        return e != null && addr < e.getValue().end() ? e.getValue() : null;
    }

    boolean isFree(long start, long end) {
        return overlapping(start, end).isEmpty();
    }

    boolean isMapped(long start, long end) {
        long at = start;
        while (at < end) {
            Area a = find(at);
            if (a == null) {
                return false;
            }
            at = a.end();
        }
        return true;
    }

    /** The one area covering all of [start, end), or null. */
    Area covering(long start, long end) {
        Area a = find(start);
        return a != null && a.end() >= end ? a : null;
    }

    List<Area> overlapping(long start, long end) {
        List<Area> out = new ArrayList<>();
        Long from = byStart.floorKey(start);
        for (Area a : byStart.subMap(from == null ? start : from, true, end, false).values()) {
            if (a.end() > start) {
                out.add(new Area(Math.max(a.start(), start), Math.min(a.end(), end), a.tag()));
            }
        }
        return out;
    }

    void add(long start, long end, int tag) {
        remove(start, end);
        Map.Entry<Long, Area> before = byStart.lowerEntry(start);
        if (before != null && before.getValue().end() == start && before.getValue().tag() == tag) {
            start = before.getKey();
            byStart.remove(start);
        }
        Area after = byStart.get(end);
        if (after != null && after.tag() == tag) {
            byStart.remove(end);
            end = after.end();
        }
        byStart.put(start, new Area(start, end, tag));
    }

    void remove(long start, long end) {
        if (end <= start) {
            return; // (an empty range must not split the area around it)
        }
        Long from = byStart.floorKey(start);
        for (Area a : new ArrayList<>(byStart.subMap(from == null ? start : from, true, end, false).values())) {
            if (a.end() <= start) {
                continue;
            }
            byStart.remove(a.start());
            if (a.start() < start) {
                byStart.put(a.start(), new Area(a.start(), start, a.tag()));
            }
            if (a.end() > end) {
                byStart.put(end, new Area(end, a.end(), a.tag()));
            }
        }
    }

    List<Area> all() {
        return new ArrayList<>(byStart.values());
    }

    long mappedBytes() {
        long n = 0;
        for (Area a : byStart.values()) {
            n += a.length();
        }
        return n;
    }

    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder();
        for (Area a : byStart.values()) {
            sb.append(String.format("[0x%x,0x%x)%d ", a.start(), a.end(), a.tag()));
        }
        return sb.toString().trim();
    }
}
