package org.legoos.systemtest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.legoos.systemtest.SeparateJvmClusterTest.ms;

import java.io.BufferedOutputStream;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.SortedMap;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import org.legoos.examples.CorpusGenerator;
import org.legoos.examples.WordCount;
import org.legoos.node.cluster.NodeRole;
import org.legoos.processor.client.ProcessClient;
import org.legoos.systemtest.LoopbackCluster.Component;
import org.legoos.systemtest.LoopbackCluster.Launch;
import org.legoos.systemtest.programs.SpreadAndWait;
import org.legoos.testkit.Await;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Fault injection: kill -9 of a processor component in a real cluster of separate JVMs on loopback (manager with a
 * 2 s heartbeat timeout, two processors, one memory and one storage component). The processes it ran are reported
 * failed to their {@code lego run} clients once the manager declares it DEAD, while programs on the other processor
 * finish with correct results, and new programs are placed only on the survivor.
 */
@Timeout(value = 150, unit = TimeUnit.SECONDS)
class ProcessorFailureTest {
    private static final Duration HEARTBEAT_TIMEOUT = Duration.ofSeconds(2);

    private Path dir;
    private LoopbackCluster cluster;

    @BeforeEach
    void startCluster() throws Exception {
        dir = LegoJar.workDir(getClass().getSimpleName());
        cluster = LoopbackCluster.start(dir, List.of("--manager.heartbeat-timeout", HEARTBEAT_TIMEOUT.toMillis() + "ms",
                        "--manager.heartbeat-check-interval", "200ms", "--manager.report-interval", "250ms"),
                List.of("--manager.report-interval", "250ms"));
        cluster.setUp(() -> {
            String[] processor = {"--processor.excache-bytes", "16MiB", "--processor.cores", "2"};
            cluster.add(Launch.of(NodeRole.PROCESSOR, processor), Launch.of(NodeRole.PROCESSOR, processor),
                    Launch.of(NodeRole.MEMORY, "--memory.capacity-bytes", "256MiB", "--memory.workers", "2"),
                    Launch.of(NodeRole.STORAGE));
        });
    }

    @AfterEach
    void stopCluster() {
        if (cluster != null) {
            cluster.close();
        }
    }

