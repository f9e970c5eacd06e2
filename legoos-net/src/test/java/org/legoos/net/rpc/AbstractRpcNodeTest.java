package org.legoos.net.rpc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowable;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Function;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.legoos.api.ComponentUnavailableException;
import org.legoos.api.LegoException;
import org.legoos.api.NoMemoryException;
import org.legoos.api.QuotaExceededException;
import org.legoos.api.SegmentationFault;
import org.legoos.net.protocol.Ack;
import org.legoos.net.protocol.Frame;
import org.legoos.net.protocol.Message;
import org.legoos.net.protocol.Protocol;
import org.legoos.net.protocol.Request;
import org.legoos.net.protocol.WireReader;
import org.legoos.net.protocol.gm.ComponentResources;
import org.legoos.net.protocol.gm.Consult;
import org.legoos.net.protocol.gm.NodeChoice;
import org.legoos.net.protocol.gm.StatusReport;
import org.legoos.net.protocol.gm.VNodeInfo;
import org.legoos.net.protocol.p2m.Brk;
import org.legoos.net.protocol.p2m.FileRead;
import org.legoos.net.protocol.p2m.FileWrite;
import org.legoos.net.protocol.p2m.MapReply;
import org.legoos.net.protocol.p2m.Mmap;
import org.legoos.net.protocol.p2s.FileData;
import org.legoos.net.protocol.pm.ProcessExit;
import org.legoos.net.protocol.pm.ProcessOutput;
import org.legoos.net.protocol.pm.StartProcess;
import org.legoos.net.transport.Connection;
import org.legoos.net.transport.Inbox;
import org.legoos.net.transport.TestNetwork;
import org.legoos.net.transport.Transport;
import org.legoos.testkit.Await;

/**
 * {@link RpcNode} over a real transport, run by an empty subclass per transport ({@code LocalRpcNodeTest}):
 * calls and replies, error statuses as typed exceptions, protection against frames that do not follow the
 * protocol, timeouts and injected faults, one-way messages, and the life cycle (close, peers, resolver).
 *
 * <p>The server's echo handler for {@link Brk} answers {@code MapReply(addr = newBreak, vregionBytes = pid,
 * regions = [source node])}, so every reply shows which request it answers and who sent it.
 */
@Timeout(20)
public abstract class AbstractRpcNodeTest implements TestNetwork.Factory {
    static final int SERVER = 1;
    static final int CLIENT = 2;
    static final int OTHER = 3;
    static final int MAX_BODY = 64 * 1024;
    static final Duration SHORT = Duration.ofMillis(150);
    /**
     * A call timeout longer than any test may run ({@code @Timeout} above): a call with it that ends did not end by
     * timing out.
     */
    static final Duration BEYOND_THE_TEST = Duration.ofMinutes(10);

    private final List<RpcNode> nodes = new CopyOnWriteArrayList<>();
    private final List<ExecutorService> pools = new CopyOnWriteArrayList<>();
    TestNetwork network;
    RpcNode server;
    RpcNode client;
    String serverAddress;
    final AtomicInteger handled = new AtomicInteger();

    @BeforeEach
    void startNodes() {
        network = newNetwork();
        server = node("server", SERVER);
        serverAddress = server.listen(network.listenAddress("server"));
        server.handle(Brk.class, (q, ctx) -> {
            handled.incrementAndGet();
            return echo(q, ctx);
        });
        client = node("client", CLIENT);
        client.addPeer(SERVER, serverAddress);
    }

    @AfterEach
    void closeNodes() {
        nodes.forEach(RpcNode::close);
        pools.forEach(ExecutorService::shutdownNow);
        network.close();
    }

    RpcNode node(String name, int id) {
        RpcNode n = new RpcNode(name, network.newTransport(), new RpcNode.Config(MAX_BODY, Duration.ofSeconds(5)));
        n.setNodeId(id);
        nodes.add(n);
        return n;
    }

