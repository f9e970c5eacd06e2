package org.legoos.examples;

import java.util.Set;
import org.legoos.api.AddressSpace;
import org.legoos.api.DoubleArray;
import org.legoos.api.LegoContext;
import org.legoos.api.LegoProgram;

/**
 * Dense matrix multiply {@code C = A x B} of {@code n x n} doubles with all three matrices in disaggregated
 * memory ({@link DoubleArray}s, row-major), the kind of regular, large-footprint kernel whose slowdown under
 * an ExCache smaller than the working set the LegoOS paper measures.
 *
 * <pre>matmul [--n N] [--threads T] [--seed S] [--block B] [--samples K]</pre>
 *
 * <p>The product is tiled: each thread takes every {@code T}-th block of {@code B} rows (default 64) and, for
 * each {@code B x B} tile of {@code C}, streams the matching tiles of {@code A} and {@code B} from the address
 * space into small local tiles (bulk reads of whole tile rows), accumulates, and writes the tile back. The
 * {@code k} order of accumulation does not depend on {@code T}, so the result is bit-identical for every
 * thread count. {@code A[i][j]} and {@code B[i][j]} are pseudo-random in [-1, 1) from the seed.
 *
 * <p>Output on stdout: a configuration line; {@code checksum=<sum of C, %.12e> verified=<k>/<k>}
 * (deterministic); a timing line. {@code K} entries (default 64, including both corners) are recomputed
 * directly as dot products and must agree to within {@code 1e-9 * (1 + sum |a_ik * b_kj|)}. Exit code 0,
 * 1 on a mismatch (described on stderr), 2 on bad arguments.
 */
public final class MatMul implements LegoProgram {
    static final int DEFAULT_BLOCK = 64;
    private static final String USAGE = "usage: matmul [--n N] [--threads T] [--seed S] [--block B] [--samples K]";

    @Override
    public int main(LegoContext ctx, String[] argv) throws Exception {
        int n;
        int threads;
        long seed;
        int block;
        int samples;
        try {
            Args a = Args.parse(argv, Set.of());
            if (!a.positional().isEmpty()) {
                throw new IllegalArgumentException("unexpected argument " + a.positional().get(0));
            }
            n = a.intValue("n", 512, 1, 1 << 15);
            threads = a.intValue("threads", Math.max(1, ctx.cores()), 1, 1024);
            seed = a.longValue("seed", 1, Long.MIN_VALUE, Long.MAX_VALUE);
            block = a.intValue("block", DEFAULT_BLOCK, 1, 1024);
            samples = a.intValue("samples", 64, 0, 1_000_000);
            a.finish();
        } catch (IllegalArgumentException e) {
            ctx.err().println("matmul: " + e.getMessage());
            ctx.err().println(USAGE);
            return 2;
        }
        AddressSpace memory = ctx.memory();
        long cells = (long) n * n;
        DoubleArray ma = null;
        DoubleArray mb = null;
        DoubleArray mc = null;
        try {
            ma = memory.allocateDoubles(cells);
            mb = memory.allocateDoubles(cells);
            mc = memory.allocateDoubles(cells);
            DoubleArray fa = ma;
            DoubleArray fb = mb;
            DoubleArray fc = mc;
            ctx.out().printf("matmul n=%d threads=%d block=%d seed=%d%n", n, threads, block, seed);
            long t0 = System.nanoTime();
            Workers.run(ctx, "matmul-fill", threads, t -> {
                int from = (int) Workers.split(n, t, threads);
                int to = (int) Workers.split(n, t + 1, threads);
                fill(memory, fa, n, seed, 0, from, to);
                fill(memory, fb, n, seed, 1, from, to);
            });
            long t1 = System.nanoTime();
            Workers.run(ctx, "matmul", threads, t -> multiply(ctx, fa, fb, fc, n, block, t, threads));
            if (ctx.killed()) {
                return 130;
            }
            long t2 = System.nanoTime();
            double checksum = checksum(memory, fc, n);
            int bad = 0;
            long r = Mix.fmix64(seed ^ 0xC0FFEEL);
            for (int s = 0; s < samples; s++) {
                long i;
                long j;
                if (s == 0) {
                    i = 0;
                    j = 0;
                } else if (s == 1) {
                    i = n - 1;
                    j = n - 1;
                } else {
                    r += Mix.GOLDEN;
                    long x = Mix.splitmix(r);
                    i = Long.remainderUnsigned(x, n);
                    j = Long.remainderUnsigned(Mix.splitmix(x), n);
                }
                double got = fc.get(i * n + j);
                double want = 0;
                double abs = 0;
                for (long k = 0; k < n; k++) {
                    double p = fa.get(i * n + k) * fb.get(k * n + j);
                    want += p;
                    abs += Math.abs(p);
                }
                if (!(Math.abs(got - want) <= 1e-9 * (1 + abs))) {
                    bad++;
                    if (bad <= 10) {
                        ctx.err().printf("matmul: C[%d][%d] = %.17g, direct dot product gives %.17g%n", i, j, got, want);
                    }
                }
            }
            long t3 = System.nanoTime();
            ctx.out().printf("checksum=%.12e verified=%d/%d%n", checksum, samples - bad, samples);
            double seconds = (t2 - t1) / 1e9;
            ctx.out().printf("fill-ms=%.1f multiply-ms=%.1f verify-ms=%.1f gflops=%.3f%n", (t1 - t0) / 1e6,
                    (t2 - t1) / 1e6, (t3 - t2) / 1e6, seconds > 0 ? 2.0 * n * n * (double) n / seconds / 1e9 : 0.0);
            ctx.out().flush();
            return bad == 0 ? 0 : 1;
        } finally {
            for (DoubleArray m : new DoubleArray[] {ma, mb, mc}) {
                if (m != null) {
                    m.free();
                }
            }
        }
    }

