package org.legoos.node.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.legoos.api.AddressSpace;
import org.legoos.api.ComponentRole;
import org.legoos.api.LegoContext;
import org.legoos.api.LegoException;
import org.legoos.api.LegoProgram;
import org.legoos.memory.MemoryMonitor;
import org.legoos.net.protocol.gm.ComponentInfo;
import org.legoos.net.protocol.gm.VNodeInfo;
import org.legoos.node.config.LegoConfig;
import org.legoos.processor.RemoteFileService;
import org.legoos.processor.client.ProcessClient;
import org.legoos.testkit.Await;
import org.legoos.testkit.ReservedPort;

/** The components as separate TCP endpoints (in one JVM, on loopback): joining, running, restarting, failing. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class TcpClusterTest {
    /** Small and tolerant of a loaded 2-core build machine. */
    /** {@link #baseConfig()} with the shared test certificates, for managers and components started by hand. */
    static LegoConfig testConfig() {
        return TestCerts.with(baseConfig());
    }

    /** Small sizes and quick reports; no security.dir, so a {@link TcpCluster} makes its own certificates. */
    static LegoConfig baseConfig() {
        return LegoConfig.defaults()
                .with("manager.heartbeatTimeout", "10s").with("manager.reportInterval", "100ms")
                .with("manager.joinTimeout", "10s")
                .with("processor.excacheBytes", "1MiB").with("processor.excacheWays", "16").with("processor.cores", "2")
                .with("memory.capacityBytes", "64MiB").with("memory.vregionBytes", "1MiB").with("memory.workers", "2")
                .with("memory.bufferCacheBytes", "4MiB");
    }

    /** Maps {@code args[0]} bytes, writes every page, reads them back. */
    public static final class Touch implements LegoProgram {
        @Override
        public int main(LegoContext ctx, String[] args) {
            AddressSpace m = ctx.memory();
            long len = Long.parseLong(args[0]);
            long va = m.mmap(len);
            for (long off = 0; off < len; off += AddressSpace.PAGE_SIZE) {
                m.putLong(va + off, off + 1);
            }
            m.msync(va, len);
            for (long off = 0; off < len; off += AddressSpace.PAGE_SIZE) {
                if (m.getLong(va + off) != off + 1) {
                    return 3;
                }
            }
            ctx.out().println("touched " + len);
            return 0;
        }
    }

    private static String run(ClusterClient client, String vnode, String program, String... args) throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ProcessClient.Running r = client.processes().start(vnode, program, List.of(args), out, new ByteArrayOutputStream());
        Integer code = r.waitFor(Duration.ofSeconds(30));
        assertThat(code).as("exit of " + program + " (" + r.error() + ")").isEqualTo(0);
        return out.toString(StandardCharsets.UTF_8);
    }

    @Test
    void programsRunOverTcpWithTheirFilesAndMemoryOnOtherComponents() throws Exception {
        try (TcpCluster cluster = TcpCluster.start(testConfig(), 1, 2, 1, Map.of("touch", Touch.class,
                "protect", org.legoos.node.mm.MemoryProtectionTest.Protect.class,
                "mapfile", org.legoos.node.mm.FileMappingTest.MapFile.class));
             ClusterClient client = cluster.client()) {
            assertThat(client.members()).extracting(ComponentInfo::role)
                    .containsExactly(ComponentRole.STORAGE, ComponentRole.MEMORY, ComponentRole.MEMORY, ComponentRole.PROCESSOR);
            assertThat(client.members()).allSatisfy(m -> assertThat(m.address()).startsWith("127.0.0.1:").doesNotEndWith(":0"));
            VNodeInfo v = client.createVNode("tcp", 0, 0);
            assertThat(client.vnodes()).extracting(VNodeInfo::name).containsExactly("tcp");

            assertThat(run(client, "tcp", "hello", "over", "tcp")).isEqualTo("hello from pid 1 on vNode tcp\nover tcp\n");
            assertThat(run(client, "tcp", "touch", String.valueOf(4L << 20))).isEqualTo("touched 4194304\n");
            // the 4 vRegions of 1 MiB went round robin over both memory components
            for (ComponentNode m : cluster.components(NodeRole.MEMORY)) {
                assertThat(((MemoryMonitor) m.monitor()).stats().missesServed() + ((MemoryMonitor) m.monitor()).stats().pagesFlushed())
                        .as("traffic at memory node " + m.nodeId()).isPositive();
            }

            RemoteFileService files = client.files("tcp");
            files.create("/a.txt", true);
            files.write("/a.txt", 0, ByteBuffer.wrap("over the wire".getBytes(StandardCharsets.UTF_8)));
            files.close("/a.txt");
            ByteBuffer back = ByteBuffer.allocate(64);
            int n = files.read("/a.txt", 0, back);
            assertThat(new String(back.array(), 0, n, StandardCharsets.UTF_8)).isEqualTo("over the wire");
            assertThat(v.storageNode()).isEqualTo(cluster.components(NodeRole.STORAGE).getFirst().nodeId());

            // mprotect and file mappings over the wire
            assertThat(run(client, "tcp", "protect")).contains("checks 18");
            byte[] big = new byte[(1 << 20) + 77];
            new java.util.Random(9).nextBytes(big);
            files.create("/big.bin", true);
            files.write("/big.bin", 0, ByteBuffer.wrap(big));
            files.close("/big.bin");
            java.nio.file.Path local = java.nio.file.Files.createTempFile("big", ".bin");
            try {
                java.nio.file.Files.write(local, big);
                assertThat(run(client, "tcp", "mapsum", "/big.bin").trim())
                        .isEqualTo(org.legoos.examples.MappedFileSum.plain(local).toString());
            } finally {
                java.nio.file.Files.delete(local);
            }
            assertThat(run(client, "tcp", "mapfile", "eof", "/a.txt", "13")).contains("ok eof");
        }
    }

    @Test
    void componentsAddedLaterReceiveNewWork() throws Exception {
        try (TcpCluster cluster = TcpCluster.start(testConfig(), 1, 1, 1, Map.of("touch", Touch.class));
             ClusterClient client = cluster.client()) {
            client.createVNode("first", 0, 0);
            ComponentNode storage2 = cluster.add(NodeRole.STORAGE);
            ComponentNode memory2 = cluster.add(NodeRole.MEMORY);
            cluster.awaitAlive(5, Duration.ofSeconds(10));
            // GSM: the new storage component serves fewer vNodes, so it gets the next one
            assertThat(client.createVNode("second", 0, 0).storageNode()).isEqualTo(storage2.nodeId());
            // GMM round robin: the new memory component owns some of the new vRegions
            run(client, "second", "touch", String.valueOf(4L << 20));
            assertThat(((MemoryMonitor) memory2.monitor()).stats().pagesFlushed() + ((MemoryMonitor) memory2.monitor()).stats().missesServed())
                    .isPositive();
        }
    }

    @Test
    void aRestartedManagerKeepsVNodesAndItsComponentsReportBack(@TempDir Path state) throws Exception {
        LegoConfig cfg = testConfig().with("manager.stateDir", state.toString());
        try (TcpCluster cluster = TcpCluster.start(cfg, 1, 1, 1, Map.of())) {
            try (ClusterClient client = cluster.client()) {
                client.createVNode("durable", 0, 0);
            }
            ManagerNode restarted = cluster.restartManager();
            assertThat(restarted.address()).isEqualTo(cluster.managerAddress());
            cluster.awaitAlive(3, Duration.ofSeconds(15));
            try (ClusterClient client = cluster.client()) {
                assertThat(client.vnodes()).extracting(VNodeInfo::name).containsExactly("durable");
                assertThat(client.members()).hasSize(3).allSatisfy(m -> assertThat(m.state()).isEqualTo(org.legoos.api.ComponentState.ALIVE));
                assertThat(run(client, "durable", "hello")).startsWith("hello from pid");
            }
        }
    }

    @Test
    void aStoppedComponentIsMarkedDead() throws Exception {
        LegoConfig cfg = testConfig().with("manager.heartbeatTimeout", "600ms").with("manager.heartbeatCheckInterval", "50ms");
        try (TcpCluster cluster = TcpCluster.start(cfg, 1, 2, 1, Map.of());
             ClusterClient client = cluster.client()) {
            ComponentNode memory = cluster.components(NodeRole.MEMORY).getLast();
            cluster.stop(memory);
            Await.until("the manager marks the stopped memory component dead", () -> client.members().stream()
                    .filter(m -> m.nodeId() == memory.nodeId()).findFirst().orElseThrow().state() == org.legoos.api.ComponentState.DEAD);
        }
    }

    @Test
    void aComponentWaitsForTheManagerThenGivesUp() {
        try (ReservedPort nowhere = ReservedPort.reserve()) {
            LegoConfig cfg = testConfig().with("manager.address", nowhere.address()).with("manager.joinTimeout", "300ms");
            assertThatThrownBy(() -> ComponentNode.start(NodeRole.MEMORY, cfg))
                    .isInstanceOf(ClusterUnreachableException.class)
                    .hasMessageStartingWith("cannot reach the manager at " + nowhere.address() + " within 300 ms");
        }
    }

    @Test
    void aComponentStartedBeforeItsManagerJoinsOnceItIsUp(@TempDir Path dir) throws Exception {
        try (ReservedPort managerPort = ReservedPort.reserve()) { // refused until the manager listens there
            aComponentStartedBeforeItsManagerJoinsOnceItIsUp(dir, managerPort.address());
        }
    }

    private void aComponentStartedBeforeItsManagerJoinsOnceItIsUp(Path dir, String managerAddress) throws Exception {
        LegoConfig cfg = testConfig().with("manager.address", managerAddress).with("manager.stateDir", "")
                .with("storage.root", dir.toString());
        ComponentNode[] started = new ComponentNode[1];
        Thread t = Thread.ofPlatform().start(() -> started[0] = ComponentNode.start(NodeRole.STORAGE, cfg));
        // between its attempts to reach the manager the component sleeps its backoff
        Await.until("the component waits for the manager", () -> t.getState() == Thread.State.TIMED_WAITING);
        try (ManagerNode manager = ManagerNode.start(cfg)) {
            t.join(15_000);
            assertThat(started[0]).isNotNull();
            try (ComponentNode storage = started[0]) {
                assertThat(storage.nodeId()).isEqualTo(2);
                assertThat(manager.manager().members()).extracting(ComponentInfo::address).containsExactly(storage.address());
            }
        }
    }

    @Test
    void clientsOfAMissingManagerGetClusterUnreachable() {
        try (ReservedPort nowhere = ReservedPort.reserve()) {
            assertThatThrownBy(() -> ClusterClient.connect(nowhere.address(), Duration.ofSeconds(2)))
                    .isInstanceOf(ClusterUnreachableException.class)
                    .hasMessageStartingWith("cannot reach the manager at " + nowhere.address());
        }
        assertThatThrownBy(() -> ClusterClient.connect("nonsense")).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("is not host:port");
    }

    @Test
    void killAndPsReachEveryProcessor() throws Exception {
        try (TcpCluster cluster = TcpCluster.start(testConfig(), 2, 1, 1, Map.of("sleep", Sleep.class));
             ClusterClient client = cluster.client()) {
            client.createVNode("ps", 0, 0);
            ProcessClient.Running a = client.processes().start("ps", "sleep", List.of(), new ByteArrayOutputStream(),
                    new ByteArrayOutputStream());
            // the GPM places by reported load: once a's processor reports its thread, b goes to the other one
            Await.until("the processor of a reports its thread", () -> client.members().stream()
                    .anyMatch(m -> m.nodeId() == a.processorNode() && m.resources().threadsRunning() > 0));
            ProcessClient.Running b = client.processes().start("ps", "sleep", List.of(), new ByteArrayOutputStream(),
                    new ByteArrayOutputStream());
            assertThat(a.processorNode()).isNotEqualTo(b.processorNode());
            ClusterClient.ProcessTable table = client.ps();
            assertThat(table.unreachable()).isEmpty();
            assertThat(table.rows()).extracting(r -> r.process().pid()).containsExactly(a.pid(), b.pid());
            assertThat(client.kill(a.pid()).processor().nodeId()).isEqualTo(a.processorNode());
            assertThat(a.waitFor(Duration.ofSeconds(10))).isEqualTo(137);
            client.kill(b.pid());
            assertThat(b.waitFor(Duration.ofSeconds(10))).isEqualTo(137);
            assertThatThrownBy(() -> client.kill(a.pid())).isInstanceOf(LegoException.class).hasMessageContaining("no process with pid");
        }
    }

    /** Runs until killed. */
    public static final class Sleep implements LegoProgram {
        @Override
        public int main(LegoContext ctx, String[] args) {
            while (!ctx.killed()) {
                try {
                    Thread.sleep(10);
                } catch (InterruptedException e) {
                    // a kill interrupts; the loop sees it
                }
            }
            return 0;
        }
    }
}
