package org.legoos.examples;

import java.util.Arrays;

/**
 * The plain-Java twin of {@link PageRank}: the same graph ({@link PowerLawGraph}), the same phases and the same
 * floating-point operations in the same order, but on heap arrays of one JVM and plain platform threads, so
 * its result line is bit-identical to the program's. It is the baseline the evaluation compares LegoOS/J
 * against: the in-edge CSR ({@code long[] offsets}, {@code int[] sources}), {@code int[] outDegrees} and three
 * {@code double[]} rank arrays are read directly, including the random {@code contrib[u]} loads of the pull
 * pass.
 *
 * <p>Thread-safe: every call works on its own arrays.
 */
public final class PageRankPlain {
    private PageRankPlain() {
    }

    /** Runs the twin of {@code pagerank --vertices V --degree D --iterations K --seed S --threads T}. */
    public static String run(long vertices, int degree, int iterations, long seed, int threads) throws InterruptedException {
        if (iterations < 0 || iterations > PageRank.MAX_ITERATIONS) {
            throw new IllegalArgumentException("iterations must be in [0, " + PageRank.MAX_ITERATIONS + "], got " + iterations);
        }
        if (threads < 1 || threads > PageRank.MAX_THREADS) {
            throw new IllegalArgumentException("threads must be in [1, " + PageRank.MAX_THREADS + "], got " + threads);
        }
        PowerLawGraph graph = new PowerLawGraph(vertices, degree, seed);
        Csr csr = build(graph, threads);
        return rank(csr, iterations, threads);
    }

    /** An in-edge CSR with out-degrees: the in-list of {@code v} is {@code sources[offsets[v] .. offsets[v + 1])}. */
    record Csr(long[] offsets, int[] sources, int[] outDegrees) {
        int vertices() {
            return outDegrees.length;
        }
    }

    /** Builds the CSR of {@code graph} with the program's phases (count, fill, out-degrees). */
    static Csr build(PowerLawGraph graph, int threads) throws InterruptedException {
        int v = graph.vertices();
        int nb = PageRank.blocks(v);
        long[] blockStart = new long[nb];
        parallel(threads, t -> {
            for (int b = first(nb, t, threads), end = first(nb, t + 1, threads); b < end; b++) {
                long count = 0;
                for (int u = b * PageRank.BLOCK, last = Math.min(v, u + PageRank.BLOCK); u < last; u++) {
                    count += graph.inDegree(u);
                }
                blockStart[b] = count;
            }
        });
        long total = 0;
        for (int b = 0; b < nb; b++) {
            long count = blockStart[b];
            blockStart[b] = total;
            total += count;
        }
        if (total > Integer.MAX_VALUE - 16) {
            throw new IllegalArgumentException("the plain twin holds at most " + (Integer.MAX_VALUE - 16)
                    + " edges in one array; this graph has " + total);
        }
        long[] offsets = new long[v + 1];
        int[] sources = new int[(int) total];
        offsets[v] = total;
        parallel(threads, t -> {
            for (int b = first(nb, t, threads), end = first(nb, t + 1, threads); b < end; b++) {
                long e = blockStart[b];
                for (int u = b * PageRank.BLOCK, last = Math.min(v, u + PageRank.BLOCK); u < last; u++) {
                    offsets[u] = e;
                    e += graph.inEdges(u, sources, (int) e);
                }
            }
        });
        int[] outDegrees = new int[v];
        parallel(threads, t -> {
            int lo = (int) Workers.split(v, t, threads);
            int hi = (int) Workers.split(v, t + 1, threads);
            if (lo == hi) {
                return;
            }
            for (int u : sources) {
                if (u >= lo && u < hi) {
                    outDegrees[u]++;
                }
            }
        });
        return new Csr(offsets, sources, outDegrees);
    }

    /** Runs {@code iterations} PageRank iterations on {@code csr} from uniform ranks and returns the result line. */
    static String rank(Csr csr, int iterations, int threads) throws InterruptedException {
        return resultLine(csr, iterations, ranks(csr, iterations, threads), threads);
    }

