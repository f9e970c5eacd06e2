package org.legoos.memory.pagestore;

import it.unimi.dsi.fastutil.ints.IntArrayList;
import it.unimi.dsi.fastutil.longs.Long2ObjectOpenHashMap;
import it.unimi.dsi.fastutil.longs.LongArrayList;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The pages one memory component holds for one address space: virtual page number (vpn) to frame of the
 * {@link PageStore}. Only pages that were ever written back (flushed) have a frame; any other page of a
 * mapped area reads as zeros, as LegoOS allocates a page at its first flush.
 *
 * <p>Two levels, like an MMU page table: a leaf covers 512 consecutive pages (2 MiB) and holds
 * {@code frame + 1} per page (0 = no frame); leaves sit in primitive hash maps keyed by {@code vpn >>> 9}, so
 * the miss path neither boxes nor allocates. Leaves are spread over 16 stripes, each with its own lock.
 *
 * <p>Thread-safety: all methods are thread-safe. A page's bytes are copied while its stripe lock is held,
 * so a reader never sees a half-written page nor a frame that was freed and handed to another address
 * space. Range operations ({@link #removeRange}, {@link #move}, {@link #collect}, {@link #clear}) lock one
 * stripe at a time; callers that need them atomic with respect to concurrent reads and writes of the same
 * range must serialise them themselves (the vRegion owner holds its per-address-space lock exclusively).
 */
public final class PageTable {
    private static final int PAGE_SIZE = PageStore.PAGE_SIZE;
    private static final int LEAF_SHIFT = 9;
    private static final int LEAF_PAGES = 1 << LEAF_SHIFT;
    private static final int LEAF_MASK = LEAF_PAGES - 1;
    /** Slot of a leaf holding the number of pages present in it. */
    private static final int COUNT = LEAF_PAGES;
    private static final int STRIPES = 16;

    private final PageStore store;
    private final Stripe[] stripes = new Stripe[STRIPES];
    private final AtomicLong pages = new AtomicLong();
    private final AtomicInteger leafCount = new AtomicInteger();

    private static final class Stripe {
        final Long2ObjectOpenHashMap<int[]> leaves = new Long2ObjectOpenHashMap<>();
    }

    /** Visits the slots [lo, hi) of one leaf, under its stripe lock; returns false to stop. */
    @FunctionalInterface
    private interface LeafVisitor {
        boolean visit(Stripe stripe, long leafKey, int[] leaf, int lo, int hi);
    }

    /** Pages gathered by {@link #collect}: their vpns, 4096 bytes each in {@code data}, and where to go on. */
    public record Collected(long[] vpns, byte[] data, long nextVpn) {
    }

    public PageTable(PageStore store) {
        this.store = store;
        for (int i = 0; i < STRIPES; i++) {
            stripes[i] = new Stripe();
        }
    }

    private Stripe stripeOf(long leafKey) {
        long h = leafKey * 0x9E3779B97F4A7C15L;
        return stripes[(int) (h >>> 60)];
    }

    /** Number of pages that have a frame. */
    public long pages() {
        return pages.get();
    }

    /**
     * Copies page {@code vpn} into {@code dst[off .. off + 4096)}: its stored bytes, or zeros if it never had a
     * frame.
     *
     * @return whether the page has a frame
     */
    public boolean read(long vpn, byte[] dst, int off) {
        long key = vpn >>> LEAF_SHIFT;
        Stripe s = stripeOf(key);
        synchronized (s) {
            int[] leaf = s.leaves.get(key);
            int e = leaf == null ? 0 : leaf[(int) (vpn & LEAF_MASK)];
            if (e != 0) {
                store.copyOut(e - 1, dst, off);
                return true;
            }
        }
        Arrays.fill(dst, off, off + PAGE_SIZE, (byte) 0);
        return false;
    }

    /** Whether page {@code vpn} has a frame. */
    public boolean contains(long vpn) {
        long key = vpn >>> LEAF_SHIFT;
        Stripe s = stripeOf(key);
        synchronized (s) {
            int[] leaf = s.leaves.get(key);
            return leaf != null && leaf[(int) (vpn & LEAF_MASK)] != 0;
        }
    }

    /** How many of {@code vpns} have no frame yet (duplicates counted each time): the frames a write of them needs. */
    public int countAbsent(long[] vpns) {
        int n = 0;
        for (long vpn : vpns) {
            if (!contains(vpn)) {
                n++;
            }
        }
        return n;
    }

    /**
     * Stores 4096 bytes of {@code src} (from {@code srcOffset} bytes after its position) as page {@code vpn}. A
     * page without a frame gets one from {@code reserved}, or from the store if the reservation is used up.
     *
     * @return false if the page needed a frame and none was free (nothing changed)
     */
    public boolean write(long vpn, ByteBuffer src, int srcOffset, Reservation reserved) {
        long key = vpn >>> LEAF_SHIFT;
        int slot = (int) (vpn & LEAF_MASK);
        Stripe s = stripeOf(key);
        synchronized (s) {
            int[] leaf = s.leaves.get(key);
            int e = leaf == null ? 0 : leaf[slot];
            if (e == 0) {
                int frame = reserved == null ? -1 : reserved.take();
                if (frame < 0) {
                    int[] one = store.allocate(1);
                    if (one == null) {
                        return false;
                    }
                    frame = one[0];
                }
                if (leaf == null) {
                    leaf = new int[LEAF_PAGES + 1];
                    s.leaves.put(key, leaf);
                    leafCount.incrementAndGet();
                }
                leaf[slot] = frame + 1;
                leaf[COUNT]++;
                pages.incrementAndGet();
                e = frame + 1;
            }
            store.copyIn(e - 1, src, srcOffset);
            return true;
        }
    }

    /** Maps {@code vpn} to {@code frame}; returns the frame it replaced, or -1. */
    private int put(long vpn, int frame) {
        long key = vpn >>> LEAF_SHIFT;
        int slot = (int) (vpn & LEAF_MASK);
        Stripe s = stripeOf(key);
        synchronized (s) {
            int[] leaf = s.leaves.get(key);
            if (leaf == null) {
                leaf = new int[LEAF_PAGES + 1];
                s.leaves.put(key, leaf);
                leafCount.incrementAndGet();
            }
            int old = leaf[slot];
            leaf[slot] = frame + 1;
            if (old == 0) {
                leaf[COUNT]++;
                pages.incrementAndGet();
            }
            return old - 1;
        }
    }

    /**
     * Visits, in ascending order, every leaf overlapping [fromVpn, toVpn) with the slot range inside it. Walks
     * the vpn range when it is small, else the leaves that exist, so a sparse huge range costs no more than
     * the pages present.
     */
    private void forLeaves(long fromVpn, long toVpn, LeafVisitor visitor) {
        if (toVpn <= fromVpn) {
            return;
        }
        long first = fromVpn >>> LEAF_SHIFT;
        long last = (toVpn - 1) >>> LEAF_SHIFT;
        long[] keys;
        if (last - first < leafCount.get()) {
            keys = null;
        } else {
            LongArrayList found = new LongArrayList();
            for (Stripe s : stripes) {
                synchronized (s) {
                    for (long k : s.leaves.keySet()) {
                        if (k >= first && k <= last) {
                            found.add(k);
                        }
                    }
                }
            }
            keys = found.toLongArray();
            Arrays.sort(keys);
        }
        long n = keys == null ? last - first + 1 : keys.length;
        for (long i = 0; i < n; i++) {
            long k = keys == null ? first + i : keys[(int) i];
            Stripe s = stripeOf(k);
            synchronized (s) {
                int[] leaf = s.leaves.get(k);
                if (leaf == null) {
                    continue;
                }
                int lo = k == first ? (int) (fromVpn & LEAF_MASK) : 0;
                int hi = k == last ? (int) ((toVpn - 1) & LEAF_MASK) + 1 : LEAF_PAGES;
                if (!visitor.visit(s, k, leaf, lo, hi)) {
                    return;
                }
            }
        }
    }

    /** Clears slots [lo, hi) of a leaf (stripe lock held), appending their vpns and frames. */
    private void take(Stripe s, long key, int[] leaf, int lo, int hi, LongArrayList vpns, IntArrayList frames) {
        for (int i = lo; i < hi && leaf[COUNT] > 0; i++) {
            int e = leaf[i];
            if (e != 0) {
                if (vpns != null) {
                    vpns.add((key << LEAF_SHIFT) | i);
                }
                frames.add(e - 1);
                leaf[i] = 0;
                leaf[COUNT]--;
            }
        }
        if (leaf[COUNT] == 0) {
            s.leaves.remove(key);
            leafCount.decrementAndGet();
        }
    }

    /** Number of pages of [fromVpn, toVpn) that have a frame. */
    public long countRange(long fromVpn, long toVpn) {
        long[] n = new long[1];
        forLeaves(fromVpn, toVpn, (s, key, leaf, lo, hi) -> {
            if (lo == 0 && hi == LEAF_PAGES) {
                n[0] += leaf[COUNT];
            } else {
                for (int i = lo; i < hi; i++) {
                    if (leaf[i] != 0) {
                        n[0]++;
                    }
                }
            }
            return true;
        });
        return n[0];
    }

    /**
     * Frees the frames of pages [fromVpn, toVpn).
     *
     * @return the number of pages freed
     */
    public long removeRange(long fromVpn, long toVpn) {
        IntArrayList frames = new IntArrayList();
        forLeaves(fromVpn, toVpn, (s, key, leaf, lo, hi) -> {
            take(s, key, leaf, lo, hi, null, frames);
            return true;
        });
        release(frames);
        return frames.size();
    }

    private void release(IntArrayList frames) {
        if (!frames.isEmpty()) {
            pages.addAndGet(-frames.size());
            store.free(frames.elements(), 0, frames.size());
        }
    }

    /**
     * Moves the frames of pages [fromVpn, fromVpn + count) to [toVpn, toVpn + count) without copying page data
     * (mremap inside one memory component). The destination range ends up holding exactly the source's
     * pages: whatever it held before is freed. The ranges must not overlap.
     *
     * @return the number of pages moved
     */
    public long move(long fromVpn, long toVpn, long count) {
        if (fromVpn < toVpn + count && toVpn < fromVpn + count) {
            throw new IllegalArgumentException("overlapping move of " + count + " pages from " + fromVpn + " to " + toVpn);
        }
        removeRange(toVpn, toVpn + count);
        LongArrayList vpns = new LongArrayList();
        IntArrayList frames = new IntArrayList();
        forLeaves(fromVpn, fromVpn + count, (s, key, leaf, lo, hi) -> {
            take(s, key, leaf, lo, hi, vpns, frames);
            return true;
        });
        pages.addAndGet(-frames.size());
        IntArrayList replaced = new IntArrayList();
        for (int i = 0; i < vpns.size(); i++) {
            int old = put(toVpn + (vpns.getLong(i) - fromVpn), frames.getInt(i));
            if (old >= 0) {
                replaced.add(old);
            }
        }
        release(replaced);
        return frames.size();
    }

    /**
     * Copies out, in ascending order, up to {@code max} pages of [fromVpn, toVpn) that have a frame.
     *
     * @return the pages, and {@code nextVpn}: {@code toVpn} if every such page was returned, else the vpn to
     *     continue from
     */
    public Collected collect(long fromVpn, long toVpn, int max) {
        if (max < 1 || max > 1 << 16) {
            throw new IllegalArgumentException("max must be in [1, 65536], got " + max);
        }
        LongArrayList vpns = new LongArrayList();
        byte[] data = new byte[(int) Math.min(max, Math.max(1, pages.get())) * PAGE_SIZE];
        long[] next = {toVpn};
        byte[][] out = {data};
        forLeaves(fromVpn, toVpn, (s, key, leaf, lo, hi) -> {
            for (int i = lo; i < hi; i++) {
                int e = leaf[i];
                if (e == 0) {
                    continue;
                }
                long vpn = (key << LEAF_SHIFT) | i;
                if (vpns.size() == max) {
                    next[0] = vpn;
                    return false;
                }
                int off = vpns.size() * PAGE_SIZE;
                if (off + PAGE_SIZE > out[0].length) {
                    out[0] = Arrays.copyOf(out[0], Math.min(max * PAGE_SIZE, out[0].length * 2));
                }
                store.copyOut(e - 1, out[0], off);
                vpns.add(vpn);
            }
            return true;
        });
        byte[] d = out[0].length == vpns.size() * PAGE_SIZE ? out[0] : Arrays.copyOf(out[0], vpns.size() * PAGE_SIZE);
        return new Collected(vpns.toLongArray(), d, next[0]);
    }

    /**
     * Frees every frame of this table.
     *
     * @return the number of pages freed
     */
    public long clear() {
        IntArrayList frames = new IntArrayList();
        for (Stripe s : stripes) {
            synchronized (s) {
                for (int[] leaf : s.leaves.values()) {
                    for (int i = 0; i < LEAF_PAGES; i++) {
                        if (leaf[i] != 0) {
                            frames.add(leaf[i] - 1);
                        }
                    }
                }
                leafCount.addAndGet(-s.leaves.size());
                s.leaves.clear();
            }
        }
        release(frames);
        return frames.size();
    }
}
