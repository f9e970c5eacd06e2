package org.legoos.net;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.function.Supplier;

/**
 * Seeded random inputs for one try of a property-style test (see {@link Tries}): every value is drawn from one
 * {@link SplittableRandom}, so the same seed gives the same inputs. Besides uniform values the generators
 * favour the values bugs hide behind: 0, &plusmn;1, MIN/MAX, range ends, empty and full sizes.
 *
 * <p>The inputs a test names with {@link #given} are printed when the try fails. Not thread-safe: one
 * {@code Gen} per try, used by the thread running it.
 */
public final class Gen {
    private static final int[] EDGE_INTS = {0, 1, -1, 2, Integer.MIN_VALUE, Integer.MAX_VALUE,
            Integer.MIN_VALUE + 1, Integer.MAX_VALUE - 1};
    private static final long[] EDGE_LONGS = {0, 1, -1, 2, Long.MIN_VALUE, Long.MAX_VALUE, Long.MIN_VALUE + 1,
            Long.MAX_VALUE - 1, Integer.MIN_VALUE, Integer.MAX_VALUE, 0xFFFF_FFFFL};
    private static final double[] EDGE_DOUBLES = {0.0, -0.0, 1.0, -1.0, Double.MIN_VALUE, -Double.MIN_VALUE,
            Double.MAX_VALUE, -Double.MAX_VALUE, Double.MIN_NORMAL, Double.NaN, Double.POSITIVE_INFINITY,
            Double.NEGATIVE_INFINITY};
    /** The longest rendering of one input in a failure message. */
    private static final int MAX_SHOWN = 4000;

    private final SplittableRandom random;
    private final List<String> given = new ArrayList<>();

    public Gen(SplittableRandom random) {
        this.random = random;
    }

    /** The underlying generator, for shapes not covered here. */
    public SplittableRandom random() {
        return random;
    }

    /** Records {@code value} as the input {@code name} of this try (printed if the try fails) and returns it. */
    public <T> T given(String name, T value) {
        given.add(name + " = " + show(value));
        return value;
    }

    /** The inputs named with {@link #given}, one per line. */
    public String givenInputs() {
        return given.isEmpty() ? "  (no inputs named)" : "  " + String.join("\n  ", given);
    }

    /** True with probability {@code 1/n}. */
    public boolean oneIn(int n) {
        return random.nextInt(n) == 0;
    }

    public boolean anyBoolean() {
        return random.nextBoolean();
    }

    /** Any int: a tenth edge values, a quarter small (|v| &le; 256), the rest uniform. */
    public int anyInt() {
        int p = random.nextInt(20);
        if (p < 2) {
            return EDGE_INTS[random.nextInt(EDGE_INTS.length)];
        }
        return p < 7 ? random.nextInt(-256, 257) : random.nextInt();
    }

    /** Any long: a tenth edge values, a quarter small (|v| &le; 256), the rest uniform. */
    public long anyLong() {
        int p = random.nextInt(20);
        if (p < 2) {
            return EDGE_LONGS[random.nextInt(EDGE_LONGS.length)];
        }
        return p < 7 ? random.nextLong(-256, 257) : random.nextLong();
    }

    public short anyShort() {
        return (short) (oneIn(10) ? new short[] {0, 1, -1, Short.MIN_VALUE, Short.MAX_VALUE}[random.nextInt(5)]
                : random.nextInt());
    }

    public byte anyByte() {
        return (byte) random.nextInt(256);
    }

    /** Any double: edge values (signed zeros, extremes, NaN, infinities), small ones, and any finite bit pattern. */
    public double anyDouble() {
        int p = random.nextInt(10);
        if (p < 2) {
            return EDGE_DOUBLES[random.nextInt(EDGE_DOUBLES.length)];
        }
        if (p < 5) {
            return random.nextDouble(-1000, 1000);
        }
        double d;
        do {
            d = Double.longBitsToDouble(random.nextLong());
        } while (!Double.isFinite(d));
        return d;
    }

    /** An int in {@code [min, max]}; each end with probability 1/16, else uniform. */
    public int between(int min, int max) {
        if (min > max) {
            throw new IllegalArgumentException("empty range [" + min + ", " + max + "]");
        }
        return switch (random.nextInt(16)) {
            case 0 -> min;
            case 1 -> max;
            default -> (int) random.nextLong(min, (long) max + 1);
        };
    }

    /** A size in {@code [min, max]}: the ends a tenth of the time each, else uniform. */
    public int size(int min, int max) {
        if (min > max) {
            throw new IllegalArgumentException("empty size range [" + min + ", " + max + "]");
        }
        return switch (random.nextInt(10)) {
            case 0 -> min;
            case 1 -> max;
            default -> random.nextInt(min, max + 1);
        };
    }

    /** Bytes of any value, {@code minSize} to {@code maxSize} of them. */
    public byte[] bytes(int minSize, int maxSize) {
        byte[] b = new byte[size(minSize, maxSize)];
        random.nextBytes(b);
        if (oneIn(8) && b.length > 0) {
            Arrays.fill(b, oneIn(2) ? 0 : (byte) 0xFF); // runs of zeros or ones, as lengths and counts are
        }
        return b;
    }

    public int[] ints(int maxSize) {
        int[] a = new int[size(0, maxSize)];
        for (int i = 0; i < a.length; i++) {
            a[i] = anyInt();
        }
        return a;
    }

    public long[] longs(int maxSize) {
        long[] a = new long[size(0, maxSize)];
        for (int i = 0; i < a.length; i++) {
            a[i] = anyLong();
        }
        return a;
    }

    /** A mutable list of {@code minSize} to {@code maxSize} elements drawn from {@code element}. */
    public <T> List<T> list(int minSize, int maxSize, Supplier<? extends T> element) {
        int n = size(minSize, maxSize);
        List<T> l = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            l.add(element.get());
        }
        return l;
    }

    /** One of the values, uniformly. */
    @SafeVarargs
    public final <T> T oneOf(T... values) {
        return values[random.nextInt(values.length)];
    }

    /** An index {@code i} drawn with probability {@code weights[i] / sum(weights)}. */
    public int weighted(int... weights) {
        int total = Arrays.stream(weights).sum();
        int x = random.nextInt(total);
        for (int i = 0; i < weights.length; i++) {
            x -= weights[i];
            if (x < 0) {
                return i;
            }
        }
        throw new AssertionError("unreachable");
    }

    /** A readable rendering of an input: arrays and buffers by content, long renderings cut. */
    public static String show(Object o) {
        String s = switch (o) {
            case null -> "null";
            case byte[] x -> "byte[" + x.length + "] " + Arrays.toString(x);
            case int[] x -> "int[" + x.length + "] " + Arrays.toString(x);
            case long[] x -> "long[" + x.length + "] " + Arrays.toString(x);
            case ByteBuffer x -> {
                byte[] b = new byte[x.remaining()];
                x.duplicate().get(b);
                yield (x.isDirect() ? "direct" : "heap") + Arrays.toString(b);
            }
            case String x -> '"' + x.codePoints().mapToObj(cp -> cp < 0x20 || cp > 0x7E
                    ? String.format("\\u{%X}", cp) : Character.toString(cp)).reduce("", String::concat) + '"';
            case List<?> x -> x.stream().map(Gen::show).toList().toString();
            default -> String.valueOf(o);
        };
        return s.length() > MAX_SHOWN ? s.substring(0, MAX_SHOWN) + "... (" + s.length() + " chars)" : s;
    }
}
