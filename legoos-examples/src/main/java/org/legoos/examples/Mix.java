package org.legoos.examples;

/**
 * Deterministic 64-bit mixing functions shared by the examples: SplitMix64 for reproducible pseudo-random
 * streams (identical on every JVM, unlike {@code java.util.Random} subclasses that may change), and a
 * byte-string hash for the word-count tables. Stateless and thread-safe.
 */
final class Mix {
    /** The SplitMix64 / golden-ratio increment. */
    static final long GOLDEN = 0x9E3779B97F4A7C15L;

    private Mix() {
    }

    /** MurmurHash3's 64-bit finaliser: a bijection on longs with good avalanche. */
    static long fmix64(long z) {
        z = (z ^ (z >>> 33)) * 0xFF51AFD7ED558CCDL;
        z = (z ^ (z >>> 33)) * 0xC4CEB9FE1A85EC53L;
        return z ^ (z >>> 33);
    }

    /** The SplitMix64 output for state {@code x} (call with {@code state += GOLDEN} to step a stream). */
    static long splitmix(long x) {
        long z = x;
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }

    /** A uniform double in [0, 1) from the top 53 bits of {@code r}. */
    static double unit(long r) {
        return (r >>> 11) * 0x1.0p-53;
    }

    /** FNV-1a over {@code b[off..off+len)}, finalised with {@link #fmix64} so the low bits are usable as a table index. */
    static long hashBytes(byte[] b, int off, int len) {
        long h = 0xCBF29CE484222325L;
        for (int i = off, end = off + len; i < end; i++) {
            h = (h ^ (b[i] & 0xFF)) * 0x100000001B3L;
        }
        return fmix64(h ^ len);
    }
}