    @Test
    void killNineOfAProcessorFailsItsProcessesWhileAProgramOnTheOtherProcessorFinishesCorrectly() throws Exception {
        long seed = Long.getLong("systemtest.seed", System.nanoTime());
        System.out.println("processor failure corpus seed " + seed + " (replay with -Dsystemtest.seed=" + seed + ")");
        Path corpus = dir.resolve("corpus.txt");
        try (OutputStream out = new BufferedOutputStream(Files.newOutputStream(corpus))) {
            CorpusGenerator.generate(out, 2 << 20, seed);
        }
        SortedMap<String, Long> expected;
        try (InputStream in = Files.newInputStream(corpus)) {
            expected = WordCount.countPlain(in);
        }
        String summary = WordCount.referenceSummary(expected, 10);
        cluster.lego("vnode create", "ft").ok();
        cluster.lego("cp", corpus.toString(), "ft:/in/corpus.txt").ok();
        cluster.lego("cp", ProgramJar.write(SpreadAndWait.class, dir.resolve("spread.jar")).toString(), "ft:/bin/spread.jar").ok();

        // a long-running program, then a word count: the GPM puts the second on the less loaded processor
        JvmProcess longRun = cluster.startLego("run-spread", "run", "--vnode", "ft", "/bin/spread.jar", String.valueOf(1 << 20));
        longRun.awaitStdout(Pattern.compile("^synced "), Duration.ofSeconds(60));
        JvmProcess wordCount = cluster.startLego("run-wordcount", "run", "--vnode", "ft", "wordcount", "/in/corpus.txt",
                "--top", "10");

        CliResult ps = cluster.lego("ps").ok();
        System.out.println(ps.stdout());
        Map<String, String> spread = ps.table("PID").stream().filter(r -> r.get("PROGRAM").equals("/bin/spread.jar"))
                .findFirst().orElseThrow(() -> new AssertionError("spread.jar is not in " + ps));
        Component victim = processorIn(spread.get("PROCESSOR"));
        Component survivor = cluster.components(NodeRole.PROCESSOR).stream().filter(c -> c != victim).findFirst().orElseThrow();
        assertThat(awaitStarted("wordcount", Duration.ofSeconds(30))).as("where word count started").containsOnlyKeys(survivor);

        long t0 = System.nanoTime();
        victim.jvm().kill9();
        System.out.printf("kill -9 %s (running pid %s), word count runs on %s%n", victim, spread.get("PID"), survivor);

        int longCode = longRun.awaitExit(HEARTBEAT_TIMEOUT.plusSeconds(30));
        long detectedMs = ms(t0);
        System.out.printf("lego run of the killed processor's program exited %d after %d ms: %s%n", longCode, detectedMs,
                longRun.stderr().strip());
        assertThat(longCode).as(longRun.tail()).isEqualTo(ProcessClient.EXIT_COMPONENT_DIED);
        assertThat(longRun.stderr()).as("lego run tells why its process is gone\n" + longRun.tail())
                .containsPattern("(?i)node " + victim.nodeId() + "\\b.*\\b(dead|died)\\b");

        int wcCode = wordCount.awaitExit(Duration.ofSeconds(90));
        assertThat(wcCode).as(wordCount.tail()).isZero();
        assertThat(wordCount.stdout()).isEqualTo(summary);

        // the manager marked it DEAD; ps asks only live processors, so it answers fully
        cluster.awaitMember(victim.nodeId(), m -> m.state() == org.legoos.api.ComponentState.DEAD, Duration.ofSeconds(10), "DEAD");
        CliResult status = cluster.lego("status").ok();
        System.out.println(status.stdout());
        assertThat(status.table("NODE")).filteredOn(r -> r.get("NODE").equals(String.valueOf(victim.nodeId())))
                .singleElement().satisfies(r -> assertThat(r).containsEntry("STATE", "DEAD"));
        assertThat(status.table("NODE")).filteredOn(r -> r.get("NODE").equals(String.valueOf(survivor.nodeId())))
                .singleElement().satisfies(r -> assertThat(r).containsEntry("STATE", "ALIVE"));
        CliResult after = cluster.lego("ps").ok();
        assertThat(after.stdout()).doesNotContain("/bin/spread.jar");

        // new work goes to the survivor only, and is still correct
        CliResult again = cluster.lego("run", "--vnode", "ft", "wordcount", "/in/corpus.txt", "--top", "10");
        assertThat(again.exitCode()).as(again.toString()).isZero();
        assertThat(again.stdout()).isEqualTo(summary);
        assertThat(cluster.processesStarted("wordcount")).containsOnlyKeys(survivor);
        assertThat(cluster.processesStarted("wordcount").get(survivor)).hasSize(2);
    }

    /** The processor component named by a {@code lego ps} PROCESSOR cell, {@code node N (host:port)}. */
    private Component processorIn(String cell) {
        var m = Pattern.compile("^node (\\d+) \\(").matcher(cell);
        assertThat(m.find()).as("PROCESSOR cell '%s'", cell).isTrue();
        int node = Integer.parseInt(m.group(1));
        return cluster.components(NodeRole.PROCESSOR).stream().filter(c -> c.nodeId() == node).findFirst()
                .orElseThrow(() -> new AssertionError("no processor component is node " + node + ": " + cluster.components()));
    }

    /** Waits until some processor's log shows it started {@code program}; returns processor to pids. */
    private Map<Component, List<Long>> awaitStarted(String program, Duration timeout) {
        try {
            return Await.value(program + " starts on a processor", timeout, () -> {
                Map<Component, List<Long>> started = cluster.processesStarted(program);
                return started.isEmpty() ? null : started;
            });
        } catch (AssertionError e) {
            throw new AssertionError(e.getMessage() + "\n" + cluster.logs(), e);
        }
    }
}
