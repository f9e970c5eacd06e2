package org.legoos.net.security;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicReference;
import org.legoos.api.security.AccessDeniedException;
import org.legoos.api.security.Principal;
import org.legoos.api.security.Role;
import org.legoos.net.protocol.gm.MemberList;
import org.legoos.net.protocol.gm.MembersRequest;
import org.legoos.net.protocol.gm.VNodeCreate;
import org.legoos.net.protocol.gm.VNodeInfo;
import org.legoos.net.protocol.p2m.P2mOp;
import org.legoos.net.rpc.RpcException;
import org.legoos.net.rpc.RpcNode;
import org.legoos.net.rpc.Status;
import org.legoos.net.transport.tcp.TcpConfig;
import org.legoos.net.transport.tcp.TcpTransport;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Mutual TLS between RPC endpoints over real sockets: who gets in (a certificate of the cluster, valid, not revoked,
 * of a role allowed to send the request) and who does not, each refusal a clear error to the caller while the server
 * keeps serving everyone else. Both TLS providers (BoringSSL and the JDK's) and the synchronous path.
 */
class TlsClusterTest {
    @TempDir
    static Path dir;
    @TempDir
    static Path foreignDir;
    static ClusterCa ca;

    private final java.util.List<AutoCloseable> open = new java.util.ArrayList<>();

    @BeforeAll
    static void issue() {
        ca = ClusterCa.in(dir);
        ca.create("test");
        ca.issue("manager", Role.MANAGER, List.of("127.0.0.1", "localhost"), List.of(), Duration.ofDays(1));
        ca.issue("memory-1", Role.MEMORY, List.of("127.0.0.1"), List.of(), Duration.ofDays(1));
        ca.issue("processor-1", Role.PROCESSOR, List.of("127.0.0.1"), List.of(), Duration.ofDays(1));
        ca.issue("admin", Role.OPERATOR, List.of(), List.of(), Duration.ofDays(1));
        ca.issue("alice", Role.USER, List.of(), List.of("va"), Duration.ofDays(1));
        ca.issue("old", Role.OPERATOR, List.of(), List.of(), Instant.now().minusSeconds(7200), Instant.now().minusSeconds(3600));
        ca.issue("elsewhere", Role.MEMORY, List.of("10.9.8.7"), List.of(), Duration.ofDays(1));
        ClusterCa foreign = ClusterCa.in(foreignDir);
        foreign.create("other");
        foreign.issue("admin", Role.OPERATOR, List.of(), List.of(), Duration.ofDays(1));
    }

    @AfterEach
    void close() throws Exception {
        for (AutoCloseable c : open.reversed()) {
            c.close();
        }
    }

    /** A manager-like server: MEMBERS for anyone, VNODE_CREATE for operators; records who called. */
    private RpcNode server(String identity, AtomicReference<Principal> caller, boolean openSsl) {
        RpcNode s = new RpcNode(identity, new TcpTransport(identity, TcpConfig.DEFAULT, ClusterTls.load(dir, identity, openSsl)),
                RpcNode.Config.DEFAULT);
        open.add(s);
        s.handle(MembersRequest.class, (q, ctx) -> {
            caller.set(ctx.principal());
            return new MemberList(List.of());
        });
        s.handle(VNodeCreate.class, (q, ctx) -> new VNodeInfo(7, q.name(), "10.0.0.7", "/v", 3, 2, 1, 1, 1, 0));
        return s;
    }

    private RpcNode client(Path from, String identity, boolean openSsl, String serverAddress) {
        TcpTransport t = new TcpTransport(identity, TcpConfig.DEFAULT.withConnectTimeoutMillis(2_000),
                from == null ? null : ClusterTls.load(from, identity, openSsl));
        RpcNode c = new RpcNode(identity, t, RpcNode.Config.DEFAULT);
        open.add(c);
        c.addPeer(1, serverAddress);
        return c;
    }

    @Test
    void aClusterCertificateGetsInAndTheServerSeesWhoItIsWithEitherProvider() {
        for (boolean openSsl : new boolean[] {true, false}) {
            AtomicReference<Principal> caller = new AtomicReference<>();
            RpcNode s = server("manager", caller, openSsl);
            String at = s.listen("127.0.0.1:0");
            RpcNode alice = client(dir, "alice", !openSsl, at);
            alice.call(1, new MembersRequest());
            assertThat(caller.get()).isEqualTo(Principal.of("alice", Role.USER, Set.of("va")));
            RpcNode admin = client(dir, "admin", openSsl, at);
            assertThat(admin.call(1, new VNodeCreate("vb", 1, 1, 1)).name()).isEqualTo("vb");
            assertThat(caller.get().name()).isEqualTo("alice");
        }
    }

    @Test
    void aRoleMayOnlySendWhatTheAccessTableAllowsAndTheServerGoesOnServing() {
        String at = server("manager", new AtomicReference<>(), true).listen("127.0.0.1:0");
        RpcNode alice = client(dir, "alice", true, at);
        assertThatThrownBy(() -> alice.call(1, new VNodeCreate("vx", 1, 1, 1)))
                .isInstanceOfSatisfying(RpcException.class, e -> assertThat(e.code()).isEqualTo(Status.DENIED))
                .hasMessageContaining("user 'alice'").hasMessageContaining("may not send GM_VNODE_CREATE");
        RpcNode memory = client(dir, "memory-1", true, at);
        assertThatThrownBy(() -> memory.call(1, new VNodeCreate("vx", 1, 1, 1))).hasMessageContaining("a memory may not send");
        assertThat(alice.call(1, new MembersRequest()).members()).isEmpty(); // same connection, still served
        assertThat(Access.allows(P2mOp.PCACHE_MISS, Role.USER)).isFalse();
        assertThat(Access.allows(P2mOp.PCACHE_MISS, Role.PROCESSOR)).isTrue();
    }

    @Test
    void noCertificateAForeignOneAnExpiredOneARevokedOneAndPlaintextAreEachRefused() throws Exception {
        String at = server("manager", new AtomicReference<>(), true).listen("127.0.0.1:0");
        assertThatThrownBy(() -> client(foreignDir, "admin", true, at).call(1, new MembersRequest()))
                .isInstanceOf(AccessDeniedException.class).hasMessageContaining("TLS");
        // an expired certificate is refused by its own process before it dials, and by the server if it did
        assertThatThrownBy(() -> ClusterTls.load(dir, "old")).isInstanceOf(SecurityConfigException.class)
                .hasMessageContaining("not valid now");
        assertThatThrownBy(() -> client(null, "plain", false, at).call(1, new MembersRequest(), Duration.ofSeconds(3)))
                .isInstanceOf(org.legoos.api.LegoException.class);
        // revoked after it connected once: new connections are refused (the list is re-read when it changes)
        RpcNode user = client(dir, "alice", true, at);
        user.call(1, new MembersRequest());
        ClusterTls stillLoaded = ClusterTls.load(dir, "processor-1");
        assertThat(ca.revoke("processor-1")).isTrue();
        assertThat(ca.revoke("processor-1")).isFalse();
        TcpTransport t = new TcpTransport("revoked", TcpConfig.DEFAULT, stillLoaded);
        RpcNode revoked = new RpcNode("revoked", t, RpcNode.Config.DEFAULT);
        open.add(revoked);
        revoked.addPeer(1, at);
        assertThatThrownBy(() -> revoked.call(1, new MembersRequest())).isInstanceOf(AccessDeniedException.class);
        assertThatThrownBy(() -> ClusterTls.load(dir, "processor-1")).hasMessageContaining("revoked");
        assertThat(client(dir, "admin", true, at).call(1, new MembersRequest()).members()).isEmpty();
    }

    @Test
    void aServerMustBeAComponentWithACertificateForTheAddressDialled() {
        // a memory certificate for 10.9.8.7 listening on 127.0.0.1: the client's host name check refuses it
        RpcNode wrongHost = server("elsewhere", new AtomicReference<>(), true);
        String at = wrongHost.listen("127.0.0.1:0");
        assertThatThrownBy(() -> client(dir, "admin", true, at).call(1, new MembersRequest()))
                .isInstanceOf(AccessDeniedException.class);
        assertThatThrownBy(() -> client(dir, "admin", false, at).call(1, new MembersRequest()))
                .isInstanceOf(AccessDeniedException.class);
    }

    @Test
    void theSynchronousPathIsTlsToo() {
        RpcNode s = server("memory-1", new AtomicReference<>(), true);
        s.handle(org.legoos.net.protocol.p2m.FileClose.class, (q, ctx) -> new org.legoos.net.protocol.Ack());
        String at = s.listen("127.0.0.1:0");
        TcpTransport t = new TcpTransport("p", TcpConfig.DEFAULT, ClusterTls.load(dir, "manager"));
        RpcNode p = new RpcNode("p", t, RpcNode.Config.DEFAULT.withSyncCalls(true));
        open.add(p);
        p.addPeer(1, at);
        // a manager may not send P2M: refused on the synchronous socket, which keeps working for what it may send
        assertThatThrownBy(() -> p.call(1, new org.legoos.net.protocol.p2m.FileClose(1, "/f")))
                .hasMessageContaining("may not send P2M_CLOSE");
    }

    /**
     * A node declared dead may be hung, not gone: a synchronous call over TLS blocked reading its reply must end at
     * once when the calls to it are failed, and failing them must not itself wait for that read (the processor fails
     * them when the manager declares a memory component dead).
     */
    @Test
    void failingTheCallsToANodeEndsABlockedTlsSyncCallWithoutWaitingForIt() throws Exception {
        ca.issue("processor-hung", Role.PROCESSOR, List.of("127.0.0.1"), List.of(), Duration.ofDays(1));
        RpcNode s = server("memory-1", new AtomicReference<>(), false);
        java.util.concurrent.CountDownLatch entered = new java.util.concurrent.CountDownLatch(1);
        java.util.concurrent.CountDownLatch release = new java.util.concurrent.CountDownLatch(1);
        java.util.concurrent.ExecutorService handlers = java.util.concurrent.Executors.newVirtualThreadPerTaskExecutor();
        open.add(handlers::shutdownNow);
        s.handle(org.legoos.net.protocol.p2m.FileClose.class, (q, ctx) -> {
            entered.countDown();
            release.await(30, java.util.concurrent.TimeUnit.SECONDS); // hung
            return new org.legoos.net.protocol.Ack();
        }, handlers);
        String at = s.listen("127.0.0.1:0");
        RpcNode p = new RpcNode("p", new TcpTransport("p", TcpConfig.DEFAULT, ClusterTls.load(dir, "processor-hung")),
                RpcNode.Config.DEFAULT.withSyncCalls(true));
        open.add(p);
        p.addPeer(1, at);
        java.util.concurrent.CompletableFuture<Throwable> call = new java.util.concurrent.CompletableFuture<>();
        Thread.ofPlatform().daemon().start(() -> call.complete(org.assertj.core.api.Assertions.catchThrowable(
                () -> p.call(1, new org.legoos.net.protocol.p2m.FileClose(1, "/f"), Duration.ofSeconds(30)))));
        assertThat(entered.await(10, java.util.concurrent.TimeUnit.SECONDS)).as("the call reached the handler").isTrue();

        long t0 = System.nanoTime();
        p.failCallsTo(1, "memory component 1 was declared dead");
        assertThat(Duration.ofNanos(System.nanoTime() - t0)).as("failing the calls, not waiting for the blocked read")
                .isLessThan(Duration.ofSeconds(3));
        assertThat(call.get(5, java.util.concurrent.TimeUnit.SECONDS))
                .isInstanceOfSatisfying(org.legoos.api.ComponentUnavailableException.class,
                        e -> assertThat(e.status()).isEqualTo("UNAVAILABLE"));
        release.countDown();
    }

    /**
     * A peer that hangs after the handshake (SIGSTOP: its socket stays open, but it reads nothing and answers
     * nothing): failing the calls to it ends at once a synchronous call blocked writing a request its full buffers no
     * longer take (a processor's write-back of dirty pages to a stopped memory component). Closing the TLS socket
     * waits for the lock the blocked writer holds, for as long as the peer sleeps, so the TCP socket under it is
     * closed first; before, the processor's programs waited until the stopped component came back.
     */
    @Test
    void failingTheCallsToAHungTlsPeerEndsASyncCallBlockedWritingToIt() throws Exception {
        ca.issue("processor-stalled", Role.PROCESSOR, List.of("127.0.0.1"), List.of(), Duration.ofDays(1));
        javax.net.ssl.SSLServerSocket hung = (javax.net.ssl.SSLServerSocket) ClusterTls.load(dir, "memory-1").jdkClient()
                .getServerSocketFactory().createServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress());
        open.add(hung);
        java.util.concurrent.CountDownLatch greeted = new java.util.concurrent.CountDownLatch(1);
        java.util.concurrent.CountDownLatch release = new java.util.concurrent.CountDownLatch(1);
        Thread.ofPlatform().daemon().start(() -> {
            try (java.net.Socket s = hung.accept()) {
                s.setReceiveBufferSize(64 << 10);
                java.io.InputStream in = s.getInputStream();
                in.readNBytes(org.legoos.net.protocol.Hello.BYTES);
                s.getOutputStream().write(org.legoos.net.protocol.Hello.encode().array());
                s.getOutputStream().flush();
                greeted.countDown();
                release.await(); // then nothing: it reads no more, answers nothing
            } catch (Exception e) {
                greeted.countDown();
            }
        });
        RpcNode p = new RpcNode("p", new TcpTransport("p", TcpConfig.DEFAULT, ClusterTls.load(dir, "processor-stalled")),
                RpcNode.Config.DEFAULT.withSyncCalls(true));
        open.add(p);
        open.add(release::countDown);
        p.addPeer(1, "127.0.0.1:" + hung.getLocalPort());
        java.util.concurrent.CompletableFuture<Throwable> call = new java.util.concurrent.CompletableFuture<>();
        java.nio.ByteBuffer data = java.nio.ByteBuffer.allocate(32 << 20); // far more than the sockets' buffers hold
        Thread writer = Thread.ofPlatform().daemon().start(() -> call.complete(org.assertj.core.api.Assertions.catchThrowable(
                () -> p.call(1, new org.legoos.net.protocol.p2m.FileWrite(1, "/f", 0, data), Duration.ofSeconds(20)))));
        assertThat(greeted.await(10, java.util.concurrent.TimeUnit.SECONDS)).as("the peer took the connection").isTrue();
        org.legoos.testkit.Await.until("the caller is blocked writing", Duration.ofSeconds(10),
                () -> java.util.Arrays.stream(writer.getStackTrace()).anyMatch(f -> f.getMethodName().contains("write")));
        Thread.sleep(300);

        // (on a thread of its own: the old close blocked for as long as the peer slept)
        java.util.concurrent.CompletableFuture<Void> failing = new java.util.concurrent.CompletableFuture<>();
        Thread.ofPlatform().daemon().start(() -> {
            p.failCallsTo(1, "memory component 1 was declared dead");
            failing.complete(null);
        });
        assertThat(failing).as("failing the calls").succeedsWithin(Duration.ofSeconds(3));
        assertThat(call.get(3, java.util.concurrent.TimeUnit.SECONDS))
                .isInstanceOfSatisfying(org.legoos.api.ComponentUnavailableException.class,
                        e -> assertThat(e.status()).isEqualTo("UNAVAILABLE"));
    }

    @Test
    void keysAreWrittenOwnerOnly() throws Exception {
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(dir.resolve("alice.key")))).isEqualTo("rw-------");
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(dir.resolve("ca.key")))).isEqualTo("rw-------");
        assertThatThrownBy(() -> ca.issue("alice", Role.USER, List.of(), List.of("va"), Duration.ofDays(1)))
                .hasMessageContaining("already exists");
        assertThatThrownBy(() -> ca.issue("bob", Role.USER, List.of(), List.of(), Duration.ofDays(1)))
                .hasMessageContaining("--vnode");
        assertThatThrownBy(() -> ca.issue("../x", Role.OPERATOR, List.of(), List.of(), Duration.ofDays(1)))
                .isInstanceOf(IllegalArgumentException.class);
    }
}
