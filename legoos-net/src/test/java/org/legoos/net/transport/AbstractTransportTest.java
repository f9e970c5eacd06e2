package org.legoos.net.transport;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.legoos.api.ComponentUnavailableException;
import org.legoos.net.protocol.Frame;
import org.legoos.testkit.Await;

/**
 * The contract every {@link Transport} keeps, run against each one by an empty subclass that names its
 * network ({@code LocalTransportTest}; a TCP transport adds its own). Delivery may be synchronous or on
 * transport threads, so every check waits for arrival instead of assuming it.
 *
 * <p>Frames used here are well formed (a stream transport finds boundaries from the header).
 */
@Timeout(20)
public abstract class AbstractTransportTest implements TestNetwork.Factory {
    private TestNetwork network;
    private Transport serverTransport;
    private Transport clientTransport;

    @BeforeEach
    void setUpNetwork() {
        network = newNetwork();
        serverTransport = network.newTransport();
        clientTransport = network.newTransport();
    }

    @AfterEach
    void closeNetwork() {
        network.close();
    }

    /** A well-formed frame whose request id is {@code seq} and whose body is {@code bodyBytes} bytes of a pattern. */
    static ByteBuffer frame(long seq, int bodyBytes) {
        byte[] body = new byte[bodyBytes];
        for (int i = 0; i < bodyBytes; i++) {
            body[i] = (byte) (seq * 31 + i);
        }
        return Frame.encode(0x0101, 0, 0, 7, seq, out -> out.putRaw(body, 0, body.length));
    }

    private static byte[] bytes(ByteBuffer b) {
        byte[] a = new byte[b.remaining()];
        b.duplicate().get(a);
        return a;
    }

    private static long seqOf(ByteBuffer frame) {
        return Frame.decode(frame, Integer.MAX_VALUE).requestId();
    }

    /** A listener's sink that sends every frame back, as a copy, on the connection it came on. */
    private static Inbox echo() {
        return new Inbox((from, f) -> from.send(ByteBuffer.wrap(bytes(f))));
    }

    private String listen(Inbox inbox) {
        return serverTransport.listen(network.listenAddress("server"), inbox);
    }

    @Test
    void frameSentOnAConnectionArrivesWholeAtTheListener() {
        Inbox server = new Inbox();
        String address = listen(server);
        Connection c = clientTransport.connect(address, new Inbox());
        ByteBuffer sent = frame(1, 100);
        byte[] expected = bytes(sent);

        c.send(sent);

        assertThat(server.take().bytes()).isEqualTo(expected);
    }

    @Test
    void listenerRepliesOnTheConnectionTheFrameCameOn() {
        String address = listen(echo());
        Inbox client = new Inbox();
        Connection c = clientTransport.connect(address, client);

        c.send(frame(42, 10));

        Inbox.Received reply = client.take();
        assertThat(seqOf(reply.frame())).isEqualTo(42);
        assertThat(reply.from()).as("frames arrive tagged with the connection they came on").isSameAs(c);
    }

    @Test
    void framesOnOneConnectionArriveInOrderIntactAndStayIntact() {
        Inbox server = new Inbox();
        String address = listen(server);
        Connection c = clientTransport.connect(address, new Inbox());
        int n = 2000;
        List<byte[]> sent = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            ByteBuffer f = frame(i, i % 257 == 0 ? 0 : (i * 37) % 3000);
            sent.add(bytes(f));
            c.send(f);
        }

