package org.legoos.systemtest;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedOutputStream;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SortedMap;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.legoos.examples.CorpusGenerator;
import org.legoos.examples.KvStorePlain;
import org.legoos.examples.WordCount;
import org.legoos.node.cluster.NodeRole;
import org.legoos.systemtest.LoopbackCluster.Component;
import org.legoos.systemtest.LoopbackCluster.Launch;
import org.legoos.testkit.Await;

/**
 * Fault injection on the memory side, in a real cluster of separate JVMs on loopback (TCP): kill -9 of a memory
 * component that holds pages of two running programs (word count and the KV store, with a small ExCache (8 MiB for both), so they miss
 * and write back all the time). With replication (the default) both finish with exactly the reference result: the
 * manager declares the component dead, the programs' homes move its vRegions to their replicas, and the processor
 * retries its misses and flushes there.
 */
@Timeout(value = 240, unit = TimeUnit.SECONDS)
class MemoryFailureTest {
    private static final Duration HEARTBEAT_TIMEOUT = Duration.ofSeconds(2);
    /**
     * The kill -9 case's: longer than a component JVM's start (2-3 s here), so the restarted component registers
     * before the old one is declared dead, and its registration is what fails the old one's memory over.
     */
    private static final Duration RESTART_HEARTBEAT_TIMEOUT = Duration.ofSeconds(8);
    private static final String[] MEMORY = {"--memory.capacity-bytes", "256MiB", "--memory.vregion-bytes", "1MiB",
            "--memory.workers", "2"};
    private static final String KV_KEYS = "40000";
    private static final String KV_OPS = "80000";

    private Path dir;
    private LoopbackCluster cluster;

    @BeforeEach
    void startCluster(org.junit.jupiter.api.TestInfo test) throws Exception {
        dir = LegoJar.workDir(getClass().getSimpleName() + "-" + test.getTestMethod().orElseThrow().getName());
        Duration timeout = test.getTestMethod().orElseThrow().getName().startsWith("killNine")
                ? RESTART_HEARTBEAT_TIMEOUT : HEARTBEAT_TIMEOUT;
        cluster = LoopbackCluster.start(dir, List.of("--manager.heartbeat-timeout", timeout.toMillis() + "ms",
                        "--manager.heartbeat-check-interval", "200ms", "--manager.report-interval", "250ms"),
                List.of("--manager.report-interval", "250ms"));
        cluster.setUp(() -> {
            cluster.add(Launch.of(NodeRole.PROCESSOR, "--processor.excache-bytes", "8MiB", "--processor.cores", "2"),
                    Launch.of(NodeRole.MEMORY, MEMORY), Launch.of(NodeRole.MEMORY, MEMORY), Launch.of(NodeRole.MEMORY, MEMORY),
                    Launch.of(NodeRole.MEMORY, MEMORY), Launch.of(NodeRole.STORAGE));
        });
    }

    @AfterEach
    void stopCluster() {
        if (cluster != null) {
            cluster.close();
        }
    }

