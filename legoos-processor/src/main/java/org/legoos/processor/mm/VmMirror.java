package org.legoos.processor.mm;

import it.unimi.dsi.fastutil.longs.LongOpenHashSet;
import it.unimi.dsi.fastutil.longs.LongSet;
import java.util.Map;
import java.util.TreeMap;
import org.legoos.net.protocol.p2m.MapReply;

/**
 * The process monitor's view of one address space: which ranges are mapped (mirrored from the answers of
 * the home memory component to the calls this processor made, since all of a process's VM calls go
 * through its one processor), which pages were ever written back (materialised on a memory component),
 * and which memory component owns each vRegion.
 *
 * <p>With it the ExCache decides locally, without a round trip: an access outside every mapped range is a
 * segmentation fault, and a mapped page that was never materialised is zero-filled (LegoOS's p-local fill).
 *
 * <p>Thread-safe: methods synchronise on the mirror; the owner map is an immutable snapshot read without locks.
 */
final class VmMirror {
    private final TreeMap<Long, Long> ranges = new TreeMap<>(); // start -> end (exclusive), page aligned
    private final LongSet materialised = new LongOpenHashSet();
    private volatile OwnerMap owners;

    /** vRegion index -> owner node, immutable. */
    record OwnerMap(int shift, it.unimi.dsi.fastutil.longs.Long2IntOpenHashMap map) {
        int ownerOf(long va) {
            return map.getOrDefault(va >>> shift, -1);
        }
    }

    VmMirror(long vregionBytes) {
        if (Long.bitCount(vregionBytes) != 1) {
            throw new IllegalArgumentException("vRegion size must be a power of two: " + vregionBytes);
        }
        var m = new it.unimi.dsi.fastutil.longs.Long2IntOpenHashMap();
        m.defaultReturnValue(-1);
        owners = new OwnerMap(Long.numberOfTrailingZeros(vregionBytes), m);
    }

    void updateOwners(MapReply reply) {
        var m = new it.unimi.dsi.fastutil.longs.Long2IntOpenHashMap(reply.regions().length);
        m.defaultReturnValue(-1);
        for (int i = 0; i < reply.regions().length; i++) {
            m.put(reply.regions()[i], reply.owners()[i]);
        }
        owners = new OwnerMap(Long.numberOfTrailingZeros(reply.vregionBytes()), m);
    }

    /** The memory component owning the vRegion of {@code va}, or -1. */
    int ownerOf(long va) {
        return owners.ownerOf(va);
    }

    /** Distinct owners, for freeing and for tests. */
    int[] owners() {
        return owners.map().values().intStream().distinct().toArray();
    }

    synchronized boolean isMapped(long va) {
        Map.Entry<Long, Long> e = ranges.floorEntry(va);
        return e != null && va < e.getValue();
    }

    synchronized void map(long start, long end) {
        unmap(start, end);
        // merge with neighbours
        Map.Entry<Long, Long> before = ranges.lowerEntry(start);
        if (before != null && before.getValue() == start) {
            start = before.getKey();
            ranges.remove(start);
        }
        Long after = ranges.get(end);
        if (after != null) {
            ranges.remove(end);
            end = after;
        }
        ranges.put(start, end);
    }

    synchronized void unmap(long start, long end) {
        Long floor = ranges.floorKey(start);
        long from = floor != null ? floor : start;
        var overlapping = new java.util.ArrayList<>(ranges.subMap(from, true, end, false).entrySet());
        for (Map.Entry<Long, Long> e : overlapping) {
            long s = e.getKey();
            long t = e.getValue();
            if (t <= start) {
                continue;
            }
            ranges.remove(s);
            if (s < start) {
                ranges.put(s, start);
            }
            if (t > end) {
                ranges.put(end, t);
            }
        }
        forgetPages(start, end);
    }

    /** What a miss on page {@code vpn} needs, decided under one lock. */
    enum PageState { UNMAPPED, NEVER_WRITTEN, MATERIALISED }

    synchronized PageState pageState(long vpn) {
        if (!isMapped(vpn << 12)) {
            return PageState.UNMAPPED;
        }
        return materialised.contains(vpn) ? PageState.MATERIALISED : PageState.NEVER_WRITTEN;
    }

    /**
     * How many of the pages {@code vpn + i * strideVpns}, {@code i = 1 .. max}, counted from the first up to the
     * first that is not, are mapped, materialised and owned by the memory component of page {@code vpn}, which
     * must itself be mapped and materialised (else 0): the pages a miss of {@code vpn} may fetch along with it.
     */
    synchronized int fetchableRun(long vpn, long strideVpns, int max) {
        OwnerMap map = owners;
        long va = vpn << 12;
        int owner = map.ownerOf(va);
        if (owner < 0 || !materialised.contains(vpn) || !isMapped(va)) {
            return 0;
        }
        int n = 0;
        long page = vpn;
        while (n < max) {
            page += strideVpns;
            if (page < 0 || page > (-1L >>> 12)) {
                break;
            }
            long pva = page << 12;
            if (!materialised.contains(page) || map.ownerOf(pva) != owner || !isMapped(pva)) {
                break;
            }
            n++;
        }
        return n;
    }

    synchronized void markMaterialised(long vpn) {
        materialised.add(vpn);
    }

    /** Drops the materialised marks of pages in [start, end). */
    synchronized void forgetPages(long start, long end) {
        long first = start >>> 12;
        long last = (end - 1) >>> 12;
        if (last - first < materialised.size()) {
            for (long p = first; p <= last; p++) {
                materialised.remove(p);
            }
        } else {
            materialised.removeIf((long p) -> p >= first && p <= last);
        }
    }

    /** The home moved [from, from+len) to [to, to+len): move the materialised marks along. */
    synchronized void movePages(long from, long to, long len) {
        long first = from >>> 12;
        long last = (from + len - 1) >>> 12;
        long delta = (to >>> 12) - first;
        LongSet moved = new LongOpenHashSet();
        var it = materialised.iterator();
        while (it.hasNext()) {
            long p = it.nextLong();
            if (p >= first && p <= last) {
                it.remove();
                moved.add(p + delta);
            }
        }
        materialised.addAll(moved);
    }

    synchronized long mappedBytes() {
        long sum = 0;
        for (var e : ranges.entrySet()) {
            sum += e.getValue() - e.getKey();
        }
        return sum;
    }
}
