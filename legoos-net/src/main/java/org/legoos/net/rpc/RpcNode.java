package org.legoos.net.rpc;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.time.Duration;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.legoos.api.LegoException;
import org.legoos.api.security.Principal;
import org.legoos.net.protocol.Frame;
import org.legoos.net.protocol.Link;
import org.legoos.net.protocol.Message;
import org.legoos.net.protocol.OneWay;
import org.legoos.net.protocol.Op;
import org.legoos.net.protocol.Protocol;
import org.legoos.net.protocol.ProtocolException;
import org.legoos.net.protocol.Request;
import org.legoos.net.protocol.WireReader;
import org.legoos.net.security.Access;
import org.legoos.net.transport.Connection;
import org.legoos.net.transport.FrameSink;
import org.legoos.net.transport.SyncCalls;
import org.legoos.net.transport.Transport;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A component's endpoint on the network: it serves the request types its monitor registered and calls
 * other components by node id. Requests and replies are correlated by request id; every call has a
 * timeout; error replies become typed exceptions ({@link Status#toException}).
 *
 * <p>Inbound frames that do not follow the protocol (too short, too long, unknown opcode, garbage body)
 * get an error reply (a bad reply fails its call with that status at once) or, when not even the header
 * can be read, the connection is closed. They never reach a handler and never throw out of the transport.
 *
 * <p>Handlers run on the transport's delivery thread unless registered with an executor (for the in-JVM
 * transport the delivery thread is the caller's, so a call costs no thread hand-off).
 *
 * <p>Thread-safe.
 */
public final class RpcNode implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(RpcNode.class);

    /**
     * @param maxBodyBytes frames with a larger body are refused
     * @param defaultTimeout used by {@link #call(int, Request)}
     * @param syncCalls opt-in synchronous request path for the P2M link (ExCache misses and flushes, VM calls, file
     *     data: all pure request/reply): where the transport offers the capability ({@link Transport#syncCalls()},
     *     TCP does), {@link #call} (not {@link #callAsync}, not {@link #send}) writes the request and reads the
     *     reply on the calling thread's own blocking connection to the peer, as a plain socket ping-pong does,
     *     instead of parking until the transport's event loop delivers the reply: about one context switch less per
     *     round trip (what an ExCache miss wants). Each calling thread then holds one socket per peer it called.
     *     Meant for request/reply traffic: a one-way message the peer streams back on such a call's connection
     *     ({@link CallContext#sendBack}) is only read by the next sync call of that thread to that peer. The
     *     {@link FaultInjector} and {@link #failCallsTo} act on sync calls as on the others. Ignored by transports
     *     without the capability.
     */
    public record Config(int maxBodyBytes, Duration defaultTimeout, boolean syncCalls) {
        public static final Config DEFAULT = new Config(64 << 20, Duration.ofSeconds(30));

        public Config {
            if (maxBodyBytes < 1024) {
                throw new IllegalArgumentException("maxBodyBytes must be at least 1024, got " + maxBodyBytes);
            }
            Objects.requireNonNull(defaultTimeout, "defaultTimeout");
        }

        /** Without the synchronous request path. */
        public Config(int maxBodyBytes, Duration defaultTimeout) {
            this(maxBodyBytes, defaultTimeout, false);
        }

        public Config withSyncCalls(boolean sync) {
            return new Config(maxBodyBytes, defaultTimeout, sync);
        }
    }

    /**
     * How a request type is served: {@code handler} on {@code executor} (null: the delivery thread); with an
     * {@code inline} handler, that is tried on the delivery thread first and the request goes to the executor only if
     * it returns null.
     */
    private record Registration(RequestHandler<Message, ? extends Message> handler, Executor executor,
                                RequestHandler<Message, ? extends Message> inline) {
    }

    private record Pending(long id, Op op, int dst, CompletableFuture<Frame> reply) {
    }

    private final Transport transport;
    private final Config config;
    private final String name;
    private volatile int nodeId;
    private final Map<Integer, String> addresses = new ConcurrentHashMap<>();
    private final Map<Integer, Connection> connections = new ConcurrentHashMap<>();
    /** Serialises opening the connection to each node (per node, so a slow connect delays no other node's callers). */
    private final Map<Integer, Object> connectLocks = new ConcurrentHashMap<>();
    private final java.util.concurrent.atomic.AtomicReferenceArray<Registration> handlers =
            new java.util.concurrent.atomic.AtomicReferenceArray<>(1 << 16);
    private final Map<Long, Pending> pending = new ConcurrentHashMap<>();
    private final AtomicLong requestIds = new AtomicLong();
    private volatile CallObserver callObserver;
    /** Error replies sent and received, by {@link Status} ordinal (counted off the success path only). */
    private final java.util.concurrent.atomic.AtomicLongArray errorsSent = new java.util.concurrent.atomic.AtomicLongArray(Status.values().length);
    private final java.util.concurrent.atomic.AtomicLongArray errorsReceived = new java.util.concurrent.atomic.AtomicLongArray(Status.values().length);
    private final FaultInjector faults = new FaultInjector();
    private final FrameSink sink = this::onFrame;
    private volatile boolean closed;
    /** While true (a component between listening and its monitor's handlers), every request is answered UNAVAILABLE. */
    private volatile boolean starting;
    private volatile java.util.function.IntFunction<String> resolver;
    /** The transport's blocking request path, if the config asks for it and the transport offers it; else null. */
    private final SyncCalls syncCalls;
    /** Synchronous callers by peer address (only with {@link #syncCalls}). */
    private final Map<String, SyncCalls.Peer> syncCallers = new ConcurrentHashMap<>();
    /**
     * Who each node is (the name its certificate proved), for binding a frame's source node to the peer that sent it;
     * learnt from this endpoint's own TLS connections and from {@link #identityLookup}.
     */
    private final Map<Integer, String> identities = new ConcurrentHashMap<>();
    /** Most frames of one source node that wait on the verifier; more are refused (bounds a flood's memory). */
    private static final int MAX_WAITING_PER_SOURCE = 1024;
    /** Frames of each source node waiting on the verifier (later frames of that node queue behind them). */
    private final Map<Integer, AtomicInteger> verifying = new ConcurrentHashMap<>();
    /** When each node's identity was last looked up. */
    private final Map<Integer, Long> lookedUp = new ConcurrentHashMap<>();
    /** Who node N is, asked of the manager (blocking); null: frames' source nodes are not checked. */
    private volatile SourceIdentities identityLookup;
    private java.util.concurrent.ExecutorService verifierThread;
    /** Per node, how often {@link #failCallsTo} failed its calls, and why last: wakes sync calls held by a fault. */
    private final Map<Integer, Failed> failed = new ConcurrentHashMap<>();

    private record Failed(long count, String why) {
    }

    /** Nodes the cluster declared dead ({@link #markDown}), until when ({@code nanoTime}) and why. */
    private final Map<Integer, Down> down = new ConcurrentHashMap<>();

    private record Down(long untilNanos, String why) {
    }

    /**
     * @param name for logs, e.g. {@code memory-1}
     */
    public RpcNode(String name, Transport transport, Config config) {
        this.name = name;
        this.transport = Objects.requireNonNull(transport, "transport");
        this.config = Objects.requireNonNull(config, "config");
        this.syncCalls = config.syncCalls() ? transport.syncCalls().orElse(null) : null;
    }

    public String name() {
        return name;
    }

    /** This node's id, assigned by the manager (0 until assigned). Sent as the source of every frame. */
    public int nodeId() {
        return nodeId;
    }

    public void setNodeId(int id) {
        this.nodeId = id;
    }

    public Config config() {
        return config;
    }

    public FaultInjector faults() {
        return faults;
    }

    /**
     * Answers every request UNAVAILABLE ("starting") until {@link #serveRequests}: for a component that must listen
     * (to learn its address) and register (to learn its node id) before its handlers exist. A request arriving in
     * between is one meant for an earlier component at the same address, or an early one; UNAVAILABLE makes its
     * caller retry or ask again instead of reading "not served" as a bug.
     */
    public void refuseRequestsUntilServing() {
        starting = true;
    }

    /** Ends {@link #refuseRequestsUntilServing}: requests reach their handlers. */
    public void serveRequests() {
        starting = false;
    }

    /** Starts serving at {@code address}; returns the address peers use. */
    public String listen(String address) {
        return transport.listen(address, sink);
    }

    /** Records where node {@code node} listens; replaces (and closes) any previous connection to it. */
    public void addPeer(int node, String address) {
        String old = addresses.put(node, address);
        if (old != null && !old.equals(address)) {
            Connection c = connections.remove(node);
            if (c != null) {
                c.close();
            }
        }
    }

    /**
     * Sets how to find the address of a node this endpoint has not heard of (typically: ask the manager's
     * membership table). Returns null for an unknown node.
     */
    public void setResolver(java.util.function.IntFunction<String> resolver) {
        this.resolver = resolver;
    }

    /**
     * Binds the source node of every request and one-way message from an authenticated peer (TLS) to that peer: a
     * frame naming node N as its source is served only if N registered with the identity the connection proved.
     * {@code lookup} says who node N is (the name its certificate proved when it registered; null if no such node);
     * it may block, and is called off the I/O threads, once per node and then only when a frame disagrees (at most
     * once a second per node). Frames with source 0 (clients, components not yet registered) are not bound; what
     * they may do is the role's ({@link Access}). Without this call source nodes are not checked.
     */
    public void bindSourceNodes(SourceIdentities lookup) {
        this.identityLookup = Objects.requireNonNull(lookup, "lookup");
    }

    /** Records that node {@code node} is identity {@code identity} (e.g. the manager's own registration table). */
    public void knowIdentity(int node, String identity) {
        identities.put(node, identity);
    }

    /** The identity the connection to {@code node} proved, if this endpoint holds an open TLS connection to it. */
    public Principal peerIdentity(int node) {
        Connection c = connections.get(node);
        return c == null ? Principal.UNAUTHENTICATED : c.peer();
    }

    public void removePeer(int node) {
        addresses.remove(node);
        Connection c = connections.remove(node);
        if (c != null) {
            c.close();
        }
    }

    /** The address known for {@code node}, or null. */
    public String peerAddress(int node) {
        return addresses.get(node);
    }

    /** Serves {@code type} on the delivery thread. */
    public <R extends Message, Q extends Request<R>> void handle(Class<Q> type, RequestHandler<? super Q, ? extends R> handler) {
        handle(type, handler, null);
    }

    /** Serves {@code type} on {@code executor} (null: the delivery thread). */
    @SuppressWarnings("unchecked")
    public <R extends Message, Q extends Request<R>> void handle(Class<Q> type, RequestHandler<? super Q, ? extends R> handler,
                                                                 Executor executor) {
        register(type, (RequestHandler<Message, ? extends Message>) handler, executor);
    }

    /**
     * Serves {@code type} on the delivery thread when that needs no wait, else on {@code executor}: {@code inline} is
     * tried first on the delivery thread, and must never block (no lock it cannot take at once, no call); it returns
     * null when serving would have to wait, and then {@code handler} serves the request on {@code executor}. A request
     * served inline saves the hand-off to a worker and, on transports that write from the sender's thread, the
     * wake-up of the event loop for the reply.
     */
    @SuppressWarnings("unchecked")
    public <R extends Message, Q extends Request<R>> void handle(Class<Q> type, RequestHandler<? super Q, ? extends R> inline,
                                                                 RequestHandler<? super Q, ? extends R> handler,
                                                                 Executor executor) {
        java.util.Objects.requireNonNull(inline, "inline");
        java.util.Objects.requireNonNull(executor, "executor");
        register(type, (RequestHandler<Message, ? extends Message>) handler, executor,
                (RequestHandler<Message, ? extends Message>) inline);
    }

    /** Receives one-way messages of {@code type} on the delivery thread. */
    public <M extends OneWay> void onMessage(Class<M> type, java.util.function.BiConsumer<? super M, CallContext> handler) {
        onMessage(type, handler, null);
    }

    @SuppressWarnings("unchecked")
    public <M extends OneWay> void onMessage(Class<M> type, java.util.function.BiConsumer<? super M, CallContext> handler,
                                             Executor executor) {
        register(type, (q, ctx) -> {
            handler.accept((M) q, ctx);
            return null;
        }, executor);
    }

    private void register(Class<? extends Message> type, RequestHandler<Message, ? extends Message> h, Executor executor) {
        register(type, h, executor, null);
    }

    private void register(Class<? extends Message> type, RequestHandler<Message, ? extends Message> h, Executor executor,
                          RequestHandler<Message, ? extends Message> inline) {
        Op op = Protocol.of(type);
        synchronized (handlers) {
            if (handlers.get(op.code()) != null) {
                throw new IllegalStateException(op.wireName() + " already has a handler on " + name);
            }
            handlers.set(op.code(), new Registration(h, executor, inline));
        }
    }

    /** Calls {@code dst} and waits up to the default timeout for the reply. */
    public <R extends Message> R call(int dst, Request<R> request) {
        return call(dst, request, config.defaultTimeout());
    }

    /**
     * Calls {@code dst} and waits for the reply.
     *
     * @throws LegoException the typed exception for an error reply; {@code ComponentUnavailableException}
     *     with status TIMEOUT if no reply came in time, or UNAVAILABLE if {@code dst} cannot be reached
     */
    public <R extends Message> R call(int dst, Request<R> request, Duration timeout) {
        Op op = Protocol.of(request.getClass());
        CallObserver observer = callObserver;
        if (observer == null) {
            return call(dst, op, request, timeout);
        }
        long start = System.nanoTime();
        try {
            return call(dst, op, request, timeout);
        } finally {
            observer.called(op, System.nanoTime() - start);
        }
    }

    /** Told how long each {@link #call} took (answered, failed or timed out), for latency metrics. */
    @FunctionalInterface
    public interface CallObserver {
        /** Called by the calling thread once the call returned or failed; must be quick and must not throw. */
        void called(Op op, long nanos);
    }

    /**
     * From now on, {@code observer} is told the duration of every {@link #call} (null: none; then a call reads no
     * clock). Calls of {@link #callAsync} are not observed.
     */
    public void observeCalls(CallObserver observer) {
        this.callObserver = observer;
    }

    private <R extends Message> R call(int dst, Op op, Request<R> request, Duration timeout) {
        refuseIfDown(dst);
        if (syncCalls != null && op.link() == Link.P2M) {
            return callSync(dst, op, request, timeout);
        }
        Pending p = start(dst, op, request);
        Frame reply;
        CompletableFuture<Frame> f = p.reply();
        try {
            reply = f.get(timeout.toNanos(), TimeUnit.NANOSECONDS);
        } catch (TimeoutException e) {
            pending.remove(p.id(), p);
            throw Status.TIMEOUT.toException("no reply from node " + dst + " to " + op.wireName() + " within " + timeout.toMillis() + " ms");
        } catch (InterruptedException e) {
            pending.remove(p.id(), p);
            Thread.currentThread().interrupt();
            throw Status.UNAVAILABLE.toException("interrupted waiting for node " + dst + " to answer " + op.wireName());
        } catch (ExecutionException e) {
            throw asLego(e.getCause());
        }
        return decodeReply(p, reply);
    }

    /**
     * {@link #call} on the synchronous path ({@link Config#syncCalls()}): the calling thread writes the request on its
     * own socket to {@code dst} and reads the reply itself. Frames other than the reply that the peer sent first on
     * that socket (requests, one-way messages) are handled as if they had come on the normal connection to it.
     */
    private <R extends Message> R callSync(int dst, Op op, Request<R> request, Duration timeout) {
        if (closed) {
            throw Status.UNAVAILABLE.toException(name + " is closed");
        }
        String addr = addressOf(dst);
        SyncCalls.Peer caller = syncCallers.get(addr);
        if (caller == null) {
            try {
                caller = syncCallers.computeIfAbsent(addr, syncCalls::peer);
            } catch (IllegalStateException transportClosed) {
                throw Status.UNAVAILABLE.toException(name + " is closed");
            }
        }
        long id = requestIds.incrementAndGet();
        ByteBuffer frame = Frame.encode(op.code(), 0, 0, nodeId, id, request);
        long deadline = System.nanoTime() + timeout.toNanos();
        Failed before = failed.get(dst);
        long fault = faults.verdict(dst);
        if (fault != 0) {
            // what the normal path's connection would do to the frame, on the calling thread: a dropped request
            // leaves the call to its timeout, a delayed one is held first; failCallsTo ends either wait
            long until = fault == FaultInjector.DROPPED ? deadline : Math.min(deadline, System.nanoTime() + fault);
            holdUnlessFailed(dst, before, until);
            if (fault == FaultInjector.DROPPED || System.nanoTime() - deadline >= 0) {
                throw Status.TIMEOUT.toException("no reply from node " + dst + " to " + op.wireName() + " within "
                        + timeout.toMillis() + " ms");
            }
        }
        Frame reply;
        try {
            ByteBuffer buf = caller.roundTrip(frame, config.maxBodyBytes(), millisLeft(deadline));
            Frame f = Frame.decode(buf, config.maxBodyBytes());
            while (!f.isReply()) {
                deliverAside(dst, buf);
                buf = caller.nextFrame(config.maxBodyBytes(), millisLeft(deadline));
                f = Frame.decode(buf, config.maxBodyBytes());
            }
            reply = f;
        } catch (ProtocolException e) {
            caller.discard();
            throw Status.BAD_FRAME.toException("bad reply frame from node " + dst + " to " + op.wireName() + ": "
                    + e.getMessage());
        } catch (org.legoos.api.ComponentUnavailableException e) {
            if (Status.TIMEOUT.name().equals(e.status())) {
                throw Status.TIMEOUT.toException("no reply from node " + dst + " to " + op.wireName() + " within "
                        + timeout.toMillis() + " ms");
            }
            Failed now = failed.get(dst);
            if (now != null && now != before) { // failCallsTo closed the socket under this call: say why
                throw Status.UNAVAILABLE.toException(now.why());
            }
            throw Status.UNAVAILABLE.toException("node " + dst + " (" + addr + ") unavailable for " + op.wireName()
                    + (closed ? " (" + name + " closed)" : "") + ": " + e.getMessage());
        }
        if (reply.requestId() != id || reply.opcode() != op.code()) {
            caller.discard(); // the stream is out of step with this thread's calls
            throw Status.BAD_FRAME.toException("reply " + reply.requestId() + " (opcode " + reply.opcode()
                    + ") from node " + dst + " does not match request " + id + " " + op.wireName());
        }
        return decodeReply(new Pending(id, op, dst, null), reply);
    }

    /**
     * Holds the calling thread until {@code untilNanos}, unless {@link #failCallsTo} fails the calls to {@code dst}
     * first (then UNAVAILABLE with its reason).
     */
    private void holdUnlessFailed(int dst, Failed before, long untilNanos) {
        synchronized (failed) {
            while (true) {
                Failed now = failed.get(dst);
                if (now != null && now != before) {
                    throw Status.UNAVAILABLE.toException(now.why());
                }
                if (closed) {
                    throw Status.UNAVAILABLE.toException(name + " is closed");
                }
                long left = untilNanos - System.nanoTime();
                if (left <= 0) {
                    return;
                }
                try {
                    TimeUnit.NANOSECONDS.timedWait(failed, left);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw Status.UNAVAILABLE.toException("interrupted waiting for node " + dst);
                }
            }
        }
    }

    /** A request or one-way frame read on a sync socket: handled as if it had come on the normal connection. */
    private void deliverAside(int dst, ByteBuffer frame) {
        Connection c;
        try {
            c = connection(dst);
        } catch (RuntimeException e) {
            log.warn("{}: frame from node {} on a synchronous call dropped: {}", name, dst, e.getMessage());
            return;
        }
        onFrame(c, frame);
    }

    private static long millisLeft(long deadlineNanos) {
        long left = deadlineNanos - System.nanoTime();
        return left <= 0 ? 0 : Math.max(1, (left + 999_999) / 1_000_000);
    }

    /** Calls {@code dst} without waiting; the future completes with the reply or the typed exception. */
    public <R extends Message> CompletableFuture<R> callAsync(int dst, Request<R> request, Duration timeout) {
        Op op = Protocol.of(request.getClass());
        Pending p;
        try {
            refuseIfDown(dst);
            p = start(dst, op, request);
        } catch (LegoException e) {
            return CompletableFuture.failedFuture(e);
        }
        return p.reply().orTimeout(timeout.toNanos(), TimeUnit.NANOSECONDS)
                .handle((frame, err) -> {
                    if (err != null) {
                        pending.remove(p.id(), p);
                        if (err instanceof TimeoutException) {
                            throw Status.TIMEOUT.toException("no reply from node " + dst + " to " + op.wireName()
                                    + " within " + timeout.toMillis() + " ms");
                        }
                        throw asLego(err);
                    }
                    return decodeReply(p, frame);
                });
    }

    /** Sends a one-way message to {@code dst}. */
    public void send(int dst, OneWay message) {
        Op op = Protocol.of(message.getClass());
        Connection c = connection(dst);
        faults.send(dst, c, Frame.encode(op.code(), Frame.FLAG_ONE_WAY, 0, nodeId, 0, message));
    }

    private Pending start(int dst, Op op, Message request) {
        Connection c = connection(dst);
        long id = requestIds.incrementAndGet();
        // encoded before it is pending: a message that cannot be encoded must not leave a pending call behind
        ByteBuffer frame = Frame.encode(op.code(), 0, 0, nodeId, id, request);
        Pending p = new Pending(id, op, dst, new CompletableFuture<>());
        pending.put(id, p);
        if (closed && pending.remove(id, p)) {
            // close() ran between connection() and put(): it could not see this call to fail it
            p.reply().completeExceptionally(Status.UNAVAILABLE.toException(name + " is closed"));
            return p;
        }
        try {
            faults.send(dst, c, frame);
        } catch (RuntimeException e) {
            pending.remove(id, p);
            throw e;
        }
        return p;
    }

    @SuppressWarnings("unchecked")
    private <R extends Message> R decodeReply(Pending p, Frame reply) {
        Status status = Status.of(reply.status());
        WireReader in = new WireReader(reply.body());
        if (status != Status.OK) {
            errorsReceived.incrementAndGet(status.ordinal());
            String msg;
            try {
                msg = ErrorBody.decode(in).message();
            } catch (ProtocolException e) {
                msg = "(unreadable error message)";
            }
            throw status.toException(msg);
        }
        try {
            Message m = p.op().replyDecoder().apply(in);
            in.expectEnd();
            return (R) m;
        } catch (RuntimeException e) {
            throw Status.BAD_FRAME.toException("malformed " + p.op().wireName() + " reply from node " + p.dst() + ": " + e.getMessage());
        }
    }

    /** Error replies this endpoint has sent with {@code status} (requests it served that failed). */
    public long errorsSent(Status status) {
        return errorsSent.get(status.ordinal());
    }

    /** Error replies with {@code status} this endpoint's calls have received (timeouts and local failures not included). */
    public long errorsReceived(Status status) {
        return errorsReceived.get(status.ordinal());
    }

    private static LegoException asLego(Throwable t) {
        if (t instanceof LegoException le) {
            return le;
        }
        return Status.INTERNAL.toException(String.valueOf(t));
    }

    /** Where {@code dst} listens: known, or asked of the resolver. */
    private String addressOf(int dst) {
        String addr = addresses.get(dst);
        if (addr == null && resolver != null) {
            addr = resolver.apply(dst);
            if (addr != null) {
                addresses.put(dst, addr);
            }
        }
        if (addr == null) {
            throw Status.UNAVAILABLE.toException("node " + dst + " is unknown to " + name);
        }
        return addr;
    }

    private Connection connection(int dst) {
        if (closed) {
            throw Status.UNAVAILABLE.toException(name + " is closed");
        }
        Connection c = connections.get(dst);
        if (c != null && c.isOpen()) {
            return c;
        }
        String addr = addressOf(dst);
        // one connect at a time per destination, none holding up callers of other nodes (a TLS handshake takes ms)
        synchronized (connectLocks.computeIfAbsent(dst, x -> new Object())) {
            c = connections.get(dst);
            if (c == null || !c.isOpen()) {
                try {
                    c = transport.connect(addr, sink);
                } catch (IllegalStateException transportClosed) {
                    if (closed) { // close() ran since the check above
                        throw Status.UNAVAILABLE.toException(name + " is closed");
                    }
                    throw transportClosed;
                }
                connections.put(dst, c);
                Principal peer = c.peer();
                if (peer.authenticated()) { // TLS proved who listens at that address: frames from dst must come from it
                    identities.putIfAbsent(dst, peer.name());
                }
                String where = addr;
                // replies to calls in flight on a dropped connection can no longer arrive: fail them now
                c.onDisconnect(() -> failCallsTo(dst, "connection to node " + dst + " (" + where + ") dropped"));
            }
            return c;
        }
    }

    // ---------------------------------------------------------------- inbound

    private void onFrame(Connection from, ByteBuffer buf) {
        Frame f;
        try {
            f = Frame.decode(buf, config.maxBodyBytes());
        } catch (ProtocolException e) {
            refuseUnreadable(from, buf, e);
            return;
        }
        if (f.isReply()) {
            Pending p = pending.remove(f.requestId());
            if (p == null) {
                log.debug("{}: late or unknown reply {} dropped", name, f.requestId());
            } else if (p.op().code() != f.opcode()) {
                p.reply().completeExceptionally(Status.BAD_FRAME.toException("reply opcode " + f.opcode()
                        + " does not match request " + p.op().wireName()));
            } else {
                p.reply().complete(f);
            }
            return;
        }
        Op op = Protocol.byCode(f.opcode());
        if (op == null) {
            replyError(from, f, Status.UNKNOWN_OPCODE, "unknown opcode 0x" + Integer.toHexString(f.opcode()));
            return;
        }
        if (starting) {
            // a component that listens before its handlers exist (it needs its node id to make them): a request now is
            // one meant for an earlier component at this address, or early; the caller retries or asks again
            replyError(from, f, Status.UNAVAILABLE, name + " is starting and serves no " + op.wireName() + " yet");
            return;
        }
        Registration reg = handlers.get(op.code());
        if (reg == null) {
            replyError(from, f, Status.UNKNOWN_OPCODE, op.wireName() + " is not served by " + name);
            return;
        }
        Principal who = from.peer();
        if (who.authenticated()) {
            if (!Access.allows(op, who.role())) {
                deny(from, f, who, "a " + who.role().wireName() + " may not send " + op.wireName());
                return;
            }
            if (identityLookup != null && f.sourceNode() != 0) {
                Integer source = f.sourceNode();
                String known = identities.get(source);
                AtomicInteger waiting = verifying.get(source);
                if (known == null || !known.equals(who.name()) || waiting != null && waiting.get() > 0) {
                    verifyThenDispatch(reg, op, f, from, who);
                    return;
                }
            }
        }
        dispatch(reg, op, f, from);
    }

    private void dispatch(Registration reg, Op op, Frame f, Connection from) {
        if (reg.executor() == null) {
            serve(reg, op, f, from);
        } else if (reg.inline() != null) {
            Message request = decode(op, f, from);
            if (request != null && !serve(reg.inline(), op, f, from, request, true)) {
                try {
                    reg.executor().execute(() -> serve(reg.handler(), op, f, from, request, false));
                } catch (RejectedExecutionException e) {
                    replyError(from, f, Status.UNAVAILABLE, name + " is shutting down");
                }
            }
        } else {
            try {
                reg.executor().execute(() -> serve(reg, op, f, from));
            } catch (RejectedExecutionException e) {
                replyError(from, f, Status.UNAVAILABLE, name + " is shutting down");
            }
        }
    }

    /**
     * The source node a frame names is not known to be the peer that sent it: the frame waits, behind any other frame
     * of that node already waiting (order kept), on one verifier thread that asks {@link #identityLookup} who the
     * node is (a call to the manager, which must not run on an I/O thread), then is served or refused.
     */
    private void verifyThenDispatch(Registration reg, Op op, Frame f, Connection from, Principal who) {
        int source = f.sourceNode();
        AtomicInteger waiting = verifying.computeIfAbsent(source, x -> new AtomicInteger());
        if (waiting.incrementAndGet() > MAX_WAITING_PER_SOURCE) { // a flood naming a node nobody vouches for: no queue
            waiting.decrementAndGet();
            deny(from, f, who, "too many frames naming node " + source + " wait to be checked");
            return;
        }
        try {
            verifier().execute(() -> {
                try {
                    String known = identities.get(source);
                    if (known == null || !known.equals(who.name())) {
                        known = refreshIdentity(source, who);
                    }
                    if (known != null && known.isEmpty()) { // a member the manager has not seen since it restarted
                        replyError(from, f, Status.UNAVAILABLE, name + " cannot tell yet who node " + source + " is: try again");
                    } else if (known == null) {
                        deny(from, f, who, "it names node " + source + " as its source, which is no member of the cluster");
                    } else if (!known.equals(who.name())) {
                        deny(from, f, who, "it names node " + source + " ('" + known + "') as its source");
                    } else {
                        dispatch(reg, op, f, from);
                    }
                } catch (RuntimeException e) {
                    replyError(from, f, Status.UNAVAILABLE, name + " cannot check who node " + source + " is: " + e.getMessage());
                } finally {
                    waiting.decrementAndGet();
                }
            });
        } catch (RejectedExecutionException e) {
            waiting.decrementAndGet();
            replyError(from, f, Status.UNAVAILABLE, name + " is shutting down");
        }
    }

    /** Asks who {@code node} is, at most once a second per node (a spoofing peer cannot make every frame a lookup). */
    private String refreshIdentity(int node, Principal claimant) {
        long now = System.nanoTime();
        Long last = lookedUp.get(node);
        if (last != null && now - last < 1_000_000_000L) {
            return identities.get(node);
        }
        lookedUp.put(node, now);
        String name = identityLookup.identityOf(node, claimant);
        if (name != null && !name.isEmpty()) {
            identities.put(node, name);
        }
        return name;
    }

    private synchronized java.util.concurrent.ExecutorService verifier() {
        if (closed) {
            throw new RejectedExecutionException(name + " closed");
        }
        if (verifierThread == null) {
            verifierThread = java.util.concurrent.Executors.newSingleThreadExecutor(r -> {
                Thread t = new Thread(r, name + "-verify");
                t.setDaemon(true);
                return t;
            });
        }
        return verifierThread;
    }

    /** Refuses a request its sender may not make: one log line here, DENIED with the reason to the caller. */
    private void deny(Connection from, Frame f, Principal who, String why) {
        Op op = Protocol.byCode(f.opcode());
        String what = op == null ? "opcode 0x" + Integer.toHexString(f.opcode()) : op.wireName();
        String message = name + " refuses " + what + " from " + who + " at " + from.remoteAddress() + ": " + why;
        log.warn("{}", message);
        if (!f.isOneWay()) {
            reply(from, f.sourceNode(), f.opcode(), f.requestId(), Status.DENIED, new ErrorBody(message));
        }
    }

    /**
     * A frame whose header cannot be trusted: a request is answered and a reply fails its call (if the header
     * is readable), anything else closes the connection.
     */
    private void refuseUnreadable(Connection from, ByteBuffer buf, ProtocolException e) {
        if (buf.remaining() >= Frame.HEADER_BYTES) {
            ByteBuffer h = buf.duplicate().order(ByteOrder.LITTLE_ENDIAN);
            int flags = Byte.toUnsignedInt(h.get(h.position() + 6));
            int opcode = Short.toUnsignedInt(h.getShort(h.position() + 4));
            int source = h.getInt(h.position() + 8);
            long id = h.getLong(h.position() + 12);
            boolean tooLarge = h.getInt(h.position()) > config.maxBodyBytes();
            Status status = tooLarge ? Status.TOO_LARGE : Status.BAD_FRAME;
            if ((flags & (Frame.FLAG_REPLY | Frame.FLAG_ONE_WAY)) == 0) {
                log.warn("{}: refusing frame from {}: {}", name, from.remoteAddress(), e.getMessage());
                reply(from, source, opcode, id, status, new ErrorBody(e.getMessage()));
                return;
            }
            if ((flags & Frame.FLAG_REPLY) != 0) {
                // fail the call now rather than at its timeout; the connection stays up for other calls
                log.warn("{}: refusing reply from {}: {}", name, from.remoteAddress(), e.getMessage());
                Pending p = pending.remove(id);
                if (p != null) {
                    p.reply().completeExceptionally(status.toException(p.op().wireName() + " reply from node "
                            + p.dst() + " refused: " + e.getMessage()));
                }
                return;
            }
        }
        log.warn("{}: closing connection from {}: {}", name, from.remoteAddress(), e.getMessage());
        from.close();
    }

    private void serve(Registration reg, Op op, Frame f, Connection from) {
        Message request = decode(op, f, from);
        if (request != null) {
            serve(reg.handler(), op, f, from, request, false);
        }
    }

    /** The request in {@code f}, or null after replying BAD_FRAME. */
    private Message decode(Op op, Frame f, Connection from) {
        try {
            WireReader in = new WireReader(f.body());
            Message request = op.requestDecoder().apply(in);
            in.expectEnd();
            return request;
        } catch (RuntimeException e) {
            replyError(from, f, Status.BAD_FRAME, "malformed " + op.wireName() + ": " + e.getMessage());
            return null;
        }
    }

    /**
     * Runs {@code handler} on {@code request} and replies. {@code inline}: a null reply means "not now" (nothing is
     * sent and false is returned: the request is to be served elsewhere); otherwise true once replied.
     */
    private boolean serve(RequestHandler<Message, ? extends Message> handler, Op op, Frame f, Connection from,
                          Message request, boolean inline) {
        Message reply;
        try {
            reply = handler.handle(request, new Ctx(f.sourceNode(), from));
        } catch (LegoException e) {
            replyError(from, f, Status.of(e), e.getMessage());
            return true;
        } catch (IllegalArgumentException e) {
            replyError(from, f, Status.INVALID_ARGUMENT, e.getMessage());
            return true;
        } catch (Throwable t) {
            log.error("{}: {} handler failed", name, op.wireName(), t);
            replyError(from, f, Status.INTERNAL, name + ": " + t);
            return true;
        }
        if (reply == null && inline) {
            return false;
        }
        if (!f.isOneWay()) {
            if (reply == null) {
                replyError(from, f, Status.INTERNAL, op.wireName() + " handler returned no reply");
            } else {
                reply(from, f.sourceNode(), f.opcode(), f.requestId(), Status.OK, reply);
            }
        }
        return true;
    }

    private void replyError(Connection from, Frame f, Status status, String message) {
        if (f.isOneWay()) {
            log.warn("{}: dropped one-way frame 0x{} from node {}: {} {}", name, Integer.toHexString(f.opcode()),
                    f.sourceNode(), status, message);
            return;
        }
        reply(from, f.sourceNode(), f.opcode(), f.requestId(), status, new ErrorBody(message == null ? status.name() : message));
    }

    /** Sends a reply to node {@code dst} (the request's source) on the connection the request came on. */
    private void reply(Connection to, int dst, int opcode, long requestId, Status status, Message body) {
        if (status != Status.OK) {
            errorsSent.incrementAndGet(status.ordinal());
        }
        faults.send(dst, to, Frame.encode(opcode, Frame.FLAG_REPLY, status.code, nodeId, requestId, body));
    }

    private final class Ctx implements CallContext {
        private final int source;
        private final Connection connection;

        Ctx(int source, Connection connection) {
            this.source = source;
            this.connection = connection;
        }

        @Override
        public int sourceNode() {
            return source;
        }

        @Override
        public Connection connection() {
            return connection;
        }

        @Override
        public Principal principal() {
            return connection.peer();
        }

        @Override
        public void sendBack(OneWay message) {
            Op op = Protocol.of(message.getClass());
            faults.send(source, connection, Frame.encode(op.code(), Frame.FLAG_ONE_WAY, 0, nodeId, 0, message));
        }
    }

    /**
     * Fails every call in flight to {@code node} with UNAVAILABLE (the node was declared dead, or the connection to it
     * dropped), synchronous calls included: their sockets to it are closed, and calls a fault holds are woken.
     */
    public void failCallsTo(int node, String why) {
        synchronized (failed) {
            failed.merge(node, new Failed(1, why), (old, x) -> new Failed(old.count() + 1, why));
            failed.notifyAll();
        }
        String addr = addresses.get(node);
        SyncCalls.Peer peer = addr == null ? null : syncCallers.get(addr);
        if (peer != null) {
            peer.abort();
        }
        pending.forEach((id, p) -> {
            if (p.dst() == node && pending.remove(id, p)) {
                p.reply().completeExceptionally(Status.UNAVAILABLE.toException(why));
            }
        });
    }

    /**
     * The cluster declared {@code node} dead: every call in flight to it fails now ({@link #failCallsTo}), and every
     * call to it for {@code holdFor} fails at once with UNAVAILABLE and {@code why}, instead of waiting out its timeout
     * on a node that may be hung rather than gone (a SIGSTOP, a dead link: its socket stays open, nothing answers).
     * Callers fail over as from a refused connection. {@link #markUp} (it serves again) or the end of {@code holdFor}
     * lifts it.
     */
    public void markDown(int node, String why, Duration holdFor) {
        down.put(node, new Down(System.nanoTime() + holdFor.toNanos(), why));
        failCallsTo(node, why);
    }

    /** {@code node} serves again: calls to it go out again (see {@link #markDown}). */
    public void markUp(int node) {
        down.remove(node);
    }

    private void refuseIfDown(int dst) {
        if (down.isEmpty()) {
            return;
        }
        Down d = down.get(dst);
        if (d == null) {
            return;
        }
        if (System.nanoTime() - d.untilNanos() >= 0) {
            down.remove(dst, d);
            return;
        }
        throw Status.UNAVAILABLE.toException(d.why());
    }

    @Override
    public void close() {
        closed = true;
        synchronized (this) {
            if (verifierThread != null) {
                verifierThread.shutdownNow();
            }
        }
        synchronized (failed) {
            failed.notifyAll();
        }
        connections.values().forEach(Connection::close);
        connections.clear();
        pending.values().forEach(p -> p.reply().completeExceptionally(Status.UNAVAILABLE.toException(name + " closed")));
        pending.clear();
        faults.close();
        transport.close();
    }

    /** Calls waiting for a reply (for tests: none may be left behind). */
    int pendingCalls() {
        return pending.size();
    }
}
