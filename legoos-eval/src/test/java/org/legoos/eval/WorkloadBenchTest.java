package org.legoos.eval;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.legoos.processor.excache.ExCacheConfig;

@Timeout(120)
class WorkloadBenchTest {
    @TempDir
    Path dir;

    /** {@code lego bench --mode process}: the same sweep with every program in a task JVM of its own. */
    @Test
    void sweepsTheExCacheInProcessModeWithTheSameCounters() throws Exception {
        var host = org.legoos.processor.task.HostSupport.decide(org.legoos.api.ProcessorMode.AUTO);
        org.junit.jupiter.api.Assumptions.assumeTrue(host.mode() == org.legoos.api.ProcessorMode.PROCESS,
                () -> "no process mode here: " + host.reason());
        // a bundled workload: a task's class path has the API, the task runtime and the program's own jar (the bundled
        // programs' jar here), not the test classes' dependencies
        org.legoos.examples.workload.Workload w = org.legoos.examples.workload.Workloads.byName("wordcount");
        try (InJvmDeployment d = new InJvmDeployment(2, 1L << 30, Map.of(), org.legoos.api.ProcessorMode.PROCESS)) {
            assertThat(d.label()).isEqualTo("in-JVM, process mode");
            WorkloadBench b = new WorkloadBench(w, 1 << 20, 7, 2, ExCacheConfig.Policy.FIFO, UnaryOperator.identity());
            List<WorkloadRow> rows = b.run(d, List.of(), new double[] {0.25}, (what, done, total) -> { }, 0,
                    WorkloadBench.steps(1, 1));
            // a process-mode program is a fresh JVM: its reference is the twin run as a fresh JVM too
            assertThat(rows).extracting(WorkloadRow::config).containsExactly("twin", "twin", "full", "25%");
            assertThat(rows.get(1).deployment()).isEqualTo(WorkloadBench.OWN_JVM_TWIN);
            assertThat(rows).allMatch(WorkloadRow::correct);
            assertThat(rows.get(2).vsTwin()).isCloseTo(rows.get(2).seconds() / rows.get(1).seconds(),
                    org.assertj.core.data.Percentage.withPercentage(0.01));
            assertThat(rows.get(2).stats().misses()).as("process mode's counters reach the bench").isPositive();
            assertThat(rows.get(3).stats().evictions()).isPositive();
            assertThat(rows.get(3).stats().flushes()).isPositive().isGreaterThanOrEqualTo(rows.get(3).stats().piggybacks());
            // no eviction in the full run: every page the cache installed (ahead of a stream or on a miss) is resident
            assertThat(rows.get(2).workingSetBytes()).isGreaterThan(0);
            System.out.println("process mode, word count at 25%: " + rows.get(3).stats());
        }
    }

    @Test
    void measuresTheWorkingSetAndSweepsTheExCache() throws Exception {
        StreamSumWorkload w = new StreamSumWorkload();
        List<String> steps = new ArrayList<>();
        try (InJvmDeployment d = new InJvmDeployment(2, 1L << 30, Map.of("streamsum", StreamSumWorkload.Program.class))) {
            WorkloadBench b = new WorkloadBench(w, 1 << 18, 7, 1, ExCacheConfig.Policy.FIFO, UnaryOperator.identity());
            List<WorkloadRow> rows = b.run(d, List.of(), new double[] {0.5, 0.25}, (what, done, total) -> steps.add(done + "/" + total),
                    0, WorkloadBench.steps(1, 2));
            assertThat(rows).extracting(WorkloadRow::config).containsExactly("twin", "full", "50%", "25%");
            assertThat(rows).allMatch(WorkloadRow::correct);
            WorkloadRow full = rows.get(1);
            // 256 Ki longs = 2 MiB = 512 pages, plus nothing else the program maps
            assertThat(full.workingSetBytes()).isBetween(512L * 4096, 520L * 4096);
            assertThat(full.stats().evictions()).isZero();
            assertThat(full.vsFull()).isEqualTo(1.0);
            WorkloadRow quarter = rows.get(3);
            assertThat(quarter.cacheBytes()).isBetween(full.workingSetBytes() / 4 - 4 * 4096, full.workingSetBytes() / 4 + 4 * 4096);
            assertThat(quarter.stats().evictions()).isPositive();
            assertThat(quarter.stats().flushes()).isPositive();
            assertThat(steps).first().isEqualTo("0/" + WorkloadBench.steps(1, 2));
            assertThat(steps).last().isEqualTo(WorkloadBench.steps(1, 2) + "/" + WorkloadBench.steps(1, 2));

            Path png = dir.resolve("s.png");
            Charts.slowdown("streamsum", rows, png);
            byte[] head = Files.readAllBytes(png);
            assertThat(head.length).isGreaterThan(1000);
            assertThat(new String(head, 1, 3, java.nio.charset.StandardCharsets.US_ASCII)).isEqualTo("PNG");
        }
    }