    ExecutorService pool(String name, int threads) {
        AtomicInteger n = new AtomicInteger();
        ExecutorService p = Executors.newFixedThreadPool(threads, r -> {
            Thread t = new Thread(r, name + "-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
        pools.add(p);
        return p;
    }

    static MapReply echo(Brk q, CallContext ctx) {
        return new MapReply(q.newBreak(), q.pid(), new long[] {ctx.sourceNode()}, new int[1]);
    }

    static ComponentResources resources() {
        return new ComponentResources(4, 1, 2, 1 << 30, 1 << 20, 0, 1 << 16);
    }

    static long elapsedMillis(long startNanos) {
        return (System.nanoTime() - startNanos) / 1_000_000;
    }

    // ------------------------------------------------------------------ calls and replies

    @Test
    void callReturnsTheHandlersReplyAndTheHandlerSeesTheCaller() {
        MapReply r = client.call(SERVER, new Brk(7, 4096));

        assertThat(r.addr()).isEqualTo(4096);
        assertThat(r.vregionBytes()).isEqualTo(7);
        assertThat(r.regions()).containsExactly(CLIENT);
        assertThat(client.pendingCalls()).isZero();
    }

    @Test
    void callAsyncCompletesWithTheReply() throws Exception {
        CompletableFuture<MapReply> f = client.callAsync(SERVER, new Brk(1, 2), Duration.ofSeconds(5));
        assertThat(f.get(5, TimeUnit.SECONDS).addr()).isEqualTo(2);
        assertThat(client.pendingCalls()).isZero();
    }

    @Test
    void requestsAndRepliesUpToTheBodyLimitPass() {
        byte[] data = new byte[MAX_BODY - 100];
        new Random(1).nextBytes(data);
        server.handle(FileWrite.class, (q, ctx) -> {
            assertThat(q.data()).isEqualTo(ByteBuffer.wrap(data));
            return Ack.INSTANCE;
        });
        server.handle(FileRead.class, (q, ctx) -> new FileData(ByteBuffer.wrap(data, 0, q.length())));

        assertThat(client.call(SERVER, new FileWrite(1, "/big", 0, ByteBuffer.wrap(data)))).isEqualTo(Ack.INSTANCE);
        FileData back = client.call(SERVER, new FileRead(1, "/big", 0, data.length));
        assertThat(back.data()).isEqualTo(ByteBuffer.wrap(data));
    }

    // ------------------------------------------------------------------ error statuses

    @ParameterizedTest
    @EnumSource(value = Status.class, names = "OK", mode = EnumSource.Mode.EXCLUDE)
    void errorStatusesBecomeTypedExceptions(Status status) {
        server.handle(Mmap.class, (q, ctx) -> {
            throw new RpcException(status, "why: " + status);
        });

        Throwable e = catchThrowable(() -> client.call(SERVER, new Mmap(1, 0, 4096, 3)));

        Class<?> expected = switch (status) {
            case BAD_ADDRESS -> SegmentationFault.class;
            case NO_MEMORY -> NoMemoryException.class;
            case QUOTA -> QuotaExceededException.class;
            case UNAVAILABLE, TIMEOUT -> ComponentUnavailableException.class;
            default -> RpcException.class;
        };
        assertThat(e).isInstanceOf(expected).hasMessageContaining("why: " + status);
        assertThat(((LegoException) e).status()).isEqualTo(status.name());
        if (e instanceof RpcException r) {
            assertThat(r.code()).isEqualTo(status);
        }
        assertThat(client.call(SERVER, new Brk(1, 1)).addr()).as("still serving").isEqualTo(1);
    }

    @Test
    void apiExceptionsThrownByHandlersArriveAsThemselves() {
        AtomicReference<RuntimeException> toThrow = new AtomicReference<>();
        server.handle(Mmap.class, (q, ctx) -> {
            throw toThrow.get();
        });
        List<RuntimeException> thrown = List.of(new SegmentationFault("no mapping at 0x10"),
                new NoMemoryException("memory full"), new QuotaExceededException("vnode quota"),
                new ComponentUnavailableException("owner is dead"));
        for (RuntimeException t : thrown) {
            toThrow.set(t);
            assertThatThrownBy(() -> client.call(SERVER, new Mmap(1, 0, 1, 0)))
                    .isExactlyInstanceOf(t.getClass()).hasMessage(t.getMessage());
        }
    }

    @Test
    void aLegoExceptionWithAForeignStatusIsInternal() {
        server.handle(Mmap.class, (q, ctx) -> {
            throw new LegoException("NOT_A_STATUS", "odd");
        });
        assertThatThrownBy(() -> client.call(SERVER, new Mmap(1, 0, 1, 0)))
                .isInstanceOfSatisfying(RpcException.class, e -> assertThat(e.code()).isEqualTo(Status.INTERNAL));
    }

    @Test
    void aFailingHandlerIsInternalAndTheNodeKeepsServing() {
        AtomicReference<Throwable> toThrow = new AtomicReference<>();
        server.handle(Mmap.class, (q, ctx) -> {
            Throwable t = toThrow.get();
            if (t instanceof Error e) {
                throw e;
            }
            throw (Exception) t;
        });
        for (Throwable t : List.of(new IllegalStateException("boom"), new NullPointerException(),
                new java.io.IOException("disk"), new AssertionError("bug"), new StackOverflowError())) {
            toThrow.set(t);
            assertThatThrownBy(() -> client.call(SERVER, new Mmap(1, 0, 1, 0))).as(t.toString())
                    .isInstanceOfSatisfying(RpcException.class, e -> {
                        assertThat(e.code()).isEqualTo(Status.INTERNAL);
                        assertThat(e.getMessage()).contains(t.getClass().getSimpleName());
                    });
            assertThat(client.call(SERVER, new Brk(3, 3)).addr()).isEqualTo(3);
        }
    }

    @Test
    void illegalArgumentFromAHandlerIsInvalidArgument() {
        server.handle(Mmap.class, (q, ctx) -> {
            throw new IllegalArgumentException("length must be positive");
        });
        assertThatThrownBy(() -> client.call(SERVER, new Mmap(1, 0, -1, 0)))
                .isInstanceOfSatisfying(RpcException.class, e -> assertThat(e.code()).isEqualTo(Status.INVALID_ARGUMENT))
                .hasMessageContaining("length must be positive");
    }

    @Test
    void aHandlerReturningNoReplyIsInternal() {
        server.handle(Mmap.class, (q, ctx) -> null);
        assertThatThrownBy(() -> client.call(SERVER, new Mmap(1, 0, 1, 0)))
                .isInstanceOfSatisfying(RpcException.class, e -> assertThat(e.code()).isEqualTo(Status.INTERNAL));
    }

    @Test
    void aRequestTypeWithoutAHandlerIsUnknownOpcode() {
        assertThatThrownBy(() -> client.call(SERVER, new Mmap(1, 0, 1, 0)))
                .isInstanceOfSatisfying(RpcException.class, e -> assertThat(e.code()).isEqualTo(Status.UNKNOWN_OPCODE))
                .hasMessageContaining("P2M_MMAP");
    }

    @Test
    void aNodeStartingAnswersUnavailableUntilItServes() {
        server.refuseRequestsUntilServing();
        assertThatThrownBy(() -> client.call(SERVER, new Brk(7, 4096)))
                .isInstanceOf(org.legoos.api.ComponentUnavailableException.class).hasMessageContaining("is starting");
        server.serveRequests();
        assertThat(client.call(SERVER, new Brk(7, 4096)).addr()).isEqualTo(4096);
    }

    record Unregistered() implements Request<Ack> {
        @Override
        public void encode(org.legoos.net.protocol.WireWriter out) {
        }
    }

    @Test
    void registrationIsCheckedAtOnce() {
        assertThatThrownBy(() -> server.handle(Brk.class, (q, ctx) -> echo(q, ctx)))
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("P2M_BRK");
        assertThatThrownBy(() -> server.handle(Unregistered.class, (q, ctx) -> Ack.INSTANCE))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> client.call(SERVER, new Unregistered())).isInstanceOf(IllegalArgumentException.class);
        assertThat(client.pendingCalls()).isZero();
    }

    @Test
    void aRequestThatCannotBeEncodedLeavesNothingPending() {
        VNodeInfo vnode = new VNodeInfo(1, "web", "10.0.0.1", "/srv/web", 3, 4, 1 << 30, 1L << 34, 8, 0);
        StartProcess unencodable = new StartProcess(1, vnode, 4, "echo", java.util.Arrays.asList("a", null), false);

        assertThatThrownBy(() -> client.call(SERVER, unencodable)).isInstanceOf(NullPointerException.class);

        assertThat(client.pendingCalls()).isZero();
    }

    // ------------------------------------------------------------------ raw frames into a node

    /** A hand-made peer of the server speaking raw frames on its own connection. */
    final class Raw {
        final Inbox inbox = new Inbox();
        final Connection conn = network.newTransport().connect(serverAddress, inbox);

        void send(int opcode, int flags, long requestId, byte[] body) {
            conn.send(Frame.encode(opcode, flags, 0, 77, requestId, out -> out.putRaw(body, 0, body.length)));
        }

        Frame nextReply() {
            return Frame.decode(inbox.take().frame(), Integer.MAX_VALUE);
        }
    }

    static byte[] brkBody(long pid, long newBreak) {
        return ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN).putLong(pid).putLong(newBreak).array();
    }

    static String errorText(Frame reply) {
        return new WireReader(reply.body()).getString();
    }

    static final int BRK = Protocol.of(Brk.class).code();

    @Test
    void rawRequestsAreAnsweredOnTheirConnectionWithTheirIdAndOpcode() {
        Raw raw = new Raw();
        raw.send(BRK, 0, 991, brkBody(5, 6));

        Frame reply = raw.nextReply();

        assertThat(reply.isReply()).isTrue();
        assertThat(reply.requestId()).isEqualTo(991);
        assertThat(reply.opcode()).isEqualTo(BRK);
        assertThat(Status.of(reply.status())).isEqualTo(Status.OK);
        assertThat(reply.sourceNode()).isEqualTo(SERVER);
        assertThat(MapReply.decode(new WireReader(reply.body())).addr()).isEqualTo(6);
    }

    @Test
    void aFrameShorterThanTheHeaderClosesTheConnection() {
        assumeTrue(network.deliversMalformedBuffers(), "needs a transport that delivers headerless buffers");
        Raw raw = new Raw();

        raw.conn.send(ByteBuffer.wrap(new byte[Frame.HEADER_BYTES - 1]));

        Await.until("the server closes the connection", () -> !raw.conn.isOpen());
        assertThat(handled.get()).isZero();
        assertThat(client.call(SERVER, new Brk(1, 1)).addr()).as("other callers are served").isEqualTo(1);
    }

    @Test
    void aBodyOverTheLimitGetsTooLargeAndNeverReachesTheHandler() {
        Raw raw = new Raw();
        byte[] big = new byte[MAX_BODY + 1];
        System.arraycopy(brkBody(1, 1), 0, big, 0, 16);

        raw.send(BRK, 0, 5, big);

        Frame reply = raw.nextReply();
        assertThat(Status.of(reply.status())).isEqualTo(Status.TOO_LARGE);
        assertThat(reply.requestId()).isEqualTo(5);
        assertThat(reply.opcode()).isEqualTo(BRK);
        assertThat(errorText(reply)).contains(String.valueOf(MAX_BODY + 1));
        assertThat(handled.get()).isZero();
        raw.send(BRK, 0, 6, brkBody(1, 1));
        assertThat(Status.of(raw.nextReply().status())).as("the connection still serves").isEqualTo(Status.OK);
    }

    @Test
    void aBodyLengthThatDoesNotMatchTheFrameGetsBadFrame() {
        assumeTrue(network.deliversMalformedBuffers(), "needs a transport that delivers length-lying buffers");
        Raw raw = new Raw();
        ByteBuffer lying = Frame.encode(BRK, 0, 0, 77, 8, out -> out.putRaw(brkBody(1, 1), 0, 16))
                .order(ByteOrder.LITTLE_ENDIAN);
        lying.putInt(0, 100);

        raw.conn.send(lying);

        Frame reply = raw.nextReply();
        assertThat(Status.of(reply.status())).isEqualTo(Status.BAD_FRAME);
        assertThat(reply.requestId()).isEqualTo(8);
        assertThat(handled.get()).isZero();
    }

    @Test
    void garbageBodiesGetBadFrameAndNeverReachTheHandler() {
        long seed = System.nanoTime();
        System.out.println("garbageBodiesGetBadFrameAndNeverReachTheHandler seed = " + seed);
        Random rnd = new Random(seed);
        Raw raw = new Raw();
        for (int i = 0; i < 300; i++) {
            int len = rnd.nextInt(40);
            if (len == 16) {
                len = 17; // a Brk body is exactly 16 bytes: any 16 bytes decode
            }
            byte[] garbage = new byte[len];
            rnd.nextBytes(garbage);
            raw.send(BRK, 0, i, garbage);
            Frame reply = raw.nextReply();
            assertThat(Status.of(reply.status())).as("garbage of %d bytes (seed %d)", len, seed).isEqualTo(Status.BAD_FRAME);
            assertThat(reply.requestId()).isEqualTo(i);
            assertThat(errorText(reply)).contains("P2M_BRK");
        }
        assertThat(handled.get()).isZero();
    }

    @Test
    void unknownOpcodesGetUnknownOpcode() {
        Raw raw = new Raw();
        for (int opcode : new int[] {0, 0xFFFF, 0x01FF, 0x0900}) {
            raw.send(opcode, 0, opcode + 1, new byte[3]);
            Frame reply = raw.nextReply();
            assertThat(Status.of(reply.status())).isEqualTo(Status.UNKNOWN_OPCODE);
            assertThat(reply.requestId()).isEqualTo(opcode + 1);
            assertThat(reply.opcode()).isEqualTo(opcode);
        }
    }

    @Test
    void badOneWayFramesAndStrayRepliesAreDroppedSilently() {
        Raw raw = new Raw();
        raw.send(0xFFFF, Frame.FLAG_ONE_WAY, 1, new byte[3]);                 // unknown one-way
        raw.send(Protocol.of(StatusReport.class).code(), Frame.FLAG_ONE_WAY, 2, new byte[3]); // unhandled one-way
        raw.send(BRK, Frame.FLAG_ONE_WAY, 3, new byte[5]);                    // garbage one-way
        raw.send(BRK, Frame.FLAG_REPLY, 4, brkBody(1, 1));                    // reply nobody waits for

        raw.send(BRK, 0, 5, brkBody(1, 1));

        Frame reply = raw.nextReply();
        assertThat(reply.requestId()).as("nothing answered the dropped frames").isEqualTo(5);
        assertThat(Status.of(reply.status())).isEqualTo(Status.OK);
        assertThat(raw.conn.isOpen()).isTrue();
        assertThat(handled.get()).isEqualTo(1);
    }

    @Test
    void aRequestFlaggedOneWayRunsItsHandlerWithoutAReply() {
        Raw raw = new Raw();
        raw.send(BRK, Frame.FLAG_ONE_WAY, 1, brkBody(1, 1));
        raw.send(BRK, 0, 2, brkBody(1, 1));
        assertThat(raw.nextReply().requestId()).isEqualTo(2);
        assertThat(handled.get()).isEqualTo(2);
    }

    // ------------------------------------------------------------------ bad replies into a caller

    /** A fake peer at node {@code OTHER} answering every request with what {@code answer} makes of it. */
    void fakePeer(Function<Frame, ByteBuffer> answer) {
        Transport t = network.newTransport();
        String address = t.listen(network.listenAddress("fake"), new Inbox((from, f) -> {
            ByteBuffer reply = answer.apply(Frame.decode(f, Integer.MAX_VALUE));
            if (reply != null) {
                from.send(reply);
            }
        }));
        client.addPeer(OTHER, address);
    }

    static ByteBuffer replyTo(Frame q, int status, byte[] body) {
        return Frame.encode(q.opcode(), Frame.FLAG_REPLY, status, OTHER, q.requestId(), out -> out.putRaw(body, 0, body.length));
    }

    /** The call fails with {@code expected}, not TIMEOUT: at once (its timeout is beyond the test's own). */
    private void assertCallFailsFast(Status expected, String messagePart) {
        Throwable e = catchThrowable(() -> client.call(OTHER, new Brk(1, 1), BEYOND_THE_TEST));
        assertThat(e).isInstanceOf(LegoException.class);
        assertThat(((LegoException) e).status()).isEqualTo(expected.name());
        assertThat(e.getMessage()).contains(messagePart);
        assertThat(client.pendingCalls()).isZero();
    }

    @Test
    void aGarbageReplyBodyIsBadFrame() {
        fakePeer(q -> replyTo(q, 0, new byte[5]));
        assertCallFailsFast(Status.BAD_FRAME, "P2M_BRK");
    }

    @Test
    void aReplyWithTrailingBytesIsBadFrame() {
        fakePeer(q -> {
            MapReply r = new MapReply(1, 1, new long[0], new int[0]);
            ByteBuffer b = Frame.encode(q.opcode(), Frame.FLAG_REPLY, 0, OTHER, q.requestId(), out -> {
                r.encode(out);
                out.putByte(9);
            });
            return b;
        });
        assertCallFailsFast(Status.BAD_FRAME, "trailing");
    }

    @Test
    void aReplyWithAnotherOpcodeIsBadFrame() {
        fakePeer(q -> Frame.encode(Protocol.of(Consult.class).code(), Frame.FLAG_REPLY, 0, OTHER, q.requestId(),
                new NodeChoice(1)));
        assertCallFailsFast(Status.BAD_FRAME, "does not match");
    }

    @Test
    void anUnknownStatusCodeIsInternal() {
        fakePeer(q -> Frame.encode(q.opcode(), Frame.FLAG_REPLY, 99, OTHER, q.requestId(), out -> out.putString("new status")));
        assertCallFailsFast(Status.INTERNAL, "new status");
    }

    @Test
    void anErrorReplyWithAnUnreadableMessageKeepsItsStatus() {
        fakePeer(q -> replyTo(q, Status.NO_MEMORY.code, new byte[] {(byte) 0xFF, (byte) 0xFF, (byte) 0xFF, 0x7F}));
        assertCallFailsFast(Status.NO_MEMORY, "unreadable");
    }

    @Test
    void aReplyOverTheCallersLimitFailsTheCallAtOnce() {
        fakePeer(q -> replyTo(q, 0, new byte[MAX_BODY + 1]));
        assertCallFailsFast(Status.TOO_LARGE, "P2M_BRK");
        assertThat(client.call(SERVER, new Brk(1, 1)).addr()).isEqualTo(1);
    }

    @Test
    void aReplyWithALyingLengthFailsTheCallAtOnce() {
        assumeTrue(network.deliversMalformedBuffers(), "needs a transport that delivers length-lying buffers");
        fakePeer(q -> {
            ByteBuffer b = replyTo(q, 0, new byte[40]).order(ByteOrder.LITTLE_ENDIAN);
            b.putInt(0, 10);
            return b;
        });
        assertCallFailsFast(Status.BAD_FRAME, "P2M_BRK");
    }

    @Test
    void aPeerThatNeverAnswersTimesOut() {
        fakePeer(q -> null);
        long start = System.nanoTime();
        assertThatThrownBy(() -> client.call(OTHER, new Brk(1, 1), SHORT))
                .isInstanceOfSatisfying(ComponentUnavailableException.class,
                        e -> assertThat(e.status()).isEqualTo("TIMEOUT"))
                .hasMessageContaining("P2M_BRK");
        assertThat(elapsedMillis(start)).as("not before the timeout").isGreaterThanOrEqualTo(SHORT.toMillis() - 5);
        assertThat(client.pendingCalls()).isZero();
    }

    // ------------------------------------------------------------------ one-way messages

    @Test
    void oneWayMessagesReachTheirHandlerWithTheSender() {
        List<StatusReport> got = new CopyOnWriteArrayList<>();
        AtomicInteger from = new AtomicInteger();
        server.onMessage(StatusReport.class, (m, ctx) -> {
            from.set(ctx.sourceNode());
            got.add(m);
        });

        client.send(SERVER, new StatusReport(CLIENT, resources()));

        Await.until("the report arrives", () -> got.size() == 1);
        assertThat(got.get(0)).isEqualTo(new StatusReport(CLIENT, resources()));
        assertThat(from.get()).isEqualTo(CLIENT);
    }

    @Test
    void aFailingOneWayHandlerAnswersNothingAndTheNodeKeepsServing() {
        AtomicInteger calls = new AtomicInteger();
        server.onMessage(StatusReport.class, (m, ctx) -> {
            calls.incrementAndGet();
            throw new IllegalStateException("bad report");
        });

        client.send(SERVER, new StatusReport(CLIENT, resources()));

        Await.until("the report arrives", () -> calls.get() == 1);
        assertThat(client.call(SERVER, new Brk(1, 9)).addr()).isEqualTo(9);
    }

    @Test
    void handlersStreamMessagesBackToTheCallerInOrder() {
        VNodeInfo vnode = new VNodeInfo(1, "web", "10.0.0.1", "/srv/web", 3, 4, 1 << 30, 1L << 34, 8, 0);
        server.handle(StartProcess.class, (q, ctx) -> {
            for (int i = 0; i < 50; i++) {
                ctx.sendBack(new ProcessOutput(q.pid(), 1, ("line " + i + "\n").getBytes()));
            }
            ctx.sendBack(new ProcessExit(q.pid(), 0, ""));
            return Ack.INSTANCE;
        });
        List<String> lines = new CopyOnWriteArrayList<>();
        List<Integer> senders = new CopyOnWriteArrayList<>();
        CountDownLatch exited = new CountDownLatch(1);
        client.onMessage(ProcessOutput.class, (m, ctx) -> {
            lines.add(new String(m.data()));
            senders.add(ctx.sourceNode());
        });
        client.onMessage(ProcessExit.class, (m, ctx) -> exited.countDown());

        client.call(SERVER, new StartProcess(42, vnode, 4, "echo", List.of("a", "b"), false));

        Await.until("the exit arrives", () -> exited.getCount() == 0);
        assertThat(lines).hasSize(50);
        for (int i = 0; i < 50; i++) {
            assertThat(lines.get(i)).isEqualTo("line " + i + "\n");
        }
        assertThat(senders).containsOnly(SERVER);
    }

    // ------------------------------------------------------------------ executors and concurrency

    @Test
    void executorDispatchedHandlersRunOnTheExecutor() {
        AtomicReference<String> thread = new AtomicReference<>();
        server.handle(Consult.class, (q, ctx) -> {
            thread.set(Thread.currentThread().getName());
            return new NodeChoice((int) q.pid());
        }, pool("gmm-worker", 2));

        assertThat(client.call(SERVER, new Consult(1, 77, 4096)).nodeId()).isEqualTo(77);
        assertThat(thread.get()).startsWith("gmm-worker-");
    }

    /**
     * A request type with an inline handler: served on the delivery thread when the inline handler answers (a value
     * or an error), on the executor when it returns null, and either way each request gets exactly one reply.
     */
    @Test
    void anInlineHandlerServesOnTheDeliveryThreadAndHandsWhatWouldWaitToTheExecutor() {
        List<String> inlineThreads = new CopyOnWriteArrayList<>();
        List<String> pooled = new CopyOnWriteArrayList<>();
        server.handle(Consult.class, (q, ctx) -> {
            inlineThreads.add(Thread.currentThread().getName());
            if (q.pid() == 13) {
                throw Status.NOT_FOUND.toException("no 13 here");
            }
            return q.pid() % 2 == 0 ? new NodeChoice((int) q.pid()) : null; // odd ones would have to wait
        }, (q, ctx) -> {
            pooled.add(Thread.currentThread().getName());
            return new NodeChoice((int) -q.pid());
        }, pool("slow-path", 2));

        assertThat(client.call(SERVER, new Consult(1, 4, 4096)).nodeId()).isEqualTo(4);
        assertThat(pooled).isEmpty();
        assertThat(inlineThreads).hasSize(1).noneMatch(t -> t.startsWith("slow-path-"));
        assertThat(client.call(SERVER, new Consult(1, 7, 4096)).nodeId()).as("served by the executor").isEqualTo(-7);
        assertThat(pooled).hasSize(1).allMatch(t -> t.startsWith("slow-path-"));
        assertThatThrownBy(() -> client.call(SERVER, new Consult(1, 13, 4096)))
                .isInstanceOfSatisfying(RpcException.class, e -> assertThat(e.code()).isEqualTo(Status.NOT_FOUND));
        assertThat(pooled).as("an inline error is the answer").hasSize(1);
        for (int i = 14; i < 200; i++) {
            assertThat(client.call(SERVER, new Consult(1, i, 4096)).nodeId()).isEqualTo(i % 2 == 0 ? i : -i);
        }
    }

    @Test
    void aShutDownExecutorIsUnavailable() {
        ExecutorService p = pool("gone", 1);
        p.shutdown();
        server.handle(Consult.class, (q, ctx) -> new NodeChoice(1), p);

        assertThatThrownBy(() -> client.call(SERVER, new Consult(1, 1, 1)))
                .isInstanceOfSatisfying(ComponentUnavailableException.class,
                        e -> assertThat(e.status()).isEqualTo("UNAVAILABLE"));
    }

    @Test
    void manyThreadsCallingConcurrentlyEachGetTheirOwnReplies() throws Exception {
        int threads = 8;
        int calls = 2000;
        ExecutorService callers = pool("caller", threads);
        CountDownLatch start = new CountDownLatch(1);
        List<Future<?>> done = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            long pid = t;
            done.add(callers.submit(() -> {
                start.await();
                for (int i = 0; i < calls; i++) {
                    long b = pid << 32 | i;
                    MapReply r = client.call(SERVER, new Brk(pid, b));
                    assertThat(r.addr()).isEqualTo(b);
                    assertThat(r.vregionBytes()).isEqualTo(pid);
                }
                return null;
            }));
        }
        start.countDown();
        for (Future<?> f : done) {
            f.get();
        }
        assertThat(handled.get()).isEqualTo(threads * calls);
        assertThat(client.pendingCalls()).isZero();
        assertThat(server.pendingCalls()).isZero();
    }

