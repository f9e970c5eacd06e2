package org.legoos.manager;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.legoos.manager.TestCluster.GIB;
import static org.legoos.manager.TestCluster.status;

import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.legoos.api.ComponentUnavailableException;
import org.legoos.api.QuotaExceededException;
import org.legoos.manager.TestCluster.Component;
import org.legoos.net.protocol.gm.PlaceProcess;
import org.legoos.net.protocol.gm.ProcessExited;
import org.legoos.net.protocol.gm.StorageAttach;
import org.legoos.net.protocol.gm.StorageDetach;
import org.legoos.net.protocol.gm.VNodeCreate;
import org.legoos.net.protocol.gm.VNodeGet;
import org.legoos.net.protocol.gm.VNodeInfo;
import org.legoos.net.protocol.gm.VNodeList;
import org.legoos.net.protocol.gm.VNodeListRequest;
import org.legoos.net.protocol.gm.VNodeRemove;
import org.legoos.net.rpc.Status;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

@Timeout(value = 10, unit = TimeUnit.SECONDS)
class VNodeTest {
    private TestCluster c = new TestCluster(TestCluster.testConfig());

    @AfterEach
    void close() {
        c.close();
    }

    @Test
    void createAttachesStorageBeforeReplyingThenListGetAndRemove() {
        c.processor("p1", 4, 0);
        Component m = c.memory("m1", GIB, 0);
        Component s = c.storage("s1", 0);

        VNodeInfo web = c.call(new VNodeCreate("web", 2 * GIB, 0, 8));
        assertThat(s.attaches).containsExactly(new StorageAttach(web.id(), "web"));
        assertThat(web.name()).isEqualTo("web");
        assertThat(web.storageNode()).isEqualTo(s.id);
        assertThat(web.cacheMemoryNode()).isEqualTo(m.id);
        assertThat(web.storageRoot()).isEqualTo("/vnode-" + web.id());
        assertThat(web.memoryQuotaBytes()).isEqualTo(2 * GIB);
        assertThat(web.storageQuotaBytes()).isEqualTo(ManagerConfig.defaults().defaultStorageQuotaBytes());
        assertThat(web.maxProcesses()).isEqualTo(8);
        assertThat(web.processes()).isZero();
        assertThat(web.virtualIp()).startsWith("10.77.");

        VNodeInfo db = c.createVNode("db");
        VNodeList list = c.call(new VNodeListRequest());
        assertThat(list.vnodes()).containsExactly(web, db);
        assertThat(c.call(new VNodeGet("web"))).isEqualTo(web);
        assertThat(c.call(new VNodeGet(String.valueOf(db.id())))).isEqualTo(db);

        assertThat(s.detaches).isEmpty();
        c.call(new VNodeRemove("web"));
        assertThat(s.detaches).as("removal detaches the vNode's storage").containsExactly(new StorageDetach(web.id(), "web"));
        assertThat(c.manager.vnodes()).containsExactly(db);
        assertThatThrownBy(() -> c.call(new VNodeGet("web")))
                .satisfies(e -> assertThat(status(e)).isEqualTo(Status.NOT_FOUND));
        c.call(new VNodeRemove(String.valueOf(db.id())));
        assertThat(c.manager.vnodes()).isEmpty();
        assertThat(s.detaches).extracting(StorageDetach::vnodeName).containsExactly("web", "db");
    }

