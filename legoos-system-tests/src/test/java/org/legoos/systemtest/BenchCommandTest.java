package org.legoos.systemtest;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * {@code lego bench --quick} end to end with the real {@code lego} jar: the workload section over both deployments
 * (in the bench JVM, and as separate manager/storage/memory/processor JVMs over TCP), checked results, CSV, PNG and
 * results.md; and a bad option is a usage error.
 */
@Timeout(600)
class BenchCommandTest {
    @Test
    void quickWordCountRunsInJvmAndAsSeparateProcesses() throws Exception {
        Path dir = LegoJar.workDir("bench");
        Path out = dir.resolve("results");
        try (JvmProcess p = JvmProcess.start("bench", LegoJar.command(List.of("-Xmx2g", "--enable-native-access=ALL-UNNAMED"),
                List.of("bench", "--quick", "--workload", "wordcount", "--sections", "workloads", "--excache", "25",
                        "--out", out.toString())), dir)) {
            int code = p.awaitExit(Duration.ofMinutes(9));
            assertThat(code).as("exit code; stdout:\n%s\nstderr:\n%s", p.stdout(), p.stderr()).isZero();
            assertThat(p.stdout()).contains("TCP, processes").contains("in-JVM").contains("plain Java");
        }
        List<String> csv = Files.readAllLines(out.resolve("workloads.csv"));
        // header, the twin (and, where the TCP processors run programs as their own JVMs, the twin as its own JVM),
        // then full + 25% (the one size asked for) on each of the two deployments
        boolean ownJvms = org.legoos.processor.task.HostSupport.decide(org.legoos.api.ProcessorMode.AUTO).mode()
                == org.legoos.api.ProcessorMode.PROCESS;
        int twins = ownJvms ? 2 : 1;
        assertThat(csv).hasSize(1 + twins + 2 * 2);
        assertThat(csv.subList(1, 1 + twins)).allMatch(l -> l.contains(",twin,") && l.endsWith(",reference"));
        if (ownJvms) {
            assertThat(csv.get(2)).contains("\"plain Java, own JVM\"");
        }
        assertThat(csv.subList(1 + twins, csv.size())).allMatch(l -> l.endsWith(",same"), "every LegoOS/J result equals the twin's");
        assertThat(csv).anyMatch(l -> l.contains("TCP, processes") && l.contains(",25%,"));
        byte[] png = Files.readAllBytes(out.resolve("slowdown-wordcount.png"));
        assertThat(png.length).isGreaterThan(1000);
        assertThat(png[1]).isEqualTo((byte) 'P');
        assertThat(Files.readString(out.resolve("results.md"))).contains("## Targets").contains("| wordcount |");
        assertThat(Files.list(out.resolve("cluster").resolve("logs")).count()).as("component logs").isGreaterThanOrEqualTo(4);
    }

    @Test
    void anUnknownWorkloadIsAUsageError() throws Exception {
        Path dir = LegoJar.workDir("bench-usage");
        try (JvmProcess p = JvmProcess.start("bench-usage", LegoJar.command(LegoJar.CLIENT_JVM,
                List.of("bench", "--quick", "--workload", "nosuch", "--out", dir.resolve("r").toString())), dir)) {
            assertThat(p.awaitExit(Duration.ofMinutes(1))).isEqualTo(2);
            assertThat(p.stderr()).contains("no workload named 'nosuch'").contains("wordcount");
        }
        try (JvmProcess p = JvmProcess.start("bench-usage-excache", LegoJar.command(LegoJar.CLIENT_JVM,
                List.of("bench", "--quick", "--excache", "25,100", "--out", dir.resolve("r").toString())), dir)) {
            assertThat(p.awaitExit(Duration.ofMinutes(1))).isEqualTo(2);
            assertThat(p.stderr()).contains("--excache sizes must be above 0% and below 100%").contains("'100'");
        }
    }
}
