package org.legoos.examples;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.legoos.api.AddressSpace;
import org.legoos.examples.workload.PageRankWorkload;
import org.legoos.examples.workload.Workload;

@Timeout(value = 30, unit = TimeUnit.SECONDS)
class PageRankTest {
    private record Run(int exit, String stdout, String stderr, long mappedAfter) {
        String line() {
            String line = Workload.resultLine(stdout);
            assertThat(line).as("stdout: %s, stderr: %s", stdout, stderr).isNotNull();
            return line;
        }
    }

    private static Run run(AddressSpace mem, HeapAddressSpace heap, String... args) throws Exception {
        TestContext ctx = new TestContext(mem);
        int exit = new PageRank().main(ctx, args);
        return new Run(exit, ctx.stdout(), ctx.stderr(), heap.mappedBytes());
    }

    private static Run run(String... args) throws Exception {
        HeapAddressSpace heap = new HeapAddressSpace();
        return run(heap, heap, args);
    }

    private static String field(String line, String name) {
        Matcher m = Pattern.compile(" " + name + "=(\\S+)").matcher(line);
        assertThat(m.find()).as(line).isTrue();
        return m.group(1);
    }

    @Test
    void programLineEqualsTwinLineAndDoesNotDependOnThreadCount() throws Exception {
        // 9000 vertices are three blocks, the last one partial; 5 threads leave some threads without a block.
        String[] base = {"--vertices", "9000", "--degree", "8", "--iterations", "6", "--seed", "5"};
        Run one = run(concat(base, "--threads", "1"));
        Run two = run(concat(base, "--threads", "2"));
        Run five = run(concat(base, "--threads", "5"));
        assertThat(one.exit()).as(one.stderr()).isZero();
        assertThat(two.exit()).as(two.stderr()).isZero();
        assertThat(five.exit()).as(five.stderr()).isZero();
        assertThat(one.stdout().lines().count()).isEqualTo(1);
        assertThat(two.line()).isEqualTo(one.line());
        assertThat(five.line()).isEqualTo(one.line());
        assertThat(PageRankPlain.run(9000, 8, 6, 5, 1)).isEqualTo(one.line());
        assertThat(PageRankPlain.run(9000, 8, 6, 5, 2)).isEqualTo(one.line());
        assertThat(one.line()).startsWith("result vertices=9000 edges=").contains(" iterations=6 ");
        assertThat(one.mappedAfter()).isZero();
        assertThat(two.mappedAfter()).isZero();
        assertThat(one.stderr()).isEmpty();
    }

    /** Where the address space hands out segments (process mode) the hot phases run in place: same line as the twin. */
    @Test
    void inPlacePathOnSegmentsEqualsTheTwinAndTheCopyingPath() throws Exception {
        String[] args = {"--vertices", "9000", "--degree", "8", "--iterations", "6", "--seed", "5", "--threads", "3"};
        String copying = run(args).line();
        try (SegmentAddressSpace mem = new SegmentAddressSpace(64L << 20)) {
            TestContext ctx = new TestContext(mem);
            assertThat(new PageRank().main(ctx, args)).as(ctx.stderr()).isZero();
            String line = ctx.stdout().lines().filter(l -> l.startsWith("result ")).findFirst().orElseThrow();
            assertThat(line).isEqualTo(copying).isEqualTo(PageRankPlain.run(9000, 8, 6, 5, 3));
            assertThat(mem.mappedBytes()).isZero();
        }
    }

    @Test
    void programEqualsTwinForARandomSeedAndTinyGraphs() throws Exception {
        long seed = Long.getLong("legoos.seed", System.nanoTime());
        System.out.println("programEqualsTwinForARandomSeedAndTinyGraphs seed=" + seed);
        for (int vertices : new int[] {1, 2, 7, 4096, 4097}) {
            for (int threads : new int[] {1, 2}) {
                Run r = run("--vertices", Integer.toString(vertices), "--degree", "3", "--iterations", "4",
                        "--seed", Long.toString(seed), "--threads", Integer.toString(threads));
                assertThat(r.exit()).as(r.stderr()).isZero();
                assertThat(r.line()).as("vertices=%d threads=%d seed=%d", vertices, threads, seed)
                        .isEqualTo(PageRankPlain.run(vertices, 3, 4, seed, threads));
                assertThat(Double.parseDouble(field(r.line(), "sum"))).isCloseTo(1.0, within(1e-9));
            }
        }
    }

