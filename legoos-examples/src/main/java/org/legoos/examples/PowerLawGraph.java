package org.legoos.examples;

import java.math.BigInteger;
import java.util.Arrays;

/**
 * A deterministic directed power-law multigraph in the style of Chung and Lu ("Connected components in
 * random graphs with given expected degree sequences", 2002), generated <em>per destination</em> so that the
 * in-edge lists of a CSR can be produced in parallel, in any order, without a global random stream: every
 * value is a pure function of {@code (seed, vertex, edge index)}. The PageRank workload ({@link PageRank}
 * and its plain twin {@link PageRankPlain}) builds its graph from here.
 *
 * <p><b>Model.</b> Vertices are {@code [0, V)}. Two seeded permutations of the vertices give every vertex an
 * in-rank and an out-rank (rank 0 the heaviest), so hubs are spread over the id space rather than clustered
 * at low ids. With the continuous power law {@code F_s(x) = ((x + 1)^(1 - s) - 1) / ((V + 1)^(1 - s) - 1)} on
 * {@code [0, V]}:
 * <ul>
 *   <li>the in-degree of a vertex of in-rank {@code r} is {@code min(MAX_IN_DEGREE, floor(w + u))}, where
 *       {@code w = V * D * (F_a(r + 1) - F_a(r))} (the weights telescope to {@code V * D}) with skew
 *       {@code a = }{@link #IN_SKEW}, and {@code u} in [0, 1) is a per-vertex dither, so the expected
 *       in-degree is {@code w} and the average in-degree is about {@code D};</li>
 *   <li>the source of in-edge {@code j} of vertex {@code v} is the vertex of out-rank
 *       {@code floor(F_b^-1(u_vj))} with skew {@code b = }{@link #OUT_SKEW}, i.e. sources are drawn
 *       independently with probability proportional to that power law, so out-degrees are heavy-tailed too
 *       and vertices of high out-rank may get no out-edge at all (dangling vertices).</li>
 * </ul>
 * Degree tails then fall as power laws of exponent about {@code 1 + 1/a} (2.3) for in-degrees and
 * {@code 1 + 1/b} (2.7) for out-degrees, close to the 2.1 and 2.7 measured on the web graph (Broder et al.,
 * "Graph structure in the web", 2000). Parallel edges and self-loops may occur (it is a multigraph); the
 * number of edges {@code E} is the sum of the in-degrees, about {@code V * D}. In-degrees are capped at
 * {@link #MAX_IN_DEGREE} so one vertex's in-list always fits in a program's bounded local scratch; with the
 * default degree only the handful of heaviest vertices of graphs beyond a million vertices hit the cap.
 *
 * <p>The arithmetic is exactly specified (IEEE operations, {@code sqrt}, {@link StrictMath#pow} once at
 * construction), so the graph is bit-identical on every JVM and platform.
 *
 * <p>Immutable and thread-safe.
 */
public final class PowerLawGraph {
    /**
     * The in-degree skew {@code a}: in-degree tail exponent about {@code 1 + 1/a}. It is 3/4 so that
     * {@code x^(1 - a)} is two square roots (exact and fast).
     */
    public static final double IN_SKEW = 0.75;
    /**
     * The source-popularity skew {@code b}: out-degree tail exponent about {@code 1 + 1/b}. It is 3/5 so that
     * the inverse {@code y^(1 / (1 - b)) = y^2 * sqrt(y)} needs no {@code pow} per edge.
     */
    public static final double OUT_SKEW = 0.6;
    /** The largest in-degree of any vertex (an in-list of this many {@code int}s is 128 KiB). */
    public static final int MAX_IN_DEGREE = 1 << 15;
    /** The largest supported number of vertices (vertex ids are {@code int}s). */
    public static final long MAX_VERTICES = 1L << 30;
    /** The largest supported average degree. */
    public static final int MAX_DEGREE = 1 << 12;

    private static final long IN_SALT = 0x1B873593L;
    private static final long OUT_SALT = 0xCC9E2D51L;
    private static final long DITHER_SALT = 0x85EBCA6BL;
    private static final long EDGE_SALT = 0xC2B2AE35L;

    private final int vertices;
    private final int degree;
    private final long seed;
    private final Permutation inPerm;
    private final Permutation outPerm;
    private final double inNorm;      // V * D / ((V + 1)^(1 - a) - 1)
    private final double outSpan;     // (V + 1)^(1 - b) - 1
    private final long ditherSeed;
    private final long edgeSeed;

