package org.legoos.processor.excache;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.Timeout.ThreadMode;
import org.legoos.processor.excache.ExCacheConfig.Policy;
import org.legoos.processor.excache.SingleThreadModel.Op;

/**
 * Property: any sequence of single-threaded loads, stores, bulk copies, flushes and invalidations on a tiny
 * ExCache equals the same sequence on a plain byte[]. 200 seeded tries, each a random policy, geometry and list of
 * up to 120 ops; the seed ({@code -Dlegoos.seed}, else the clock) is printed at the start and is in any failure
 * together with the try, the inputs and the shortest prefix of the ops that still fails, so the run can be replayed.
 */
class ExCacheModelPropertyTest {
    private static final int DATA = SingleThreadModel.DATA;
    private static final int TRIES = 200;
    private static final int MAX_OPS = 120;
    private static final long[] EDGE_LONGS = {0, 1, -1, Long.MIN_VALUE, Long.MAX_VALUE, 0xFFFF_FFFFL};

    @Test
    @Timeout(value = 60, threadMode = ThreadMode.SEPARATE_THREAD)
    void anySingleThreadedOpSequenceEqualsAPlainByteArray() {
        long seed = Long.getLong("legoos.seed", System.nanoTime());
        System.out.println("ExCacheModelPropertyTest.anySingleThreadedOpSequenceEqualsAPlainByteArray seed=" + seed
                + " (rerun with -Dlegoos.seed=" + seed + ")");
        SplittableRandom master = new SplittableRandom(seed);
        for (int i = 1; i <= TRIES; i++) {
            SplittableRandom random = master.split();
            List<Op> ops = ops(random);
            Policy policy = Policy.values()[random.nextInt(Policy.values().length)];
            int geometry = random.nextInt(SingleThreadModel.GEOMETRIES.length);
            try {
                SingleThreadModel.check(ops, policy, geometry);
            } catch (Throwable t) {
                throw new AssertionError("failed at try " + i + " of " + TRIES + " [seed=" + seed
                        + ", rerun with -Dlegoos.seed=" + seed + "]\n  policy = " + policy + ", geometry = " + geometry
                        + "\n  ops (" + ops.size() + ") = " + ops + "\n  " + shortestFailingPrefix(ops, policy, geometry)
                        + "\n  failure: " + t, t);
            }
        }
    }

    /** The ops up to and including the first one after which the model check fails (the check is deterministic). */
    private static String shortestFailingPrefix(List<Op> ops, Policy policy, int geometry) {
        for (int n = 0; n <= ops.size(); n++) {
            try {
                SingleThreadModel.check(ops.subList(0, n), policy, geometry);
            } catch (Throwable t) {
                return "shortest failing prefix (" + n + " ops) = " + ops.subList(0, n) + "\n  which fails with " + t;
            }
        }
        return "no prefix fails when rerun alone";
    }

    /**
     * 0 to 120 ops, drawn with weights PutLong 2, GetLong 3 and 1 for each other kind; single values often
     * straddle a page boundary, bulk reads and writes span up to 3 pages, flushes and invalidations any range.
     */
    private static List<Op> ops(SplittableRandom random) {
        int count = switch (random.nextInt(10)) {
            case 0 -> 0;
            case 1 -> MAX_OPS;
            default -> random.nextInt(MAX_OPS + 1);
        };
        List<Op> ops = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            ops.add(op(random));
        }
        return ops;
    }

    private static Op op(SplittableRandom random) {
        int kind = random.nextInt(14);
        return switch (kind) {
            case 0, 1 -> new SingleThreadModel.PutLong(offset(random, 8), anyLong(random));
            case 2, 3, 4 -> new SingleThreadModel.GetLong(offset(random, 8));
            case 5 -> new SingleThreadModel.PutInt(offset(random, 4), (int) anyLong(random));
            case 6 -> new SingleThreadModel.GetInt(offset(random, 4));
            case 7 -> new SingleThreadModel.PutByte(offset(random, 1), (byte) random.nextInt());
            case 8 -> new SingleThreadModel.GetByte(offset(random, 1));
            case 9, 10 -> {
                int off = random.nextInt(DATA);
                int len = length(random, Math.min(DATA - off, 3 * 4096));
                yield kind == 9 ? new SingleThreadModel.Write(off, len, (byte) random.nextInt())
                        : new SingleThreadModel.Read(off, len);
            }
            case 11, 12 -> {
                int off = random.nextInt(DATA);
                int len = length(random, DATA - off);
                yield kind == 11 ? new SingleThreadModel.Flush(off, len)
                        : new SingleThreadModel.InvalidateWithWriteBack(off, len);
            }
            default -> new SingleThreadModel.InvalidateAllWithWriteBack();
        };
    }

    /** Offsets for values of {@code size} bytes: half anywhere, half at or straddling a page boundary. */
    private static int offset(SplittableRandom random, int size) {
        if (random.nextBoolean()) {
            return random.nextInt(DATA - size + 1);
        }
        int page = 1 + random.nextInt(SingleThreadModel.PAGES - 1);
        return page * 4096 - random.nextInt(size + 1);
    }

    /** A length in [0, max], the ends more often than uniform. */
    private static int length(SplittableRandom random, int max) {
        return switch (random.nextInt(10)) {
            case 0 -> 0;
            case 1 -> max;
            default -> random.nextInt(max + 1);
        };
    }

    private static long anyLong(SplittableRandom random) {
        return random.nextInt(10) == 0 ? EDGE_LONGS[random.nextInt(EDGE_LONGS.length)] : random.nextLong();
    }
}