    @Test
    void otherSeedGivesAnotherGraphAndZeroIterationsGiveUniformRanks() throws Exception {
        String a = run("--vertices", "3000", "--degree", "4", "--iterations", "3", "--seed", "1").line();
        String b = run("--vertices", "3000", "--degree", "4", "--iterations", "3", "--seed", "2").line();
        assertThat(field(a, "checksum")).isNotEqualTo(field(b, "checksum"));
        String zero = run("--vertices", "3000", "--degree", "4", "--iterations", "0", "--seed", "1").line();
        assertThat(field(zero, "top")).isEqualTo("0");
        assertThat(field(zero, "sum")).isEqualTo("1.000000000");
    }

    @Test
    void ranksSumToOneAndVerboseTimingsGoToStderrOnly() throws Exception {
        Run r = run("--vertices", "20000", "--iterations", "10", "--seed", "11", "--threads", "2", "--verbose");
        assertThat(r.exit()).as(r.stderr()).isZero();
        assertThat(Double.parseDouble(field(r.line(), "sum"))).isCloseTo(1.0, within(1e-9));
        assertThat(Long.parseLong(field(r.line(), "edges"))).isBetween(20000L * 15, 20000L * 17);
        assertThat(r.stdout().lines().toList()).hasSize(1);
        assertThat(r.stderr()).contains("iterate-ms=");
        assertThat(r.line()).doesNotContain("ms");
    }

    /** Textbook power iteration over an edge list: dangling rank spread uniformly, damping 0.85. */
    private static double[] naivePageRank(int n, List<int[]> edges, int iterations) {
        int[] outDeg = new int[n];
        for (int[] e : edges) {
            outDeg[e[0]]++;
        }
        double[] r = new double[n];
        Arrays.fill(r, 1.0 / n);
        for (int it = 0; it < iterations; it++) {
            double dangling = 0;
            for (int u = 0; u < n; u++) {
                if (outDeg[u] == 0) {
                    dangling += r[u];
                }
            }
            double[] next = new double[n];
            Arrays.fill(next, (1 - 0.85) / n + 0.85 * dangling / n);
            for (int[] e : edges) {
                next[e[1]] += 0.85 * r[e[0]] / outDeg[e[0]];
            }
            r = next;
        }
        return r;
    }

    private static PageRankPlain.Csr csrOf(int n, List<int[]> edges) {
        long[] offsets = new long[n + 1];
        int[] outDeg = new int[n];
        for (int[] e : edges) {
            offsets[e[1] + 1]++;
            outDeg[e[0]]++;
        }
        for (int v = 0; v < n; v++) {
            offsets[v + 1] += offsets[v];
        }
        int[] sources = new int[edges.size()];
        long[] fill = offsets.clone();
        for (int[] e : edges) {
            sources[(int) fill[e[1]]++] = e[0];
        }
        return new PageRankPlain.Csr(offsets, sources, outDeg);
    }

    @Test
    void handBuiltGraphWithADanglingVertexMatchesTheTextbookStationaryRanks() throws Exception {
        // 0->1, 1->2, 2->0, 2->1, 0->3; vertex 3 is dangling, vertex 4 is isolated (and dangling).
        List<int[]> edges = List.of(new int[] {0, 1}, new int[] {1, 2}, new int[] {2, 0}, new int[] {2, 1},
                new int[] {0, 3});
        double[] got = PageRankPlain.ranks(csrOf(5, edges), 200, 2);
        double[] want = naivePageRank(5, edges, 200);
        for (int v = 0; v < 5; v++) {
            assertThat(got[v]).as("rank of %d", v).isCloseTo(want[v], within(1e-12));
        }
        assertThat(Arrays.stream(got).sum()).isCloseTo(1.0, within(1e-12));
        // Stationary: one more textbook step changes nothing; 1 gets the most (two in-edges).
        double[] step = naivePageRank(5, edges, 201);
        for (int v = 0; v < 5; v++) {
            assertThat(step[v]).isCloseTo(want[v], within(1e-12));
        }
        assertThat(got[1]).isGreaterThan(got[0]).isGreaterThan(got[3]).isGreaterThan(got[4]);
    }

