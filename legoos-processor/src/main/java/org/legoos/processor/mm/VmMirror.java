package org.legoos.processor.mm;

import it.unimi.dsi.fastutil.longs.Long2IntOpenHashMap;
import it.unimi.dsi.fastutil.longs.LongOpenHashSet;
import it.unimi.dsi.fastutil.longs.LongSet;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.legoos.api.AddressSpace;
import org.legoos.api.UserSpace;
import org.legoos.net.protocol.p2m.MapReply;

/**
 * The process monitor's view of one address space: which ranges are mapped and with what protection (mirrored
 * from the answers of the home memory component to the calls this processor made, since all of a process's VM
 * calls go through its one processor), which pages were ever written back (materialised on a memory component),
 * and which memory component owns each vRegion.
 *
 * <p>With it the ExCache decides locally, without a round trip: an access outside every mapped range, a store to
 * a page without write permission and any access to a {@code PROT_NONE} page are segmentation faults, and a
 * mapped page that was never materialised is zero-filled (LegoOS's p-local fill).
 *
 * <p>The owner map only moves forward: each reply of the home carries the map with a version, and an older reply
 * applied after a newer one (two threads' calls in flight) is ignored, so a vRegion that has an owner never
 * loses it while mapped.
 *
 * <p>Thread-safe: methods synchronise on the mirror; the owner map is an immutable snapshot read without locks.
 */
final class VmMirror {
    /** How a range is backed. */
    enum Backing {
        ANONYMOUS, PRIVATE_FILE, SHARED_FILE;

        boolean isFile() {
            return this != ANONYMOUS;
        }
    }

    /** A mapped range [start, end) with its protection and backing. */
    record Area(long start, long end, int prot, Backing backing) {
        Area(long start, long end, int prot) {
            this(start, end, prot, Backing.ANONYMOUS);
        }

        Area slice(long from, long to) {
            return new Area(from, to, prot, backing);
        }
    }

    private final TreeMap<Long, Area> areas = new TreeMap<>(); // by start, page aligned, non-overlapping
    private final LongSet materialised = new LongOpenHashSet();
    private volatile OwnerMap owners;

    /**
     * vRegion index -> owner node as of {@code version}, and the owners that died without a replica (their pages
     * lost), immutable.
     */
    record OwnerMap(int shift, Long2IntOpenHashMap map, long version, int[] lost) {
        int ownerOf(long va) {
            return map.getOrDefault(va >>> shift, -1);
        }
    }

    VmMirror(long vregionBytes) {
        if (Long.bitCount(vregionBytes) != 1) {
            throw new IllegalArgumentException("vRegion size must be a power of two: " + vregionBytes);
        }
        var m = new Long2IntOpenHashMap();
        m.defaultReturnValue(-1);
        owners = new OwnerMap(Long.numberOfTrailingZeros(vregionBytes), m, -1, new int[0]);
    }

    /** Takes the reply's owner map unless a newer one was applied already (replies may arrive out of order). */
    synchronized void updateOwners(MapReply reply) {
        if (reply.ownersVersion() < owners.version()) {
            return;
        }
        var m = new Long2IntOpenHashMap(reply.regions().length);
        m.defaultReturnValue(-1);
        for (int i = 0; i < reply.regions().length; i++) {
            m.put(reply.regions()[i], reply.owners()[i]);
        }
        owners = new OwnerMap(Long.numberOfTrailingZeros(reply.vregionBytes()), m, reply.ownersVersion(),
                reply.lostOwners().clone());
    }

    /** Whether the home said memory component {@code owner} died holding vRegions of this space without a replica. */
    boolean isLost(int owner) {
        for (int lost : owners.lost()) {
            if (lost == owner) {
                return true;
            }
        }
        return false;
    }

    /** The memory component owning the vRegion of {@code va}, or -1. */
    int ownerOf(long va) {
        return owners.ownerOf(va);
    }

    /** Distinct owners, for freeing and for tests. */
    int[] owners() {
        return owners.map().values().intStream().distinct().toArray();
    }

    private Area areaAt(long va) {
        Map.Entry<Long, Area> e = areas.floorEntry(va);
        return e != null && va < e.getValue().end() ? e.getValue() : null;
    }

    synchronized boolean isMapped(long va) {
        return areaAt(va) != null;
    }