    @Test
    void concurrentAsyncCallsToAnExecutorHandlerAllComplete() throws Exception {
        server.handle(Consult.class, (q, ctx) -> new NodeChoice((int) q.pid()), pool("worker", 3));
        ExecutorService callers = pool("caller", 4);
        List<Future<?>> done = new ArrayList<>();
        List<CompletableFuture<NodeChoice>> futures = new CopyOnWriteArrayList<>();
        for (int t = 0; t < 4; t++) {
            int base = t * 1000;
            done.add(callers.submit(() -> {
                for (int i = 0; i < 500; i++) {
                    futures.add(client.callAsync(SERVER, new Consult(1, base + i, 1), Duration.ofSeconds(10)));
                }
                return null;
            }));
        }
        for (Future<?> f : done) {
            f.get();
        }
        CompletableFuture.allOf(futures.toArray(CompletableFuture[]::new)).get(15, TimeUnit.SECONDS);
        assertThat(futures.stream().map(CompletableFuture::join).mapToInt(NodeChoice::nodeId).distinct().count())
                .as("every call got its own answer").isEqualTo(2000);
        Await.until("no call is left pending", () -> client.pendingCalls() == 0);
    }

    // ------------------------------------------------------------------ timeouts and faults

    private void assertTimesOut(Duration timeout) {
        long start = System.nanoTime();
        assertThatThrownBy(() -> client.call(SERVER, new Brk(1, 1), timeout))
                .isInstanceOfSatisfying(ComponentUnavailableException.class,
                        e -> assertThat(e.status()).isEqualTo("TIMEOUT"))
                .hasMessageContaining("node " + SERVER);
        assertThat(elapsedMillis(start)).as("not before the timeout").isGreaterThanOrEqualTo(timeout.toMillis() - 5);
        assertThat(client.pendingCalls()).isZero();
    }