    @Test
    void tinyGeneratedGraphMatchesTextbookPageRank() throws Exception {
        int n = 300;
        int iterations = 30;
        PowerLawGraph g = new PowerLawGraph(n, 2, 77);
        List<int[]> edges = new ArrayList<>();
        int[] buf = new int[PowerLawGraph.MAX_IN_DEGREE];
        for (int v = 0; v < n; v++) {
            for (int j = 0, d = g.inEdges(v, buf, 0); j < d; j++) {
                edges.add(new int[] {buf[j], v});
            }
        }
        double[] want = naivePageRank(n, edges, iterations);
        boolean[] hasOut = new boolean[n];
        edges.forEach(e -> hasOut[e[0]] = true);
        int dangling = 0;
        for (boolean b : hasOut) {
            dangling += b ? 0 : 1;
        }
        assertThat(dangling).as("the test graph should exercise dangling vertices").isPositive();

        double[] got = PageRankPlain.ranks(PageRankPlain.build(g, 2), iterations, 2);
        int top = 0;
        for (int v = 0; v < n; v++) {
            assertThat(got[v]).as("rank of %d", v).isCloseTo(want[v], within(1e-13));
            if (want[v] > want[top]) {
                top = v;
            }
        }
        Run r = run("--vertices", Integer.toString(n), "--degree", "2", "--iterations", Integer.toString(iterations),
                "--seed", "77", "--threads", "2");
        assertThat(field(r.line(), "edges")).isEqualTo(Integer.toString(edges.size()));
        assertThat(field(r.line(), "top")).isEqualTo(Integer.toString(top));
        assertThat(Double.parseDouble(field(r.line(), "sum"))).isCloseTo(Arrays.stream(want).sum(), within(1e-9));
    }

    @Test
    void generatedDegreesAreHeavyTailedDeterministicAndInRange() {
        int n = 1 << 15;
        int degree = 16;
        PowerLawGraph g = new PowerLawGraph(n, degree, 3);
        int[] buf = new int[PowerLawGraph.MAX_IN_DEGREE];
        int[] outDeg = new int[n];
        long edges = 0;
        int maxIn = 0;
        int badVertices = 0;
        for (int v = 0; v < n; v++) {
            int d = g.inEdges(v, buf, 0);
            boolean ok = d == g.inDegree(v);
            for (int j = 0; j < d; j++) {
                ok &= buf[j] >= 0 && buf[j] < n && (j == 0 || buf[j] >= buf[j - 1]);
                outDeg[buf[j]]++;
            }
            badVertices += ok ? 0 : 1;
            edges += d;
            maxIn = Math.max(maxIn, d);
        }
        assertThat(badVertices).as("vertices whose in-list is unsorted, out of range or of the wrong length").isZero();
        double average = edges / (double) n;
        assertThat(average).isCloseTo(degree, within(0.5));
        int maxOut = Arrays.stream(outDeg).max().orElseThrow();
        assertThat(maxIn).as("max in-degree").isGreaterThan(50 * degree);
        assertThat(maxOut).as("max out-degree").isGreaterThan(50 * degree);
        // Most vertices are below average: the mass sits in the tail.
        long belowAverageIn = java.util.stream.IntStream.range(0, n).filter(v -> g.inDegree(v) < average).count();
        assertThat(belowAverageIn).isGreaterThan(n / 2);
        // Hubs are spread over the id space, not clustered at 0.
        int hub = java.util.stream.IntStream.range(0, n).reduce((a, b) -> g.inDegree(a) >= g.inDegree(b) ? a : b).orElseThrow();
        assertThat(hub).isNotZero();

        PowerLawGraph same = new PowerLawGraph(n, degree, 3);
        PowerLawGraph other = new PowerLawGraph(n, degree, 4);
        int differing = 0;
        for (int v = 0; v < 200; v++) {
            assertThat(same.inDegree(v)).isEqualTo(g.inDegree(v));
            assertThat(same.sampledSource(v, 0)).isEqualTo(g.sampledSource(v, 0));
            differing += other.sampledSource(v, 0) != g.sampledSource(v, 0) ? 1 : 0;
        }
        assertThat(differing).isGreaterThan(150);
    }

