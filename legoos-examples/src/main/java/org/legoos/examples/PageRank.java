package org.legoos.examples;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.Locale;
import java.util.Set;
import org.legoos.api.AddressSpace;
import org.legoos.api.LegoContext;
import org.legoos.api.LegoProgram;

/**
 * PageRank on a generated power-law graph ({@link PowerLawGraph}) whose CSR and rank arrays all live in
 * disaggregated memory: the graph-analytics workload of the evaluation, with a plain-Java twin in
 * {@link PageRankPlain} that runs the same algorithm on heap arrays.
 *
 * <pre>pagerank [--vertices V] [--degree D] [--iterations K] [--seed S] [--threads T] [--verbose]</pre>
 *
 * <p><b>Layout in disaggregated memory.</b> The in-edge CSR: {@code offsets} ({@code V + 1} longs) and
 * {@code sources} ({@code E} ints, each vertex's in-list sorted), the out-degree of every vertex ({@code V}
 * ints), three {@code V}-double arrays (current rank, next rank, and contribution
 * {@code rank[u] / outdeg[u]}), and one double and one long per block of {@link #BLOCK} vertices. About
 * {@code 36 V + 4 E} bytes; 200 MiB for {@code V = 2^21}, {@code D = 16}.
 *
 * <p><b>Phases.</b> Threads take contiguous ranges of whole {@link #BLOCK}-vertex blocks.
 * <ol>
 *   <li>Count: the edges of every block (sum of in-degrees); the main thread turns them into block start
 *       offsets.</li>
 *   <li>Fill: each thread generates the sorted in-lists of its vertices into a local buffer and writes them
 *       and the offsets with bulk writes.</li>
 *   <li>Out-degrees: thread {@code t} owns a contiguous range of source vertices, streams all of
 *       {@code sources} and increments the out-degree of each of its own (a read and a write of one int
 *       in disaggregated memory per edge; no two threads write the same counter).</li>
 *   <li>{@code K} iterations (default 10) of pull-based PageRank with damping {@value #DAMPING}: a streaming
 *       pass computes {@code contrib[u] = rank[u] / outdeg[u]} (0 for a dangling vertex) and the dangling
 *       rank of each block; the main thread sums the block sums in block order; then a pull pass streams
 *       offsets and sources in bulk and, for each vertex in CSR order, sums {@code contrib[u]} over its
 *       in-edges, one random {@code getDouble} per edge (the nature of the workload), and writes
 *       {@code next[v] = (1 - d) / V + d * dangling / V + d * sum} back in bulk.</li>
 *   <li>Result: per-block rank sums (summed in block order), the vertex of largest rank (the smallest id
 *       among equals), and a checksum that adds {@code fmix64(bits(rank[v]) ^ v * golden)} over all
 *       vertices.</li>
 * </ol>
 * <p><b>In place where memory is real.</b> Where the address space hands out segments ({@link AddressSpace#hasSegments},
 * process mode), the hot phases (out-degrees, contributions, the pull pass) work on {@code MemorySegment} views of the
 * arrays in place, as the twin works on its heap arrays: every access a hardware load or store, no copies. Elsewhere
 * (thread mode, where every access is a software call) they move blocks between disaggregated memory and local
 * buffers with bulk reads and writes. Both paths do the same floating-point operations in the same order.
 *
 * <p>Local scratch is at most 160 KiB of buffers per thread (the fill pass's in-list buffer of
 * {@link PowerLawGraph#MAX_IN_DEGREE} ints and one block of offsets), whatever the graph size (see
 * {@link org.legoos.examples.workload.Workload#MAX_LOCAL_SCRATCH_BYTES}).
 *
 * <p><b>Determinism.</b> Every floating-point sum has a fixed order that depends neither on the thread count
 * nor on scheduling (per-vertex sums in CSR order, reductions over fixed blocks in block order), so the
 * result line is bit-identical for every {@code --threads} and equal to the line of {@link PageRankPlain}.
 *
 * <p>Output: exactly one stdout line,
 * {@code result vertices=V edges=E iterations=K sum=<%.9f> top=<vertex> checksum=<16 hex digits>}; with
 * {@code --verbose}, phase timings on stderr. Exit code 0, 2 on bad arguments, 130 if killed.
 */
