package org.legoos.systemtest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManager;
import javax.net.ssl.X509TrustManager;
import org.legoos.api.security.AccessDeniedException;
import org.legoos.api.security.Role;
import org.legoos.net.protocol.Hello;
import org.legoos.net.protocol.gm.MembersRequest;
import org.legoos.net.rpc.RpcException;
import org.legoos.net.rpc.RpcNode;
import org.legoos.net.rpc.Status;
import org.legoos.net.security.ClusterCa;
import org.legoos.net.security.ClusterTls;
import org.legoos.net.security.ClusterTlsFiles;
import org.legoos.net.transport.tcp.TcpConfig;
import org.legoos.net.transport.tcp.TcpTransport;
import org.legoos.node.cluster.ClusterClient;
import org.legoos.node.cluster.NodeRole;
import org.legoos.systemtest.LoopbackCluster.Component;
import org.legoos.systemtest.LoopbackCluster.Launch;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;

/**
 * Who gets into a cluster of separate JVMs on loopback (mutual TLS, the default mode), driven as an attacker and as
 * users would: no certificate, a self-signed one, an expired one, a revoked one, plaintext on a TLS port, a component
 * certificate used as an operator, a vNode user reaching another vNode (run, cp, ps), a frame naming another node as
 * its source. Each is refused with a clear error and named in the receiver's log, while a word count started first
 * runs to its correct end on the same cluster.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class SecurityTest {
    private Path dir;
    private LoopbackCluster cluster;
    private Component memory;
    private JvmProcess wordCount;

    @BeforeAll
    void start() throws Exception {
        dir = LegoJar.workDir(getClass().getSimpleName());
        cluster = LoopbackCluster.start(dir, List.of(), List.of("--manager.report-interval", "200ms"));
        cluster.setUp(() -> {
            List<Component> c = cluster.add(Launch.of(NodeRole.PROCESSOR, "--processor.excache-bytes", "16MiB"),
                    Launch.of(NodeRole.MEMORY, "--memory.capacity-bytes", "256MiB", "--memory.workers", "2"),
                    Launch.of(NodeRole.STORAGE));
            memory = c.get(1);
            cluster.lego("vnode create", "va").ok();
            cluster.lego("vnode create", "vb").ok();
            ClusterCa ca = ClusterCa.in(cluster.certs());
            ca.issue("alice", Role.USER, List.of(), List.of("va"), Duration.ofDays(1));
            ca.issue("old", Role.OPERATOR, List.of(), List.of(), Instant.now().minusSeconds(7200), Instant.now().minusSeconds(3600));
            ca.issue("mallory", Role.OPERATOR, List.of(), List.of(), Duration.ofDays(1));
            ca.issue("rogue", Role.PROCESSOR, LoopbackCluster.HOSTS, List.of(), Duration.ofDays(1));
            // the everyone-else workload: a word count of vNode vb, running while the attempts below are refused
            wordCount = cluster.startLego("wordcount", "run", "--vnode", "vb", "wordcount", "--generate", "8388608",
                    "--threads", "2");
        });
    }

    @AfterAll
    void stop() {
        if (cluster != null) {
            cluster.close();
        }
    }

    @Test
    void everyIntruderIsRefusedAndNamedWhileTheClusterServesEveryoneElse() throws Exception {
        String manager = cluster.managerAddress();
        String host = manager.substring(0, manager.lastIndexOf(':'));
        int port = Integer.parseInt(manager.substring(manager.lastIndexOf(':') + 1));

        // no certificate at all (a TLS client that presents none)
        assertThat(rawTls(host, port, null)).as("a client without a certificate is refused").isFalse();
        // an expired certificate of this very cluster, presented as is (its own process would refuse to load it)
        assertThat(rawTls(host, port, "old")).as("an expired certificate is refused").isFalse();
        // a valid certificate, for contrast: the same raw client gets the manager's hello
        assertThat(rawTls(host, port, "mallory")).as("a valid operator certificate gets in").isTrue();

        // a self-signed (foreign) CA's operator
        Path foreign = dir.resolve("foreign-certs");
        ClusterCa other = ClusterCa.in(foreign);
        other.create("self-signed");
        other.issue("admin", Role.OPERATOR, List.of(), List.of(), Duration.ofDays(1));
        assertThatThrownBy(() -> ClusterClient.connect(manager, Duration.ofSeconds(5), ClusterTls.load(foreign, "admin")))
                .isInstanceOf(AccessDeniedException.class);

        // plaintext on the TLS port: a client of an insecure configuration
        Path insecure = dir.resolve("insecure.yaml");
        Files.writeString(insecure, "security:\n  mode: insecure\n");
        CliResult plain = cluster.lego("status", "--config", insecure.toString());
        assertThat(plain.exitCode()).as(plain.toString()).isNotZero();

        // revoked: mallory got in above; after revocation the same certificate is refused
        ClusterCa.in(cluster.certs()).revoke("mallory");
        assertThat(rawTls(host, port, "mallory")).as("a revoked certificate is refused").isFalse();
        CliResult revoked = cluster.lego("vnode list", "--identity", "mallory");
        assertThat(revoked.exitCode()).as(revoked.toString()).isNotZero();

        // a component's certificate used as an operator
        CliResult asOperator = cluster.lego("vnode create", "vx", "--identity", memory.name());
        assertThat(asOperator.exitCode()).as(asOperator.toString()).isNotZero();
        assertThat(asOperator.stderr()).contains("a memory may not send GM_VNODE_CREATE");

        // a vNode user reaching another vNode: run, copy, list; its own vNode works
        CliResult ownRun = cluster.lego("run", "--vnode", "va", "--identity", "alice", "hello");
        assertThat(ownRun.exitCode()).as(ownRun.toString()).isZero();
        CliResult otherRun = cluster.lego("run", "--vnode", "vb", "--identity", "alice", "hello");
        assertThat(otherRun.exitCode()).as(otherRun.toString()).isNotZero();
        assertThat(otherRun.stderr()).contains("may not act in vNode 'vb'");
        Path file = dir.resolve("note.txt");
        Files.writeString(file, "alice was here\n");
        assertThat(cluster.lego("cp", file.toString(), "va:/note.txt", "--identity", "alice").exitCode()).isZero();
        CliResult otherCp = cluster.lego("cp", file.toString(), "vb:/note.txt", "--identity", "alice");
        assertThat(otherCp.exitCode()).as(otherCp.toString()).isNotZero();
        CliResult otherLs = cluster.lego("ls", "vb:/", "--identity", "alice");
        assertThat(otherLs.exitCode()).as(otherLs.toString()).isNotZero();
        CliResult ps = cluster.lego("ps", "--identity", "alice").ok();
        assertThat(ps.stdout()).doesNotContain("wordcount");

        // a frame naming another node (the memory component) as its source, from a valid processor certificate
        RpcNode spoofer = new RpcNode("rogue", new TcpTransport("rogue", TcpConfig.DEFAULT,
                ClusterTls.load(cluster.certs(), "rogue")), RpcNode.Config.DEFAULT);
        try {
            spoofer.setNodeId(memory.nodeId());
            spoofer.addPeer(1, manager);
            assertThatThrownBy(() -> spoofer.call(1, new MembersRequest()))
                    .isInstanceOfSatisfying(RpcException.class, e -> assertThat(e.code()).isEqualTo(Status.DENIED))
                    .hasMessageContaining("names node " + memory.nodeId() + " ('" + memory.name() + "') as its source");
        } finally {
            spoofer.close();
        }

        // everyone else was served throughout
        int code = wordCount.awaitExit(Duration.ofSeconds(120));
        assertThat(code).as("%s%n%s", wordCount.stdout(), cluster.logs()).isZero();
        assertThat(wordCount.stdout()).contains("words=");
        assertThat(cluster.lego("status").ok().stdout()).contains("mutual TLS");

        // and each refusal is one line in the receiver's log
        String managerLog = cluster.manager().stderr();
        assertThat(managerLog).contains("refusing connection from").contains("is revoked").contains("expired")
                .contains("refuses GM_VNODE_CREATE from memory '" + memory.name() + "'")
                .contains("may not act in vNode 'vb'")
                .contains("names node " + memory.nodeId());
        assertThat(Pattern.compile("not an SSL/TLS record|NOT_SSL|plaintext", Pattern.CASE_INSENSITIVE).matcher(managerLog).find())
                .as("the plaintext attempt is named").isTrue();
    }

    /**
     * A raw TLS 1.3 client that trusts any server and presents identity {@code name}'s certificate (none if null),
     * then sends a LegoOS/J hello: true if the manager answered with its hello, false if the connection was refused.
     */
    private boolean rawTls(String host, int port, String name) throws Exception {
        KeyManagerFactory kmf = null;
        if (name != null) {
            KeyStore ks = KeyStore.getInstance("PKCS12");
            ks.load(null, null);
            X509Certificate cert = ClusterTlsFiles.certificate(cluster.certs(), name);
            ks.setKeyEntry("k", ClusterTlsFiles.key(cluster.certs(), name), new char[0], new java.security.cert.Certificate[] {cert});
            kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
            kmf.init(ks, new char[0]);
        }
        TrustManager trustAll = new X509TrustManager() {
            @Override
            public void checkClientTrusted(X509Certificate[] chain, String authType) {
            }

            @Override
            public void checkServerTrusted(X509Certificate[] chain, String authType) {
            }

            @Override
            public X509Certificate[] getAcceptedIssuers() {
                return new X509Certificate[0];
            }
        };
        SSLContext ctx = SSLContext.getInstance("TLSv1.3");
        ctx.init(kmf == null ? null : kmf.getKeyManagers(), new TrustManager[] {trustAll}, null);
        try (Socket plain = new Socket()) {
            plain.connect(new InetSocketAddress(host, port), 5_000);
            try (SSLSocket s = (SSLSocket) ctx.getSocketFactory().createSocket(plain, host, port, true)) {
                s.setSoTimeout(5_000);
                s.startHandshake();
                java.nio.ByteBuffer hello = Hello.encode();
                s.getOutputStream().write(hello.array(), hello.arrayOffset(), hello.remaining());
                s.getOutputStream().flush();
                InputStream in = s.getInputStream();
                byte[] got = in.readNBytes(Hello.BYTES);
                return got.length == Hello.BYTES;
            }
        } catch (IOException refused) {
            return false;
        }
    }
}
