package org.legoos.processor.excache;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;

import org.legoos.processor.excache.ExCacheConfig.Policy;

/**
 * The single-threaded reference model: a plain {@code byte[]} of 8 pages. A sequence of {@link Op}s applied to a
 * tiny ExCache (2 to 4 lines, so nearly every op misses or evicts) and to the array must give the same loads,
 * the same final contents, and the same bytes on the memory components after write-back. Used by the seeded
 * tests {@link ExCacheModelPropertyTest} and {@link ExCacheModelTest}.
 */
final class SingleThreadModel {
    static final int PAGES = 8;
    static final int DATA = PAGES * 4096;
    static final long BASE = 0x7000_0000L;
    static final int ASID = 5;

    /** Cache geometries: {capacity in lines, ways}. */
    static final int[][] GEOMETRIES = {{2, 1}, {2, 2}, {4, 2}, {4, 1}};

    sealed interface Op {
        /** Applies the op to the cache and the model; loads must agree. */
        void apply(ExCache cache, byte[] model);
    }

    record PutLong(int offset, long value) implements Op {
        public void apply(ExCache cache, byte[] model) {
            cache.putLong(ASID, BASE + offset, value);
            store(model, offset, value, 8);
        }
    }

    record GetLong(int offset) implements Op {
        public void apply(ExCache cache, byte[] model) {
            assertThat(cache.getLong(ASID, BASE + offset)).as(toString()).isEqualTo(load(model, offset, 8));
        }
    }

    record PutInt(int offset, int value) implements Op {
        public void apply(ExCache cache, byte[] model) {
            cache.putInt(ASID, BASE + offset, value);
            store(model, offset, value, 4);
        }
    }

    record GetInt(int offset) implements Op {
        public void apply(ExCache cache, byte[] model) {
            assertThat(cache.getInt(ASID, BASE + offset)).as(toString()).isEqualTo((int) load(model, offset, 4));
        }
    }

    record PutByte(int offset, byte value) implements Op {
        public void apply(ExCache cache, byte[] model) {
            cache.putByte(ASID, BASE + offset, value);
            model[offset] = value;
        }
    }

    record GetByte(int offset) implements Op {
        public void apply(ExCache cache, byte[] model) {
            assertThat(cache.getByte(ASID, BASE + offset)).as(toString()).isEqualTo(model[offset]);
        }
    }

    record Write(int offset, int length, byte fill) implements Op {
        public void apply(ExCache cache, byte[] model) {
            byte[] data = new byte[length];
            for (int i = 0; i < length; i++) {
                data[i] = (byte) (fill + i);
            }
            cache.write(ASID, BASE + offset, data, 0, length);
            System.arraycopy(data, 0, model, offset, length);
        }
    }

    record Read(int offset, int length) implements Op {
        public void apply(ExCache cache, byte[] model) {
            byte[] out = new byte[length];
            cache.read(ASID, BASE + offset, out, 0, length);
            assertThat(out).as(toString()).isEqualTo(Arrays.copyOfRange(model, offset, offset + length));
        }
    }

    record Flush(int offset, int length) implements Op {
        public void apply(ExCache cache, byte[] model) {
            cache.flushRange(ASID, BASE + offset, length);
        }
    }

    record InvalidateWithWriteBack(int offset, int length) implements Op {
        public void apply(ExCache cache, byte[] model) {
            cache.invalidateRange(ASID, BASE + offset, length, true);
        }
    }

    record InvalidateAllWithWriteBack() implements Op {
        public void apply(ExCache cache, byte[] model) {
            cache.invalidateAll(ASID, true);
        }
    }

    private SingleThreadModel() {
    }

    /**
     * Runs {@code ops} against a fresh cache and model and checks everything at the end, three times: with
     * prefetch and piggyback on (the default), with prefetch off, and with piggyback off.
     */
    static void check(List<Op> ops, Policy policy, int geometry) {
        check(ops, policy, geometry, true, true);
        check(ops, policy, geometry, false, true);
        check(ops, policy, geometry, true, false);
    }