public final class PageRank implements LegoProgram {
    /** The damping factor {@code d}. */
    public static final double DAMPING = 0.85;
    /** The default number of iterations. */
    public static final int DEFAULT_ITERATIONS = 10;
    /** The default average degree. */
    public static final int DEFAULT_DEGREE = 16;
    /** Vertices per block: the unit of work splitting and of the fixed-order reductions. */
    static final int BLOCK = 4096;
    /** Source ids per bulk read of the CSR. */
    static final int EDGE_CHUNK = 16 * 1024;
    static final int MAX_ITERATIONS = 100_000;
    static final int MAX_THREADS = 1024;
    private static final ValueLayout.OfInt INT = ValueLayout.JAVA_INT.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfLong LONG = ValueLayout.JAVA_LONG.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfDouble DOUBLE = ValueLayout.JAVA_DOUBLE.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final String USAGE =
            "usage: pagerank [--vertices V] [--degree D] [--iterations K] [--seed S] [--threads T] [--verbose]";

    /** Parsed arguments. */
    record Config(long vertices, int degree, int iterations, long seed, int threads, boolean verbose) {
    }

    /** Parses {@code argv}; throws {@link IllegalArgumentException} with a message naming the bad option. */
    static Config parse(String[] argv, int defaultThreads) {
        Args a = Args.parse(argv, Set.of("verbose"));
        if (!a.positional().isEmpty()) {
            throw new IllegalArgumentException("unexpected argument " + a.positional().get(0));
        }
        long vertices = a.longValue("vertices", 1 << 17, 1, PowerLawGraph.MAX_VERTICES);
        int degree = a.intValue("degree", DEFAULT_DEGREE, 1, PowerLawGraph.MAX_DEGREE);
        int iterations = a.intValue("iterations", DEFAULT_ITERATIONS, 0, MAX_ITERATIONS);
        long seed = a.longValue("seed", 1, Long.MIN_VALUE, Long.MAX_VALUE);
        int threads = a.intValue("threads", Math.max(1, defaultThreads), 1, MAX_THREADS);
        boolean verbose = a.flag("verbose");
        a.finish();
        return new Config(vertices, degree, iterations, seed, threads, verbose);
    }

    @Override
    public int main(LegoContext ctx, String[] argv) throws Exception {
        Config c;
        try {
            c = parse(argv, ctx.cores());
        } catch (IllegalArgumentException e) {
            ctx.err().println("pagerank: " + e.getMessage());
            ctx.err().println(USAGE);
            return 2;
        }
        return new Run(ctx, c).run();
    }

    // ---- arithmetic shared with PageRankPlain: the same operations in the same order ----

    /** Number of {@link #BLOCK}-vertex blocks. */
    static int blocks(long vertices) {
        return (int) ((vertices + BLOCK - 1) / BLOCK);
    }

    /** What vertex {@code u} passes along each out-edge: its rank over its out-degree, 0 when dangling. */
    static double contribution(double rank, int outDegree) {
        return outDegree == 0 ? 0.0 : rank / outDegree;
    }

    /** The part of every vertex's new rank that does not come from in-edges: teleport plus spread dangling rank. */
    static double base(double dangling, long vertices) {
        return (1.0 - DAMPING) / vertices + DAMPING * (dangling / vertices);
    }

    /** A vertex's new rank from {@link #base} and the sum of its in-neighbours' contributions. */
    static double next(double base, double inSum) {
        return base + DAMPING * inSum;
    }

    /** One vertex's term of the (order-independent) checksum. */
    static long checksumTerm(int v, double rank) {
        return Mix.fmix64(Double.doubleToRawLongBits(rank) ^ (v * Mix.GOLDEN));
    }

