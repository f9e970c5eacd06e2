package org.legoos.node.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.legoos.api.security.Role;
import org.legoos.net.protocol.gm.PlaceProcess;
import org.legoos.net.protocol.gm.Placement;
import org.legoos.net.protocol.gm.VNodeInfo;
import org.legoos.net.protocol.p2m.FileRead;
import org.legoos.net.protocol.p2s.FileStatRequest;
import org.legoos.net.protocol.pm.StartProcess;
import org.legoos.net.rpc.RpcException;
import org.legoos.net.rpc.RpcNode;
import org.legoos.net.rpc.Status;
import org.legoos.net.security.ClusterCa;
import org.legoos.net.security.ClusterTls;
import org.legoos.net.transport.tcp.TcpConfig;
import org.legoos.net.transport.tcp.TcpTransport;
import org.legoos.node.ComponentHost;
import org.legoos.node.config.ConfigKeys;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;

/**
 * vNode A's processes, files and memory are unreachable from a user of vNode B whatever ids its requests carry: raw
 * requests over mutual TLS with a vNode user's certificate, naming the other vNode's ids directly (not through the
 * manager's refusal of its name), at the processor, the storage and the memory component.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class VNodeIsolationTest {
    private TcpCluster cluster;
    private VNodeInfo mine;
    private VNodeInfo theirs;
    private RpcNode alice;

    @BeforeAll
    void start() {
        cluster = TcpCluster.start(TcpClusterTest.baseConfig(), 1, 1, 1, Map.of());
        try (ClusterClient admin = cluster.client()) {
            mine = admin.createVNode("mine", 64L << 20, 4);
            theirs = admin.createVNode("theirs", 64L << 20, 4);
        }
        var certs = cluster.config().get(ConfigKeys.SECURITY_DIR);
        ClusterCa.in(certs).issue("alice", Role.USER, List.of(), List.of("mine"), Duration.ofDays(1));
        alice = new RpcNode("alice", new TcpTransport("alice", TcpConfig.DEFAULT, ClusterTls.load(certs, "alice", false)),
                RpcNode.Config.DEFAULT);
        alice.addPeer(ComponentHost.MANAGER_NODE, cluster.managerAddress());
        for (ComponentNode c : cluster.components()) {
            alice.addPeer(c.nodeId(), c.address());
        }
    }

    @AfterAll
    void stop() {
        if (alice != null) {
            alice.close();
        }
        cluster.close();
    }

    private static void denied(Runnable call, String why) {
        assertThatThrownBy(call::run).isInstanceOfSatisfying(RpcException.class, e -> assertThat(e.code()).isEqualTo(Status.DENIED))
                .hasMessageContaining(why);
    }

    @Test
    void aUserCannotStartAProgramOutsideItsPlacementOrItsVNodes() {
        int processor = cluster.components(NodeRole.PROCESSOR).getFirst().nodeId();
        // a pid the manager never placed
        denied(() -> alice.call(processor, new StartProcess(9_999, mine, mine.cacheMemoryNode(), "hello", List.of(), false)),
                "placed no such process");
        // its own placement, but the other vNode's description (its storage, its files) forged into the START
        Placement p = alice.call(ComponentHost.MANAGER_NODE, new PlaceProcess(mine.id(), 1));
        VNodeInfo forged = new VNodeInfo(theirs.id(), mine.name(), theirs.virtualIp(), theirs.storageRoot(), theirs.storageNode(),
                theirs.cacheMemoryNode(), mine.memoryQuotaBytes(), mine.storageQuotaBytes(), mine.maxProcesses(), 0);
        denied(() -> alice.call(processor, new StartProcess(p.pid(), forged, p.homeMemoryNode(), "hello", List.of(), false)),
                "does not match its placement");
        // the other vNode: the manager refuses to place there at all
        denied(() -> alice.call(ComponentHost.MANAGER_NODE, new PlaceProcess(theirs.id(), 1)), "may not act in vNode 'theirs'");
    }

    @Test
    void aUserCannotReachTheOtherVNodesFilesByItsIdAtStorageOrMemory() {
        denied(() -> alice.call(theirs.storageNode(), new FileStatRequest(theirs.id(), "/")), "not one of its vNodes");
        denied(() -> alice.call(theirs.cacheMemoryNode(), new FileRead(theirs.id(), "/f", 0, 16)), "not one of its vNodes");
        // its own vNode answers (the directory exists, the file does not)
        assertThat(alice.call(mine.storageNode(), new FileStatRequest(mine.id(), "/")).directory()).isTrue();
        assertThatThrownBy(() -> alice.call(mine.cacheMemoryNode(), new FileRead(mine.id(), "/nothing", 0, 16)))
                .isInstanceOfSatisfying(RpcException.class, e -> assertThat(e.code()).isNotEqualTo(Status.DENIED));
    }
}