    /** The ranks after {@code iterations} iterations from uniform ranks, computed with the program's arithmetic. */
    static double[] ranks(Csr csr, int iterations, int threads) throws InterruptedException {
        int v = csr.vertices();
        int nb = PageRank.blocks(v);
        long[] offsets = csr.offsets();
        int[] sources = csr.sources();
        int[] outDegrees = csr.outDegrees();
        double[] blockSums = new double[nb];
        double[] contrib = new double[v];
        double[][] r = {new double[v], new double[v]};
        Arrays.fill(r[0], 1.0 / v);
        for (int it = 0; it < iterations; it++) {
            double[] rank = r[it & 1];
            double[] next = r[(it + 1) & 1];
            parallel(threads, t -> {
                for (int b = first(nb, t, threads), end = first(nb, t + 1, threads); b < end; b++) {
                    double dangling = 0;
                    for (int u = b * PageRank.BLOCK, last = Math.min(v, u + PageRank.BLOCK); u < last; u++) {
                        if (outDegrees[u] == 0) {
                            dangling += rank[u];
                        }
                        contrib[u] = PageRank.contribution(rank[u], outDegrees[u]);
                    }
                    blockSums[b] = dangling;
                }
            });
            double base = PageRank.base(sum(blockSums), v);
            parallel(threads, t -> {
                for (int b = first(nb, t, threads), end = first(nb, t + 1, threads); b < end; b++) {
                    for (int u = b * PageRank.BLOCK, last = Math.min(v, u + PageRank.BLOCK); u < last; u++) {
                        double sum = 0;
                        for (long e = offsets[u], end2 = offsets[u + 1]; e < end2; e++) {
                            sum += contrib[sources[(int) e]];
                        }
                        next[u] = PageRank.next(base, sum);
                    }
                }
            });
        }
        return r[iterations & 1];
    }

    private static String resultLine(Csr csr, int iterations, double[] rank, int threads) throws InterruptedException {
        int v = csr.vertices();
        int nb = PageRank.blocks(v);
        double[] blockSums = new double[nb];
        long[] checksums = new long[threads];
        int[] tops = new int[threads];
        double[] topRanks = new double[threads];
        parallel(threads, t -> {
            long checksum = 0;
            int top = -1;
            double topRank = Double.NEGATIVE_INFINITY;
            for (int b = first(nb, t, threads), end = first(nb, t + 1, threads); b < end; b++) {
                double sum = 0;
                for (int u = b * PageRank.BLOCK, last = Math.min(v, u + PageRank.BLOCK); u < last; u++) {
                    sum += rank[u];
                    checksum += PageRank.checksumTerm(u, rank[u]);
                    if (rank[u] > topRank) {
                        topRank = rank[u];
                        top = u;
                    }
                }
                blockSums[b] = sum;
            }
            checksums[t] = checksum;
            tops[t] = top;
            topRanks[t] = topRank;
        });
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
        return PageRank.resultLine(v, csr.sources().length, iterations, sum(blockSums), top, checksum);
    }

    private static double sum(double[] values) {
        double s = 0;
        for (double x : values) {
            s += x;
        }
        return s;
    }

    private static int first(int blocks, int part, int parts) {
        return (int) Workers.split(blocks, part, parts);
    }

    /** One worker's body; {@code index} is in [0, n). */
    @FunctionalInterface
    private interface Task {
        void run(int index);
    }

    /** Runs {@code task(0..n-1)} on {@code n} platform threads (the caller runs part 0) and rethrows the first failure. */
    private static void parallel(int n, Task task) throws InterruptedException {
        Thread[] threads = new Thread[n];
        Throwable[] failures = new Throwable[n];
        for (int i = 1; i < n; i++) {
            int index = i;
            threads[i] = Thread.ofPlatform().name("pagerank-plain-" + i).daemon(true).start(() -> {
                try {
                    task.run(index);
                } catch (Throwable t) {
                    failures[index] = t;
                }
            });
        }
        try {
            task.run(0);
        } catch (Throwable t) {
            failures[0] = t;
        }
        for (int i = 1; i < n; i++) {
            threads[i].join();
        }
        for (Throwable t : failures) {
            if (t instanceof RuntimeException e) {
                throw e;
            }
            if (t instanceof Error e) {
                throw e;
            }
        }
    }
}