    @Test
    void zeroQuotaAndLimitMeanTheConfiguredDefaults() {
        c.withBasicComponents();
        VNodeInfo v = c.call(new VNodeCreate("web", 0, 0, 0));
        assertThat(v.memoryQuotaBytes()).isEqualTo(c.config.defaultMemoryQuotaBytes());
        assertThat(v.maxProcesses()).isEqualTo(c.config.defaultMaxProcesses());
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "Web", "-web", "web_1", "web.1", "web 1", "123",
            "a234567890123456789012345678901234567890123456789012345678901234"})
    void invalidNamesAreRejected(String name) {
        c.withBasicComponents();
        assertThatThrownBy(() -> c.createVNode(name))
                .satisfies(e -> assertThat(status(e)).isEqualTo(Status.INVALID_ARGUMENT))
                .hasMessageContaining("vNode name");
        assertThat(c.manager.vnodes()).isEmpty();
    }

    @ParameterizedTest
    @ValueSource(strings = {"a", "0web", "web-1", "a23456789012345678901234567890123456789012345678901234567890123"})
    void validNamesAreAccepted(String name) {
        c.withBasicComponents();
        assertThat(c.createVNode(name).name()).isEqualTo(name);
    }

    @Test
    void negativeQuotaIsRejected() {
        c.withBasicComponents();
        assertThatThrownBy(() -> c.call(new VNodeCreate("web", -1, 0, 0)))
                .satisfies(e -> assertThat(status(e)).isEqualTo(Status.INVALID_ARGUMENT));
        assertThatThrownBy(() -> c.call(new VNodeCreate("web", 0, 0, -3)))
                .satisfies(e -> assertThat(status(e)).isEqualTo(Status.INVALID_ARGUMENT));
    }

    @Test
    void duplicateNamesAreRefused() {
        c.withBasicComponents();
        VNodeInfo first = c.createVNode("web");
        assertThatThrownBy(() -> c.createVNode("web"))
                .satisfies(e -> assertThat(status(e)).isEqualTo(Status.EXISTS))
                .hasMessageContaining("web");
        assertThat(c.manager.vnodes()).containsExactly(first);
    }

    @Test
    void unknownVNodeIsNotFound() {
        assertThatThrownBy(() -> c.call(new VNodeGet("nope")))
                .satisfies(e -> assertThat(status(e)).isEqualTo(Status.NOT_FOUND));
        assertThatThrownBy(() -> c.call(new VNodeGet("99")))
                .satisfies(e -> assertThat(status(e)).isEqualTo(Status.NOT_FOUND));
        assertThatThrownBy(() -> c.call(new VNodeRemove("nope")))
                .satisfies(e -> assertThat(status(e)).isEqualTo(Status.NOT_FOUND));
    }

    @Test
    void virtualIpsAreUniqueAndFromThePool() {
        c.withBasicComponents();
        Set<String> ips = new HashSet<>();
        for (int i = 0; i < 20; i++) {
            String ip = c.createVNode("v" + i).virtualIp();
            assertThat(ip).startsWith("10.77.");
            assertThat(ips.add(ip)).as("IP %s handed out twice", ip).isTrue();
        }
    }

    @Test
    void exhaustedIpPoolIsAClearErrorAndRemovalFreesAnAddress() {
        c.close();
        c = new TestCluster(TestCluster.testConfig().withVnodeIpPool("192.168.5.0/30")); // 2 usable addresses
        c.withBasicComponents();
        VNodeInfo a = c.createVNode("a");
        VNodeInfo b = c.createVNode("b");
        assertThat(List.of(a.virtualIp(), b.virtualIp())).containsExactlyInAnyOrder("192.168.5.1", "192.168.5.2");
        assertThatThrownBy(() -> c.createVNode("x"))
                .isInstanceOf(QuotaExceededException.class)
                .hasMessageContaining("192.168.5.0/30")
                .hasMessageContaining("exhausted");
        assertThat(c.manager.vnodes()).hasSize(2);

        c.call(new VNodeRemove("a"));
        VNodeInfo x = c.createVNode("x");
        assertThat(x.virtualIp()).isEqualTo(a.virtualIp());
        assertThat(x.id()).isGreaterThan(b.id()); // ids are never reused
    }

    @Test
    void removeIsDeniedWhileProcessesRun() {
        c.withBasicComponents();
        VNodeInfo v = c.createVNode("web");
        long pid = c.call(new PlaceProcess(v.id(), 1)).pid();
        assertThatThrownBy(() -> c.call(new VNodeRemove("web")))
                .satisfies(e -> assertThat(status(e)).isEqualTo(Status.DENIED))
                .hasMessageContaining(String.valueOf(pid));
        assertThat(c.manager.vnodes()).hasSize(1);

        c.send(new ProcessExited(pid, v.id()));
        c.call(new VNodeRemove("web"));
        assertThat(c.manager.vnodes()).isEmpty();
    }

    @Test
    void gsmPicksTheLeastUsedStorageAndSpreadsEmptyVNodes() {
        c.processor("p1", 4, 0);
        c.memory("m1", GIB, 0);
        Component full = c.storage("s1", 900 * GIB);
        Component empty1 = c.storage("s2", 10);
        Component empty2 = c.storage("s3", 10);
        assertThat(c.createVNode("a").storageNode()).isEqualTo(empty1.id);
        assertThat(c.createVNode("b").storageNode()).isEqualTo(empty2.id);
        assertThat(c.createVNode("c").storageNode()).isEqualTo(empty1.id);
        assertThat(full.attaches).isEmpty();
        assertThat(empty1.attaches).extracting(StorageAttach::vnodeName).containsExactly("a", "c");
    }

    @Test
    void storageThatCannotAttachFailsTheCreateAndLeavesTheNameFree() {
        c.withBasicComponents();
        Component s2 = c.storage("s2", 1L << 40); // s1 (least used) stays the choice
        Component s1 = c.component("s1");
        s1.attachFailure.set("disk full");
        assertThatThrownBy(() -> c.createVNode("web"))
                .satisfies(e -> assertThat(status(e)).isEqualTo(Status.IO_ERROR))
                .hasMessageContaining("disk full")
                .hasMessageContaining("storage node " + s1.id);
        assertThat(c.manager.vnodes()).isEmpty();

        s1.attachFailure.set(null);
        VNodeInfo v = c.createVNode("web");
        assertThat(v.storageNode()).isEqualTo(s1.id);
        assertThat(s2.attaches).isEmpty();
    }

    @Test
    void noLiveStorageIsUnavailable() {
        c.processor("p1", 4, 0);
        c.memory("m1", GIB, 0);
        assertThatThrownBy(() -> c.createVNode("web"))
                .isInstanceOf(ComponentUnavailableException.class)
                .hasMessageContaining("no live storage");
        assertThat(c.manager.vnodes()).isEmpty();
    }

    @Test
    void unreachableStorageFailsTheCreate() {
        c.withBasicComponents();
        c.component("s1").rpc.close(); // registered but gone
        assertThatThrownBy(() -> c.createVNode("web"))
                .isInstanceOf(ComponentUnavailableException.class)
                .hasMessageContaining("could not attach");
        assertThat(c.manager.vnodes()).isEmpty();
    }
}