    @Test
    void droppedRequestsTimeOutAndHealingRestoresCalls() {
        client.faults().dropTo(SERVER);

        assertTimesOut(SHORT);

        assertThat(handled.get()).isZero();
        client.faults().heal();
        assertThat(client.call(SERVER, new Brk(1, 2)).addr()).isEqualTo(2);
    }

    @Test
    void droppedRepliesTimeOut() {
        server.faults().dropTo(CLIENT);

        assertTimesOut(SHORT);

        assertThat(handled.get()).as("the request was served, its reply lost").isEqualTo(1);
        server.faults().heal();
        assertThat(client.call(SERVER, new Brk(1, 2)).addr()).isEqualTo(2);
    }

    @Test
    void aPartitionedNodeAnswersNothing() {
        server.faults().partition();
        assertTimesOut(SHORT);
        server.faults().heal();
        assertThat(client.call(SERVER, new Brk(1, 2)).addr()).isEqualTo(2);
    }

    @Test
    void droppedFramesToOneNodeDoNotAffectOthers() {
        RpcNode other = node("other", OTHER);
        other.handle(Brk.class, (q, ctx) -> echo(q, ctx));
        client.addPeer(OTHER, other.listen(network.listenAddress("other")));
        client.faults().dropTo(SERVER);

        assertThat(client.call(OTHER, new Brk(1, 5)).addr()).isEqualTo(5);
    }

