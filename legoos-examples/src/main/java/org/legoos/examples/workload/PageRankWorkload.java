package org.legoos.examples.workload;

import java.util.List;
import org.legoos.examples.PageRank;
import org.legoos.examples.PageRankPlain;
import org.legoos.examples.PowerLawGraph;

/**
 * The graph-analytics workload: {@value PageRank#DEFAULT_ITERATIONS} iterations of pull-based PageRank
 * (damping {@value PageRank#DAMPING}) on a generated power-law graph of {@code size} vertices and average
 * degree {@value #DEGREE} ({@link PowerLawGraph}), with the in-edge CSR and the rank arrays in disaggregated
 * memory ({@link PageRank}, program {@code "pagerank"}) and its heap-array twin ({@link PageRankPlain}).
 * Random 8-byte reads of one rank-sized array, one per edge, make it the workload most sensitive to the
 * ExCache hit rate.
 *
 * <p>{@link #quickSize()} is {@code 2^17} vertices (2.1 M edges, 12.5 MiB touched). {@link #paperSize()} is
 * {@code 2^20} vertices (16.6 M edges, 100 MiB touched): the largest power of two at which one LegoOS/J run
 * with an ExCache larger than the working set stays well within a minute on the two-core development machine
 * (measured 7 to 18 s, 2 threads, depending on the machine's load). {@code 2^21} vertices (33 M edges,
 * 198 MiB) took 46 to 90 s, because every edge costs one random ExCache hit.
 *
 * <p>Stateless and thread-safe.
 */
public final class PageRankWorkload implements Workload {
    /** The average degree every run uses. */
    public static final int DEGREE = PageRank.DEFAULT_DEGREE;

    @Override
    public String name() {
        return "pagerank";
    }

    @Override
    public String description() {
        return "PageRank, " + PageRank.DEFAULT_ITERATIONS + " iterations, on a power-law graph of average degree "
                + DEGREE + " (in-edge CSR and ranks in disaggregated memory)";
    }

    @Override
    public String program() {
        return "pagerank";
    }

    @Override
    public String sizeUnit() {
        return "vertices";
    }

    @Override
    public long quickSize() {
        return 1L << 17;
    }

    @Override
    public long paperSize() {
        return 1L << 20;
    }

    /**
     * Offsets ({@code 8 (V + 1)}), sources ({@code 4 E}, {@code E} about {@code D V}), out-degrees ({@code 4 V}),
     * three rank-sized double arrays ({@code 24 V}), per-block sums, plus 10% and a few pages of slack.
     */
    @Override
    public long estimatedWorkingSetBytes(long size) {
        checkSize(size);
        long bytes = 8 * (size + 1) + 4 * DEGREE * size + 4 * size + 24 * size + 16 * (size / 4096 + 1);
        return bytes + bytes / 10 + 64 * 1024;
    }

    @Override
    public List<String> programArgs(long size, long seed, int threads) {
        checkSize(size);
        return List.of("--vertices", Long.toString(size), "--seed", Long.toString(seed),
                "--threads", Integer.toString(threads));
    }

    @Override
    public String runPlain(long size, long seed, int threads) throws Exception {
        checkSize(size);
        return PageRankPlain.run(size, DEGREE, PageRank.DEFAULT_ITERATIONS, seed, threads);
    }

    private static void checkSize(long size) {
        if (size < 1 || size > PowerLawGraph.MAX_VERTICES) {
            throw new IllegalArgumentException("pagerank size (vertices) must be in [1, " + PowerLawGraph.MAX_VERTICES
                    + "], got " + size);
        }
    }
}
