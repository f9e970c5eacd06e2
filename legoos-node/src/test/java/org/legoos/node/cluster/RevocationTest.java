package org.legoos.node.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.legoos.api.LegoException;
import org.legoos.api.security.AccessDeniedException;
import org.legoos.api.security.Role;
import org.legoos.net.protocol.gm.VNodeInfo;
import org.legoos.net.protocol.p2s.FileStatRequest;
import org.legoos.net.rpc.RpcNode;
import org.legoos.net.security.CertificateNames;
import org.legoos.net.security.ClusterCa;
import org.legoos.net.security.ClusterTls;
import org.legoos.net.transport.tcp.TcpConfig;
import org.legoos.net.transport.tcp.TcpTransport;
import org.legoos.node.ComponentHost;
import org.legoos.node.config.ConfigKeys;
import org.legoos.testkit.Await;

/**
 * A revocation reaches every process and every open connection: the operator revokes a vNode user who is connected
 * to the manager and to a storage component on "another host" (its own security directory, which never saw the
 * revocation file), publishes the list to the manager, and the user's open connection is closed and every new one
 * refused, at both.
 */
@Timeout(value = 90, unit = TimeUnit.SECONDS)
class RevocationTest {
    @Test
    void aPublishedRevocationClosesOpenConnectionsAndReachesAComponentWithItsOwnCertificates(@TempDir Path tmp)
            throws Exception {
        try (TcpCluster cluster = TcpCluster.start(TcpClusterTest.baseConfig(), 0, 1, 1, Map.of())) {
            Path certs = cluster.config().get(ConfigKeys.SECURITY_DIR);
            ClusterCa ca = ClusterCa.in(certs);
            VNodeInfo v;
            try (ClusterClient admin = cluster.client()) {
                v = admin.createVNode("mine", 0, 0);
            }
            ca.issue("alice", Role.USER, List.of(), List.of("mine"), Duration.ofDays(1));

            // a storage component on "another host": the CA certificate and its own identity only
            Path other = Files.createDirectories(tmp.resolve("other-host-certs"));
            ca.issue("storage-x", Role.STORAGE, List.of("127.0.0.1"), List.of(), Duration.ofDays(1));
            for (String f : List.of(CertificateNames.CA_CERT, "storage-x.crt", "storage-x.key")) {
                Files.copy(certs.resolve(f), other.resolve(f), StandardCopyOption.COPY_ATTRIBUTES);
            }
            ComponentNode storageX = ComponentNode.start(NodeRole.STORAGE, cluster.config()
                    .with(ConfigKeys.SECURITY_DIR, other).with(ConfigKeys.SECURITY_IDENTITY, "storage-x"), Map.of(),
                    tmp.resolve("storage-x"));
            try (RpcNode alice = new RpcNode("alice", new TcpTransport("alice", TcpConfig.DEFAULT,
                    ClusterTls.load(certs, "alice", false)), RpcNode.Config.DEFAULT)) {
                alice.addPeer(ComponentHost.MANAGER_NODE, cluster.managerAddress());
                alice.addPeer(storageX.nodeId(), storageX.address());
                // connected to both: the manager answers, storage-x answers (it does not serve her vNode)
                assertThat(alice.call(ComponentHost.MANAGER_NODE, new org.legoos.net.protocol.gm.VNodeGet("mine")).id())
                        .isEqualTo(v.id());
                assertThatThrownBy(() -> alice.call(storageX.nodeId(), new FileStatRequest(v.id(), "/")))
                        .isInstanceOf(LegoException.class).hasMessageContaining("not served by this storage component");

                assertThat(ca.revoke("alice")).isTrue();
                try (ClusterClient admin = cluster.client()) {
                    admin.publishRevocations(Files.readAllBytes(certs.resolve(CertificateNames.CRL)));
                }

                Await.until("storage-x installed the list the manager pushed", Duration.ofSeconds(20),
                        () -> Files.isRegularFile(other.resolve(CertificateNames.CRL)));
                // her open connections are closed and new handshakes refused, resumed TLS sessions too: nothing gets through
                // (her own machine has no revocation list: a fresh client of hers is refused as well)
                Path hers = Files.createDirectories(tmp.resolve("alice-own"));
                for (String f : List.of(CertificateNames.CA_CERT, "alice.crt", "alice.key")) {
                    Files.copy(certs.resolve(f), hers.resolve(f), StandardCopyOption.COPY_ATTRIBUTES);
                }
                try (RpcNode fresh = new RpcNode("alice-again", new TcpTransport("alice-again", TcpConfig.DEFAULT,
                        ClusterTls.load(hers, "alice", false)), RpcNode.Config.DEFAULT)) {
                    fresh.addPeer(ComponentHost.MANAGER_NODE, cluster.managerAddress());
                    assertThat(refused(() -> fresh.call(ComponentHost.MANAGER_NODE,
                            new org.legoos.net.protocol.gm.VNodeGet("mine")))).as("a fresh client of alice").isTrue();
                }
                Await.until("the manager no longer answers alice", Duration.ofSeconds(20),
                        () -> refused(() -> alice.call(ComponentHost.MANAGER_NODE,
                                new org.legoos.net.protocol.gm.VNodeGet("mine"))));
                Await.until("storage-x no longer answers alice", Duration.ofSeconds(20),
                        () -> refused(() -> alice.call(storageX.nodeId(), new FileStatRequest(v.id(), "/"))));
            } finally {
                storageX.close();
            }
            // everyone else is still served
            try (ClusterClient admin = cluster.client()) {
                assertThat(admin.vnode("mine").id()).isEqualTo(v.id());
            }
        }
    }

    @Test
    void aListNotSignedByTheClusterCaIsRefused(@TempDir Path tmp) {
        try (TcpCluster cluster = TcpCluster.start(TcpClusterTest.baseConfig(), 0, 1, 0, Map.of());
             ClusterClient admin = cluster.client()) {
            ClusterCa foreign = ClusterCa.in(tmp);
            foreign.create("elsewhere");
            foreign.issue("x", Role.USER, List.of(), List.of("v"), Duration.ofDays(1));
            foreign.revoke("x");
            assertThatThrownBy(() -> admin.publishRevocations(Files.readAllBytes(tmp.resolve(CertificateNames.CRL))))
                    .isInstanceOf(LegoException.class).hasMessageContaining("revocation list refused");
            assertThatThrownBy(() -> admin.publishRevocations("garbage".getBytes()))
                    .isInstanceOf(LegoException.class).hasMessageContaining("revocation list refused");
            assertThat(admin.vnodes()).isEmpty(); // the manager serves on
        }
    }

    /** True if {@code call} is refused (TLS or a peer that closed on the certificate), false if it was answered. */
    private static boolean refused(Runnable call) {
        try {
            call.run();
            return false;
        } catch (AccessDeniedException e) {
            return true;
        } catch (LegoException e) {
            // the server closes a refused peer's connection once it has checked the certificate
            return e.getMessage() != null && (e.getMessage().contains("TLS") || e.getMessage().contains("refuse"));
        }
    }
}
