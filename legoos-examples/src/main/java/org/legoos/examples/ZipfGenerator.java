package org.legoos.examples;

/**
 * Zipf-distributed ranks over {@code [0, items)}, rank 0 the most popular, using the closed-form method of
 * Gray et al., "Quickly Generating Billion-Record Synthetic Databases" (SIGMOD'94), as YCSB's
 * {@code ZipfianGenerator} does. {@link #scrambledRank} spreads the popular ranks over the key space like
 * YCSB's {@code ScrambledZipfianGenerator} (FNV hash of the rank, modulo {@code items}).
 *
 * <p>The generator is a pure function of a uniform number {@code u} in [0, 1), so callers control the
 * random stream (the examples derive {@code u} from a seed and an operation index, which makes workloads
 * independent of thread scheduling). Immutable and thread-safe.
 *
 * <p>{@code theta} is the skew in [0, 1): 0 is uniform, YCSB's default is 0.99. The zeta constant is
 * summed exactly for the first 2^20 terms and with the Euler-Maclaurin formula beyond, so construction
 * is fast even for billions of items.
 */
public final class ZipfGenerator {
    private static final long EXACT_TERMS = 1L << 20;

    private final long items;
    private final double theta;
    private final double alpha;
    private final double zetan;
    private final double eta;
    private final double half; // 1 + 0.5^theta

    public ZipfGenerator(long items, double theta) {
        if (items < 1) {
            throw new IllegalArgumentException("items must be >= 1, got " + items);
        }
        if (!(theta >= 0 && theta < 1)) {
            throw new IllegalArgumentException("theta must be in [0, 1), got " + theta);
        }
        this.items = items;
        this.theta = theta;
        this.alpha = 1.0 / (1.0 - theta);
        this.zetan = zeta(items, theta);
        double zeta2 = zeta(2, theta);
        this.half = 1.0 + Math.pow(0.5, theta);
        this.eta = items > 2 ? (1.0 - Math.pow(2.0 / items, 1.0 - theta)) / (1.0 - zeta2 / zetan) : 0;
    }

    public long items() {
        return items;
    }

    public double theta() {
        return theta;
    }

    /** The rank for uniform {@code u} in [0, 1): 0 with probability 1/zeta(n), and so on down the ranks. */
    public long rank(double u) {
        double uz = u * zetan;
        if (uz < 1.0) {
            return 0;
        }
        if (uz < half) {
            return Math.min(1, items - 1);
        }
        long r = (long) (items * Math.pow(eta * u - eta + 1.0, alpha));
        return r < 0 ? 0 : Math.min(r, items - 1);
    }

    /** {@link #rank} scrambled over [0, items) by an FNV-1a hash, so popular items are not clustered. */
    public long scrambledRank(double u) {
        return Long.remainderUnsigned(fnv64(rank(u)), items);
    }

    /** The generalised harmonic number {@code sum_{i=1..n} i^-theta}. */
    static double zeta(long n, double theta) {
        long exact = Math.min(n, EXACT_TERMS);
        double sum = 0;
        for (long i = exact; i >= 1; i--) { // small terms first for accuracy
            sum += Math.pow(i, -theta);
        }
        if (n > exact) {
            // sum_{i=m+1..n} f(i) ~ int_m^n f + (f(n) - f(m))/2 + (f'(n) - f'(m))/12, f(x) = x^-theta
            double m = exact;
            double nn = n;
            double integral = theta == 1.0 ? Math.log(nn / m)
                    : (Math.pow(nn, 1 - theta) - Math.pow(m, 1 - theta)) / (1 - theta);
            double ends = (Math.pow(nn, -theta) - Math.pow(m, -theta)) / 2;
            double slopes = (-theta * Math.pow(nn, -theta - 1) + theta * Math.pow(m, -theta - 1)) / 12;
            sum += integral + ends + slopes;
        }
        return sum;
    }

    private static long fnv64(long v) {
        long h = 0xCBF29CE484222325L;
        for (int i = 0; i < 8; i++) {
            h = (h ^ (v & 0xFF)) * 0x100000001B3L;
            v >>>= 8;
        }
        return h;
    }
}
