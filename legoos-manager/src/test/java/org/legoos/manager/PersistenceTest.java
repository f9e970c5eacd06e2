package org.legoos.manager;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.legoos.manager.TestCluster.GIB;
import static org.legoos.manager.TestCluster.status;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.legoos.api.ComponentState;
import org.legoos.manager.TestCluster.Component;
import org.legoos.net.protocol.gm.PlaceProcess;
import org.legoos.net.protocol.gm.Placement;
import org.legoos.net.protocol.gm.ProcessExited;
import org.legoos.net.protocol.gm.Register;
import org.legoos.net.protocol.gm.VNodeCreate;
import org.legoos.net.protocol.gm.VNodeInfo;
import org.legoos.net.protocol.gm.VNodeRemove;
import org.legoos.net.rpc.RpcNode;
import org.legoos.net.rpc.Status;
import org.legoos.net.transport.local.LocalFabric;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

@Timeout(value = 10, unit = TimeUnit.SECONDS)
class PersistenceTest {
    @TempDir
    Path dir;
    private TestCluster c;

    @AfterEach
    void close() {
        if (c != null) {
            c.close();
        }
    }

    private TestCluster persistent() {
        c = new TestCluster(TestCluster.testConfig().withStateDir(dir));
        return c;
    }

    private Path stateFile() {
        return dir.resolve(StateStore.FILE_NAME);
    }

    @Test
    void vnodesIdsPidsAndProcessesSurviveARestart() {
        persistent();
        Component p = c.processor("p1", 4, 0);
        Component m = c.memory("m1", 4 * GIB, 0);
        Component s = c.storage("s1", 0);
        VNodeInfo web = c.call(new VNodeCreate("web", 3 * GIB, 7 * GIB, 5));
        VNodeInfo db = c.createVNode("db");
        Placement running = c.call(new PlaceProcess(web.id(), 2));
        long exited = c.call(new PlaceProcess(db.id(), 1)).pid();
        c.send(new ProcessExited(exited, db.id()));

        c.restartManager();

        VNodeInfo webAfter = c.manager.vnode("web");
        assertThat(webAfter).isEqualTo(new VNodeInfo(web.id(), "web", web.virtualIp(), web.storageRoot(), s.id, m.id,
                3 * GIB, 7 * GIB, 5, 1));
        assertThat(c.manager.vnode("db")).isEqualTo(db);
        // restored components are known (same ids) but DEAD until they report
        assertThat(c.manager.members()).extracting(i -> i.nodeId() + " " + i.role().wireName() + " " + i.address() + " " + i.state())
                .containsExactly(p.id + " processor p1 DEAD", m.id + " memory m1 DEAD", s.id + " storage s1 DEAD");
        assertThat(c.managerRpc.peerAddress(s.id)).isEqualTo("s1");

        p.report(TestCluster.processorResources(4, 2));
        m.report(TestCluster.memoryResources(4 * GIB, 0));
        s.report(TestCluster.storageResources(0));
        assertThat(c.manager.members()).allSatisfy(i -> assertThat(i.state()).isEqualTo(ComponentState.ALIVE));

        // re-registering keeps the id; a new address gets a never-used id
        assertThat(p.call(new Register("processor", "p1", TestCluster.processorResources(4, 2))).nodeId()).isEqualTo(p.id);
        assertThat(c.processor("p2", 4, 0).id).isEqualTo(s.id + 1);
        // the pid counter continues; the running process still counts
        assertThat(c.call(new PlaceProcess(web.id(), 1)).pid()).isGreaterThan(exited);
        assertThatThrownBy(() -> c.call(new VNodeRemove("web")))
                .satisfies(e -> assertThat(status(e)).isEqualTo(Status.DENIED))
                .hasMessageContaining(String.valueOf(running.pid()));
        // vNode ids and IPs are not handed out again
        VNodeInfo cache = c.createVNode("cache");
        assertThat(cache.id()).isGreaterThan(db.id());
        assertThat(cache.virtualIp()).isNotIn(web.virtualIp(), db.virtualIp());
        assertThatThrownBy(() -> c.createVNode("web"))
                .satisfies(e -> assertThat(status(e)).isEqualTo(Status.EXISTS));
    }

    /**
     * A vNode whose cache memory component is declared dead gets a live one instead, and keeps it across a restart
     * of the manager (the dead one is not named again when the state is read back).
     */
    @Test
    void aVNodesFileCacheMovesOffADeadMemoryComponentAndStaysMoved() {
        persistent();
        Component p = c.processor("p1", 4, 0);
        Component s = c.storage("s1", 0);
        Component m1 = c.memory("m1", 4 * GIB, 0);
        Component m2 = c.memory("m2", 4 * GIB, 0);
        VNodeInfo v = c.createVNode("web");
        Component cache = v.cacheMemoryNode() == m1.id ? m1 : m2;
        Component other = cache == m1 ? m2 : m1;

        c.clock.addAndGet(800);
        for (Component x : java.util.List.of(p, s, other)) {
            x.report(x == p ? TestCluster.processorResources(4, 0) : x == s ? TestCluster.storageResources(0)
                    : TestCluster.memoryResources(4 * GIB, 0));
        }
        c.advanceAndTick(400); // the cache silent for 1200 ms > 1000: DEAD
        assertThat(c.manager.vnode("web").cacheMemoryNode()).isEqualTo(other.id);

        c.restartManager();
        assertThat(c.manager.vnode("web").cacheMemoryNode()).isEqualTo(other.id);
    }