    /** The result line shared with the twin. */
    static String resultLine(long vertices, long edges, int iterations, double sum, int top, long checksum) {
        return String.format(Locale.ROOT, "result vertices=%d edges=%d iterations=%d sum=%.9f top=%d checksum=%016x",
                vertices, edges, iterations, sum, top, checksum);
    }

    /** One run: the arrays in disaggregated memory and the phases over them. Used by the main thread. */
    private static final class Run {
        private final LegoContext ctx;
        private final AddressSpace memory;
        private final Config c;
        private final PowerLawGraph graph;
        private final int v;
        private final int nb;
        private final int threads;
        /** Whether the hot phases work on segment views in place (process mode) rather than on bulk copies. */
        private final boolean inPlace;
        private long offsets;      // V + 1 longs
        private long sources;      // E ints
        private long outDegrees;   // V ints
        private long rank;         // V doubles
        private long nextRank;     // V doubles
        private long contrib;      // V doubles
        private long blockSums;    // nb doubles
        private long blockEdges;   // nb longs
        private long edges;

        Run(LegoContext ctx, Config c) {
            this.ctx = ctx;
            this.memory = ctx.memory();
            this.c = c;
            this.graph = new PowerLawGraph(c.vertices(), c.degree(), c.seed());
            this.v = (int) c.vertices();
            this.nb = blocks(v);
            this.threads = c.threads();
            this.inPlace = memory.hasSegments();
        }

        /** A segment view of the {@code n}-element array of {@code elementBytes}-byte elements at {@code va}. */
        private MemorySegment view(long va, long n, int elementBytes) {
            return memory.segment(va, n * elementBytes);
        }

        private long map(long bytes) {
            return memory.mmap(Math.max(bytes, 1));
        }

        private void unmap(long addr, long bytes) {
            if (addr != 0) {
                memory.munmap(addr, Math.max(bytes, 1));
            }
        }

        /** First block of thread {@code t}'s range. */
        private int firstBlock(int t) {
            return (int) Workers.split(nb, t, threads);
        }

        int run() throws Exception {
            try {
                long t0 = System.nanoTime();
                offsets = map(8L * (v + 1));
                outDegrees = map(4L * v);
                rank = map(8L * v);
                nextRank = map(8L * v);
                contrib = map(8L * v);
                blockSums = map(8L * nb);
                blockEdges = map(8L * nb);
                Workers.run(ctx, "pagerank-count", threads, this::countBlocks);
                edges = prefixBlockEdges();
                sources = map(4L * edges);
                Workers.run(ctx, "pagerank-fill", threads, this::fill);
                if (ctx.killed()) {
                    return 130;
                }
                long t1 = System.nanoTime();
                Workers.run(ctx, "pagerank-outdeg", threads, inPlace ? this::countOutDegreesInPlace : this::countOutDegrees);
                Workers.run(ctx, "pagerank-init", threads, this::initRanks);
                long t2 = System.nanoTime();
                for (int it = 0; it < c.iterations(); it++) {
                    if (ctx.killed()) {
                        return 130;
                    }
                    Workers.run(ctx, "pagerank-contrib", threads, inPlace ? this::contributeInPlace : this::contribute);
                    double b = base(sumBlocks(), v);
                    Workers.run(ctx, "pagerank-pull", threads, inPlace ? t -> pullInPlace(t, b) : t -> pull(t, b));
                    long tmp = rank;
                    rank = nextRank;
                    nextRank = tmp;
                }
                if (ctx.killed()) {
                    return 130;
                }
                long t3 = System.nanoTime();
                long[] checksums = new long[threads];
                int[] tops = new int[threads];
                double[] topRanks = new double[threads];
                Workers.run(ctx, "pagerank-result", threads, t -> summarise(t, checksums, tops, topRanks));
                double sum = sumBlocks();
                long checksum = 0;
                int top = -1;
                double topRank = Double.NEGATIVE_INFINITY;
                for (int t = 0; t < threads; t++) {
                    checksum += checksums[t];
                    if (tops[t] >= 0 && topRanks[t] > topRank) {
                        topRank = topRanks[t];
                        top = tops[t];
                    }
                }
                long t4 = System.nanoTime();
                ctx.out().println(resultLine(v, edges, c.iterations(), sum, top, checksum));
                ctx.out().flush();
                if (c.verbose()) {
                    ctx.err().printf(Locale.ROOT, "pagerank: vertices=%d edges=%d threads=%d build-ms=%.1f "
                                    + "outdeg-ms=%.1f iterate-ms=%.1f result-ms=%.1f ms-per-iteration=%.1f%n",
                            v, edges, threads, (t1 - t0) / 1e6, (t2 - t1) / 1e6, (t3 - t2) / 1e6, (t4 - t3) / 1e6,
                            c.iterations() == 0 ? 0.0 : (t3 - t2) / 1e6 / c.iterations());
                }
                return 0;
            } finally {
                unmap(offsets, 8L * (v + 1));
                unmap(sources, 4L * edges);
                unmap(outDegrees, 4L * v);
                unmap(rank, 8L * v);
                unmap(nextRank, 8L * v);
                unmap(contrib, 8L * v);
                unmap(blockSums, 8L * nb);
                unmap(blockEdges, 8L * nb);
            }
        }