    private CliResult status() {
        try {
            return cluster.lego("status").ok();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** kill -9, then a new memory component at the same address while the programs run on. */
    @Test
    void killNineOfAMemoryComponentHoldingPagesOfRunningProgramsLosesNothing() throws Exception {
        run(false);
    }

    /**
     * SIGSTOP past the heartbeat timeout, then SIGCONT: the manager declares the component dead and its memory fails
     * over; when it reports again it must drop everything it held (stale now) before it is chosen again, and the
     * programs never see its old pages (a promoted replica refuses its changes, it answers for its old processes that
     * it no longer holds them).
     */
    @Test
    void aMemoryComponentStoppedPastTheHeartbeatTimeoutLosesNothingAndComesBackEmpty() throws Exception {
        run(true);
    }

    private void run(boolean stopInsteadOfKill) throws Exception {
        long seed = Long.getLong("systemtest.seed", System.nanoTime());
        System.out.println("memory failure seed " + seed + " (replay with -Dsystemtest.seed=" + seed + ")");
        Path corpus = dir.resolve("corpus.txt");
        try (OutputStream out = new BufferedOutputStream(Files.newOutputStream(corpus))) {
            CorpusGenerator.generate(out, 6 << 20, seed);
        }
        SortedMap<String, Long> expected;
        try (InputStream in = Files.newInputStream(corpus)) {
            expected = WordCount.countPlain(in);
        }
        String summary = WordCount.referenceSummary(expected, 10);
        String kvExpected = KvStorePlain.run(Long.parseLong(KV_KEYS), Long.parseLong(KV_OPS), 256, 0.5, 0.99, seed, 2);

        cluster.lego("vnode create", "mf").ok();
        cluster.lego("cp", corpus.toString(), "mf:/in/corpus.txt").ok();
        String cacheNode = cluster.lego("vnode list").ok().table("ID").getFirst().get("CACHE NODE");
        JvmProcess wordCount = cluster.startLego("run-wordcount", "run", "--vnode", "mf", "wordcount", "/in/corpus.txt",
                "--top", "10");
        JvmProcess kv = cluster.startLego("run-kvstore", "run", "--vnode", "mf", "kvstore", "--keys", KV_KEYS, "--ops", KV_OPS,
                "--get-ratio", "0.5", "--seed", String.valueOf(seed), "--threads", "2");

        // as soon as both run and hold pages (one `lego status` a poll: a client JVM takes seconds while the programs
        // run), pick a memory component that is the home of one of them and holds pages (else one that holds pages),
        // and is not the vNode's file cache (the buffer cache is not replicated)
        Component victim = Await.value("both programs hold pages and a memory component to kill",
                Duration.ofSeconds(90), () -> {
                    CliResult now = status();
                    List<Map<String, String>> rows = now.table("NODE");
                    long homes = rows.stream().filter(r -> r.get("ROLE").equals("memory"))
                            .mapToLong(r -> Long.parseLong(r.get("PROCS"))).sum();
                    if (!wordCount.isAlive() || !kv.isAlive()) {
                        throw new AssertionError("a program ended before the kill:\n" + wordCount.tail() + "\n"
                                + kv.tail());
                    }
                    if (homes < 2) {
                        return null;
                    }
                    Map<String, String> pick = null;
                    for (Map<String, String> r : rows) {
                        if (r.get("ROLE").equals("memory") && !r.get("NODE").equals(cacheNode)
                                && !r.get("MEMORY USED/CAP").startsWith("0B/")
                                && (pick == null || pick.get("PROCS").equals("0") && !r.get("PROCS").equals("0"))) {
                            pick = r;
                        }
                    }
                    if (pick == null) {
                        return null;
                    }
                    int node = Integer.parseInt(pick.get("NODE"));
                    System.out.println(now.stdout());
                    System.out.println("victim: node " + node
                            + (pick.get("PROCS").equals("0") ? ", an owner" : ", a home and owner"));
                    return cluster.components(NodeRole.MEMORY).stream().filter(c -> c.nodeId() == node).findFirst()
                            .orElseThrow();
                });
        long t0 = System.nanoTime();
        Component restarted = null;
        if (stopInsteadOfKill) {
            victim.jvm().signal("STOP");
            System.out.printf("kill -STOP %s%n", victim);
            cluster.awaitMember(victim.nodeId(), m -> m.state() == org.legoos.api.ComponentState.DEAD,
                    Duration.ofSeconds(30), "DEAD");
            Thread.sleep(2_000); // the failover and a few more seconds of the programs' work
            victim.jvm().signal("CONT");
            System.out.printf("kill -CONT %s after %d ms%n", victim, SeparateJvmClusterTest.ms(t0));
            cluster.awaitMember(victim.nodeId(), m -> m.state() == org.legoos.api.ComponentState.ALIVE,
                    Duration.ofSeconds(60), "ALIVE again after dropping its stale memory");
            assertThat(victim.jvm().stderr()).contains("declared dead by the global manager while alive");
        } else {
            victim.jvm().kill9();
            System.out.printf("kill -9 %s%n", victim);
            // at once, a new memory component starts at the very same address (as a supervisor restarts a crashed
            // one), often within the heartbeat timeout: it gets the old node id back (vNodes refer to it) but holds
            // nothing, so the old one's memory must fail over all the same, and whatever still reaches that id for
            // the old one (a processor's stale owner map, a home's old pairing) must be told to ask again, never read
            // as the program's fault
            String[] sameAddress = java.util.stream.Stream.concat(java.util.Arrays.stream(MEMORY),
                    java.util.stream.Stream.of("--memory.listen", victim.address())).toArray(String[]::new);
            Component again = cluster.add(Launch.of(NodeRole.MEMORY, sameAddress)).getFirst();
            System.out.printf("restarted at the same address: %s, %d ms after the kill%n", again,
                    SeparateJvmClusterTest.ms(t0));
            assertThat(again.address()).isEqualTo(victim.address());
            assertThat(again.nodeId()).as("the old id back").isEqualTo(victim.nodeId());
            assertThat(cluster.manager().stderr()).as("the restarted component registered before the old one was "
                    + "declared dead (it started within " + RESTART_HEARTBEAT_TIMEOUT + ")")
                    .contains("registered again within the heartbeat timeout");
            restarted = again;
        }

        int wc = wordCount.awaitExit(Duration.ofSeconds(150));
        int kvCode = kv.awaitExit(Duration.ofSeconds(150));
        System.out.printf("both programs ended %d ms after the kill%n", SeparateJvmClusterTest.ms(t0));
        assertThat(wc).as(wordCount.tail() + "\n" + cluster.logs()).isZero();
        assertThat(wordCount.stdout()).isEqualTo(summary);
        assertThat(kvCode).as(kv.tail() + "\n" + cluster.logs()).isZero();
        assertThat(kv.stdout()).contains(kvExpected);

        // the failover is logged by the homes, with its duration
        Set<String> failovers = new HashSet<>();
        for (Component c : cluster.components(NodeRole.MEMORY)) {
            for (String line : c.jvm().stderr().split("\n")) {
                if (Pattern.compile("failed over from memory component " + victim.nodeId() + "\\b").matcher(line).find()) {
                    failovers.add(line);
                }
            }
        }
        System.out.println(String.join("\n", failovers));
        assertThat(failovers).as("failover log lines\n" + cluster.logs()).isNotEmpty();
        CliResult after = cluster.lego("status").ok();
        System.out.println(after.stdout());
        assertThat(after.table("NODE")).filteredOn(r -> r.get("NODE").equals(String.valueOf(victim.nodeId())))
                .singleElement().satisfies(r -> assertThat(r).containsEntry("STATE", "ALIVE"));
        if (restarted != null) {
            assertThat(restarted.jvm().stderr()).as("the restarted component's log").doesNotContain("ERROR");
        }
    }
}