    /** Element {@code [i][j]} of input matrix {@code which} (0 = A, 1 = B): pseudo-random in [-1, 1). */
    static double element(long seed, int which, long i, long j) {
        long x = Mix.splitmix(Mix.fmix64(seed * 2 + which) + (i * 0x100000001B3L + j) * Mix.GOLDEN);
        return Mix.unit(x) * 2 - 1;
    }

    /** Writes rows [from, to) of input matrix {@code which}, one bulk write per row. */
    static void fill(AddressSpace memory, DoubleArray m, int n, long seed, int which, int from, int to) {
        byte[] row = new byte[n * 8];
        for (int i = from; i < to; i++) {
            for (int j = 0; j < n; j++) {
                Bytes.putDouble(row, j * 8, element(seed, which, i, j));
            }
            memory.write(m.address() + (long) i * n * 8, row, 0, row.length);
        }
    }

    /** Computes the row blocks {@code part, part + parts, ...} of {@code C = A x B} with {@code block x block} tiles. */
    static void multiply(LegoContext ctx, DoubleArray a, DoubleArray b, DoubleArray c, int n, int block, int part, int parts) {
        AddressSpace memory = ctx.memory();
        int bs = Math.min(block, n);
        double[] aTile = new double[bs * bs];
        double[] bTile = new double[bs * bs];
        double[] cTile = new double[bs * bs];
        byte[] row = new byte[bs * 8];
        int blocks = (n + bs - 1) / bs;
        for (int ib = part; ib < blocks; ib += parts) {
            if (ctx.killed()) {
                return;
            }
            int i0 = ib * bs;
            int rows = Math.min(bs, n - i0);
            for (int j0 = 0; j0 < n; j0 += bs) {
                int cols = Math.min(bs, n - j0);
                java.util.Arrays.fill(cTile, 0.0);
                for (int k0 = 0; k0 < n; k0 += bs) {
                    int depth = Math.min(bs, n - k0);
                    readTile(memory, a, n, i0, rows, k0, depth, aTile, bs, row);
                    readTile(memory, b, n, k0, depth, j0, cols, bTile, bs, row);
                    for (int i = 0; i < rows; i++) {
                        int ci = i * bs;
                        for (int k = 0; k < depth; k++) {
                            double aik = aTile[i * bs + k];
                            int bk = k * bs;
                            for (int j = 0; j < cols; j++) {
                                cTile[ci + j] += aik * bTile[bk + j];
                            }
                        }
                    }
                }
                for (int i = 0; i < rows; i++) {
                    for (int j = 0; j < cols; j++) {
                        Bytes.putDouble(row, j * 8, cTile[i * bs + j]);
                    }
                    memory.write(c.address() + ((long) (i0 + i) * n + j0) * 8, row, 0, cols * 8);
                }
            }
        }
    }

    private static void readTile(AddressSpace memory, DoubleArray m, int n, int r0, int rows, int c0, int cols,
                                 double[] tile, int stride, byte[] row) {
        for (int r = 0; r < rows; r++) {
            memory.read(m.address() + ((long) (r0 + r) * n + c0) * 8, row, 0, cols * 8);
            int t = r * stride;
            for (int j = 0; j < cols; j++) {
                tile[t + j] = Bytes.getDouble(row, j * 8);
            }
        }
    }

    /** Sum of all entries in row-major order (deterministic for a given C). */
    static double checksum(AddressSpace memory, DoubleArray m, int n) {
        byte[] row = new byte[n * 8];
        double sum = 0;
        for (int i = 0; i < n; i++) {
            memory.read(m.address() + (long) i * n * 8, row, 0, row.length);
            for (int j = 0; j < n; j++) {
                sum += Bytes.getDouble(row, j * 8);
            }
        }
        return sum;
    }
}