        /** Phase 1: the number of in-edges of every block of thread {@code t}. */
        private void countBlocks(int t) {
            for (int b = firstBlock(t), end = firstBlock(t + 1); b < end; b++) {
                long count = 0;
                for (int u = b * BLOCK, last = Math.min(v, u + BLOCK); u < last; u++) {
                    count += graph.inDegree(u);
                }
                memory.putLong(blockEdges + 8L * b, count);
            }
        }

        /** Turns block edge counts into block start offsets (in place) and returns the total. */
        private long prefixBlockEdges() {
            long[] buf = new long[BLOCK];
            long total = 0;
            for (int b0 = 0; b0 < nb; b0 += BLOCK) {
                int n = Math.min(BLOCK, nb - b0);
                memory.readLongs(blockEdges + 8L * b0, buf, 0, n);
                for (int i = 0; i < n; i++) {
                    long count = buf[i];
                    buf[i] = total;
                    total += count;
                }
                memory.writeLongs(blockEdges + 8L * b0, buf, 0, n);
            }
            return total;
        }

        /** Phase 2: offsets and sorted in-lists of thread {@code t}'s blocks, in bulk writes. */
        private void fill(int t) {
            long[] offs = new long[BLOCK + 1];
            int[] out = new int[PowerLawGraph.MAX_IN_DEGREE];
            for (int b = firstBlock(t), end = firstBlock(t + 1); b < end; b++) {
                if (ctx.killed()) {
                    return;
                }
                int u0 = b * BLOCK;
                int n = Math.min(BLOCK, v - u0);
                long e = memory.getLong(blockEdges + 8L * b);
                long flushedTo = e; // edges [flushedTo, e) are in out[0, e - flushedTo)
                for (int i = 0; i < n; i++) {
                    offs[i] = e;
                    int d = graph.inDegree(u0 + i);
                    if (e - flushedTo + d > out.length) {
                        memory.writeInts(sources + 4 * flushedTo, out, 0, (int) (e - flushedTo));
                        flushedTo = e;
                    }
                    graph.inEdges(u0 + i, out, (int) (e - flushedTo));
                    e += d;
                }
                if (e > flushedTo) {
                    memory.writeInts(sources + 4 * flushedTo, out, 0, (int) (e - flushedTo));
                }
                offs[n] = e;
                boolean lastBlock = b == nb - 1;
                memory.writeLongs(offsets + 8L * u0, offs, 0, lastBlock ? n + 1 : n);
            }
        }

