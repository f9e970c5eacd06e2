package org.legoos.net.transport.tcp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.legoos.api.ComponentUnavailableException;
import org.legoos.net.ManualTicker;
import org.legoos.net.protocol.Frame;
import org.legoos.net.transport.Connection;
import org.legoos.net.transport.Inbox;
import org.legoos.testkit.Await;
import org.legoos.testkit.ReservedPort;

/**
 * The life of TCP connections: addresses, connect failures, a peer that goes away and comes back (reconnection
 * with backoff, the disconnect hook), closing, and which threads may do what. Reconnect backoffs run on a
 * {@link ManualTicker} the tests move themselves.
 */
@Timeout(20)
class TcpConnectionTest {
    static {
        LeakCheck.install();
    }

    private final List<TcpTransport> transports = new CopyOnWriteArrayList<>();
    private final ManualTicker clock = new ManualTicker();
    private final List<ReservedPort> ports = new CopyOnWriteArrayList<>();

    private TcpTransport transport(String name, TcpConfig config) {
        TcpTransport t = new TcpTransport(name, config, clock);
        transports.add(t);
        return t;
    }

    private TcpTransport transport(String name) {
        return transport(name, TcpTestNetwork.testConfig());
    }

    @AfterEach
    void closeAll() {
        transports.forEach(TcpTransport::close);
        ports.forEach(ReservedPort::close);
    }

    /**
     * The address of a port held for this test: a peer that listens there can go away and come back with nobody else
     * taking the port meanwhile, and while none listens, connecting is refused.
     */
    private String heldAddress() {
        ReservedPort p = ReservedPort.reserve();
        ports.add(p);
        return p.address();
    }

    @AfterAll
    static void noBufferLeaked() {
        LeakCheck.assertNoLeaks();
    }

    private static ByteBuffer frame(long seq) {
        return Frame.encode(0x0101, 0, 0, 1, seq, out -> out.putLong(seq));
    }

    private static long seqOf(Inbox.Received r) {
        return Frame.decode(r.frame(), Integer.MAX_VALUE).requestId();
    }

    private static int portOf(String address) {
        return Integer.parseInt(address.substring(address.lastIndexOf(':') + 1));
    }

    // ------------------------------------------------------------------ addresses

    @Test
    void listeningOnPortZeroReturnsTheRealLoopbackAddress() {
        String address = transport("server").listen("127.0.0.1:0", new Inbox());

        assertThat(address).startsWith("127.0.0.1:");
        assertThat(portOf(address)).isPositive();
    }

    @Test
    void malformedAddressesAreRefusedClearly() {
        TcpTransport t = transport("t");
        for (String bad : new String[] {"no-port", "127.0.0.1:", ":80", "127.0.0.1:http", "127.0.0.1:70000"}) {
            assertThatThrownBy(() -> t.connect(bad, new Inbox())).as(bad)
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining(bad);
        }
    }