    /**
     * @param vertices {@code V}, in [1, {@link #MAX_VERTICES}]
     * @param degree   the average degree {@code D}, in [1, {@link #MAX_DEGREE}]
     * @param seed     any value; equal arguments give the identical graph
     */
    public PowerLawGraph(long vertices, int degree, long seed) {
        if (vertices < 1 || vertices > MAX_VERTICES) {
            throw new IllegalArgumentException("vertices must be in [1, " + MAX_VERTICES + "], got " + vertices);
        }
        if (degree < 1 || degree > MAX_DEGREE) {
            throw new IllegalArgumentException("degree must be in [1, " + MAX_DEGREE + "], got " + degree);
        }
        this.vertices = (int) vertices;
        this.degree = degree;
        this.seed = seed;
        long s = Mix.fmix64(seed);
        this.inPerm = new Permutation(this.vertices, Mix.fmix64(s ^ IN_SALT));
        this.outPerm = new Permutation(this.vertices, Mix.fmix64(s ^ OUT_SALT));
        this.ditherSeed = Mix.fmix64(s ^ DITHER_SALT);
        this.edgeSeed = Mix.fmix64(s ^ EDGE_SALT);
        this.inNorm = (double) vertices * degree / (inPower(vertices + 1.0) - 1.0);
        this.outSpan = StrictMath.pow(vertices + 1.0, 1.0 - OUT_SKEW) - 1.0;
    }

    public int vertices() {
        return vertices;
    }

    public int degree() {
        return degree;
    }

    public long seed() {
        return seed;
    }

    /** The in-degree of vertex {@code v}: the length of its in-edge list. */
    public int inDegree(int v) {
        long r = inPerm.rankOf(checkVertex(v));
        double w = inNorm * (inPower(r + 2.0) - inPower(r + 1.0));
        double u = Mix.unit(Mix.splitmix(ditherSeed + v * Mix.GOLDEN));
        return (int) Math.min(MAX_IN_DEGREE, (long) (w + u));
    }

    /** The source of the {@code j}-th sampled in-edge of {@code v} (before sorting), for {@code j} in [0, inDegree(v)). */
    public int sampledSource(int v, int j) {
        checkVertex(v);
        if (j < 0) {
            throw new IllegalArgumentException("negative edge index " + j);
        }
        long stream = Mix.fmix64(edgeSeed ^ (v * Mix.GOLDEN));
        return sourceAt(stream, j);
    }

    private int sourceAt(long stream, int j) {
        double u = Mix.unit(Mix.splitmix(stream + (j + 1L) * Mix.GOLDEN));
        double y = 1.0 + u * outSpan;
        long r = (long) (y * y * Math.sqrt(y) - 1.0); // y^(1 / (1 - OUT_SKEW)) - 1
        if (r >= vertices) {
            r = vertices - 1;
        } else if (r < 0) {
            r = 0;
        }
        return outPerm.vertexAt(r);
    }

    /**
     * Writes the sources of {@code v}'s in-edges, sorted ascending (duplicates kept), to
     * {@code dst[offset..offset + inDegree(v))} and returns their number.
     *
     * @throws IndexOutOfBoundsException if {@code dst} has no room for them
     */
    public int inEdges(int v, int[] dst, int offset) {
        int n = inDegree(v);
        java.util.Objects.checkFromIndexSize(offset, n, dst.length);
        long stream = Mix.fmix64(edgeSeed ^ (v * Mix.GOLDEN));
        for (int j = 0; j < n; j++) {
            dst[offset + j] = sourceAt(stream, j);
        }
        Arrays.sort(dst, offset, offset + n);
        return n;
    }

    /** {@code x^(1 - IN_SKEW)}, i.e. the fourth root. */
    private static double inPower(double x) {
        return Math.sqrt(Math.sqrt(x));
    }

    private int checkVertex(int v) {
        if (v < 0 || v >= vertices) {
            throw new IndexOutOfBoundsException("vertex " + v + " not in [0, " + vertices + ")");
        }
        return v;
    }

    /** The bijection {@code rank -> (rank * mult + add) mod V} on [0, V), with its inverse. */
    private static final class Permutation {
        private final long n;
        private final long mult;
        private final long add;
        private final long inverse;

        Permutation(int n, long h) {
            this.n = n;
            long m = Long.remainderUnsigned(h, n) | 1;
            while (n > 1 && BigInteger.valueOf(m).gcd(BigInteger.valueOf(n)).intValueExact() != 1) {
                m = (m + 2) % n;
            }
            this.mult = n == 1 ? 0 : m;
            this.add = Long.remainderUnsigned(Mix.splitmix(h), n);
            this.inverse = n == 1 ? 0 : BigInteger.valueOf(mult).modInverse(BigInteger.valueOf(n)).longValueExact();
        }

        int vertexAt(long rank) {
            return (int) ((rank * mult + add) % n);
        }

        long rankOf(int vertex) {
            long d = vertex - add;
            if (d < 0) {
                d += n;
            }
            return d * inverse % n;
        }
    }
}