    static void check(List<Op> ops, Policy policy, int geometry, boolean prefetch, boolean piggyback) {
        try {
            run(ops, policy, geometry, prefetch, piggyback);
        } catch (AssertionError e) {
            throw new AssertionError("with prefetch " + (prefetch ? "on" : "off") + ", piggyback "
                    + (piggyback ? "on" : "off") + ": " + e.getMessage(), e);
        }
    }

    private static void run(List<Op> ops, Policy policy, int geometry, boolean prefetch, boolean piggyback) {
        int[] g = GEOMETRIES[geometry];
        ModelBackend backend = new ModelBackend(2, 2);
        byte[] model = new byte[DATA];
        ExCacheConfig config = new ExCacheConfig(g[0] * 4096L, g[1], policy, 1).withPrefetchPages(prefetch ? 16 : 0)
                .withPiggyback(piggyback);
        try (ExCache cache = new ExCache(config, backend)) {
            for (Op op : ops) {
                op.apply(cache, model);
            }
            cache.checkInvariants();
            byte[] all = new byte[DATA];
            cache.read(ASID, BASE, all, 0, DATA);
            assertThat(all).as("contents through the cache").isEqualTo(model);
            cache.invalidateAll(ASID, true);
            assertThat(backend.bytes(ASID, BASE, DATA)).as("contents on the memory components").isEqualTo(model);
            ExCacheStats stats = cache.stats();
            assertThat(stats.misses()).isEqualTo(backend.fills.get());
            assertThat(stats.flushes()).isEqualTo(backend.writeBacks());
            assertThat(stats.piggybacks()).isEqualTo(backend.piggybacks.get());
            assertThat(stats.prefetched()).isEqualTo(backend.prefetchedPages.get());
            assertThat(backend.overlaps.get()).isZero();
            if (!piggyback) {
                assertThat(stats.piggybacks()).isZero();
            }
            if (!prefetch) {
                assertThat(backend.batches.get()).isZero();
            }
            cache.checkInvariants();
        }
    }

    /** A random op sequence: every kind of op, GetLong twice as often as the others. */
    static List<Op> randomOps(SplittableRandom random, int count) {
        List<Op> ops = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            ops.add(switch (random.nextInt(12)) {
                case 0 -> new PutLong(offset(random, 8), random.nextLong());
                case 1, 2 -> new GetLong(offset(random, 8));
                case 3 -> new PutInt(offset(random, 4), random.nextInt());
                case 4 -> new GetInt(offset(random, 4));
                case 5 -> new PutByte(offset(random, 1), (byte) random.nextInt());
                case 6 -> new GetByte(offset(random, 1));
                case 7 -> {
                    int off = random.nextInt(DATA);
                    yield new Write(off, random.nextInt(Math.min(DATA - off, 3 * 4096) + 1), (byte) random.nextInt());
                }
                case 8 -> {
                    int off = random.nextInt(DATA);
                    yield new Read(off, random.nextInt(Math.min(DATA - off, 3 * 4096) + 1));
                }
                case 9 -> {
                    int off = random.nextInt(DATA);
                    yield new Flush(off, random.nextInt(DATA - off + 1));
                }
                case 10 -> {
                    int off = random.nextInt(DATA);
                    yield new InvalidateWithWriteBack(off, random.nextInt(DATA - off + 1));
                }
                default -> new InvalidateAllWithWriteBack();
            });
        }
        return ops;
    }

    /** An offset for a value of {@code size} bytes; a third of them straddle or touch a page boundary. */
    static int offset(SplittableRandom random, int size) {
        if (random.nextInt(3) == 0) {
            int boundary = (1 + random.nextInt(PAGES - 1)) * 4096;
            return boundary - random.nextInt(size + 1);
        }
        return random.nextInt(DATA - size + 1);
    }

    static long load(byte[] model, int offset, int size) {
        long v = 0;
        for (int i = 0; i < size; i++) {
            v |= (model[offset + i] & 0xFFL) << (8 * i);
        }
        return v;
    }

    static void store(byte[] model, int offset, long v, int size) {
        for (int i = 0; i < size; i++) {
            model[offset + i] = (byte) (v >>> (8 * i));
        }
    }
}
