package org.legoos.node;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SortedMap;
import java.util.concurrent.TimeUnit;
import java.util.jar.Attributes;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;
import java.util.zip.ZipEntry;
import javax.tools.ToolProvider;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.legoos.api.AddressSpace;
import org.legoos.api.LegoContext;
import org.legoos.api.LegoException;
import org.legoos.api.LegoProgram;
import org.legoos.examples.CorpusGenerator;
import org.legoos.examples.WordCount;
import org.legoos.memory.MemoryConfig;
import org.legoos.memory.MemoryMonitor;
import org.legoos.processor.ProcessMonitor;
import org.legoos.processor.ProcessorConfig;
import org.legoos.processor.RemoteFileService;
import org.legoos.processor.client.ProcessClient;
import org.legoos.processor.excache.ExCacheConfig;
import org.legoos.processor.excache.ExCacheStats;
import org.legoos.testkit.Await;

/**
 * The whole splitkernel in one JVM: programs on a processor component, memory on two memory components,
 * files on a storage component, placed by the managers, all through encoded frames.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class LocalClusterEndToEndTest {
    /** 64 lines of 4 KiB, 8 ways: far smaller than word count's working set (several MiB). */
    private static final ExCacheConfig TINY = new ExCacheConfig(256 << 10, 8, ExCacheConfig.Policy.FIFO, 7);
    private LocalCluster cluster;

    /** Maps 4 vRegions' worth of memory, writes every page, msyncs, says so, then waits to be killed. */
    public static final class SpreadAndWait implements LegoProgram {
        @Override
        public int main(LegoContext ctx, String[] args) throws Exception {
            AddressSpace m = ctx.memory();
            long len = Long.parseLong(args[0]);
            long va = m.mmap(len);
            for (long off = 0; off < len; off += AddressSpace.PAGE_SIZE) {
                m.putLong(va + off, off ^ 0x5a5a5a5aL);
            }
            m.msync(va, len);
            for (long off = 0; off < len; off += AddressSpace.PAGE_SIZE) {
                if (m.getLong(va + off) != (off ^ 0x5a5a5a5aL)) {
                    ctx.err().println("bad value at offset " + off);
                    return 3;
                }
            }
            ctx.out().println("synced");
            while (!ctx.killed()) {
                try {
                    Thread.sleep(5);
                } catch (InterruptedException e) {
                    // kill interrupts us; the loop condition sees it
                }
            }
            return 0;
        }
    }

    /** Writes a file through the vNode file system and reads it back. */
    public static final class FileRoundTrip implements LegoProgram {
        @Override
        public int main(LegoContext ctx, String[] args) throws Exception {
            var fs = ctx.fileSystem();
            Files.createDirectories(fs.getPath("/out/nested"));
            Path p = fs.getPath("/out/nested/data.txt");
            Files.writeString(p, "hello disaggregated world\n".repeat(1000));
            String back = Files.readString(p);
            ctx.out().println("size=" + Files.size(p) + " same=" + back.equals("hello disaggregated world\n".repeat(1000)));
            try (var list = Files.list(fs.getPath("/out/nested"))) {
                ctx.out().println("list=" + list.map(x -> x.getFileName().toString()).toList());
            }
            return 0;
        }
    }

    /** Spawns a child process (placed by the GPM) and returns its exit code plus one. */
    public static final class Parent implements LegoProgram {
        @Override
        public int main(LegoContext ctx, String[] args) throws Exception {
            LegoContext.ChildProcess child = ctx.spawn("hello", "from-parent");
            int code = child.waitFor();
            ctx.out().println("child " + child.pid() + " exited " + code);
            return code + 1;
        }
    }

    /** Like SpreadAndWait, but after syncing waits for /go to exist and then reads every page back. */
    public static final class SpreadThenRead implements LegoProgram {
        @Override
        public int main(LegoContext ctx, String[] args) throws Exception {
            AddressSpace m = ctx.memory();
            long len = Long.parseLong(args[0]);
            long va = m.mmap(len);
            for (long off = 0; off < len; off += AddressSpace.PAGE_SIZE) {
                m.putLong(va + off, off);
            }
            m.msync(va, len);
            ctx.out().println("synced");
            while (!Files.exists(ctx.fileSystem().getPath("/go"))) {
                Thread.sleep(5);
            }
            long sum = 0;
            for (long off = 0; off < len; off += AddressSpace.PAGE_SIZE) {
                sum += m.getLong(va + off);
            }
            ctx.out().println("sum=" + sum);
            return 0;
        }
    }

    @BeforeAll
    void start() {
        MemoryConfig mem = MemoryConfig.of(1L << 30).withVregionBytes(1 << 20);
        cluster = LocalCluster.start(LocalCluster.Spec.defaults()
                        .withMemory(mem)
                        .withProcessor(new ProcessorConfig(2, TINY, 64, 2000)),
                Map.of("spread", SpreadAndWait.class, "filetrip", FileRoundTrip.class, "parent", Parent.class));
        cluster.createVNode("e2e");
    }

    @AfterAll
    void stop() {
        cluster.close();
    }

    @Test
    void wordCountIsCorrectWithATinyExCache() throws Exception {
        ByteArrayOutputStream corpus = new ByteArrayOutputStream();
        CorpusGenerator.generate(corpus, 512 << 10, 11);
        byte[] bytes = corpus.toByteArray();
        RemoteFileService files = cluster.files("e2e");
        files.create("/wc.txt", false);
        files.write("/wc.txt", 0, ByteBuffer.wrap(bytes));
        files.close("/wc.txt");
        SortedMap<String, Long> expected = WordCount.countPlain(new ByteArrayInputStream(bytes));

        ProcessMonitor pm = cluster.processors().get(0);
        ExCacheStats before = pm.excacheStats();
        LocalCluster.RunResult r = cluster.run("e2e", "wordcount", "/wc.txt", "--threads", "2", "--top", "5", "--out", "/wc.out");
        ExCacheStats used = pm.excacheStats().minus(before);

        assertThat(r.exitCode()).as(r.stderr()).isZero();
        assertThat(r.stdout()).isEqualTo(WordCount.referenceSummary(expected, 5));
        ByteBuffer out = ByteBuffer.allocate((int) files.stat("/wc.out").size());
        long off = 0;
        while (out.hasRemaining()) {
            int n = files.read("/wc.out", off, out);
            assertThat(n).isPositive();
            off += n;
        }
        assertThat(new String(out.array(), StandardCharsets.UTF_8)).isEqualTo(WordCount.referenceOutput(expected));
        // a 256 KiB ExCache cannot hold word count's tables: lines were evicted, written back and fetched again
        assertThat(used.evictions()).isPositive();
        assertThat(used.flushes() + used.piggybacks()).isPositive();
        assertThat(used.misses() - used.zeroFills()).as("misses that went to a memory component").isPositive();
    }

    @Test
    void segfaultingProgramReportsItsErrorAndTheClusterKeepsServing() throws Exception {
        LocalCluster.RunResult bad = cluster.run("e2e", "segfault");
        assertThat(bad.exitCode()).isEqualTo(ProcessMonitor.EXIT_SEGFAULT);
        assertThat(bad.stderr()).contains("Segmentation fault");
        assertThat(bad.error()).contains("Segmentation fault");

        LocalCluster.RunResult good = cluster.run("e2e", "hello", "a", "b");
        assertThat(good.exitCode()).isZero();
        assertThat(good.stdout()).contains("hello from pid " + good.pid()).contains("e2e");
        assertThat(cluster.processors().get(0).processCount()).isZero();
    }

    /** Waits until the program prints "synced"; fails at once if it ends before. */
    private static void awaitSynced(ProcessClient.Running p, ByteArrayOutputStream out, ByteArrayOutputStream err) {
        Await.until("the program syncs", Duration.ofSeconds(60),
                () -> out.toString(StandardCharsets.UTF_8).contains("synced") || p.onExit().isDone());
        assertThat(out.toString(StandardCharsets.UTF_8)).as("program ended early: " + err).contains("synced");
    }

    @Test
    void addressSpaceLargerThanOneVRegionSpreadsOverBothMemoryComponentsAndKillStopsIt() throws Exception {
        List<MemoryMonitor> mems = cluster.memories();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        ProcessClient.Running p = cluster.processes().start("e2e", "spread", List.of(String.valueOf(4L << 20)), out, err);
        awaitSynced(p, out, err);
        List<Long> used = new ArrayList<>();
        for (MemoryMonitor m : mems) {
            used.add(m.resources().memoryUsedBytes());
        }
        assertThat(used).as("bytes stored per memory component").allMatch(b -> b > 0);
        assertThat(used.stream().mapToLong(Long::longValue).sum()).isGreaterThanOrEqualTo(4L << 20);

        p.kill();
        assertThat(p.waitFor(Duration.ofSeconds(30))).isEqualTo(ProcessMonitor.EXIT_KILLED);
        // the address space is freed everywhere after exit
        for (MemoryMonitor m : mems) {
            assertThat(m.resources().memoryUsedBytes()).isZero();
        }
    }

    @Test
    void spawnedChildRunsInItsOwnAddressSpaceAndItsOutputReachesTheParent() throws Exception {
        LocalCluster.RunResult r = cluster.run("e2e", "parent");
        assertThat(r.exitCode()).as(r.stderr()).isEqualTo(1);
        assertThat(r.stdout()).contains("hello from pid").contains("from-parent").containsPattern("child \\d+ exited 0");
    }

    @Test
    void programWhoseMemoryComponentDiesGetsAClearErrorAndOthersAreUnaffected() throws Exception {
        // without replication (replicas 1) the pages on the dead component are lost: the honest limit. Once the
        // manager declares it dead, the home says so in its owner map, and the access fails at once (not after the
        // processor's wait for a failover)
        try (LocalCluster own = LocalCluster.start(LocalCluster.Spec.defaults()
                        .withMemory(MemoryConfig.of(1L << 30).withWorkers(0).withVregionBytes(1 << 20).withReplicas(1))
                        .withProcessor(new ProcessorConfig(2, TINY, 64, 2000))
                        .withCounts(1, 3, 1)
                        .withManager(org.legoos.manager.ManagerConfig.defaults().withHeartbeatTimeoutMillis(1_500)
                                .withTickPeriodMillis(100)),
                Map.of("spreadread", SpreadThenRead.class))) {
            int cacheNode = own.createVNode("v").cacheMemoryNode();
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            ByteArrayOutputStream err = new ByteArrayOutputStream();
            ProcessClient.Running p = own.processes().start("v", "spreadread", List.of(String.valueOf(4L << 20)), out, err);
            awaitSynced(p, out, err);
            // crash a memory component holding pages of the process that neither caches the vNode's files (the test
            // writes /go through that one) nor is the process's home (which says the pages there are lost)
            List<org.legoos.memory.MemoryMonitor> mems = own.memories();
            int victimIndex = -1;
            for (int i = 0; i < mems.size(); i++) {
                var st = mems.get(i).stats();
                if (mems.get(i).nodeId() != cacheNode && st.homeSpaces() == 0 && st.ownedSpaces() > 0) {
                    victimIndex = i;
                }
            }
            assertThat(victimIndex).as("a memory component to crash").isNotNegative();
            int victim = own.memoryNodeIds().get(victimIndex);
            own.crashMemory(victimIndex);
            RemoteFileService files = own.files("v");
            files.create("/go", false);
            files.close("/go");

            assertThat(p.waitFor(Duration.ofSeconds(60))).isEqualTo(1);
            assertThat(err.toString(StandardCharsets.UTF_8))
                    .contains("memory component node " + victim).contains("unavailable")
                    .contains("declared dead without a replica");
            assertThat(own.processors().get(0).processCount()).isZero();
            LocalCluster.RunResult hello = own.run("v", "hello");
            assertThat(hello.exitCode()).as(hello.stderr()).isZero();
        }
    }

    @Test
    void programsSeeTheirVNodeFileSystem() throws Exception {
        LocalCluster.RunResult r = cluster.run("e2e", "filetrip");
        assertThat(r.exitCode()).as(r.stderr()).isZero();
        assertThat(r.stdout()).contains("size=26000 same=true").contains("list=[data.txt]");
    }

    @Test
    void programLoadedFromAJarStoredInTheVNode(@TempDir Path tmp) throws Exception {
        Path src = tmp.resolve("demo/JarHello.java");
        Files.createDirectories(src.getParent());
        Files.writeString(src, """
                package demo;
                public class JarHello implements org.legoos.api.LegoProgram {
                    public int main(org.legoos.api.LegoContext ctx, String[] args) {
                        long va = ctx.memory().mmap(8192);
                        ctx.memory().putLong(va + 4096, 41);
                        ctx.out().println("from jar: " + (ctx.memory().getLong(va + 4096) + 1));
                        return 7;
                    }
                }
                """);
        Path classes = tmp.resolve("classes");
        int rc = ToolProvider.getSystemJavaCompiler().run(null, null, null, "-d", classes.toString(),
                "-cp", Path.of(LegoProgram.class.getProtectionDomain().getCodeSource().getLocation().toURI()).toString(),
                src.toString());
        assertThat(rc).isZero();
        ByteArrayOutputStream jar = new ByteArrayOutputStream();
        Manifest mf = new Manifest();
        mf.getMainAttributes().put(Attributes.Name.MANIFEST_VERSION, "1.0");
        mf.getMainAttributes().putValue("Lego-Program", "demo.JarHello");
        try (JarOutputStream j = new JarOutputStream(jar, mf)) {
            j.putNextEntry(new ZipEntry("demo/JarHello.class"));
            j.write(Files.readAllBytes(classes.resolve("demo/JarHello.class")));
            j.closeEntry();
        }
        RemoteFileService files = cluster.files("e2e");
        files.mkdir("/bin");
        files.create("/bin/hello.jar", false);
        files.write("/bin/hello.jar", 0, ByteBuffer.wrap(jar.toByteArray()));
        files.close("/bin/hello.jar");

        LocalCluster.RunResult r = cluster.run("e2e", "/bin/hello.jar");
        assertThat(r.exitCode()).as(r.stderr()).isEqualTo(7);
        assertThat(r.stdout()).isEqualTo("from jar: 42\n");
    }

    @Test
    void unknownProgramAndUnknownVNodeAreClearErrors() {
        assertThatThrownBy(() -> cluster.run("e2e", "no-such-program"))
                .isInstanceOf(LegoException.class).hasMessageContaining("no-such-program");
        assertThatThrownBy(() -> cluster.run("nope", "hello"))
                .isInstanceOf(LegoException.class).hasMessageContaining("nope");
        assertThat(cluster.processors().get(0).processCount()).isZero();
    }
}
