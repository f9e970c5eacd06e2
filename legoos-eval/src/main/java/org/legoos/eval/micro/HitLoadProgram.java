package org.legoos.eval.micro;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.function.LongSupplier;
import org.legoos.api.AddressSpace;
import org.legoos.api.LegoContext;
import org.legoos.api.LegoProgram;

/**
 * The cost of a hit ({@value #NAME}): 8-byte loads of a working set that is wholly resident, through the process's
 * {@link AddressSpace} against the same loads of a plain off-heap {@link MemorySegment} of this JVM. In thread mode a
 * hit is a software ExCache hit (the figure {@code ExCacheHitBench} measures under JMH); in process mode it is a
 * hardware load of the task's own mapping, and the target is 1.0x a plain segment for {@link AddressSpace#segment}
 * loads and at most 1.5x for {@link AddressSpace#getLong}.
 *
 * <p>Usage: {@code hitload [workingSetBytes] [rounds] [warmUpMillis]} (defaults {@code 1MiB}, {@value #DEFAULT_ROUNDS},
 * {@value #DEFAULT_WARM_UP_MILLIS}; sizes like {@code 64KiB}). The working set must fit the processor's ExCache (the
 * driver makes it 64 times larger), else the loads measured are not all hits.
 * <ol>
 * <li><b>Set up.</b> Maps the working set and stores a value into every 8-byte word of it, so every page is resident
 *     and dirty from then on; allocates a plain segment of the same size in this JVM ({@link Arena}) with the same
 *     values; and draws a random permutation of the word offsets (fixed seed).</li>
 * <li><b>Variants.</b> {@code plain} (the Arena segment), {@code getLong} ({@code ctx.memory().getLong}) and
 *     {@code segment} ({@code ctx.memory().segment(base, bytes)}, fetched once, as a library would hold it), each in
 *     {@code seq} (address order) and {@code rand} (the permutation) order. Each is one small static method summing
 *     the loaded values; the sum is checked against the expected one after every pass, so the JIT cannot drop the
 *     loads. {@code segment} is {@code n/a} in thread mode, where {@link AddressSpace#segment} is unsupported.</li>
 * <li><b>Warm-up.</b> Each variant runs full passes until it has run {@value #MIN_WARM_UP_PASSES} passes and
 *     {@code warmUpMillis} ms (enough for C2 to compile each loop method on its own).</li>
 * <li><b>Timed.</b> {@code rounds} rounds; in each, every variant in turn runs one untimed pass (its data is then
 *     the most recently used in the CPU caches, as in a JMH loop) and one timed pass. Variants interleave so that a
 *     noisy neighbour hurts them alike.</li>
 * </ol>
 *
 * <p>Output, one line each, {@code key=value} tokens (a {@code reason=} token, if any, is last and runs to the end
 * of the line):
 * <pre>
 * hitload mode=process modeFrom=segment() workingSet=1048576 loads=131072 rounds=15 warmUpMillis=1000 space=TaskAddressSpace
 * hit variant=plain order=seq ns=0.310 min=0.290 max=0.400 rounds=15 loads=131072 mode=process sum=...
 * hit variant=segment order=rand ns=n/a mode=thread reason=...
 * hit ratios mode=process getLong/plain.seq=1.02 getLong/plain.rand=1.10 segment/plain.seq=1.00 segment/plain.rand=1.01
 * </pre>
 * {@code ns} is the median over the timed rounds of a pass's time divided by its loads, {@code min} and {@code max}
 * the extremes; {@code sum} (hex) is a pass's sum of the values, the same for every variant. The program cannot ask
 * which mode it runs in ({@link LegoContext} does not say); it infers it from whether {@link AddressSpace#segment} is
 * supported, which the API documents as the difference, and says so ({@code modeFrom=segment()}).
 *
 * <p>Exits 0, or 2 if a pass's sum was not the expected one. Checks {@link LegoContext#killed()} between passes.
 */
public final class HitLoadProgram implements LegoProgram {
    /** The name the micro-benchmark drivers register this program under. */
    public static final String NAME = "hitload";
    static final String USAGE = "hitload [workingSetBytes] [rounds] [warmUpMillis]";
    static final long DEFAULT_WORKING_SET = 1L << 20;
    static final int DEFAULT_ROUNDS = 15;
    static final long DEFAULT_WARM_UP_MILLIS = 1000;
    static final int MIN_WARM_UP_PASSES = 30;
    /** Offsets of the random order are ints. */
    static final long MAX_WORKING_SET = 1L << 30;
    /** The variants in output order. */
    static final List<String> VARIANTS = List.of("plain", "getLong", "segment");
    static final List<String> ORDERS = List.of("seq", "rand");
    /** The layout {@code TaskAddressSpace} loads with (native order, little-endian in process mode). */
    private static final ValueLayout.OfLong LONG = ValueLayout.JAVA_LONG_UNALIGNED;
    private static final long MIX = 0x9E3779B97F4A7C15L;

