package org.legoos.node.asmc;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Generates random address-space programs for {@link AsCheckProgram}: per thread a list of steps over 8 slots
 * (mappings the thread holds), mixing VM calls (good and bad arguments, across vRegion and so memory-component
 * boundaries) with loads and stores of every width and bulk copies. The generator tracks the slots' lengths
 * as if every call succeeded; the steps resolve their addresses when they run, so that is only a guide.
 */
final class AsGenerator {
    static final int PAGE = AsCheckProgram.PAGE;
    static final int SLOTS = 8;

    /** What to generate. */
    record Features(boolean mprotect, boolean protNone, boolean readOnly, boolean spawn, boolean badArguments,
                    java.util.Set<String> excludedSteps) {
        /**
         * Everything, minus what {@code -Dlegoos.asmc.exclude=readOnly,protNone,...} names (to look past a known
         * divergence for others).
         */
        static Features all() {
            return excluding(java.util.Set.of());
        }

        /** Everything but {@code excluded} and what {@code -Dlegoos.asmc.exclude} names. */
        static Features excluding(java.util.Set<String> excluded) {
            java.util.Set<String> ex = new java.util.HashSet<>(excluded);
            ex.addAll(java.util.Set.of(System.getProperty("legoos.asmc.exclude", "").split(",")));
            return new Features(AsCheckProgram.MPROTECT != null && !ex.contains("mprotect"), !ex.contains("protNone"),
                    !ex.contains("readOnly"), !ex.contains("spawn"), !ex.contains("badArguments"), ex);
        }
    }

    private final SplittableRandom rnd;
    private final long vregion;
    private final Features features;
    private final int threads;

    // per-thread generation state
    private final long[] len = new long[SLOTS];
    private final boolean[] bound = new boolean[SLOTS];
    private long brkOff;
    private int thread;

    AsGenerator(long seed, long vregionBytes, int threads, Features features) {
        this.rnd = new SplittableRandom(seed);
        this.vregion = vregionBytes;
        this.threads = threads;
        this.features = features;
    }

