package org.legoos.systemtest;

import static org.assertj.core.api.Assertions.assertThat;

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
import org.legoos.net.protocol.gm.ComponentInfo;
import org.legoos.node.cluster.NodeRole;
import org.legoos.systemtest.LoopbackCluster.Component;
import org.legoos.systemtest.LoopbackCluster.Launch;
import org.legoos.systemtest.programs.SpreadAndWait;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.Timeout;

/**
 * A real cluster of separate JVMs on loopback, driven only through the {@code lego} command as an operator would:
 * one manager (GMM policy round robin), one processor, two memory components with 1 MiB vRegions, one storage
 * component; one vNode. Word count runs over a corpus copied in with {@code lego cp}; then a third memory component
 * joins the running cluster and receives vRegions of a program started after it joined.
 *
 * <p>The cluster is shared by the tests (started once: each JVM costs seconds on a 2-core machine); the word count
 * runs first, so it sees the two-memory-component cluster the scenario describes.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
@Timeout(value = 150, unit = TimeUnit.SECONDS)
class SeparateJvmClusterTest {
    private static final long VREGION_BYTES = 1L << 20;
    private static final String[] MEMORY_OPTIONS = {"--memory.capacity-bytes", "256MiB", "--memory.vregion-bytes", "1MiB",
        "--memory.workers", "2", "--memory.buffer-cache-bytes", "32MiB"};

    private Path dir;
    private LoopbackCluster cluster;

    @BeforeAll
    void startCluster() throws Exception {
        dir = LegoJar.workDir(getClass().getSimpleName());
        long t0 = System.nanoTime();
        cluster = LoopbackCluster.start(dir, List.of("--manager.memory-policy", "round-robin"),
                List.of("--manager.report-interval", "200ms", "--metrics.listen", "127.0.0.1:0"));
        cluster.setUp(() -> {
            cluster.add(Launch.of(NodeRole.PROCESSOR, "--processor.excache-bytes", "16MiB", "--processor.cores", "2"),
                    Launch.of(NodeRole.MEMORY, MEMORY_OPTIONS), Launch.of(NodeRole.MEMORY, MEMORY_OPTIONS),
                    Launch.of(NodeRole.STORAGE));
            System.out.printf("cluster of 5 JVMs up in %d ms: manager %s, %s%n", ms(t0), cluster.managerAddress(),
                    cluster.components());
            CliResult v = cluster.lego("vnode create", "wc").ok();
            assertThat(v.stdout()).contains("created vNode").contains("'wc'");
        });
    }

    @AfterAll
    void stopCluster() {
        if (cluster != null) {
            cluster.close();
        }
    }

    @Test
    @Order(1)
    void wordCountOfACorpusCopiedInWithLegoCpMatchesThePlainReference() throws Exception {
        long seed = Long.getLong("systemtest.seed", System.nanoTime());
        System.out.println("wordCount corpus seed " + seed + " (replay with -Dsystemtest.seed=" + seed + ")");
        Path corpus = dir.resolve("corpus.txt");
        int bytes = 3 << 20;
        try (OutputStream out = new BufferedOutputStream(Files.newOutputStream(corpus))) {
            CorpusGenerator.generate(out, bytes, seed);
        }
        SortedMap<String, Long> expected;
        try (InputStream in = Files.newInputStream(corpus)) {
            expected = WordCount.countPlain(in);
        }

        long t0 = System.nanoTime();
        cluster.lego("cp", corpus.toString(), "wc:/in/corpus.txt").ok();
        long copyMs = ms(t0);
        CliResult ls = cluster.lego("ls", "-l", "wc:/in").ok();
        assertThat(ls.table("TYPE")).singleElement().satisfies(row -> {
            assertThat(row).containsEntry("NAME", "corpus.txt").containsEntry("SIZE", String.valueOf(bytes));
        });

        t0 = System.nanoTime();
        CliResult run = cluster.lego("run", "--vnode", "wc", "wordcount", "/in/corpus.txt", "--top", "10",
                "--out", "/counts.txt", "--verbose");
        long runMs = ms(t0);
        assertThat(run.exitCode()).as("%s%n%s", run, cluster.logs()).isZero();
        assertThat(run.stdout()).as(run.toString()).isEqualTo(WordCount.referenceSummary(expected, 10));

        Path counts = dir.resolve("counts.txt");
        cluster.lego("cp", "wc:/counts.txt", counts.toString()).ok();
        assertThat(Files.readString(counts)).isEqualTo(WordCount.referenceOutput(expected));
        System.out.printf("word count of %d bytes: lego cp in %d ms, lego run %d ms; %s%n", bytes, copyMs, runMs,
                run.stderr().lines().filter(l -> l.contains(" map ")).findFirst().orElse(""));

        // the processor JVM's /metrics (its "ready" line says where): the miss counter its status reports carry, once
        // both have caught up, and no series left of the process that ended
        Component processor = cluster.components().stream().filter(c -> c.role() == NodeRole.PROCESSOR).findFirst().orElseThrow();
        String url = processor.jvm().awaitStdout(Pattern.compile("metrics (http://\\S+/metrics)"), Duration.ofSeconds(10)).group(1);
        double[] seen = new double[2];
        org.legoos.testkit.Await.until("scraped misses = reported misses", Duration.ofSeconds(15), () -> {
            seen[0] = metric(scrape(url), "legoos_excache_misses_total");
            seen[1] = cluster.awaitMember(processor.nodeId(), m -> true, Duration.ofSeconds(5), "listed").resources().excacheMisses();
            return seen[0] == seen[1];
        });
        assertThat(seen[0]).as("misses of the word count").isPositive();
        assertThat(scrape(url)).doesNotContain("legoos_process_excache_misses_total{");
    }

    /** GET {@code url}: the Prometheus text. */
    private static String scrape(String url) {
        try (java.net.http.HttpClient http = java.net.http.HttpClient.newHttpClient()) {
            var r = http.send(java.net.http.HttpRequest.newBuilder(java.net.URI.create(url)).timeout(Duration.ofSeconds(10)).build(),
                    java.net.http.HttpResponse.BodyHandlers.ofString());
            assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
            return r.body();
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** The value of the one series of {@code name} in a scrape. */
    private static double metric(String text, String name) {
        List<String> lines = text.lines().filter(l -> l.startsWith(name + "{") || l.startsWith(name + " ")).toList();
        assertThat(lines).as(name + " in\n" + text).hasSize(1);
        return Double.parseDouble(lines.getFirst().substring(lines.getFirst().lastIndexOf(' ') + 1));
    }

    @Test
    @Order(2)
    void hotAddedMemoryComponentStoresVRegionsOfAProgramStartedAfterItJoined() throws Exception {
        long t0 = System.nanoTime();
        Component added = cluster.add(Launch.of(NodeRole.MEMORY, MEMORY_OPTIONS)).getFirst();
        System.out.printf("hot-added %s in %d ms%n", added, ms(t0));
        CliResult before = cluster.lego("status").ok();
        Map<String, String> row = statusRow(before, added.nodeId());
        assertThat(row).as(before.toString()).containsEntry("ROLE", "memory").containsEntry("STATE", "ALIVE");
        assertThat(row.get("MEMORY USED/CAP")).as(before.toString()).startsWith("0B/");

        Path jar = ProgramJar.write(SpreadAndWait.class, dir.resolve("spread.jar"));
        cluster.lego("cp", jar.toString(), "wc:/bin/spread.jar").ok();
        long length = 12 * VREGION_BYTES; // a dozen vRegions, dealt round robin over three memory components
        JvmProcess run = cluster.startLego("run-spread", "run", "--vnode", "wc", "/bin/spread.jar", String.valueOf(length));
        run.awaitStdout(Pattern.compile("^synced "), Duration.ofSeconds(60));

        // the manager's view (status reports every 200 ms): the new component holds at least one whole vRegion
        ComponentInfo info = cluster.awaitMember(added.nodeId(), m -> m.resources().memoryUsedBytes() >= VREGION_BYTES,
                Duration.ofSeconds(15), "storing a vRegion's pages");
        CliResult during = cluster.lego("status").ok();
        System.out.println(during.stdout());
        Map<String, String> now = statusRow(during, added.nodeId());
        assertThat(now.get("MEMORY USED/CAP")).as(during.toString()).doesNotStartWith("0B/");
        assertThat(now.get("STATE")).isEqualTo("ALIVE");
        long total = cluster.client().members().stream().filter(m -> m.role() == org.legoos.api.ComponentRole.MEMORY)
                .mapToLong(m -> m.resources().memoryUsedBytes()).sum();
        System.out.printf("new memory node %d stores %d of %d bytes on all memory components%n", added.nodeId(),
                info.resources().memoryUsedBytes(), total);

        CliResult ps = cluster.lego("ps").ok();
        Map<String, String> proc = ps.table("PID").stream().filter(r -> r.get("PROGRAM").equals("/bin/spread.jar"))
                .findFirst().orElseThrow(() -> new AssertionError("spread.jar is not in " + ps));
        assertThat(proc.get("STATE")).isEqualTo("RUNNING");
        CliResult kill = cluster.lego("kill", proc.get("PID")).ok();
        assertThat(kill.stdout()).contains("killed pid " + proc.get("PID"));
        assertThat(run.awaitExit(Duration.ofSeconds(30))).as(run.tail()).isEqualTo(137);
    }

    private static Map<String, String> statusRow(CliResult status, int nodeId) {
        return status.table("NODE").stream().filter(r -> r.get("NODE").equals(String.valueOf(nodeId))).findFirst()
                .orElseThrow(() -> new AssertionError("node " + nodeId + " is not in " + status));
    }

    static long ms(long startNanos) {
        return (System.nanoTime() - startNanos) / 1_000_000;
    }

    /**
     * An unmodified C program built to wasm, run over TCP as a process of a processor in its own JVM: the task JVM
     * must find the wasm runtime in the fat lego.jar (its libraries extracted for the task's class path), its files in
     * the vNode, and print what the same C built natively prints; the second run compiles nothing (the vNode's cache).
     */
    @Test
    @Order(3)
    void aCProgramBuiltToWasmPrintsWhatItsNativeBuildPrints() throws Exception {
        Path wasm = Path.of(System.getProperty("legoos.wasm.dir", "../legoos-node/target/wasm")).toAbsolutePath().normalize();
        assertThat(wasm.resolve("wordcount.wasm")).as("the C examples built by scripts/wasm-build (legoos-node's "
                + "test build runs it; or run scripts/wasm-build " + wasm + ")").isRegularFile();
        Path nativeWc = wasm.resolve("native").resolve("wordcount");
        Path input = dir.resolve("wasm-in.txt");
        assertThat(new ProcessBuilder(nativeWc.toString(), "--generate", "1000000", input.toString(), "3").inheritIO()
                .start().waitFor()).isZero();
        Process ref = new ProcessBuilder(nativeWc.toString(), input.toString(), "12").redirectErrorStream(true).start();
        String expected = new String(ref.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        assertThat(ref.waitFor()).isZero();

        cluster.lego("cp", wasm.resolve("wordcount.wasm").toString(), "wc:/apps/wordcount.wasm").ok();
        cluster.lego("cp", input.toString(), "wc:/in/wasm-in.txt").ok();
        for (int i = 0; i < 2; i++) {
            long t0 = System.nanoTime();
            CliResult run = cluster.lego("run", "--vnode", "wc", "/apps/wordcount.wasm", "/in/wasm-in.txt", "12");
            System.out.printf("wordcount.wasm over TCP, run %d: %d ms%n", i + 1, ms(t0));
            assertThat(run.exitCode()).as("%s%n%s", run, cluster.logs()).isZero();
            assertThat(run.stdout()).isEqualTo(expected).startsWith("words ");
        }
        assertThat(cluster.lego("ls", "wc:/.cache/wasm").ok().stdout()).as("the compiled module, cached in the vNode")
                .contains("chicory-");
    }
}