    @Test
    void delayedRequestsArriveLate() {
        client.faults().delayTo(SERVER, 150);
        long start = System.nanoTime();

        assertThat(client.call(SERVER, new Brk(1, 2), Duration.ofSeconds(5)).addr()).isEqualTo(2);

        assertThat(elapsedMillis(start)).isGreaterThanOrEqualTo(145);
        client.faults().heal();
    }

    @Test
    void aRequestDelayedPastTheTimeoutTimesOutWithoutHoldingTheCaller() {
        client.faults().delayTo(SERVER, 600);

        assertTimesOut(Duration.ofMillis(100));

        Await.until("the late request is still served", () -> handled.get() == 1);
        assertThat(client.pendingCalls()).as("its late reply is dropped").isZero();
    }

    @Test
    void aReplyDelayedPastTheTimeoutTimesOut() {
        server.faults().delayTo(CLIENT, 600);
        assertTimesOut(Duration.ofMillis(100));
        Await.until("the request is served", () -> handled.get() == 1);
    }

    @Test
    void delayedOneWayMessagesKeepTheirOrder() {
        List<Integer> got = new CopyOnWriteArrayList<>();
        server.onMessage(StatusReport.class, (m, ctx) -> got.add(m.nodeId()));
        client.faults().delayTo(SERVER, 30);

        for (int i = 0; i < 100; i++) {
            client.send(SERVER, new StatusReport(i, resources()));
        }

        Await.until("all reports arrive", () -> got.size() == 100);
        for (int i = 0; i < 100; i++) {
            assertThat(got.get(i)).isEqualTo(i);
        }
    }