    @Test
    void aRunPastItsTimeLimitIsKilledReportedAndSmallerCachesAreSkipped() throws Exception {
        StreamSumWorkload w = new StreamSumWorkload();
        try (InJvmDeployment d = new InJvmDeployment(2, 1L << 30, Map.of("streamsum", StreamSumWorkload.Program.class))) {
            WorkloadBench b = new WorkloadBench(w, 1 << 18, 7, 1, ExCacheConfig.Policy.FIFO, UnaryOperator.identity())
                    .withTimeLimit(java.time.Duration.ofMillis(1));
            List<WorkloadRow> rows = b.run(d, List.of(), new double[] {0.5, 0.25}, Progress.NONE, 0, 5);
            assertThat(rows).extracting(WorkloadRow::config).containsExactly("twin", "full", "50%");
            assertThat(rows.get(1).timedOut()).isFalse();
            assertThat(rows.get(2).timedOut()).isTrue();
            assertThat(rows.get(2).seconds()).isEqualTo(0.001);
            // the cluster still serves after the kill
            RunOutcome again = d.run(ExCacheSizing.about(1 << 20, ExCacheConfig.Policy.FIFO), "streamsum", List.of("1000", "7"));
            assertThat(again.ok()).isTrue();
        }
    }

    @Test
    void aFailingProgramStopsTheBenchWithItsError() throws Exception {
        StreamSumWorkload w = new StreamSumWorkload() {
            @Override
            public List<String> programArgs(long size, long seed, int threads) {
                return List.of("not-a-number", "1");
            }
        };
        try (InJvmDeployment d = new InJvmDeployment(2, 1L << 30, Map.of("streamsum", StreamSumWorkload.Program.class))) {
            WorkloadBench b = new WorkloadBench(w, 1024, 7, 1, ExCacheConfig.Policy.FIFO, UnaryOperator.identity());
            assertThatThrownBy(() -> b.run(d, List.of(), new double[] {0.5}, Progress.NONE, 0, 4))
                    .isInstanceOf(IllegalStateException.class).hasMessageContaining("streamsum failed");
        }
    }

    @Test
    void sizingStaysCloseToTheTargetAndValid() {
        for (long target : new long[] {1, 300_000, 37L << 20, (37L << 20) / 8, 1L << 30, 123_456_789}) {
            ExCacheConfig c = ExCacheSizing.about(target, ExCacheConfig.Policy.CLOCK);
            long want = Math.max(target, ExCacheSizing.MIN_BYTES);
            assertThat((double) c.capacityBytes()).isBetween(want * 0.96, want * 1.04 + 4096 * 64);
            assertThat(c.ways()).isBetween(1, 64);
        }
    }

    @Test
    void tablesRenderTextMarkdownAndCsv() throws Exception {
        ResultTable t = new ResultTable("T", "name", ">n").row("a,b", 1).row("c\"d", 22);
        assertThat(t.markdown()).contains("| name | n |").contains("|---|---:|").contains("| a,b | 1 |");
        Path csv = dir.resolve("t.csv");
        t.writeCsv(csv);
        assertThat(Files.readString(csv)).isEqualTo("name,n\r\n\"a,b\",1\r\n\"c\"\"d\",22\r\n");
        assertThatThrownBy(() -> t.row("only one")).isInstanceOf(IllegalArgumentException.class);
    }
}
