package org.legoos.node.config;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.SplittableRandom;
import java.util.function.LongConsumer;
import java.util.function.ToLongFunction;
import org.legoos.api.Sizes;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.Timeout.ThreadMode;

/**
 * Round trips of the unit formats over seeded random values: uniform ones, small ones, range ends, and exact
 * multiples of every unit (the values the formats shorten). The seed ({@code -Dlegoos.seed}, else the clock) is
 * printed at the start and is in any failure with the failing value, so the run can be replayed.
 */
class UnitTextPropertyTest {
    private static final long MAX_BYTES = Long.MAX_VALUE / 2;
    private static final long MAX_MICROS = 1_000_000_000_000L;
    private static final long[] MICRO_UNITS = {1_000L, 1_000_000L, 60_000_000L, 3_600_000_000L};

    @Test
    @Timeout(value = 10, threadMode = ThreadMode.SEPARATE_THREAD)
    void sizeFormatThenParseIsIdentity() {
        forAll("sizeFormatThenParseIsIdentity", 300, r -> {
            int shift = 10 * r.nextInt(1, 7); // KiB to EiB
            return value(r, MAX_BYTES, r.nextLong(1, (MAX_BYTES >> shift) + 1) << shift);
        }, bytes -> assertThat(Sizes.parse(Sizes.format(bytes))).isEqualTo(bytes));
    }

    @Test
    @Timeout(value = 10, threadMode = ThreadMode.SEPARATE_THREAD)
    void durationFormatThenParseIsIdentity() {
        forAll("durationFormatThenParseIsIdentity", 200,
                r -> {
                    long unit = MICRO_UNITS[r.nextInt(MICRO_UNITS.length)]; // ms, s, m, h
                    return value(r, MAX_MICROS, r.nextLong(1, MAX_MICROS / unit + 1) * unit);
                },
                micros -> {
                    Duration d = Duration.ofNanos(micros * 1000);
                    assertThat(DurationText.parse(DurationText.format(d))).isEqualTo(d);
                });
    }

    /** A value in [0, max]: a tenth near the range ends, 3/10 {@code multiple}, 2/10 small, the rest uniform. */
    private static long value(SplittableRandom r, long max, long multiple) {
        return switch (r.nextInt(10)) {
            case 0 -> r.nextBoolean() ? r.nextLong(3) : max - r.nextLong(3);
            case 1, 2, 3 -> multiple;
            case 4, 5 -> r.nextLong(1 << 20);
            default -> r.nextLong(max + 1);
        };
    }

    private static void forAll(String name, int tries, ToLongFunction<SplittableRandom> gen, LongConsumer property) {
        long seed = Long.getLong("legoos.seed", System.nanoTime());
        System.out.println("UnitTextPropertyTest." + name + " seed=" + seed + " (rerun with -Dlegoos.seed=" + seed + ")");
        SplittableRandom r = new SplittableRandom(seed);
        for (int i = 1; i <= tries; i++) {
            long v = gen.applyAsLong(r);
            try {
                property.accept(v);
            } catch (Throwable t) {
                throw new AssertionError(name + " failed at try " + i + " of " + tries + " [seed=" + seed
                        + ", rerun with -Dlegoos.seed=" + seed + "] on " + v + ": " + t, t);
            }
        }
    }
}