    /** Needed by the program loader. */
    public HitLoadProgram() {
    }

    /** The value stored in word {@code w}. */
    static long valueOf(long word) {
        return (word + 1) * MIX;
    }

    // ---- the measured loops: one small method each, so each is compiled (and profiled) on its own ----

    static long plainSeq(MemorySegment s, long bytes) {
        long sum = 0;
        for (long off = 0; off < bytes; off += 8) {
            sum += s.get(LONG, off);
        }
        return sum;
    }

    static long plainRand(MemorySegment s, int[] offsets) {
        long sum = 0;
        for (int i = 0; i < offsets.length; i++) {
            sum += s.get(LONG, offsets[i]);
        }
        return sum;
    }

    static long getLongSeq(AddressSpace mem, long base, long bytes) {
        long sum = 0;
        long end = base + bytes;
        for (long va = base; va < end; va += 8) {
            sum += mem.getLong(va);
        }
        return sum;
    }

    static long getLongRand(AddressSpace mem, long base, int[] offsets) {
        long sum = 0;
        for (int i = 0; i < offsets.length; i++) {
            sum += mem.getLong(base + offsets[i]);
        }
        return sum;
    }

    static long segmentSeq(MemorySegment s, long bytes) {
        long sum = 0;
        for (long off = 0; off < bytes; off += 8) {
            sum += s.get(LONG, off);
        }
        return sum;
    }

    static long segmentRand(MemorySegment s, int[] offsets) {
        long sum = 0;
        for (int i = 0; i < offsets.length; i++) {
            sum += s.get(LONG, offsets[i]);
        }
        return sum;
    }

    /** One variant in one order: a full pass, or why it cannot run. */
    private record Variant(String name, String order, LongSupplier pass, String unsupported) {
    }

    /** A measured variant: ns per load of each timed round. */
    private record Result(Variant v, double[] nsPerLoad) {
        double median() {
            double[] s = nsPerLoad.clone();
            Arrays.sort(s);
            int n = s.length;
            return n % 2 == 1 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
        }

        double min() {
            return Arrays.stream(nsPerLoad).min().orElse(Double.NaN);
        }

        double max() {
            return Arrays.stream(nsPerLoad).max().orElse(Double.NaN);
        }
    }