    @Test
    void asyncCallsTimeOutToo() {
        client.faults().dropTo(SERVER);

        CompletableFuture<MapReply> f = client.callAsync(SERVER, new Brk(1, 1), SHORT);

        Throwable e = catchThrowable(() -> f.get(5, TimeUnit.SECONDS));
        assertThat(e).isInstanceOf(ExecutionException.class);
        assertThat(e.getCause()).isInstanceOfSatisfying(ComponentUnavailableException.class,
                c -> assertThat(c.status()).isEqualTo("TIMEOUT"));
        assertThat(client.pendingCalls()).isZero();
    }

    // ------------------------------------------------------------------ peers and life cycle

    /** A peer of the client at node {@code id} whose {@link Brk} handler (on an executor) waits for the returned latch. */
    CountDownLatch slowPeer(int id, String name) {
        CountDownLatch release = new CountDownLatch(1);
        RpcNode slow = node(name, id);
        slow.handle(Brk.class, (q, ctx) -> {
            release.await();
            return echo(q, ctx);
        }, pool(name, 2));
        client.addPeer(id, slow.listen(network.listenAddress(name)));
        return release;
    }

    @Test
    void callsInFlightFailAtOnceWhenThePeerDies() throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        RpcNode doomed = node("doomed", OTHER);
        doomed.handle(Brk.class, (q, ctx) -> {
            release.await();
            return echo(q, ctx);
        }, pool("doomed", 2));
        client.addPeer(OTHER, doomed.listen(network.listenAddress("doomed")));
        CompletableFuture<MapReply> call = client.callAsync(OTHER, new Brk(1, 1), BEYOND_THE_TEST);
        Await.until("the call is in flight", () -> client.pendingCalls() == 1);