        List<Inbox.Received> got = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            got.add(server.take());
        }
        // checked only after all arrived: a transport must not reuse a buffer it handed to the sink
        for (int i = 0; i < n; i++) {
            assertThat(got.get(i).bytes()).as("frame %d", i).isEqualTo(sent.get(i));
        }
    }

    @Test
    void largeFramesArriveWhole() {
        Inbox server = new Inbox();
        String address = listen(server);
        Connection c = clientTransport.connect(address, new Inbox());
        ByteBuffer big = frame(3, 4 << 20);
        byte[] expected = bytes(big);

        c.send(big);

        assertThat(server.take().bytes()).isEqualTo(expected);
    }

    @Test
    void theSinkSeesExactlyTheRemainingBytesOfTheSentBuffer() {
        Inbox server = new Inbox();
        String address = listen(server);
        Connection c = clientTransport.connect(address, new Inbox());
        ByteBuffer f = frame(5, 33);
        ByteBuffer padded = ByteBuffer.allocate(f.remaining() + 16);
        padded.position(9);
        padded.put(f.duplicate());
        padded.limit(padded.position()).position(9);

        c.send(padded);

        assertThat(server.take().bytes()).isEqualTo(bytes(f));
    }

    @Test
    void concurrentSendersOnOneConnectionLoseNothingAndKeepTheirOrder() throws Exception {
        Inbox server = new Inbox();
        String address = listen(server);
        Connection c = clientTransport.connect(address, new Inbox());
        int threads = 4;
        int perThread = 1000;
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        CountDownLatch start = new CountDownLatch(1);
        List<Future<?>> done = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            long base = (long) t << 32;
            done.add(pool.submit(() -> {
                start.await();
                for (int i = 0; i < perThread; i++) {
                    c.send(frame(base | i, i % 50));
                }
                return null;
            }));
        }
        start.countDown();
        for (Future<?> f : done) {
            f.get();
        }
        pool.shutdown();

        int[] next = new int[threads];
        for (int i = 0; i < threads * perThread; i++) {
            long seq = seqOf(server.take().frame());
            int t = (int) (seq >>> 32);
            assertThat((int) seq).as("order of sender %d", t).isEqualTo(next[t]);
            next[t]++;
        }
        assertThat(server.poll(50)).isNull();
    }

    @Test
    void eachClientGetsOnlyItsOwnReplies() {
        String address = listen(echo());
        List<Inbox> inboxes = new ArrayList<>();
        List<Connection> conns = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            Inbox in = new Inbox();
            inboxes.add(in);
            conns.add(network.newTransport().connect(address, in));
        }
        for (int round = 0; round < 20; round++) {
            for (int i = 0; i < 3; i++) {
                conns.get(i).send(frame(i * 1000 + round, round));
            }
        }
        for (int i = 0; i < 3; i++) {
            for (int round = 0; round < 20; round++) {
                assertThat(seqOf(inboxes.get(i).take().frame())).isEqualTo(i * 1000 + round);
            }
            assertThat(inboxes.get(i).poll(20)).isNull();
        }
    }

    @Test
    void aTransportCanListenAndConnectAtTheSameTime() {
        Inbox atA = new Inbox();
        Inbox atB = new Inbox();
        String a = serverTransport.listen(network.listenAddress("node-a"), atA);
        String b = clientTransport.listen(network.listenAddress("node-b"), atB);

        serverTransport.connect(b, new Inbox()).send(frame(1, 1));
        clientTransport.connect(a, new Inbox()).send(frame(2, 2));

        assertThat(seqOf(atB.take().frame())).isEqualTo(1);
        assertThat(seqOf(atA.take().frame())).isEqualTo(2);
    }

    @Test
    void connectingWhereNobodyListensIsComponentUnavailable() {
        assertThatThrownBy(() -> clientTransport.connect(network.unreachableAddress(), new Inbox()))
                .isInstanceOf(ComponentUnavailableException.class);
    }

    @Test
    void closingAConnectionClosesBothEnds() {
        Inbox server = new Inbox();
        String address = listen(server);
        Connection c = clientTransport.connect(address, new Inbox());
        c.send(frame(1, 1));
        Connection accepted = server.take().from();
        assertThat(c.isOpen()).isTrue();
        assertThat(accepted.isOpen()).isTrue();

        c.close();

        assertThat(c.isOpen()).isFalse();
        Await.until("the accepted end closes", () -> !accepted.isOpen());
        assertThatCode(() -> c.send(frame(2, 1))).as("sending on a closed connection does nothing")
                .doesNotThrowAnyException();
        assertThatCode(c::close).as("closing twice").doesNotThrowAnyException();
        assertThat(server.poll(50)).isNull();
    }

    @Test
    void closingTheListeningTransportClosesItsConnectionsAndStopsListening() {
        Inbox server = new Inbox();
        String address = listen(server);
        Connection c = clientTransport.connect(address, new Inbox());
        c.send(frame(1, 1));
        server.take();

        serverTransport.close();

        Await.until("the client end closes", () -> !c.isOpen());
        assertThatThrownBy(() -> clientTransport.connect(address, new Inbox()))
                .isInstanceOf(ComponentUnavailableException.class);
    }

    @Test
    void closingTheConnectingTransportClosesItsConnections() {
        Inbox server = new Inbox();
        String address = listen(server);
        Connection c = clientTransport.connect(address, new Inbox());
        c.send(frame(1, 1));
        Connection accepted = server.take().from();

        clientTransport.close();

        assertThat(c.isOpen()).isFalse();
        Await.until("the accepted end closes", () -> !accepted.isOpen());
    }

    @Test
    void remoteAddressesDescribeThePeers() {
        Inbox server = new Inbox();
        String address = listen(server);
        Connection c = clientTransport.connect(address, new Inbox());
        c.send(frame(1, 1));
        Connection accepted = server.take().from();

        assertThat(c.remoteAddress()).isNotBlank();
        assertThat(accepted.remoteAddress()).isNotBlank();
    }

    @Test
    void randomTrafficBothWaysArrivesIntact() {
        long seed = System.nanoTime();
        System.out.println("randomTrafficBothWaysArrivesIntact seed = " + seed);
        Random rnd = new Random(seed);
        String address = listen(echo());
        Inbox client = new Inbox();
        Connection c = clientTransport.connect(address, client);
        List<byte[]> sent = new ArrayList<>();
        for (int i = 0; i < 300; i++) {
            int size = rnd.nextInt(10) == 0 ? rnd.nextInt(200_000) : rnd.nextInt(100);
            byte[] body = new byte[size];
            rnd.nextBytes(body);
            ByteBuffer f = Frame.encode(rnd.nextInt(1 << 16), 0, 0, rnd.nextInt(), i, out -> out.putRaw(body, 0, size));
            sent.add(bytes(f));
            c.send(f);
        }
        for (int i = 0; i < sent.size(); i++) {
            assertThat(client.take().bytes()).as("echo %d (seed %d)", i, seed).isEqualTo(sent.get(i));
        }
    }
}
