package org.legoos.net.transport.tcp;

import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelOutboundBuffer;
import io.netty.channel.EventLoop;
import io.netty.handler.codec.DecoderException;
import io.netty.handler.ssl.SslHandler;
import io.netty.handler.ssl.SslHandshakeCompletionEvent;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.util.Objects;
import java.util.Queue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.ReentrantLock;
import javax.net.ssl.SSLException;
import org.legoos.api.ComponentUnavailableException;
import org.legoos.api.security.AccessDeniedException;
import org.legoos.api.security.Principal;
import org.legoos.net.Ticker;
import org.legoos.net.protocol.Hello;
import org.legoos.net.protocol.ProtocolVersionException;
import org.legoos.net.security.ClusterTls;
import org.legoos.net.transport.Connection;
import org.legoos.net.transport.FrameSink;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One TCP link between two components, as a {@link Connection}. There are two kinds:
 * <ul>
 *   <li><b>outbound</b> ({@link TcpTransport#connect}): knows the peer's listening address and reconnects
 *       after the socket drops. Reconnection is driven by sends: a {@link #send} while disconnected drops the
 *       frame and, unless an attempt is already under way or the backoff has not expired, starts an
 *       asynchronous reconnect. The backoff starts at {@link TcpConfig#reconnectBackoffMinMillis()}, doubles
 *       after each failed attempt up to {@link TcpConfig#reconnectBackoffMaxMillis()}, and resets on success.
 *       Nothing runs in the background for a connection nobody sends on, so an abandoned connection costs
 *       nothing.</li>
 *   <li><b>accepted</b> (passed as {@code from} to the listener's {@link FrameSink}): replies and streamed
 *       one-way messages go back on it; it cannot reconnect, so once dropped it stays closed.</li>
 * </ul>
 *
 * <p><b>Frames sent while disconnected are dropped</b>, as the {@link Connection} contract allows: the caller
 * learns of it through its call timeout, through {@link #isOpen()} (false while the socket is down, which makes
 * {@code RpcNode} open a fresh connection, and fail fast if the peer is down), or through
 * {@link #onDisconnect} (which lets it fail the calls waiting for replies that can no longer arrive).
 *
 * <p>Threading: thread-safe, and {@link #send} never blocks. How a frame leaves depends on who sends it (details
 * on {@link Wire}): on an idle NIO connection the sending thread writes it to the socket itself (a non-blocking
 * write; no hand-off to the event loop, which is what keeps a request's latency near that of a plain socket);
 * when the connection is busy, or on epoll, the frame is queued and one event-loop task per burst writes
 * everything queued and flushes once (write coalescing: under load many frames leave in one {@code writev}); on
 * the event loop itself (a sink replying from {@code onFrame}) it is written at once and flushed when the current
 * read completes, so replies to a batch of requests leave together. Frames from one thread leave in the order
 * sent; a frame sent after (happens-before) another frame leaves after it. Inbound frames are delivered to the
 * sink on the channel's event loop, one at a time and in stream order.
 */
public final class TcpConnection implements Connection {
    private static final Logger log = LoggerFactory.getLogger(TcpConnection.class);
    /**
     * Largest frame a sending thread writes to the socket itself. Larger ones go through the event loop: the JDK
     * copies a heap buffer into a per-thread direct buffer as large as the write and keeps it, so unbounded
     * direct writes would pin that much native memory in every sending thread.
     */
    static final int DIRECT_WRITE_MAX_BYTES = 64 << 10;

    private final TcpTransport transport;
    private final Ticker ticker;
    private final FrameSink sink;
    /** Listening address of the peer for outbound connections (reconnect target), null for accepted ones. */
    private final String peerAddress;
    private final CopyOnWriteArrayList<Runnable> disconnectListeners = new CopyOnWriteArrayList<>();
    private final AtomicBoolean connecting = new AtomicBoolean();
    private volatile Wire wire;
    private volatile boolean closed;
    /** Written only by the thread holding {@link #connecting} (the attempt's callback). */
    private long backoffMillis;
    /** No reconnect attempt starts before this time (on {@link #ticker}). */
    private volatile long nextAttemptNanos;
    /** Reconnect attempts started; written only by the thread holding {@link #connecting}. For tests. */
    private volatile int reconnectAttempts;

    TcpConnection(TcpTransport transport, FrameSink sink, String peerAddress) {
        this.transport = transport;
        this.ticker = transport.ticker();
        this.nextAttemptNanos = ticker.nanoTime();
        this.sink = Objects.requireNonNull(sink, "sink");
        this.peerAddress = peerAddress;
        this.backoffMillis = transport.config().reconnectBackoffMinMillis();
    }

    /**
     * Sends one whole frame (header and body, position to limit). The caller must not modify the buffer
     * afterwards. Dropped if the connection is closed or disconnected (see the class comment); never throws
     * for a dead link.
     */
    @Override
    public void send(ByteBuffer frame) {
        Objects.requireNonNull(frame, "frame");
        if (closed) {
            return;
        }
        Wire w = wire;
        if (w != null && w.channel.isActive()) {
            w.send(frame);
        } else if (peerAddress != null) {
            maybeReconnect();
        }
    }

    /** True while the socket is connected and neither this connection nor its transport has been closed. */
    @Override
    public boolean isOpen() {
        Wire w = wire;
        return !closed && w != null && w.channel.isActive() && !transport.isClosed();
    }

    /**
     * The peer's address: for an outbound connection the {@code host:port} it was opened to, for an accepted one
     * the remote socket address.
     */
    @Override
    public String remoteAddress() {
        if (peerAddress != null) {
            return peerAddress;
        }
        Wire w = wire;
        return w == null ? "(unconnected)" : TcpTransport.format(w.channel.remoteAddress());
    }

    /** True if this connection was opened by {@link TcpTransport#connect} (and so reconnects), false if accepted. */
    public boolean isOutbound() {
        return peerAddress != null;
    }

    /**
     * Registers {@code listener} to run each time this connection's socket drops (peer gone, I/O error, bad frame,
     * {@link #close()}, or the transport closing), so that whoever waits for replies on it can fail those waits at
     * once instead of at their timeout: a reply can only come back on the socket its request left on. Runs on
     * the event loop, so it must be quick and must not block. If the socket is already down when the listener is
     * added, it also runs at once on the caller's thread; in a race with the drop it may run twice, so it should
     * be idempotent (failing already failed calls is).
     */
    @Override
    public void onDisconnect(Runnable listener) {
        Objects.requireNonNull(listener, "listener");
        disconnectListeners.add(listener);
        if (!isOpen()) {
            runListener(listener);
        }
    }

    /** For tests: a reconnect attempt failed and the next one waits for the backoff (none is under way). */
    boolean waitingForBackoff() {
        return !connecting.get() && ticker.nanoTime() - nextAttemptNanos < 0;
    }

    /** For tests: how many reconnect attempts this connection has started. */
    int reconnectAttempts() {
        return reconnectAttempts;
    }

    /** Closes the socket and stops reconnecting. Idempotent; frames sent afterwards are dropped. */
    @Override
    public void close() {
        closed = true;
        Wire w = wire;
        if (w != null) {
            w.channel.close();
        }
    }

    @Override
    public String toString() {
        return "TcpConnection[" + (isOutbound() ? "to " : "from ") + remoteAddress() + (isOpen() ? "" : ", closed") + "]";
    }

    /** The identity the peer's certificate proved ({@link Principal#UNAUTHENTICATED} on an insecure transport). */
    @Override
    public Principal peer() {
        Wire w = wire;
        return w == null ? Principal.UNAUTHENTICATED : w.peer();
    }

    /**
     * What a TLS failure says: the certificate check's own words if it was one (BoringSSL wraps them in "General
     * OpenSslEngine problem"), else the innermost message.
     */
    static String tlsReason(Throwable e) {
        String innermost = null;
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof java.security.cert.CertificateException && t.getMessage() != null) {
                return t.getMessage();
            }
            if (t instanceof java.nio.channels.ClosedChannelException) {
                return "the peer closed the connection during the handshake (did it refuse this side's certificate?)";
            }
            if (t.getMessage() != null) {
                innermost = t.getMessage();
            }
        }
        return innermost == null ? e.toString() : innermost;
    }

    /** The TLS failure behind {@code cause}, or null if it is none. */
    private static SSLException tlsCause(Throwable cause) {
        for (Throwable t = cause; t != null; t = t.getCause()) {
            if (t instanceof SSLException e) {
                return e;
            }
        }
        return null;
    }

    // ------------------------------------------------------------------ lifecycle, called by TcpTransport

    /**
     * Completes when the peer's {@link Hello} on the current socket has been checked; fails with a
     * {@link ProtocolVersionException} if the peer speaks another protocol version, or with a
     * {@link ComponentUnavailableException} if the socket closed first.
     */
    CompletableFuture<Void> handshake() {
        Wire w = wire;
        return w == null ? CompletableFuture.failedFuture(new ComponentUnavailableException("not connected")) : w.handshake;
    }

    /** The per-channel handler for a new channel of this connection; becomes current at once. */
    Wire attach(Channel channel) {
        Wire w = new Wire(channel);
        wire = w;
        return w;
    }

    boolean isClosed() {
        return closed;
    }

    private void maybeReconnect() {
        if (transport.isClosed() || ticker.nanoTime() - nextAttemptNanos < 0 || !connecting.compareAndSet(false, true)) {
            return;
        }
        if (ticker.nanoTime() - nextAttemptNanos < 0) { // another attempt finished between the two checks
            connecting.set(false);
            return;
        }
        log.debug("reconnecting to {}", peerAddress);
        reconnectAttempts++; // under connecting: no other writer
        try {
            transport.reconnect(this, peerAddress).addListener(f -> {
                if (f.isSuccess() && !closed) {
                    backoffMillis = transport.config().reconnectBackoffMinMillis();
                    nextAttemptNanos = ticker.nanoTime();
                    log.info("reconnected to {}", peerAddress);
                } else {
                    nextAttemptNanos = ticker.nanoTime() + backoffMillis * 1_000_000L;
                    log.debug("reconnect to {} failed, next attempt in {} ms: {}", peerAddress, backoffMillis,
                            f.cause() == null ? "connection closed" : f.cause().toString());
                    backoffMillis = Math.min(backoffMillis * 2, transport.config().reconnectBackoffMaxMillis());
                }
                connecting.set(false);
            });
        } catch (RuntimeException e) { // the transport is shutting down
            connecting.set(false);
            log.debug("reconnect to {} not attempted: {}", peerAddress, e.toString());
        }
    }

    private void runListener(Runnable listener) {
        try {
            listener.run();
        } catch (RuntimeException e) {
            log.warn("disconnect listener of {} failed", this, e);
        }
    }

    /**
     * The state of one socket of a connection: the outbound path and the inbound delivery. A reconnect makes a new
     * one.
     *
     * <p>Outbound, a frame takes one of three paths, all keeping the byte stream in order:
     * <ol>
     *   <li><b>direct</b> (NIO sockets, sender not on the event loop): if nothing is queued and Netty holds no
     *       unwritten bytes, the sender writes the frame to the socket itself, under {@link #writeLock}, saving the
     *       wake-up of the event loop. Whatever the kernel does not take at once becomes {@link #partial} and goes
     *       out through Netty before anything queued.</li>
     *   <li><b>queued</b> (any other sender off the event loop): appended to {@link #outbound}; one task per burst
     *       moves everything queued into Netty and flushes once.</li>
     *   <li><b>on the event loop</b>: written to Netty at once, flushed when the current read completes.</li>
     * </ol>
     * Netty is only ever written to under {@link #writeLock} (and only on the event loop), and a direct write
     * happens only when Netty's outbound buffer is empty, so the two never interleave.
     */
    final class Wire extends ChannelInboundHandlerAdapter {
        final Channel channel;
        private final EventLoop loop;
        /** The JDK socket for direct writes, or null (epoll sockets). */
        private final SocketChannel direct;
        private final Queue<ByteBuffer> outbound = new ConcurrentLinkedQueue<>();
        private final AtomicBoolean scheduled = new AtomicBoolean();
        private final ReentrantLock writeLock = new ReentrantLock();
        private final Runnable drainTask = this::drainAndFlush;
        /** The unwritten rest of a direct write; goes out before {@link #outbound}. Guarded by {@link #writeLock}. */
        private ByteBuffer partial;
        private boolean reading;
        private boolean flushPending;
        /**
         * Set once this end's {@link Hello} has been handed to Netty (in {@link #channelActive}, under
         * {@link #writeLock}): no frame may reach the socket before it.
         */
        private volatile boolean helloSent;
        /** See {@link TcpConnection#handshake()}. */
        final CompletableFuture<Void> handshake = new CompletableFuture<>();
        /** Who the peer is: set from its certificate when its hello arrives (TLS), else unauthenticated. */
        private volatile Principal peer = Principal.UNAUTHENTICATED;

        Wire(Channel channel) {
            this.channel = channel;
            this.loop = channel.eventLoop();
            this.direct = transport.directWrites() ? DirectNio.socketOf(channel) : null;
        }

        void send(ByteBuffer frame) {
            if (loop.inEventLoop()) {
                sendOnLoop(frame);
                return;
            }
            if (direct != null && helloSent && frame.remaining() <= DIRECT_WRITE_MAX_BYTES && outbound.isEmpty()
                    && writeLock.tryLock()) {
                try {
                    if (partial == null && outbound.isEmpty() && nothingPendingInNetty()) {
                        writeDirect(frame);
                        return;
                    }
                } finally {
                    writeLock.unlock();
                }
            }
            outbound.offer(frame);
            schedule();
        }

        /**
         * Under {@link #writeLock}, nothing queued or pending: the sender writes to the socket itself (through a
         * duplicate, so the caller's buffer keeps its position, as on every other path).
         */
        private void writeDirect(ByteBuffer whole) {
            ByteBuffer frame = whole.duplicate();
            try {
                while (frame.hasRemaining() && direct.write(frame) > 0) {
                    // the kernel took some; try for the rest until it takes nothing
                }
            } catch (IOException e) {
                // closed or reset: the event loop sees it too and closes the channel; the frame is dropped
                log.debug("direct write to {} failed: {}", remoteAddress(), e.toString());
                return;
            }
            if (frame.hasRemaining()) { // socket buffer full: Netty writes the rest when the socket drains
                partial = frame;
                schedule();
            }
        }

        private boolean nothingPendingInNetty() {
            ChannelOutboundBuffer b = channel.unsafe().outboundBuffer();
            return b != null && b.totalPendingWriteBytes() == 0 && channel.isActive();
        }

        private void schedule() {
            if (!scheduled.get() && scheduled.compareAndSet(false, true)) {
                try {
                    loop.execute(drainTask);
                } catch (RejectedExecutionException e) { // event loop shut down: the transport is closing
                    outbound.clear();
                }
            }
        }

        private void sendOnLoop(ByteBuffer frame) {
            if (!channel.isActive()) {
                return; // closed meanwhile: dropped like any frame sent while disconnected
            }
            if (!helloSent) { // another channel's sink on this loop, before channelActive: after the hello
                outbound.offer(frame);
                return;
            }
            writeLock.lock();
            try {
                drain(); // frames queued before this one (happens-before) leave first
                channel.write(Unpooled.wrappedBuffer(frame), channel.voidPromise());
            } finally {
                writeLock.unlock();
            }
            if (reading) {
                flushPending = true;
            } else {
                channel.flush();
            }
        }

        /** One task per burst of sends from other threads: write everything queued, flush once. */
        private void drainAndFlush() {
            scheduled.set(false); // before draining: a frame queued after this point schedules another task
            boolean wrote;
            writeLock.lock();
            try {
                wrote = drain();
            } finally {
                writeLock.unlock();
            }
            if (wrote) {
                channel.flush();
            }
        }

        /**
         * Hands the rest of a direct write, then every queued frame, to Netty without flushing; true if any. On the
         * event loop, under {@link #writeLock}.
         */
        private boolean drain() {
            if (!helloSent || partial == null && outbound.isEmpty()) {
                return false; // before the hello: channelActive drains once it has written it
            }
            if (!channel.isActive()) {
                partial = null;
                outbound.clear();
                return false;
            }
            if (partial != null) {
                channel.write(Unpooled.wrappedBuffer(partial), channel.voidPromise());
                partial = null;
            }
            for (ByteBuffer frame = outbound.poll(); frame != null; frame = outbound.poll()) {
                channel.write(Unpooled.wrappedBuffer(frame), channel.voidPromise());
            }
            return true;
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            reading = true;
            try {
                sink.onFrame(TcpConnection.this, (ByteBuffer) msg);
            } catch (Throwable t) {
                log.error("frame sink failed on a frame from {} (sinks must not throw)", remoteAddress(), t);
            }
        }

        @Override
        public void channelReadComplete(ChannelHandlerContext ctx) {
            reading = false;
            if (flushPending) {
                flushPending = false;
                ctx.flush();
            }
        }

        /** Greets the peer first thing: the hello, then whatever was sent while the socket was coming up. */
        @Override
        public void channelActive(ChannelHandlerContext ctx) {
            writeLock.lock();
            try {
                channel.write(Unpooled.wrappedBuffer(Hello.encode(transport.protocolVersion())), channel.voidPromise());
                helloSent = true;
                drain();
            } finally {
                writeLock.unlock();
            }
            channel.flush();
            ctx.fireChannelActive();
        }

        /**
         * The peer's hello was checked ({@link HelloDecoder}): frames may flow. Over TLS the handshake is done by then
         * (the hello travels inside it), so this is where the peer's identity is taken from its certificate; an
         * outbound connection must have reached a component, not an operator's or user's certificate.
         *
         * @return false if the peer is refused (the channel is being closed)
         */
        boolean greeted(ChannelHandlerContext ctx) {
            if (transport.tls() != null) {
                SslHandler tls = ctx.pipeline().get(SslHandler.class);
                try {
                    Principal p = transport.tls().verifiedPeer(tls.engine().getSession());
                    if (isOutbound() && !p.role().isComponent()) {
                        throw new SSLException("the peer's certificate is a " + p.role().wireName() + "'s ('" + p.name()
                                + "'), not a component's");
                    }
                    peer = p;
                } catch (SSLException | RuntimeException e) {
                    refusedTls(e);
                    ctx.close();
                    return false;
                }
            }
            handshake.complete(null);
            return true;
        }

        /** TLS refused the peer (or the peer refused us): one log line, the caller told why, the socket closed. */
        private void refusedTls(Throwable e) {
            String why = tlsReason(e);
            log.warn("refusing connection {} {}: TLS: {}", isOutbound() ? "to" : "from", remoteAddress(), why);
            handshake.completeExceptionally(new AccessDeniedException("TLS: " + why + (isOutbound()
                    ? " (is this process's certificate one of the cluster's, valid and not revoked?)" : "")));
        }

        Principal peer() {
            return peer;
        }

        /** The peer speaks another protocol version: {@link HelloDecoder} closes the socket after this. */
        void refused(ProtocolVersionException e) {
            log.warn("refusing connection {} {}: {}", isOutbound() ? "to" : "from", remoteAddress(), e.getMessage());
            handshake.completeExceptionally(e);
        }

        /** A failed TLS handshake is reported as an event (and sometimes only so): refused like an exception. */
        @Override
        public void userEventTriggered(ChannelHandlerContext ctx, Object event) {
            if (event instanceof SslHandshakeCompletionEvent e && !e.isSuccess() && !handshake.isDone()) {
                refusedTls(e.cause());
                ctx.close();
            }
            ctx.fireUserEventTriggered(event);
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            if (!handshake.isDone()) {
                handshake.completeExceptionally(new ComponentUnavailableException("connection "
                        + (isOutbound() ? "to " : "from ") + remoteAddress() + " closed before the peer's hello"
                        + (transport.tls() != null && isOutbound()
                        ? " (did the peer refuse this side's certificate: revoked, or of another cluster?)" : "")));
            }
            outbound.clear();
            log.debug("connection {} {} dropped", isOutbound() ? "to" : "from", remoteAddress());
            for (Runnable l : disconnectListeners) {
                runListener(l);
            }
            ctx.fireChannelInactive();
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            String direction = isOutbound() ? "to" : "from";
            SSLException tlsFailure = tlsCause(cause);
            if (tlsFailure != null) {
                if (!handshake.isDone()) {
                    refusedTls(tlsFailure);
                } else {
                    log.debug("closing connection {} {}: TLS: {}", direction, remoteAddress(), tlsFailure.getMessage());
                }
            } else if (cause instanceof IOException) { // reset, broken pipe: the peer went away
                log.debug("closing connection {} {}: {}", direction, remoteAddress(), cause.toString());
            } else if (cause instanceof DecoderException) { // bad length from FrameDecoder
                log.warn("closing connection {} {}: {} (a byte stream cannot be resynchronised after a bad frame length)",
                        direction, remoteAddress(), cause.getMessage());
            } else {
                log.warn("closing connection {} {} after an unexpected error", direction, remoteAddress(), cause);
            }
            ctx.close();
        }
    }
}