    @Override
    public int main(LegoContext ctx, String[] args) throws Exception {
        long bytes = args.length > 0 ? MicroText.size(args, 0, "workingSetBytes", USAGE) : DEFAULT_WORKING_SET;
        int rounds = args.length > 1 ? (int) MicroText.number(args, 1, "rounds", 1, 100_000, USAGE) : DEFAULT_ROUNDS;
        long warmUpMillis = args.length > 2 ? MicroText.number(args, 2, "warmUpMillis", 0, 600_000, USAGE) : DEFAULT_WARM_UP_MILLIS;
        if (bytes < AddressSpace.PAGE_SIZE || bytes % AddressSpace.PAGE_SIZE != 0 || bytes > MAX_WORKING_SET) {
            throw new IllegalArgumentException("workingSetBytes must be a multiple of 4096 in [4096, " + MAX_WORKING_SET + "], got " + bytes);
        }
        int loads = (int) (bytes / 8);
        AddressSpace mem = ctx.memory();

        // 1. the working set: every word stored, so every page is resident and dirty; the expected sum
        long base = mem.mmap(bytes);
        long expected = 0;
        for (int w = 0; w < loads; w++) {
            mem.putLong(base + 8L * w, valueOf(w));
            expected += valueOf(w);
        }
        String unsupported = null;
        MemorySegment spaceSegment = null;
        try {
            spaceSegment = mem.segment(base, bytes);
        } catch (UnsupportedOperationException e) {
            unsupported = String.valueOf(e.getMessage());
        }
        String mode = unsupported == null ? "process" : "thread";
        int[] offsets = permutation(loads, new SplittableRandom(42));

        try (Arena arena = Arena.ofConfined()) {
            MemorySegment plain = arena.allocate(bytes, AddressSpace.PAGE_SIZE);
            for (int w = 0; w < loads; w++) {
                plain.set(LONG, 8L * w, valueOf(w));
            }
            MemorySegment seg = spaceSegment;
            List<Variant> variants = new ArrayList<>();
            variants.add(new Variant("plain", "seq", () -> plainSeq(plain, bytes), null));
            variants.add(new Variant("plain", "rand", () -> plainRand(plain, offsets), null));
            variants.add(new Variant("getLong", "seq", () -> getLongSeq(mem, base, bytes), null));
            variants.add(new Variant("getLong", "rand", () -> getLongRand(mem, base, offsets), null));
            variants.add(new Variant("segment", "seq", seg == null ? null : () -> segmentSeq(seg, bytes), unsupported));
            variants.add(new Variant("segment", "rand", seg == null ? null : () -> segmentRand(seg, offsets), unsupported));

            ctx.out().printf(Locale.ROOT, "hitload mode=%s modeFrom=segment() workingSet=%d loads=%d rounds=%d warmUpMillis=%d space=%s%n",
                    mode, bytes, loads, rounds, warmUpMillis, mem.getClass().getSimpleName());
            ctx.out().flush();

            // 2. warm-up, each variant on its own
            for (Variant v : variants) {
                if (v.pass() == null) {
                    continue;
                }
                long until = System.nanoTime() + warmUpMillis * 1_000_000L;
                for (int i = 0; i < MIN_WARM_UP_PASSES || System.nanoTime() < until; i++) {
                    if (!check(v, v.pass().getAsLong(), expected, ctx)) {
                        return 2;
                    }
                    if (ctx.killed()) {
                        return 1;
                    }
                }
            }

            // 3. timed rounds, variants interleaved; an untimed pass before each timed one
            List<Result> results = new ArrayList<>();
            for (Variant v : variants) {
                results.add(new Result(v, new double[rounds]));
            }
            for (int r = 0; r < rounds; r++) {
                for (Result res : results) {
                    LongSupplier pass = res.v().pass();
                    if (pass == null) {
                        continue;
                    }
                    long warm = pass.getAsLong();
                    long t0 = System.nanoTime();
                    long sum = pass.getAsLong();
                    long nanos = System.nanoTime() - t0;
                    if (!check(res.v(), warm, expected, ctx) || !check(res.v(), sum, expected, ctx)) {
                        return 2;
                    }
                    res.nsPerLoad()[r] = (double) nanos / loads;
                }
                if (ctx.killed()) {
                    return 1;
                }
            }

            // 4. report
            for (Result res : results) {
                Variant v = res.v();
                if (v.pass() == null) {
                    ctx.out().printf(Locale.ROOT, "hit variant=%s order=%s ns=n/a mode=%s reason=%s%n", v.name(), v.order(), mode,
                            v.unsupported());
                } else {
                    ctx.out().printf(Locale.ROOT, "hit variant=%s order=%s ns=%.3f min=%.3f max=%.3f rounds=%d loads=%d mode=%s sum=%s%n",
                            v.name(), v.order(), res.median(), res.min(), res.max(), rounds, loads, mode, Long.toHexString(expected));
                }
            }
            StringBuilder ratios = new StringBuilder("hit ratios mode=" + mode);
            for (String variant : List.of("getLong", "segment")) {
                for (String order : ORDERS) {
                    Result num = find(results, variant, order);
                    Result den = find(results, "plain", order);
                    ratios.append(' ').append(variant).append("/plain.").append(order).append('=')
                            .append(num.v().pass() == null ? "n/a" : String.format(Locale.ROOT, "%.2f", num.median() / den.median()));
                }
            }
            ctx.out().println(ratios);
            ctx.out().flush();
        }
        mem.munmap(base, bytes);
        return 0;
    }

    private static Result find(List<Result> results, String variant, String order) {
        return results.stream().filter(r -> r.v().name().equals(variant) && r.v().order().equals(order)).findFirst().orElseThrow();
    }

    private static boolean check(Variant v, long sum, long expected, LegoContext ctx) {
        if (sum != expected) {
            ctx.err().printf(Locale.ROOT, "hitload: variant %s %s summed %x, expected %x%n", v.name(), v.order(), sum, expected);
            ctx.err().flush();
            return false;
        }
        return true;
    }

    /** The byte offsets of {@code words} words in a random order, each once (Fisher-Yates). */
    static int[] permutation(int words, SplittableRandom random) {
        int[] p = new int[words];
        for (int i = 0; i < words; i++) {
            p[i] = 8 * i;
        }
        for (int i = words - 1; i > 0; i--) {
            int j = random.nextInt(i + 1);
            int t = p[i];
            p[i] = p[j];
            p[j] = t;
        }
        return p;
    }
}
