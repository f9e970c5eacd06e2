package org.legoos.processor.excache;

/**
 * Random eviction: a pseudo-random way of the set. Each set has its own SplitMix64 stream derived from the seed,
 * so the choice sequence of a set is reproducible regardless of how threads interleave across sets.
 * Threading: see {@link EvictionPolicy}.
 */
public final class RandomEviction implements EvictionPolicy {
    private final int ways;
    private final long[] state; // per set

    public RandomEviction(int sets, int ways, long seed) {
        this.ways = ways;
        this.state = new long[sets];
        for (int set = 0; set < sets; set++) {
            state[set] = mix(seed + 0x9E3779B97F4A7C15L * (set + 1));
        }
    }

    @Override
    public int victim(int set, byte[] referenced) {
        long s = state[set] + 0x9E3779B97F4A7C15L;
        state[set] = s;
        return (int) Math.floorMod(mix(s), (long) ways);
    }

    @Override
    public void installed(int set, int way) {
    }

    private static long mix(long z) {
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }
}