        /** Phase 3: thread {@code t} counts the out-edges of the sources in its own vertex range. */
        private void countOutDegrees(int t) {
            int lo = (int) Workers.split(v, t, threads);
            int hi = (int) Workers.split(v, t + 1, threads);
            if (lo == hi) {
                return;
            }
            int[] buf = new int[EDGE_CHUNK];
            for (long e = 0; e < edges; e += EDGE_CHUNK) {
                if ((e & ((1L << 24) - 1)) == 0 && ctx.killed()) {
                    return;
                }
                int n = (int) Math.min(EDGE_CHUNK, edges - e);
                memory.readInts(sources + 4 * e, buf, 0, n);
                for (int i = 0; i < n; i++) {
                    int u = buf[i];
                    if (u >= lo && u < hi) {
                        long at = outDegrees + 4L * u;
                        memory.putInt(at, memory.getInt(at) + 1);
                    }
                }
            }
        }

        /** {@link #countOutDegrees} on segment views: reads {@code sources} and updates the counters in place. */
        private void countOutDegreesInPlace(int t) {
            int lo = (int) Workers.split(v, t, threads);
            int hi = (int) Workers.split(v, t + 1, threads);
            if (lo == hi) {
                return;
            }
            MemorySegment src = view(sources, edges, 4);
            MemorySegment deg = view(outDegrees, v, 4);
            for (long e0 = 0; e0 < edges; e0 += 1L << 24) {
                if (ctx.killed()) {
                    return;
                }
                for (long e = e0, end = Math.min(edges, e0 + (1L << 24)); e < end; e++) {
                    int u = src.getAtIndex(INT, e);
                    if (u >= lo && u < hi) {
                        deg.setAtIndex(INT, u, deg.getAtIndex(INT, u) + 1);
                    }
                }
            }
        }

        /** Sets the ranks of thread {@code t}'s blocks to {@code 1 / V}. */
        private void initRanks(int t) {
            double[] buf = new double[BLOCK];
            java.util.Arrays.fill(buf, 1.0 / v);
            for (int b = firstBlock(t), end = firstBlock(t + 1); b < end; b++) {
                int u0 = b * BLOCK;
                memory.writeDoubles(rank + 8L * u0, buf, 0, Math.min(BLOCK, v - u0));
            }
        }

        /** Contribution pass over thread {@code t}'s blocks; each block's dangling rank goes to {@code blockSums}. */
        private void contribute(int t) {
            double[] r = new double[BLOCK];
            int[] deg = new int[BLOCK];
            for (int b = firstBlock(t), end = firstBlock(t + 1); b < end; b++) {
                int u0 = b * BLOCK;
                int n = Math.min(BLOCK, v - u0);
                memory.readDoubles(rank + 8L * u0, r, 0, n);
                memory.readInts(outDegrees + 4L * u0, deg, 0, n);
                double dangling = 0;
                for (int i = 0; i < n; i++) {
                    if (deg[i] == 0) {
                        dangling += r[i];
                    }
                    r[i] = contribution(r[i], deg[i]);
                }
                memory.writeDoubles(contrib + 8L * u0, r, 0, n);
                memory.putDouble(blockSums + 8L * b, dangling);
            }
        }

        /** {@link #contribute} on segment views, in place. */
        private void contributeInPlace(int t) {
            MemorySegment r = view(rank, v, 8);
            MemorySegment deg = view(outDegrees, v, 4);
            MemorySegment out = view(contrib, v, 8);
            MemorySegment sums = view(blockSums, nb, 8);
            for (int b = firstBlock(t), end = firstBlock(t + 1); b < end; b++) {
                double dangling = 0;
                for (int u = b * BLOCK, last = Math.min(v, u + BLOCK); u < last; u++) {
                    double ru = r.getAtIndex(DOUBLE, u);
                    int du = deg.getAtIndex(INT, u);
                    if (du == 0) {
                        dangling += ru;
                    }
                    out.setAtIndex(DOUBLE, u, contribution(ru, du));
                }
                sums.setAtIndex(DOUBLE, b, dangling);
            }
        }

        /** The sum of {@code blockSums} in block order. */
        private double sumBlocks() {
            double[] buf = new double[BLOCK];
            double sum = 0;
            for (int b0 = 0; b0 < nb; b0 += BLOCK) {
                int n = Math.min(BLOCK, nb - b0);
                memory.readDoubles(blockSums + 8L * b0, buf, 0, n);
                for (int i = 0; i < n; i++) {
                    sum += buf[i];
                }
            }
            return sum;
        }

