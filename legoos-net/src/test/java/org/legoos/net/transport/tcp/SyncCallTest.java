package org.legoos.net.transport.tcp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.DataInputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.LongUnaryOperator;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.legoos.api.ComponentUnavailableException;
import org.legoos.api.LegoException;
import org.legoos.api.SegmentationFault;
import org.legoos.net.protocol.Ack;
import org.legoos.net.protocol.Frame;
import org.legoos.net.protocol.Hello;
import org.legoos.net.protocol.Protocol;
import org.legoos.net.protocol.p2m.Msync;
import org.legoos.net.protocol.p2m.PageData;
import org.legoos.net.protocol.p2m.PcacheMiss;
import org.legoos.net.rpc.RpcNode;
import org.legoos.net.rpc.Status;

/**
 * The opt-in synchronous request path ({@code RpcNode.Config.syncCalls}, {@link TcpTransport#syncCaller}): the
 * calling thread writes its request and reads its reply on its own blocking socket, served by the peer's normal
 * Netty listener.
 */
@Timeout(30)
class SyncCallTest {
    static {
        LeakCheck.install();
    }

    private static final int PROCESSOR = 1;
    private static final int MEMORY = 2;
    private static final int PAGE = 4096;
    private static final RpcNode.Config RPC = new RpcNode.Config(1 << 20, Duration.ofSeconds(10)).withSyncCalls(true);
    private static final ByteBuffer NO_VICTIM = ByteBuffer.allocate(0);

    private final List<AutoCloseable> closing = new ArrayList<>();
    private final AtomicInteger served = new AtomicInteger();
    private RpcNode memory;
    private RpcNode processor;
    private TcpTransport processorTransport;
    private String memoryAddress;
    private ExecutorService slow;

    private RpcNode node(String name, int id, TcpTransport transport) {
        RpcNode n = new RpcNode(name, transport, RPC);
        n.setNodeId(id);
        closing.add(n);
        return n;
    }

    /** A memory component whose pages hold their own address in every long; address 0 is a segfault. */
    private RpcNode startMemory(String address) {
        RpcNode m = node("memory", MEMORY, new TcpTransport("memory", TcpTestNetwork.testConfig()));
        m.handle(PcacheMiss.class, (q, ctx) -> {
            if (q.vaddr() == 0) {
                throw new SegmentationFault("no page at 0");
            }
            served.incrementAndGet();
            return new PageData(page(q.vaddr()));
        });
        m.handle(Msync.class, (q, ctx) -> {
            try {
                Thread.sleep(q.length()); // a handler that takes its time
            } catch (InterruptedException shutDown) {
                Thread.currentThread().interrupt();
            }
            return Ack.INSTANCE;
        }, slow);
        memoryAddress = m.listen(address);
        memory = m;
        return m;
    }