    @Test
    void listeningOnAPortInUseFails() throws IOException {
        try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            assertThatThrownBy(() -> transport("t").listen("127.0.0.1:" + taken.getLocalPort(), new Inbox()))
                    .isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining(String.valueOf(taken.getLocalPort()));
        }
    }

    @Test
    void ipv6LoopbackAddressesWork() {
        TcpTransport server = transport("server");
        String address;
        try {
            address = server.listen("[::1]:0", new Inbox());
        } catch (IllegalStateException noIpv6) {
            org.junit.jupiter.api.Assumptions.abort("no IPv6 loopback here: " + noIpv6.getMessage());
            return;
        }
        assertThat(address).startsWith("[").contains("]:");
        Inbox got = new Inbox();
        server.close();
        TcpTransport again = transport("server-2");
        String at = again.listen(address.replaceAll(":\\d+$", ":0"), got);

        transport("client").connect(at, new Inbox()).send(frame(1));

        assertThat(seqOf(got.take())).isEqualTo(1);
    }

    @Test
    void theDefaultIsNioAndEpollIsUsedWhereAllowedAndAvailable() {
        assertThat(transport("default").isNativeEpoll()).isFalse();
        boolean linuxX64 = System.getProperty("os.name").toLowerCase().contains("linux")
                && System.getProperty("os.arch").matches("amd64|x86_64");
        if (linuxX64) {
            assertThat(transport("epoll", TcpTestNetwork.testConfig().withNativeEpollAllowed(true)).isNativeEpoll()).isTrue();
        }
    }

    // ------------------------------------------------------------------ connect failures

    @Test
    void connectingWhereNothingListensFailsFastWithComponentUnavailable() {
        // a connect timeout beyond the test's own: only a refusal can end connect() in time
        TcpTransport t = transport("client", TcpTestNetwork.testConfig().withConnectTimeoutMillis(600_000));
        try (ReservedPort refusing = ReservedPort.reserve()) {
            String nowhere = refusing.address();

            assertThatThrownBy(() -> t.connect(nowhere, new Inbox()))
                    .isInstanceOf(ComponentUnavailableException.class)
                    .hasMessageContaining(nowhere)
                    .hasMessageNotContaining("no answer within");
        }
    }

    @Test
    void aClosedTransportRefusesToListenOrConnect() {
        TcpTransport t = transport("t");
        t.close();

        assertThatThrownBy(() -> t.listen("127.0.0.1:0", new Inbox())).isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(() -> t.connect("127.0.0.1:1", new Inbox())).isInstanceOf(IllegalStateException.class);
        assertThatCode(t::close).as("closing twice").doesNotThrowAnyException();
    }

    @Test
    void connectingFromAnIoThreadIsRefusedInsteadOfDeadlocking() {
        TcpTransport t = transport("t");
        String echoAt = transport("other").listen("127.0.0.1:0", new Inbox());
        AtomicReference<Throwable> thrown = new AtomicReference<>();
        String at = t.listen("127.0.0.1:0", new Inbox((from, f) -> {
            try {
                t.connect(echoAt, new Inbox());
            } catch (Throwable e) {
                thrown.set(e);
            }
        }));

        transport("client").connect(at, new Inbox()).send(frame(1));

        Await.until("the sink tried to connect", () -> thrown.get() != null);
        assertThat(thrown.get()).isInstanceOf(IllegalStateException.class).hasMessageContaining("I/O thread");
    }

    // ------------------------------------------------------------------ peer goes away and comes back

    @Test
    void afterThePeerRestartsSendsReconnectAndArriveAgain() {
        TcpTransport server = transport("server-1");
        Inbox first = new Inbox();
        String address = server.listen(heldAddress(), first);
        TcpTransport clientTransport = transport("client");
        TcpConnection c = clientTransport.connect(address, new Inbox());
        c.send(frame(1));
        assertThat(seqOf(first.take())).isEqualTo(1);

        server.close();
        Await.until("the client sees the peer go", () -> !c.isOpen());
        assertThatCode(() -> c.send(frame(2))).as("sending while the peer is down drops the frame")
                .doesNotThrowAnyException();

        Inbox second = new Inbox();
        transport("server-2").listen(address, second);
        long[] seq = {100};
        Inbox.Received got = Await.value("a frame arrives at the restarted peer", () -> {
            clock.advance(Duration.ofMillis(TcpTestNetwork.testConfig().reconnectBackoffMaxMillis())); // any backoff is over
            c.send(frame(seq[0]++)); // sends drive reconnection; those sent while disconnected are dropped
            return second.poll(20);
        });

        assertThat(c.isOpen()).isTrue();
        assertThat(seqOf(got)).isGreaterThanOrEqualTo(100);
        c.send(frame(7777));
        Inbox.Received next;
        do {
            next = second.take();
        } while (seqOf(next) != 7777);
        assertThat(first.poll(20)).as("nothing went to the old peer").isNull();
    }

    @Test
    void withinTheBackoffAFailedReconnectIsNotRetried() {
        TcpConfig backoff = TcpTestNetwork.testConfig().withReconnectBackoffMillis(1_000, 1_500);
        TcpTransport server = transport("server-1");
        String address = server.listen(heldAddress(), new Inbox());
        TcpConnection c = transport("client", backoff).connect(address, new Inbox());
        server.close();
        Await.until("the client sees the peer go", () -> !c.isOpen());
        c.send(frame(1)); // first reconnect attempt: refused, the next one waits 1 s
        assertThat(c.reconnectAttempts()).isEqualTo(1);
        // the attempt is asynchronous: wait until it has really failed, or server-2 below could accept it
        Await.until("the first attempt failed", c::waitingForBackoff);

        Inbox second = new Inbox();
        transport("server-2").listen(address, second);
        clock.advance(Duration.ofMillis(999));
        for (int i = 0; i < 20; i++) {
            c.send(frame(2 + i));
        }
        assertThat(c.reconnectAttempts()).as("no attempt before the backoff expires").isEqualTo(1);
        assertThat(c.waitingForBackoff()).isTrue();
        assertThat(c.isOpen()).isFalse();

        clock.advance(Duration.ofMillis(1));
        c.send(frame(100)); // the backoff is over: starts the second attempt, and is dropped
        assertThat(c.reconnectAttempts()).isEqualTo(2);
        Await.until("the second attempt reaches the restarted peer", c::isOpen);
        c.send(frame(101));
        assertThat(seqOf(second.take())).as("the first frame sent after reconnecting").isEqualTo(101);
    }

    @Test
    void theBackoffDoublesAfterEachFailureUpToItsCeiling() {
        TcpConfig backoff = TcpTestNetwork.testConfig().withReconnectBackoffMillis(100, 300);
        TcpTransport server = transport("server");
        String address = server.listen(heldAddress(), new Inbox());
        TcpConnection c = transport("client", backoff).connect(address, new Inbox());
        server.close();
        Await.until("the client sees the peer go", () -> !c.isOpen());

        long[] expectedWaitsMillis = {100, 200, 300, 300};
        for (int attempt = 1; attempt <= expectedWaitsMillis.length; attempt++) {
            c.send(frame(attempt));
            assertThat(c.reconnectAttempts()).isEqualTo(attempt);
            Await.until("attempt " + attempt + " failed", c::waitingForBackoff);
            clock.advance(Duration.ofMillis(expectedWaitsMillis[attempt - 1] - 1));
            c.send(frame(attempt));
            assertThat(c.reconnectAttempts()).as("a millisecond before the backoff of attempt %d ends", attempt)
                    .isEqualTo(attempt);
            clock.advance(Duration.ofMillis(1));
        }
    }

    @Test
    void theDisconnectHookRunsWhenThePeerGoesAndWhenClosed() {
        TcpTransport server = transport("server");
        Inbox atServer = new Inbox();
        String address = server.listen("127.0.0.1:0", atServer);
        TcpConnection c = transport("client").connect(address, new Inbox());
        AtomicInteger clientDrops = new AtomicInteger();
        c.onDisconnect(clientDrops::incrementAndGet);
        c.send(frame(1));
        TcpConnection accepted = (TcpConnection) atServer.take().from();
        AtomicInteger serverDrops = new AtomicInteger();
        accepted.onDisconnect(serverDrops::incrementAndGet);
        assertThat(clientDrops.get()).isZero();

        c.close();

        Await.until("the client's hook ran", () -> clientDrops.get() == 1);
        Await.until("the accepted end's hook ran", () -> serverDrops.get() == 1);
        AtomicInteger late = new AtomicInteger();
        accepted.onDisconnect(late::incrementAndGet);
        assertThat(late.get()).as("a hook added to a dropped connection runs at once").isEqualTo(1);
    }

    @Test
    void aClosedConnectionNeverReconnects() {
        TcpTransport server = transport("server");
        Inbox atServer = new Inbox();
        String address = server.listen("127.0.0.1:0", atServer);
        TcpConnection c = transport("client").connect(address, new Inbox());
        c.send(frame(1));
        atServer.take();

        c.close();
        for (int i = 0; i < 10; i++) {
            c.send(frame(2 + i));
        }

        assertThat(c.reconnectAttempts()).isZero();
        assertThat(c.isOpen()).isFalse();
        assertThat(atServer.poll(20)).isNull();
        assertThat(c.isOutbound()).isTrue();
    }

    @Test
    void acceptedConnectionsDescribeTheirPeerAndDoNotReconnect() {
        TcpTransport server = transport("server");
        Inbox atServer = new Inbox();
        String address = server.listen("127.0.0.1:0", atServer);
        TcpConnection c = transport("client").connect(address, new Inbox());
        c.send(frame(1));
        TcpConnection accepted = (TcpConnection) atServer.take().from();

        assertThat(accepted.isOutbound()).isFalse();
        assertThat(accepted.remoteAddress()).startsWith("127.0.0.1:");
        assertThat(c.remoteAddress()).isEqualTo(address);
        c.close();
        Await.until("the accepted end closes", () -> !accepted.isOpen());
        assertThatCode(() -> accepted.send(frame(2))).doesNotThrowAnyException();
        assertThat(accepted.isOpen()).isFalse();
    }

    @Test
    void oneBufferSentOnTwoConnectionsArrivesWholeOnBoth() {
        Inbox a = new Inbox();
        Inbox b = new Inbox();
        TcpTransport client = transport("client");
        TcpConnection toA = client.connect(transport("a").listen("127.0.0.1:0", a), new Inbox());
        TcpConnection toB = client.connect(transport("b").listen("127.0.0.1:0", b), new Inbox());
        ByteBuffer f = frame(5);
        int length = f.remaining();

        toA.send(f);
        toB.send(f);

        assertThat(f.remaining()).as("sending does not consume the caller's buffer").isEqualTo(length);
        assertThat(seqOf(a.take())).isEqualTo(5);
        assertThat(seqOf(b.take())).isEqualTo(5);
    }

    // ------------------------------------------------------------------ threads

    @Test
    void aSenderWhoseInterruptFlagIsSetNeitherFailsNorClosesTheConnection() throws Exception {
        Inbox atServer = new Inbox();
        String address = transport("server").listen("127.0.0.1:0", atServer);
        TcpConnection c = transport("client").connect(address, new Inbox());
        AtomicReference<Throwable> failed = new AtomicReference<>();
        Thread sender = new Thread(() -> {
            Thread.currentThread().interrupt();
            try {
                for (int i = 0; i < 50; i++) {
                    c.send(frame(i)); // a direct write on an NIO socket must not close it on interrupt
                }
            } catch (Throwable t) {
                failed.set(t);
            }
        });
        sender.start();
        sender.join(5_000);

        assertThat(failed.get()).isNull();
        for (int i = 0; i < 50; i++) {
            assertThat(seqOf(atServer.take())).isEqualTo(i);
        }
        assertThat(c.isOpen()).isTrue();
    }

    @Test
    void framesAreDeliveredOnTheTransportsIoThread() {
        TcpTransport server = transport("delivery");
        Inbox atServer = new Inbox();
        String address = server.listen("127.0.0.1:0", atServer);

        transport("client").connect(address, new Inbox()).send(frame(1));

        assertThat(atServer.take().thread().getName()).startsWith("delivery-io");
    }

    @Test
    void closingTheTransportStopsItsIoThreads() {
        TcpTransport t = transport("stopping");
        String address = t.listen("127.0.0.1:0", new Inbox());
        Connection c = transport("client").connect(address, new Inbox());
        c.send(frame(1));
        assertThat(ioThreads("stopping-io")).isPositive();

        t.close();

        Await.until("the I/O threads end", () -> ioThreads("stopping-io") == 0);
    }

    private static long ioThreads(String prefix) {
        return Thread.getAllStackTraces().keySet().stream().filter(th -> th.getName().startsWith(prefix) && th.isAlive()).count();
    }
}