    /** Whether every page of [start, end) is mapped. */
    synchronized boolean isMapped(long start, long end) {
        long at = start;
        while (at < end) {
            Area a = areaAt(at);
            if (a == null) {
                return false;
            }
            at = a.end();
        }
        return true;
    }

    /** The area covering all of [start, end), or null if no single area does. */
    synchronized Area covering(long start, long end) {
        Area a = areaAt(start);
        return a != null && a.end() >= end ? a : null;
    }

    /** Protection of the page of {@code va}, or -1 if it is not mapped. */
    synchronized int protAt(long va) {
        Area a = areaAt(va);
        return a == null ? -1 : a.prot();
    }

    /** Whether the page of {@code va} is mapped anonymous (no file behind it) and writable. */
    synchronized boolean writableAnonymous(long va) {
        Area a = areaAt(va);
        return a != null && a.backing() == Backing.ANONYMOUS && UserSpace.writable(a.prot());
    }

    /**
     * A new mapping [start, end) with {@code prot}: fresh pages, so any materialised marks left in the range are
     * forgotten. Any part of the range mapped before is replaced.
     */
    synchronized void map(long start, long end, int prot) {
        map(start, end, prot, Backing.ANONYMOUS);
    }

    /** As {@link #map(long, long, int)} with a backing. */
    synchronized void map(long start, long end, int prot, Backing backing) {
        unmap(start, end);
        add(new Area(start, end, prot, backing));
    }

    /**
     * Adds {@code a} (free); an anonymous area merges with anonymous neighbours of the same protection, a file-backed
     * one never merges (as in the home's VMA tree, so both agree on which ranges lie in one area); pages keep their
     * marks.
     */
    private void add(Area a) {
        long start = a.start();
        long end = a.end();
        if (a.backing().isFile()) {
            areas.put(start, a);
            return;
        }
        Map.Entry<Long, Area> before = areas.lowerEntry(start);
        if (before != null && before.getValue().end() == start && before.getValue().prot() == a.prot()
                && before.getValue().backing() == a.backing()) {
            start = before.getKey();
            areas.remove(start);
        }
        Area after = areas.get(end);
        if (after != null && after.prot() == a.prot() && after.backing() == a.backing()) {
            areas.remove(end);
            end = after.end();
        }
        areas.put(start, new Area(start, end, a.prot(), a.backing()));
    }

    /** Removes [start, end) from every area, splitting those that stick out; returns the removed pieces. */
    private List<Area> cut(long start, long end) {
        List<Area> removed = new ArrayList<>();
        Long floor = areas.floorKey(start);
        long from = floor != null ? floor : start;
        for (Area a : new ArrayList<>(areas.subMap(from, true, end, false).values())) {
            if (a.end() <= start) {
                continue;
            }
            areas.remove(a.start());
            if (a.start() < start) {
                areas.put(a.start(), a.slice(a.start(), start));
            }
            if (a.end() > end) {
                areas.put(end, a.slice(end, a.end()));
            }
            removed.add(a.slice(Math.max(a.start(), start), Math.min(a.end(), end)));
        }
        return removed;
    }

    /** Forgets [start, end) and its pages' marks (munmap: the data dies). */
    synchronized void unmap(long start, long end) {
        cut(start, end);
        forgetPages(start, end);
    }

    /**
     * mprotect: the mapped parts of [start, end) get {@code prot}; pages keep their marks.
     *
     * @return the areas overlapping the range as they were (whole, not clipped), for {@link #restore}
     */
    synchronized List<Area> protect(long start, long end, int prot) {
        List<Area> before = new ArrayList<>();
        Long floor = areas.floorKey(start);
        for (Area a : areas.subMap(floor != null ? floor : start, true, end, false).values()) {
            if (a.end() > start) {
                before.add(a);
            }
        }
        for (Area piece : cut(start, end)) {
            add(new Area(piece.start(), piece.end(), prot, piece.backing()));
        }
        return before;
    }

    /**
     * Undoes {@link #protect}: the areas it returned are put back as they were (a file-backed area the protect split
     * is one area again, as it stayed at the home).
     */
    synchronized void restore(List<Area> before) {
        for (Area a : before) {
            cut(a.start(), a.end());
        }
        for (Area a : before) {
            add(a);
        }
    }