        /** Pull pass over thread {@code t}'s blocks: streams the CSR, gathers contributions, writes next ranks. */
        private void pull(int t, double base) {
            int b0 = firstBlock(t);
            int b1 = firstBlock(t + 1);
            if (b0 == b1) {
                return;
            }
            long[] offs = new long[BLOCK + 1];
            int[] src = new int[EDGE_CHUNK];
            double[] out = new double[BLOCK];
            long rangeEnd = memory.getLong(offsets + 8L * Math.min(v, b1 * BLOCK));
            long chunkStart = 0;
            long chunkEnd = 0; // src[0, chunkEnd - chunkStart) holds sources[chunkStart, chunkEnd)
            long contribBase = contrib;
            AddressSpace mem = memory; // a local: the JIT need not reload the field after each access
            for (int b = b0; b < b1; b++) {
                if (ctx.killed()) {
                    return;
                }
                int u0 = b * BLOCK;
                int n = Math.min(BLOCK, v - u0);
                memory.readLongs(offsets + 8L * u0, offs, 0, n + 1);
                long e = offs[0];
                for (int i = 0; i < n; i++) {
                    long end = offs[i + 1];
                    double sum = 0;
                    while (e < end) {
                        if (e >= chunkEnd) {
                            int len = (int) Math.min(EDGE_CHUNK, rangeEnd - e);
                            memory.readInts(sources + 4 * e, src, 0, len);
                            chunkStart = e;
                            chunkEnd = e + len;
                        }
                        int k = (int) (e - chunkStart);
                        int lim = (int) (Math.min(end, chunkEnd) - chunkStart);
                        for (; k < lim; k++) {
                            sum += mem.getDouble(contribBase + ((long) src[k] << 3));
                        }
                        e = chunkStart + lim;
                    }
                    out[i] = next(base, sum);
                }
                memory.writeDoubles(nextRank + 8L * u0, out, 0, n);
            }
        }

        /** {@link #pull} on segment views: the CSR and the contributions read in place, the next ranks written in place. */
        private void pullInPlace(int t, double base) {
            MemorySegment off = view(offsets, v + 1L, 8);
            MemorySegment src = view(sources, edges, 4);
            MemorySegment con = view(contrib, v, 8);
            MemorySegment next = view(nextRank, v, 8);
            for (int b = firstBlock(t), end = firstBlock(t + 1); b < end; b++) {
                if (ctx.killed()) {
                    return;
                }
                for (int u = b * BLOCK, last = Math.min(v, u + BLOCK); u < last; u++) {
                    double sum = 0;
                    for (long e = off.getAtIndex(LONG, u), stop = off.getAtIndex(LONG, u + 1L); e < stop; e++) {
                        sum += con.getAtIndex(DOUBLE, src.getAtIndex(INT, e));
                    }
                    next.setAtIndex(DOUBLE, u, next(base, sum));
                }
            }
        }

        /** Rank sum per block (to {@code blockSums}), and checksum and top vertex of thread {@code t}'s range. */
        private void summarise(int t, long[] checksums, int[] tops, double[] topRanks) {
            double[] r = new double[BLOCK];
            long checksum = 0;
            int top = -1;
            double topRank = Double.NEGATIVE_INFINITY;
            for (int b = firstBlock(t), end = firstBlock(t + 1); b < end; b++) {
                int u0 = b * BLOCK;
                int n = Math.min(BLOCK, v - u0);
                memory.readDoubles(rank + 8L * u0, r, 0, n);
                double sum = 0;
                for (int i = 0; i < n; i++) {
                    sum += r[i];
                    checksum += checksumTerm(u0 + i, r[i]);
                    if (r[i] > topRank) {
                        topRank = r[i];
                        top = u0 + i;
                    }
                }
                memory.putDouble(blockSums + 8L * b, sum);
            }
            checksums[t] = checksum;
            tops[t] = top;
            topRanks[t] = topRank;
        }
    }
}