    private static ByteBuffer page(long vaddr) {
        ByteBuffer p = ByteBuffer.allocate(PAGE).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < PAGE; i += 8) {
            p.putLong(i, vaddr + i);
        }
        return p;
    }

    private static void assertIsPage(PageData d, long vaddr) {
        ByteBuffer b = d.data().duplicate().order(ByteOrder.LITTLE_ENDIAN);
        assertThat(b.remaining()).isEqualTo(PAGE);
        for (int i = 0; i < PAGE; i += 512) {
            assertThat(b.getLong(b.position() + i)).isEqualTo(vaddr + i);
        }
    }

    private PageData miss(long vaddr) {
        return processor.call(MEMORY, new PcacheMiss(1, vaddr, 1, 0, NO_VICTIM));
    }

    @BeforeEach
    void start() {
        slow = Executors.newFixedThreadPool(2);
        closing.add(slow::shutdownNow);
        startMemory("127.0.0.1:0");
        processorTransport = new TcpTransport("processor", TcpTestNetwork.testConfig());
        processor = node("processor", PROCESSOR, processorTransport);
        processor.addPeer(MEMORY, memoryAddress);
    }

    @AfterEach
    void stop() throws Exception {
        for (AutoCloseable c : closing.reversed()) {
            c.close();
        }
    }

    @AfterAll
    static void noBufferLeaked() {
        LeakCheck.assertNoLeaks();
    }

    @Test
    void aSyncMissReturnsThePageOnTheCallersOwnSocket() {
        long vaddr = 0x7f00_0000_1000L;

        assertIsPage(miss(vaddr), vaddr);
        assertIsPage(miss(vaddr + PAGE), vaddr + PAGE);

        assertThat(served.get()).isEqualTo(2);
        assertThat(processorTransport.openSyncSockets()).as("one socket for this thread, reused").isEqualTo(1);
    }

    @Test
    void anErrorReplyBecomesTheTypedExceptionAndTheSocketStaysUsable() {
        assertThatThrownBy(() -> miss(0)).isInstanceOf(SegmentationFault.class).hasMessageContaining("no page at 0");

        assertIsPage(miss(0x3000), 0x3000);
        assertThat(processorTransport.openSyncSockets()).isEqualTo(1);
    }

    @Test
    void fourThreadsMakingAThousandSyncMissesEachGetTheirOwnPagesOnTheirOwnSockets() throws Exception {
        int threads = 4;
        int calls = 1000;
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        closing.add(pool::shutdownNow);
        CountDownLatch start = new CountDownLatch(1);
        List<Future<?>> done = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            long base = (long) (t + 1) << 32;
            done.add(pool.submit(() -> {
                start.await();
                for (int i = 0; i < calls; i++) {
                    long vaddr = base + (long) i * PAGE;
                    assertIsPage(miss(vaddr), vaddr);
                }
                return null;
            }));
        }
        start.countDown();
        for (Future<?> f : done) {
            f.get(25, TimeUnit.SECONDS);
        }

        assertThat(served.get()).isEqualTo(threads * calls);
        assertThat(processorTransport.openSyncSockets()).as("one socket per calling thread").isEqualTo(threads);
    }

    @Test
    void callsFailUnavailableWhileThePeerIsDownAndWorkAgainAfterItRestarts() {
        assertIsPage(miss(0x2000), 0x2000);

        memory.close();
        // UNAVAILABLE, not TIMEOUT: failed fast, not at the call timeout
        assertThatThrownBy(() -> miss(0x2000)).isInstanceOfSatisfying(ComponentUnavailableException.class,
                e -> assertThat(e.status()).isEqualTo("UNAVAILABLE"));
        assertThatThrownBy(() -> miss(0x2000)).as("nothing listens: connect refused")
                .isInstanceOfSatisfying(ComponentUnavailableException.class,
                        e -> assertThat(e.status()).isEqualTo("UNAVAILABLE"));

        startMemory(memoryAddress); // same port: the component restarted
        assertIsPage(miss(0x2000), 0x2000);
    }

    @Test
    void aHandlerSlowerThanTheTimeoutFailsTheCallWithTimeout() {
        long start = System.nanoTime();
        // TIMEOUT, not the reply the handler sends after 2 s: the caller did not wait for it
        assertThatThrownBy(() -> processor.call(MEMORY, new Msync(1, 0, 2_000), Duration.ofMillis(200)))
                .isInstanceOfSatisfying(ComponentUnavailableException.class,
                        e -> assertThat(e.status()).isEqualTo("TIMEOUT"));
        assertThat(Duration.ofNanos(System.nanoTime() - start)).as("not before the timeout")
                .isGreaterThanOrEqualTo(Duration.ofMillis(190));

        // the late reply went to a closed socket; the next call uses a fresh one and is not confused by it
        assertIsPage(miss(0x5000), 0x5000);
        assertThat(processor.call(MEMORY, new Msync(1, 0, 1), Duration.ofSeconds(5))).isEqualTo(Ack.INSTANCE);
    }

    @Test
    void aDroppedRequestIsNeverServedAndTheCallTimesOutThenHealingRestoresIt() {
        assertIsPage(miss(0x3000), 0x3000);
        int before = served.get();
        processor.faults().dropTo(MEMORY);
        long start = System.nanoTime();
        assertThatThrownBy(() -> processor.call(MEMORY, new PcacheMiss(1, 0x3000, 1, 0, NO_VICTIM), Duration.ofMillis(300)))
                .isInstanceOfSatisfying(ComponentUnavailableException.class,
                        e -> assertThat(e.status()).isEqualTo("TIMEOUT"));
        assertThat(Duration.ofNanos(System.nanoTime() - start)).as("waited out its timeout")
                .isGreaterThanOrEqualTo(Duration.ofMillis(290));
        assertThat(served.get()).as("the request never reached the peer").isEqualTo(before);

        processor.faults().heal();
        assertIsPage(miss(0x3000), 0x3000);
        processor.faults().partition();
        assertThatThrownBy(() -> processor.call(MEMORY, new PcacheMiss(1, 0x3000, 1, 0, NO_VICTIM), Duration.ofMillis(100)))
                .isInstanceOfSatisfying(ComponentUnavailableException.class,
                        e -> assertThat(e.status()).isEqualTo("TIMEOUT"));
        processor.faults().heal();
        assertIsPage(miss(0x3000), 0x3000);
    }

    @Test
    void aDelayedRequestArrivesLateOrTimesOut() {
        processor.faults().delayTo(MEMORY, 250);
        long start = System.nanoTime();
        assertIsPage(miss(0x4000), 0x4000);
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isGreaterThanOrEqualTo(Duration.ofMillis(245));
        int before = served.get();
        assertThatThrownBy(() -> processor.call(MEMORY, new PcacheMiss(1, 0x4000, 1, 0, NO_VICTIM), Duration.ofMillis(100)))
                .isInstanceOfSatisfying(ComponentUnavailableException.class,
                        e -> assertThat(e.status()).isEqualTo("TIMEOUT"));
        assertThat(served.get()).as("a request held past its call's timeout is not sent").isEqualTo(before);
    }

    @Test
    void failCallsToEndsASyncCallBlockedOnTheReplyAndOneHeldByAFault() throws Exception {
        ExecutorService callers = Executors.newFixedThreadPool(2);
        closing.add(callers::shutdownNow);
        assertIsPage(miss(0x1000), 0x1000);
        // one call waits for a handler that takes 8 s, another for a request that a fault drops
        Future<?> blocked = callers.submit(() -> processor.call(MEMORY, new Msync(1, 0, 8_000), Duration.ofSeconds(20)));
        Thread.sleep(200);
        processor.faults().dropTo(MEMORY);
        Future<?> held = callers.submit(() -> processor.call(MEMORY, new PcacheMiss(1, 0x1000, 1, 0, NO_VICTIM),
                Duration.ofSeconds(20)));
        Thread.sleep(200);
        long start = System.nanoTime();
        processor.failCallsTo(MEMORY, "memory component 2 was declared dead");
        for (Future<?> f : List.of(blocked, held)) {
            assertThatThrownBy(() -> f.get(5, TimeUnit.SECONDS)).cause()
                    .isInstanceOfSatisfying(ComponentUnavailableException.class, e -> {
                        assertThat(e.status()).isEqualTo("UNAVAILABLE");
                        assertThat(e.getMessage()).contains("declared dead");
                    });
        }
        assertThat(Duration.ofNanos(System.nanoTime() - start)).as("at once, not at the handler's end or the timeout")
                .isLessThan(Duration.ofSeconds(3));
        processor.faults().heal();
        assertIsPage(miss(0x1000), 0x1000); // a fresh socket
    }

    @Test
    void closingTheTransportClosesEverySyncSocket() throws Exception {
        CountDownLatch called = new CountDownLatch(1);
        CountDownLatch end = new CountDownLatch(1);
        Thread other = Thread.ofPlatform().start(() -> {
            assertIsPage(miss(0x1000), 0x1000);
            called.countDown();
            try {
                end.await(); // stays alive, so its socket is not swept
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        assertThat(called.await(10, TimeUnit.SECONDS)).isTrue();
        assertIsPage(miss(0x1000), 0x1000);
        assertThat(processorTransport.openSyncSockets()).isEqualTo(2);

        processor.close();
        end.countDown();
        other.join(10_000);

        assertThat(processorTransport.openSyncSockets()).isZero();
        assertThatThrownBy(() -> miss(0x1000)).isInstanceOf(ComponentUnavailableException.class);
    }

    @Test
    void socketsOfThreadsThatEndedAreClosedWhenAnotherIsOpened() throws Exception {
        for (int i = 0; i < 3; i++) {
            Thread t = Thread.ofPlatform().start(() -> assertIsPage(miss(0x1000), 0x1000));
            t.join(10_000);
            assertThat(t.isAlive()).isFalse();
        }

        assertIsPage(miss(0x1000), 0x1000);

        assertThat(processorTransport.openSyncSockets()).as("only this thread's").isEqualTo(1);
    }

    // ------------------------------------------------------------------ a peer that answers wrongly

    /** A raw peer that reads one request frame per reply and answers with {@code reply(requestId)}. */
    private String rawPeer(java.util.function.Function<Long, byte[]> reply) throws IOException {
        ServerSocket ss = new ServerSocket(0, 8, InetAddress.getLoopbackAddress());
        closing.add(ss);
        Thread.ofPlatform().daemon().start(() -> {
            while (!ss.isClosed()) {
                try (Socket s = ss.accept()) {
                    DataInputStream in = new DataInputStream(s.getInputStream());
                    OutputStream out = s.getOutputStream();
                    out.write(Hello.encode().array());
                    in.readFully(new byte[Hello.BYTES]);
                    while (true) {
                        byte[] header = new byte[Frame.HEADER_BYTES];
                        in.readFully(header);
                        ByteBuffer h = ByteBuffer.wrap(header).order(ByteOrder.LITTLE_ENDIAN);
                        in.readFully(new byte[h.getInt(0)]);
                        out.write(reply.apply(h.getLong(12)));
                    }
                } catch (IOException done) {
                    // next connection, or closed
                }
            }
        });
        return "127.0.0.1:" + ss.getLocalPort();
    }

    private static byte[] pageReply(long requestId) {
        ByteBuffer f = Frame.encode(Protocol.of(PcacheMiss.class).code(), Frame.FLAG_REPLY, 0, 7, requestId,
                new PageData(page(0x1000)));
        byte[] b = new byte[f.remaining()];
        f.get(b);
        return b;
    }

    private void callRawPeer(LongUnaryOperator replyId, Status expected) throws IOException {
        String addr = rawPeer(id -> pageReply(replyId.applyAsLong(id)));
        processor.addPeer(7, addr);
        assertThatThrownBy(() -> processor.call(7, new PcacheMiss(1, 0x1000, 1, 0, NO_VICTIM), Duration.ofSeconds(5)))
                .isInstanceOfSatisfying(LegoException.class, e -> assertThat(e.status()).isEqualTo(expected.name()));
    }

    @Test
    void aReplyWithAnotherRequestIdIsABadFrame() throws Exception {
        callRawPeer(id -> id + 1, Status.BAD_FRAME);
        assertThat(processorTransport.openSyncSockets()).as("the out-of-step socket is closed").isZero();
    }

    @Test
    void aReplyAnnouncingAnOversizedBodyIsABadFrameAndClosesTheSocket() throws Exception {
        String addr = rawPeer(id -> {
            byte[] b = new byte[Frame.HEADER_BYTES];
            ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN).putInt(0, Integer.MAX_VALUE);
            return b;
        });
        processor.addPeer(7, addr);
        assertThatThrownBy(() -> processor.call(7, new PcacheMiss(1, 0x1000, 1, 0, NO_VICTIM), Duration.ofSeconds(5)))
                .isInstanceOfSatisfying(LegoException.class, e -> assertThat(e.status()).isEqualTo("BAD_FRAME"));
        assertThat(processorTransport.openSyncSockets()).isZero();
    }

    @Test
    void aMatchingReplyFromARawPeerIsDecoded() throws Exception {
        String addr = rawPeer(SyncCallTest::pageReply);
        processor.addPeer(7, addr);
        assertIsPage(processor.call(7, new PcacheMiss(1, 0x1000, 1, 0, NO_VICTIM)), 0x1000);
    }

    @Test
    void theSyncCallerRefusesToBlockAnIoThread() throws Exception {
        SyncCaller caller = processorTransport.syncCaller(memoryAddress);
        RpcNode.Config plain = new RpcNode.Config(1 << 20, Duration.ofSeconds(5));
        assertThat(plain.syncCalls()).isFalse();
        assertThat(RpcNode.Config.DEFAULT.syncCalls()).isFalse();
        java.util.concurrent.CompletableFuture<Throwable> seen = new java.util.concurrent.CompletableFuture<>();
        // a frame sink runs on the transport's I/O thread
        var c = processorTransport.connect(memoryAddress, (from, frame) -> {
            try {
                caller.roundTrip(ByteBuffer.allocate(Frame.HEADER_BYTES), 1024, 1000);
                seen.complete(null);
            } catch (Throwable t) {
                seen.complete(t);
            }
        });
        closing.add(c);
        // an unknown opcode makes the memory node answer with an error frame
        ByteBuffer q = ByteBuffer.allocate(Frame.HEADER_BYTES).order(ByteOrder.LITTLE_ENDIAN);
        q.putShort(4, (short) 0x7ffe).putLong(12, 99);
        c.send(q);
        assertThat(seen.get(10, TimeUnit.SECONDS)).isInstanceOf(IllegalStateException.class);
    }
}