    @Test
    void removedVNodeStaysRemovedAfterRestart() {
        persistent().withBasicComponents();
        c.createVNode("web");
        c.createVNode("db");
        c.call(new VNodeRemove("web"));
        c.restartManager();
        assertThat(c.manager.vnodes()).extracting(VNodeInfo::name).containsExactly("db");
    }

    @Test
    void savesAtomicallyWithoutLeavingATemporaryFile() throws IOException {
        persistent().withBasicComponents();
        c.createVNode("web");
        assertThat(stateFile()).exists();
        assertThat(dir.resolve(StateStore.FILE_NAME + ".tmp")).doesNotExist();
        assertThat(Files.readString(stateFile())).contains("vnode ", " web ").endsWith("\n");
    }

    @Test
    void aStateFileOfGarbageIsAClearErrorNamingTheFile() throws IOException {
        Files.writeString(stateFile(), "this is not a manager state\n");
        assertThatThrownBy(this::persistent)
                .isInstanceOf(ManagerStateException.class)
                .hasMessageContaining(stateFile().toString())
                .hasMessageContaining("corrupt");
    }

    @Test
    void anEditedOrTruncatedStateFileIsDetected() throws IOException {
        persistent().withBasicComponents();
        c.createVNode("web");
        c.close();
        c = null;
        String good = Files.readString(stateFile());

        Files.writeString(stateFile(), good.replace(" web ", " www "));
        assertThatThrownBy(this::persistent)
                .isInstanceOf(ManagerStateException.class)
                .hasMessageContaining(stateFile().toString())
                .hasMessageContaining("checksum");

        Files.writeString(stateFile(), good.substring(0, good.length() / 2));
        assertThatThrownBy(this::persistent)
                .isInstanceOf(ManagerStateException.class)
                .hasMessageContaining(stateFile().toString())
                .hasMessageContaining("truncated");

        Files.writeString(stateFile(), good);
        persistent();
        assertThat(c.manager.vnode("web").name()).isEqualTo("web");
    }

    @Test
    void aWellFormedButInconsistentStateFileIsRejectedWithItsLine() throws IOException {
        String body = "legoos-manager-state 1\nnext-node-id 3\nnext-vnode-id 1\nnext-pid 1\nip-cursor 0\n"
                + "component 2 processor p1\ncomponent 7 memory m1\n";
        java.util.zip.CRC32 crc = new java.util.zip.CRC32();
        crc.update(body.getBytes(StandardCharsets.UTF_8));
        Files.writeString(stateFile(), body + "end " + Long.toHexString(crc.getValue()) + "\n");
        assertThatThrownBy(this::persistent)
                .isInstanceOf(ManagerStateException.class)
                .hasMessageContaining(stateFile().toString())
                .hasMessageContaining("component 7");
    }

    /** A vNode saved before storage quotas existed (eight fields) comes back with the default storage quota. */
    @Test
    void aVNodeSavedBeforeStorageQuotasGetsTheDefault() throws IOException {
        String body = "legoos-manager-state 1\nnext-node-id 5\nnext-vnode-id 2\nnext-pid 1\nip-cursor 1\n"
                + "component 2 processor old-p\ncomponent 3 memory old-m\ncomponent 4 storage old-s\n"
                + "vnode 1 old 10.77.0.1 4 3 1073741824 8\n";
        java.util.zip.CRC32 crc = new java.util.zip.CRC32();
        crc.update(body.getBytes(StandardCharsets.UTF_8));
        Files.writeString(stateFile(), body + "end " + Long.toHexString(crc.getValue()) + "\n");
        persistent();
        VNodeInfo old = c.manager.vnode("old");
        assertThat(old.storageQuotaBytes()).isEqualTo(c.config.defaultStorageQuotaBytes());
        assertThat(old.memoryQuotaBytes()).isEqualTo(1L << 30);
        assertThat(old.maxProcesses()).isEqualTo(8);
        c.withBasicComponents(); // new components (other addresses): the old ones stay DEAD
        c.createVNode("new"); // saved again, now with nine fields
        assertThat(Files.readString(stateFile())).contains("vnode 1 old 10.77.0.1 4 3 1073741824 8 "
                + c.config.defaultStorageQuotaBytes() + "\n");
    }

    @Test
    void twoManagersCannotShareAStateDirectory() {
        persistent();
        LocalFabric other = new LocalFabric();
        try (RpcNode rpc = new RpcNode("manager-2", other.newTransport(), RpcNode.Config.DEFAULT)) {
            assertThatThrownBy(() -> new GlobalManager(rpc, c.config, c.clock::get))
                    .isInstanceOf(ManagerStateException.class)
                    .hasMessageContaining(dir.toString());
        }
    }

    @Test
    void withoutAStateDirNothingIsWritten() throws IOException {
        c = new TestCluster(TestCluster.testConfig());
        c.withBasicComponents();
        c.createVNode("web");
        assertThat(c.manager.stateFile()).isNull();
        try (var files = Files.list(dir)) {
            assertThat(files).isEmpty();
        }
    }
}