    /**
     * mremap as the home did it: the area [from, from+oldLen) with {@code prot} now lies at [to, to+newLen) (the same
     * address when it grew or shrank in place). Pages that moved keep their marks at their new address; the rest
     * of the new range is fresh, and what the old range had beyond the new one is gone. One step under the lock, so
     * no miss sees a half-moved range.
     */
    synchronized void remap(long from, long oldLen, long to, long newLen, int prot) {
        long kept = Math.min(oldLen, newLen);
        if (to == from) {
            if (newLen < oldLen) {
                unmap(from + newLen, from + oldLen);
            } else if (newLen > oldLen) {
                map(from + oldLen, from + newLen, prot);
            }
            return;
        }
        cut(from, from + oldLen);
        forgetPages(to, to + newLen); // stale marks of whatever was there before
        movePages(from, to, kept);
        forgetPages(from, from + oldLen);
        cut(to, to + newLen);
        add(new Area(to, to + newLen, prot));
    }

    /** The pieces of [start, end) that are shared file mappings (their stores must reach the file). */
    synchronized List<Area> sharedFilePieces(long start, long end) {
        List<Area> out = new ArrayList<>();
        Long floor = areas.floorKey(start);
        for (Area a : areas.subMap(floor != null ? floor : start, true, end, false).values()) {
            if (a.end() > start && a.backing() == Backing.SHARED_FILE) {
                out.add(a.slice(Math.max(a.start(), start), Math.min(a.end(), end)));
            }
        }
        return out;
    }

    /** What a miss on page {@code vpn} needs, decided under one lock. */
    enum PageState {
        UNMAPPED, NO_ACCESS,
        /** Anonymous and never written back: zero-filled locally. */
        NEVER_WRITTEN,
        /** In a file mapping and never written back: its owner reads it from the file. */
        IN_FILE,
        MATERIALISED
    }

    synchronized PageState pageState(long vpn) {
        Area a = areaAt(vpn << 12);
        if (a == null) {
            return PageState.UNMAPPED;
        }
        if (!UserSpace.readable(a.prot())) {
            return PageState.NO_ACCESS;
        }
        if (materialised.contains(vpn)) {
            return PageState.MATERIALISED;
        }
        return a.backing().isFile() ? PageState.IN_FILE : PageState.NEVER_WRITTEN;
    }

    /**
     * How many of the pages {@code vpn + i * strideVpns}, {@code i = 1 .. max}, counted from the first up to the
     * first that is not, are mapped readable, materialised and owned by the memory component of page {@code vpn},
     * which must itself be (else 0): the pages a miss of {@code vpn} may fetch along with it.
     */
    synchronized int fetchableRun(long vpn, long strideVpns, int max) {
        OwnerMap map = owners;
        long va = vpn << 12;
        int owner = map.ownerOf(va);
        if (owner < 0 || !materialised.contains(vpn) || !readableAt(va)) {
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
            if (!materialised.contains(page) || map.ownerOf(pva) != owner || !readableAt(pva)) {
                break;
            }
            n++;
        }
        return n;
    }

    /**
     * How many of the pages {@code vpn + i * strideVpns}, {@code i = 1 .. max}, counted from the first up to the
     * first that is not, are in the state {@link PageState#NEVER_WRITTEN}, which page {@code vpn} must itself be
     * (else 0): the pages a miss of {@code vpn} may zero-fill along with it.
     */
    synchronized int neverWrittenRun(long vpn, long strideVpns, int max) {
        if (pageState(vpn) != PageState.NEVER_WRITTEN) {
            return 0;
        }
        int n = 0;
        long page = vpn;
        while (n < max) {
            page += strideVpns;
            if (page < 0 || page > (-1L >>> 12) || pageState(page) != PageState.NEVER_WRITTEN) {
                break;
            }
            n++;
        }
        return n;
    }

    private boolean readableAt(long va) {
        Area a = areaAt(va);
        return a != null && UserSpace.readable(a.prot());
    }

    synchronized void markMaterialised(long vpn) {
        materialised.add(vpn);
    }

    /** Drops the materialised marks of pages in [start, end). */
    synchronized void forgetPages(long start, long end) {
        if (end <= start) {
            return;
        }
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
    private void movePages(long from, long to, long len) {
        if (len <= 0) {
            return;
        }
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
        for (Area a : areas.values()) {
            sum += a.end() - a.start();
        }
        return sum;
    }

    /** The default protection of the heap (brk area). */
    static final int HEAP_PROT = AddressSpace.PROT_RW;
}