    @Test
    void generatorRejectsBadParameters() {
        assertThatThrownBy(() -> new PowerLawGraph(0, 16, 1)).hasMessageContaining("vertices must be in");
        assertThatThrownBy(() -> new PowerLawGraph(10, 0, 1)).hasMessageContaining("degree must be in");
        assertThatThrownBy(() -> new PowerLawGraph(10, 2, 1).inDegree(10)).isInstanceOf(IndexOutOfBoundsException.class);
        assertThatThrownBy(() -> PageRankPlain.run(10, 2, -1, 1, 1)).hasMessageContaining("iterations must be in");
        assertThatThrownBy(() -> PageRankPlain.run(10, 2, 1, 1, 0)).hasMessageContaining("threads must be in");
    }

    @Test
    void badArgumentsExitWith2AndPrintUsage() throws Exception {
        String[][] bad = {
                {"--vertices", "0"}, {"--vertices", "abc"}, {"--degree", "0"}, {"--iterations", "-1"},
                {"--threads", "0"}, {"--bogus", "1"}, {"extra"}, {"--seed"}, {"--verbose=yes"},
        };
        for (String[] args : bad) {
            TestContext ctx = new TestContext(new HeapAddressSpace());
            assertThat(new PageRank().main(ctx, args)).as(String.join(" ", args)).isEqualTo(2);
            assertThat(ctx.stderr()).as(String.join(" ", args)).startsWith("pagerank: ").contains("usage: pagerank");
            assertThat(ctx.stdout()).isEmpty();
        }
    }

    @Test
    void workloadArgumentsRunTheProgramThatMatchesTheTwinWithinTheEstimatedWorkingSet() throws Exception {
        PageRankWorkload w = new PageRankWorkload();
        assertThat(w.name()).isEqualTo("pagerank");
        assertThat(w.program()).isEqualTo("pagerank");
        assertThat(w.quickSize()).isLessThan(w.paperSize());
        assertThat(w.programArgs(5000, 9, 2)).containsExactly("--vertices", "5000", "--seed", "9", "--threads", "2");
        HeapAddressSpace heap = new HeapAddressSpace();
        AtomicLong mapped = new AtomicLong();
        AtomicLong peak = new AtomicLong();
        AddressSpace tracking = new ForwardingAddressSpace(heap) {
            @Override
            public long mmap(long hint, long length, int prot) {
                long at = super.mmap(hint, length, prot);
                peak.accumulateAndGet(mapped.addAndGet(length), Math::max);
                return at;
            }

            @Override
            public void munmap(long addr, long length) {
                super.munmap(addr, length);
                mapped.addAndGet(-length);
            }
        };
        Run r = run(tracking, heap, w.programArgs(5000, 9, 2).toArray(String[]::new));
        assertThat(r.exit()).as(r.stderr()).isZero();
        assertThat(r.line()).isEqualTo(w.runPlain(5000, 9, 2)).isEqualTo(w.runPlain(5000, 9, 1));
        assertThat(r.line()).contains(" iterations=" + PageRank.DEFAULT_ITERATIONS + " ");
        assertThat(peak.get()).isPositive().isLessThanOrEqualTo(w.estimatedWorkingSetBytes(5000));
        assertThat(r.mappedAfter()).isZero();
        assertThatThrownBy(() -> w.programArgs(0, 1, 1)).isInstanceOf(IllegalArgumentException.class);
    }

    private static String[] concat(String[] a, String... b) {
        String[] r = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, r, a.length, b.length);
        return r;
    }
}