        doomed.close(); // its connections drop, as when its process is killed

        Throwable e = catchThrowable(() -> call.get(10, TimeUnit.SECONDS));
        assertThat(e.getCause()).isInstanceOfSatisfying(ComponentUnavailableException.class,
                c -> assertThat(c.status()).isEqualTo("UNAVAILABLE")).hasMessageContaining("dropped");
        release.countDown();
        Await.until("no call is left pending", () -> client.pendingCalls() == 0);
    }

    @Test
    void failCallsToFailsOnlyTheCallsToThatNode() throws Exception {
        CountDownLatch releaseA = slowPeer(OTHER, "slow-a");
        CountDownLatch releaseB = slowPeer(4, "slow-b");
        CompletableFuture<MapReply> toA = client.callAsync(OTHER, new Brk(1, 1), Duration.ofSeconds(10));
        CompletableFuture<MapReply> toB = client.callAsync(4, new Brk(2, 2), Duration.ofSeconds(10));
        Await.until("both calls are in flight", () -> client.pendingCalls() == 2);

        client.failCallsTo(OTHER, "node 3 missed its heartbeats");

        Throwable e = catchThrowable(() -> toA.get(5, TimeUnit.SECONDS));
        assertThat(e.getCause()).isInstanceOfSatisfying(ComponentUnavailableException.class,
                c -> assertThat(c.status()).isEqualTo("UNAVAILABLE")).hasMessageContaining("missed its heartbeats");
        assertThat(toB).isNotDone();
        releaseB.countDown();
        assertThat(toB.get(5, TimeUnit.SECONDS).addr()).isEqualTo(2);
        releaseA.countDown();
        Await.until("no call is left pending", () -> client.pendingCalls() == 0);
    }

    @Test
    void aNodeMarkedDownFailsItsCallsAtOnceUntilMarkedUpOrItsHoldEnds() throws Exception {
        CountDownLatch releaseA = slowPeer(OTHER, "slow-a");
        CountDownLatch releaseB = slowPeer(4, "slow-b");
        CompletableFuture<MapReply> inFlight = client.callAsync(OTHER, new Brk(1, 1), BEYOND_THE_TEST);
        CompletableFuture<MapReply> toB = client.callAsync(4, new Brk(2, 2), Duration.ofSeconds(10));
        Await.until("both calls are in flight", () -> client.pendingCalls() == 2);

        client.markDown(OTHER, "node 3 was declared dead", Duration.ofMinutes(5));

        Throwable e = catchThrowable(() -> inFlight.get(5, TimeUnit.SECONDS));
        assertThat(e.getCause()).isInstanceOfSatisfying(ComponentUnavailableException.class,
                c -> assertThat(c.status()).isEqualTo("UNAVAILABLE")).hasMessageContaining("declared dead");
        // later calls fail before anything is sent, synchronous and asynchronous alike; other nodes are not affected
        assertThatThrownBy(() -> client.call(OTHER, new Brk(3, 3), BEYOND_THE_TEST))
                .isInstanceOfSatisfying(ComponentUnavailableException.class, c -> assertThat(c.status()).isEqualTo("UNAVAILABLE"))
                .hasMessageContaining("declared dead");
        assertThat(client.callAsync(OTHER, new Brk(4, 4), BEYOND_THE_TEST)).isCompletedExceptionally();
        assertThat(client.pendingCalls()).isEqualTo(1);
        releaseB.countDown();
        assertThat(toB.get(5, TimeUnit.SECONDS).addr()).isEqualTo(2);

        releaseA.countDown();
        client.markUp(OTHER); // it serves again
        assertThat(client.call(OTHER, new Brk(5, 5), Duration.ofSeconds(10)).addr()).isEqualTo(5);
        client.markDown(OTHER, "node 3 was declared dead again", Duration.ofMillis(1));
        Thread.sleep(5); // the hold ends by itself
        assertThat(client.call(OTHER, new Brk(6, 6), Duration.ofSeconds(10)).addr()).isEqualTo(6);
        Await.until("no call is left pending", () -> client.pendingCalls() == 0);
    }

    @Test
    void closeFailsCallsInFlightAndLaterCalls() throws Exception {
        CountDownLatch release = slowPeer(OTHER, "slow");
        CompletableFuture<MapReply> async = client.callAsync(OTHER, new Brk(1, 1), BEYOND_THE_TEST);
        ExecutorService caller = pool("sync-caller", 1);
        Future<Throwable> sync = caller.submit(() -> catchThrowable(() -> client.call(OTHER, new Brk(2, 2), BEYOND_THE_TEST)));
        Await.until("both calls are in flight", () -> client.pendingCalls() == 2);

        client.close();

        Throwable e = catchThrowable(() -> async.get(10, TimeUnit.SECONDS));
        assertThat(e.getCause()).isInstanceOfSatisfying(ComponentUnavailableException.class,
                c -> assertThat(c.status()).isEqualTo("UNAVAILABLE"));
        assertThat(sync.get(10, TimeUnit.SECONDS)).isInstanceOfSatisfying(ComponentUnavailableException.class,
                c -> assertThat(c.status()).isEqualTo("UNAVAILABLE"));
        assertThat(client.pendingCalls()).isZero();
        assertThatThrownBy(() -> client.call(SERVER, new Brk(1, 1))).isInstanceOf(ComponentUnavailableException.class);
        assertThatThrownBy(() -> client.send(SERVER, new StatusReport(1, resources())))
                .isInstanceOf(ComponentUnavailableException.class);
        release.countDown();
    }

    @Test
    void callsToAnUnknownNodeAreUnavailable() {
        assertThatThrownBy(() -> client.call(99, new Brk(1, 1)))
                .isInstanceOfSatisfying(ComponentUnavailableException.class,
                        e -> assertThat(e.status()).isEqualTo("UNAVAILABLE"))
                .hasMessageContaining("99");
        assertThatThrownBy(() -> client.send(99, new StatusReport(1, resources())))
                .isInstanceOf(ComponentUnavailableException.class);
        CompletableFuture<MapReply> f = client.callAsync(99, new Brk(1, 1), SHORT);
        assertThat(f).isCompletedExceptionally();
        assertThat(client.pendingCalls()).isZero();
    }

    @Test
    void callsToAnAddressNobodyListensOnAreUnavailable() {
        client.addPeer(5, network.unreachableAddress());
        assertThatThrownBy(() -> client.call(5, new Brk(1, 1)))
                .isInstanceOfSatisfying(ComponentUnavailableException.class,
                        e -> assertThat(e.status()).isEqualTo("UNAVAILABLE"));
        assertThat(client.pendingCalls()).isZero();
    }

    @Test
    void theResolverFindsNodesNotAddedAsPeersOnce() {
        RpcNode fresh = node("fresh", 8);
        List<Integer> asked = new CopyOnWriteArrayList<>();
        fresh.setResolver(n -> {
            asked.add(n);
            return n == SERVER ? serverAddress : null;
        });

        assertThat(fresh.call(SERVER, new Brk(1, 1)).addr()).isEqualTo(1);
        assertThat(fresh.call(SERVER, new Brk(1, 2)).addr()).isEqualTo(2);
        assertThat(fresh.peerAddress(SERVER)).isEqualTo(serverAddress);
        assertThatThrownBy(() -> fresh.call(9, new Brk(1, 1))).isInstanceOf(ComponentUnavailableException.class);

        assertThat(asked).containsExactly(SERVER, 9);
    }

    @Test
    void removedPeersAreUnknownAgain() {
        assertThat(client.call(SERVER, new Brk(1, 1)).addr()).isEqualTo(1);
        client.removePeer(SERVER);
        assertThat(client.peerAddress(SERVER)).isNull();
        assertThatThrownBy(() -> client.call(SERVER, new Brk(1, 1))).isInstanceOf(ComponentUnavailableException.class);
    }

    @Test
    void callsReachAPeerThatRestarted() {
        assertThat(client.call(SERVER, new Brk(1, 1)).addr()).isEqualTo(1);
        server.close();
        assertThatThrownBy(() -> client.call(SERVER, new Brk(1, 1), SHORT)).isInstanceOf(ComponentUnavailableException.class);

        RpcNode restarted = node("server-again", SERVER);
        restarted.handle(Brk.class, (q, ctx) -> echo(q, ctx));
        client.addPeer(SERVER, restarted.listen(network.listenAddress("server")));

        assertThat(client.call(SERVER, new Brk(1, 3)).addr()).isEqualTo(3);
    }

    @Test
    void aNewAddressForAPeerTakesOverFromTheOldOne() {
        assertThat(client.call(SERVER, new Brk(1, 1)).regions()).containsExactly(CLIENT);
        RpcNode replacement = node("replacement", SERVER);
        replacement.handle(Brk.class, (q, ctx) -> new MapReply(-q.newBreak(), 0, new long[0], new int[0]));

        client.addPeer(SERVER, replacement.listen(network.listenAddress("replacement")));

        assertThat(client.call(SERVER, new Brk(1, 6)).addr()).isEqualTo(-6);
        assertThat(handled.get()).isEqualTo(1);
    }

    /** Calls racing with close() end at once, successfully or UNAVAILABLE; none waits for its timeout. */
    @Test
    void closingWhileCallsAreMadeLeavesNoCallWaiting() throws Exception {
        AtomicInteger served = new AtomicInteger();
        server.handle(Consult.class, (q, ctx) -> {
            Thread.sleep(1);
            served.incrementAndGet();
            return new NodeChoice(1);
        }, pool("worker", 4));
        ExecutorService callers = pool("caller", 4);
        CountDownLatch running = new CountDownLatch(4);
        List<Future<String>> outcomes = new ArrayList<>();
        for (int t = 0; t < 4; t++) {
            outcomes.add(callers.submit(() -> {
                running.countDown();
                while (true) {
                    try {
                        client.call(SERVER, new Consult(1, 1, 1), BEYOND_THE_TEST);
                    } catch (LegoException e) {
                        return e.status();
                    } catch (RuntimeException e) {
                        return e.toString();
                    }
                }
            }));
        }
        running.await();
        Await.until("calls are being served", () -> served.get() >= 8);

        client.close();

        for (Future<String> f : outcomes) {
            assertThat(f.get(10, TimeUnit.SECONDS)).isEqualTo("UNAVAILABLE");
        }
        assertThat(client.pendingCalls()).isZero();
    }

    @Test
    void nodesCallEachOtherBothWays() {
        client.handle(Brk.class, (q, ctx) -> echo(q, ctx));
        server.addPeer(CLIENT, client.listen(network.listenAddress("client")));

        assertThat(server.call(CLIENT, new Brk(1, 4)).regions()).containsExactly(SERVER);
        assertThat(client.call(SERVER, new Brk(1, 5)).regions()).containsExactly(CLIENT);
    }
}