    /** The steps of every thread. */
    List<List<AsOp>> program(int opsPerThread) {
        List<List<AsOp>> out = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            thread = t;
            java.util.Arrays.fill(bound, false);
            brkOff = 0;
            List<AsOp> ops = new ArrayList<>();
            // start with a few mappings so accesses have somewhere to go
            for (int i = 0; i < 3; i++) {
                ops.add(mmap());
            }
            while (ops.size() < opsPerThread) {
                if (t == 0 && features.spawn() && ops.size() == opsPerThread / 2) {
                    ops.add(AsOp.of("spawn")); // at least one child per program, once the parent has pages
                }
                ops.add(next());
            }
            out.add(ops);
        }
        return out;
    }

    private boolean chance(double p) {
        return rnd.nextDouble() < p;
    }

    private int between(int lo, int hiInclusive) {
        return rnd.nextInt(lo, hiInclusive + 1);
    }

    private int boundSlot() {
        int n = 0;
        for (boolean b : bound) {
            n += b ? 1 : 0;
        }
        if (n == 0) {
            return -1;
        }
        int k = rnd.nextInt(n);
        for (int s = 0; s < SLOTS; s++) {
            if (bound[s] && k-- == 0) {
                return s;
            }
        }
        throw new AssertionError();
    }

    private AsOp next() {
        AsOp op;
        do {
            op = pick();
        } while (features.excludedSteps().contains(op.name()));
        return op;
    }

    private AsOp pick() {
        int s = boundSlot();
        if (s < 0) {
            return mmap();
        }
        int r = rnd.nextInt(100);
        if (r < 7) {
            return mmap();
        }
        if (r < 11) {
            return munmap(s);
        }
        if (r < 16) {
            return mremap(s);
        }
        if (r < 19) {
            return thread == 0 ? brk() : access(s);
        }
        if (r < 22) {
            return features.mprotect ? mprotect(s) : access(s);
        }
        if (r < 25) {
            return msync(s);
        }
        if (r < 26) {
            return AsOp.of("check");
        }
        if (r < 27 && thread == 0 && features.spawn && chance(0.15)) {
            return AsOp.of("spawn");
        }
        return access(s);
    }

    /** A mapping length: mostly a few pages, sometimes a vRegion or more, sometimes not a whole number of pages. */
    private long length() {
        int r = rnd.nextInt(100);
        long pages;
        if (r < 40) {
            pages = between(1, 4);
        } else if (r < 65) {
            pages = between(5, 20);
        } else if (r < 75) {
            pages = vregion / PAGE;
        } else if (r < 93) {
            pages = vregion / PAGE + between(-3, 3) + (long) between(0, 2) * (vregion / PAGE);
        } else {
            pages = 256;
        }
        pages = Math.max(1, pages);
        long bytes = pages * PAGE;
        if (chance(0.2)) {
            bytes -= between(0, PAGE - 1);
        }
        return bytes;
    }

    private long pageUp(long n) {
        return (n + PAGE - 1) & ~(long) (PAGE - 1);
    }

    private String zoneHint() {
        long off = (long) between(0, 31) * vregion + (long) between(0, 15) * PAGE;
        return AsOp.addr("z", off);
    }

    private AsOp mmap() {
        int slot = rnd.nextInt(SLOTS);
        long l = length();
        int prot = 3;
        int pr = rnd.nextInt(100);
        if (pr < 8 && features.readOnly) {
            prot = 1;
        } else if (pr < 12 && features.protNone) {
            prot = 0;
        } else if (pr < 14 && features.badArguments) {
            prot = chance(0.5) ? 4 : 7;
        }
        String hint;
        int h = rnd.nextInt(100);
        int other = boundSlot();
        if (h < 40) {
            hint = "0";
        } else if (h < 72) {
            hint = zoneHint();
        } else if (h < 82 && other >= 0) {
            hint = AsOp.addr("s" + other, pageUp(len[other])); // right after another mapping: merges, or blocks its growth
        } else if (h < 86 && other >= 0) {
            hint = AsOp.addr("s" + other, 0); // occupied: first fit instead
        } else if (h < 90) {
            hint = AsOp.addr("z", (long) between(0, 31) * vregion + between(1, PAGE - 1)); // unaligned: only a hint
        } else if (h < 96 && thread == 0) {
            hint = AsOp.addr("h", pageUp(brkOff) + (long) between(0, 4) * PAGE); // just above the break
        } else if (thread == 0 && chance(0.5)) {
            hint = "a+" + PAGE; // below the heap, in vRegion 0
        } else {
            hint = zoneHint();
        }
        if (features.badArguments && chance(0.02)) {
            l = chance(0.5) ? 0 : -PAGE;
        }
        if (l > 0 && prot <= 3) {
            len[slot] = pageUp(l);
            bound[slot] = true;
        }
        return AsOp.of("mmap", slot, hint, l, prot);
    }

    private AsOp munmap(int s) {
        String sl = "s" + s;
        long l = len[s];
        int r = rnd.nextInt(100);
        if (r < 35) {
            bound[s] = false;
            return AsOp.of("munmap", AsOp.addr(sl, 0), chance(0.3) ? l - between(0, PAGE - 1) : l);
        }
        if (r < 65 && l > PAGE) { // a part: head, tail or middle
            long pages = l / PAGE;
            long from = between(0, (int) pages - 1);
            long n = between(1, (int) (pages - from));
            if (from == 0 && n == pages) {
                bound[s] = false;
            }
            return AsOp.of("munmap", AsOp.addr(sl, from * PAGE), n * PAGE);
        }
        if (r < 80) { // across the area's ends (and maybe into neighbours)
            bound[s] = false;
            return AsOp.of("munmap", AsOp.addr(sl, -(long) between(0, 3) * PAGE), l + (long) between(1, 4) * PAGE);
        }
        if (r < 90 && features.badArguments) { // unaligned address or bad length: refused, nothing changes
            if (chance(0.7)) {
                return AsOp.of("munmap", AsOp.addr(sl, (long) between(0, (int) (l / PAGE) - 1) * PAGE + between(1, PAGE - 1)), PAGE);
            }
            return AsOp.of("munmap", AsOp.addr(sl, 0), chance(0.5) ? 0 : -PAGE);
        }
        // nothing mapped there (probably)
        return AsOp.of("munmap", AsOp.addr("z", (long) between(32, 40) * vregion), (long) between(1, 20) * PAGE);
    }

    private AsOp mremap(int s) {
        String sl = "s" + s;
        long l = len[s];
        long pages = Math.max(1, l / PAGE);
        boolean mayMove = chance(0.75);
        int r = rnd.nextInt(100);
        long newLen;
        if (r < 25) { // shrink
            newLen = pages > 1 ? (long) between(1, (int) pages - 1) * PAGE : PAGE;
            if (chance(0.2)) {
                newLen -= between(0, PAGE - 1);
            }
        } else if (r < 45) { // grow a little
            newLen = l + (long) between(1, 8) * PAGE;
        } else if (r < 65) { // grow across vRegion boundaries
            newLen = ((l / vregion) + between(1, 3)) * vregion + (long) between(-2, 2) * PAGE;
        } else if (r < 70) { // grow big
            newLen = 256L * PAGE;
        } else if (r < 75) { // same size
            newLen = l;
        } else if (r < 82 && pages > 1) { // a part of the area (from its middle)
            long from = between(1, (int) pages - 1);
            long n = between(1, (int) (pages - from));
            long nl = n * PAGE + (long) between(-1, 8) * PAGE;
            return AsOp.of("mremap", s, AsOp.addr(sl, from * PAGE), n * PAGE, Math.max(PAGE, nl), mayMove ? 1 : 0);
        } else if (r < 88) { // more than the area: not inside one area (unless a neighbour of the same prot)
            return AsOp.of("mremap", s, AsOp.addr(sl, 0), l + (long) between(1, 4) * PAGE, l + 16L * PAGE, mayMove ? 1 : 0);
        } else if (r < 94 && features.badArguments) {
            if (chance(0.6)) {
                return AsOp.of("mremap", s, AsOp.addr(sl, between(1, PAGE - 1)), PAGE, 2L * PAGE, 1);
            }
            return AsOp.of("mremap", s, AsOp.addr(sl, 0), chance(0.5) ? l : 0, chance(0.5) ? 0 : -PAGE, 1);
        } else {
            newLen = l + (long) between(1, 40) * PAGE;
        }
        if (newLen <= 0) {
            newLen = PAGE;
        }
        long oldLen = chance(0.15) ? l - between(0, PAGE - 1) : l;
        len[s] = pageUp(newLen);
        return AsOp.of("mremap", s, AsOp.addr(sl, 0), oldLen, newLen, mayMove ? 1 : 0);
    }

    private AsOp brk() {
        int r = rnd.nextInt(100);
        if (r < 10) {
            return AsOp.of("brk", "0");
        }
        if (r < 15 && features.badArguments) {
            return AsOp.of("brk", AsOp.addr("h", -(long) between(1, 3) * PAGE)); // below the heap start
        }
        if (r < 18) {
            return AsOp.of("brk", AsOp.addr("a", AsCheckProgram.MMAP_BASE + (long) between(1, 4) * PAGE)); // too far
        }
        if (r < 70 || brkOff == 0) {
            brkOff += between(1, (int) (2 * vregion));
        } else {
            brkOff = Math.max(0, brkOff - between(1, (int) (2 * vregion)));
        }
        return AsOp.of("brk", AsOp.addr("h", brkOff));
    }

    private AsOp mprotect(int s) {
        String sl = "s" + s;
        long l = len[s];
        long pages = Math.max(1, l / PAGE);
        int prot = switch (rnd.nextInt(10)) {
            case 0, 1, 2, 3 -> 3;
            case 4, 5, 6 -> 1;
            case 7 -> features.protNone ? 0 : 1;
            case 8 -> 2;
            default -> features.badArguments ? 8 : 3;
        };
        int r = rnd.nextInt(100);
        if (r < 40) {
            return AsOp.of("mprotect", AsOp.addr(sl, 0), l, prot);
        }
        if (r < 75) {
            long from = between(0, (int) pages - 1);
            long n = between(1, (int) (pages - from));
            return AsOp.of("mprotect", AsOp.addr(sl, from * PAGE), n * PAGE - (chance(0.2) ? between(0, PAGE - 1) : 0), prot);
        }
        if (r < 88) { // beyond the area: unmapped parts
            return AsOp.of("mprotect", AsOp.addr(sl, 0), l + (long) between(1, 3) * PAGE, prot);
        }
        if (features.badArguments) {
            return AsOp.of("mprotect", AsOp.addr(sl, chance(0.5) ? between(1, PAGE - 1) : 0), chance(0.5) ? PAGE : 0, prot);
        }
        return AsOp.of("mprotect", AsOp.addr(sl, 0), l, prot);
    }

    private AsOp msync(int s) {
        String sl = "s" + s;
        long l = len[s];
        long pages = Math.max(1, l / PAGE);
        int r = rnd.nextInt(100);
        if (r < 45) {
            return AsOp.of("msync", AsOp.addr(sl, 0), l - (chance(0.3) ? between(0, PAGE - 1) : 0));
        }
        if (r < 75) {
            long from = between(0, (int) pages - 1);
            return AsOp.of("msync", AsOp.addr(sl, from * PAGE), (long) between(1, (int) (pages - from)) * PAGE);
        }
        if (r < 88) {
            return AsOp.of("msync", AsOp.addr(sl, 0), l + (long) between(1, 3) * PAGE);
        }
        if (features.badArguments) {
            return AsOp.of("msync", AsOp.addr(sl, chance(0.5) ? between(1, PAGE - 1) : 0), chance(0.5) ? PAGE : 0);
        }
        return AsOp.of("msync", AsOp.addr(sl, 0), l);
    }

    /** An address for an access of {@code n} bytes: mostly inside slot s, often across pages, sometimes outside. */
    private String where(int s, long n) {
        long l = len[s];
        int r = rnd.nextInt(100);
        String sl = "s" + s;
        if (r < 55) {
            return AsOp.addr(sl, rnd.nextLong(Math.max(1, l - n + 1)));
        }
        if (r < 78) { // across a page boundary
            long pages = Math.max(1, l / PAGE);
            long boundary = (long) between(1, (int) Math.max(1, pages - 1)) * PAGE;
            return AsOp.addr(sl, boundary - between(1, (int) Math.max(1, Math.min(n, PAGE)) ));
        }
        if (r < 86) { // around the end of the mapping
            return AsOp.addr(sl, l - n + between(-2, 3));
        }
        if (r < 89) { // just before it
            return AsOp.addr(sl, -between(1, 8));
        }
        if (r < 95 && thread == 0 && brkOff > 0) { // the heap
            return AsOp.addr("h", rnd.nextLong(brkOff + PAGE));
        }
        return switch (rnd.nextInt(5)) { // never mapped
            case 0 -> "a+0";
            case 1 -> "a+" + between(1, PAGE - 16);
            case 2 -> AsOp.addr("a", -8);
            case 3 -> AsOp.addr("a", AsCheckProgram.TASK_SIZE - between(1, 7));
            default -> AsOp.addr("a", Long.MAX_VALUE - 3);
        };
    }

    private AsOp access(int s) {
        int r = rnd.nextInt(100);
        char[] widths = {'B', 'I', 'L', 'F', 'D'};
        if (r < 30) {
            char w = widths[rnd.nextInt(widths.length)];
            return AsOp.of("get", w, where(s, AsCheckProgram.Runner.width(w)));
        }
        if (r < 60) {
            char w = widths[rnd.nextInt(widths.length)];
            return AsOp.of("put", w, where(s, AsCheckProgram.Runner.width(w)), rnd.nextLong());
        }
        if (r < 72) {
            int n = chance(0.5) ? between(1, 64) : between(1, 3 * PAGE);
            return AsOp.of("read", where(s, n), n);
        }
        if (r < 86) {
            int n = chance(0.5) ? between(1, 64) : between(1, 3 * PAGE);
            return AsOp.of("write", where(s, n), n, rnd.nextLong());
        }
        char[] types = {'L', 'I', 'D'};
        char t = types[rnd.nextInt(types.length)];
        int size = t == 'I' ? 4 : 8;
        int count = chance(0.5) ? between(1, 16) : between(1, 3 * PAGE / size);
        if (r < 93) {
            return AsOp.of("readv", t, where(s, (long) count * size), count);
        }
        return AsOp.of("writev", t, where(s, (long) count * size), count, rnd.nextLong());
    }
}
