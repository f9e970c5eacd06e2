package org.legoos.net.transport.tcp;

import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFactory;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.ServerChannel;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.util.concurrent.DefaultThreadFactory;
import io.netty.util.concurrent.EventExecutor;
import io.netty.util.concurrent.GlobalEventExecutor;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.util.Objects;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import org.legoos.api.ComponentUnavailableException;
import org.legoos.api.security.AccessDeniedException;
import org.legoos.net.Ticker;
import org.legoos.net.protocol.Protocol;
import org.legoos.net.protocol.ProtocolVersionException;
import org.legoos.net.security.ClusterTls;
import org.legoos.net.transport.FrameSink;
import org.legoos.net.transport.Transport;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The TCP transport: carries the same frames as the in-JVM transport between components on different JVMs or
 * hosts, over Netty (the JDK's NIO selector by default, native epoll if {@link TcpConfig#nativeEpollAllowed()} and
 * available), with {@code TCP_NODELAY} and {@code SO_KEEPALIVE} on every socket. It plays the part of LegoOS's
 * RDMA network stack ({@code net/}); a round trip costs more, which is why the ExCache prefetches.
 *
 * <p>Addresses are {@code host:port} ({@code [v6addr]:port} for IPv6). {@code listen("127.0.0.1:0")} binds an
 * ephemeral port and returns the real address, e.g. {@code "127.0.0.1:41233"}.
 *
 * <p>Each end of a socket first sends a {@link org.legoos.net.protocol.Hello} with its protocol version
 * ({@link Protocol#VERSION}) and reads the peer's before any frame ({@link HelloDecoder}): a peer of another build
 * is refused, with a {@link ProtocolVersionException} naming both versions from {@link #connect} and a warning on
 * the accepting side, and the socket is closed without a frame of it being parsed.
 *
 * <p>The byte stream is cut into frames by the header's little-endian body length ({@link FrameDecoder}); a
 * frame announcing a body over {@link TcpConfig#maxBodyBytes()} (or a negative one) closes the connection with a
 * log line, and a frame cut short by the peer closing is dropped with the connection. Each whole frame reaches
 * the {@link FrameSink} as a heap {@link java.nio.ByteBuffer} it may keep.
 *
 * <p>Threading: thread-safe. The sink is called on one of this transport's I/O threads (the event loop of the
 * connection the frame came on), with no hand-off to another thread; it must not block, since every other
 * connection of that event loop waits meanwhile. Handlers that block (or call other components) belong on an
 * executor, as {@code RpcNode.handle(type, handler, executor)} allows. For the same reason {@link #listen} and
 * {@link #connect} refuse to run on an I/O thread (they wait for the socket, which that thread would have to
 * serve); {@link #close} may, and then does not wait for the threads to stop.
 *
 * <p>Connections: see {@link TcpConnection} for sending, write coalescing, reconnection with exponential backoff
 * (frames sent while disconnected are dropped) and the {@link TcpConnection#onDisconnect} hook.
 */
public final class TcpTransport implements Transport {
    private static final Logger log = LoggerFactory.getLogger(TcpTransport.class);

    private final String name;
    private final TcpConfig config;
    private final Ticker ticker;
    private final boolean nativeEpoll;
    private final EventLoopGroup group;
    private final ChannelGroup channels;
    private final Bootstrap clientTemplate;
    private final ChannelFactory<? extends ServerChannel> serverChannels;
    private final AtomicBoolean closed = new AtomicBoolean();
    private final SyncChannels sync;
    private final int protocolVersion;
    /** Mutual TLS on every socket, or null: insecure (plaintext, peers unauthenticated). Chosen at wiring time. */
    private final ClusterTls tls;

    public TcpTransport(TcpConfig config) {
        this("tcp", config);
    }

    /**
     * @param name names the I/O threads ({@code <name>-io-<n>}), e.g. the component's name
     */
    public TcpTransport(String name, TcpConfig config) {
        this(name, config, Ticker.SYSTEM, Protocol.VERSION, null);
    }

    /**
     * A transport whose every socket, accepted or opened, is mutual TLS 1.3 with {@code tls}'s identity; null for
     * an insecure one (plaintext, every peer {@link org.legoos.api.security.Principal#UNAUTHENTICATED}).
     *
     * @param name names the I/O threads ({@code <name>-io-<n>}), e.g. the component's name
     */
    public TcpTransport(String name, TcpConfig config, ClusterTls tls) {
        this(name, config, Ticker.SYSTEM, Protocol.VERSION, tls);
    }

    /**
     * @param name names the I/O threads ({@code <name>-io-<n>}), e.g. the component's name
     * @param ticker the clock reconnect backoffs are measured on ({@link Ticker#SYSTEM} but in tests)
     */
    public TcpTransport(String name, TcpConfig config, Ticker ticker) {
        this(name, config, ticker, Protocol.VERSION, null);
    }

    /** A transport that greets with {@code protocolVersion}: tests use it to play a peer of another build. */
    TcpTransport(String name, TcpConfig config, int protocolVersion) {
        this(name, config, Ticker.SYSTEM, protocolVersion, null);
    }

    private TcpTransport(String name, TcpConfig config, Ticker ticker, int protocolVersion, ClusterTls tls) {
        this.protocolVersion = protocolVersion;
        this.tls = tls;
        this.name = Objects.requireNonNull(name, "name");
        this.config = Objects.requireNonNull(config, "config");
        this.ticker = Objects.requireNonNull(ticker, "ticker");
        NettyIo io = NettyIo.choose(config.nativeEpollAllowed());
        this.nativeEpoll = io.nativeEpoll();
        this.group = new MultiThreadIoEventLoopGroup(config.ioThreads(), new DefaultThreadFactory(name + "-io", true),
                io.handlerFactory());
        this.channels = new DefaultChannelGroup(name + "-channels", GlobalEventExecutor.INSTANCE);
        this.serverChannels = io.serverSockets();
        this.sync = new SyncChannels(this, name, config);
        this.clientTemplate = new Bootstrap()
                .group(group)
                .channelFactory(io.sockets())
                .option(ChannelOption.TCP_NODELAY, true)
                .option(ChannelOption.SO_KEEPALIVE, true)
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, config.connectTimeoutMillis());
        if (tls != null) {
            tls.onRevocation(closeRevokedPeers);
        }
    }

    /** Closes every connection whose peer's certificate the revocation list in force revokes. */
    private final Runnable closeRevokedPeers = this::closeRevokedPeers;

    private void closeRevokedPeers() {
        for (Channel ch : channels) {
            io.netty.handler.ssl.SslHandler h = ch.pipeline().get(io.netty.handler.ssl.SslHandler.class);
            if (h == null || !h.handshakeFuture().isSuccess()) {
                continue; // no TLS, or a handshake still to come, which checks the list itself
            }
            try {
                java.security.cert.Certificate[] chain = h.engine().getSession().getPeerCertificates();
                if (chain.length > 0 && chain[0] instanceof java.security.cert.X509Certificate x && tls.isRevoked(x)) {
                    log.warn("{}: closing the connection with {} ({}): its certificate was revoked", name,
                            format(ch.remoteAddress()), org.legoos.net.security.CertificateNames.commonName(x));
                    ch.close();
                }
            } catch (javax.net.ssl.SSLPeerUnverifiedException | IllegalStateException e) {
                // no peer certificate on this session: nothing to revoke
            }
        }
        sync.closeRevoked(tls);
    }

    public TcpConfig config() {
        return config;
    }

    /** The clock reconnect backoffs are measured on. */
    Ticker ticker() {
        return ticker;
    }

    /** The protocol version this transport's hello announces and requires of peers ({@link Protocol#VERSION}). */
    int protocolVersion() {
        return protocolVersion;
    }

    /** The TLS identity of every socket, or null if this transport is insecure. */
    ClusterTls tls() {
        return tls;
    }

    /** True if every socket is mutual TLS. */
    public boolean isSecure() {
        return tls != null;
    }

    /**
     * Whether a sending thread may write an idle connection's socket itself ({@link TcpConnection}): only on NIO
     * sockets without TLS, whose bytes must all pass the pipeline's TLS handler.
     */
    boolean directWrites() {
        return !nativeEpoll && tls == null;
    }

    /** True if this transport uses Netty's native epoll, false if the JDK's NIO selector. */
    public boolean isNativeEpoll() {
        return nativeEpoll;
    }

    /**
     * Listens at {@code host:port} (port 0: an ephemeral port) and returns the address peers connect to. Frames
     * from every accepted connection go to {@code inbound} with that connection as {@code from}.
     *
     * @throws IllegalArgumentException if the address is not {@code host:port}
     * @throws IllegalStateException if the port cannot be bound (in use, bad interface) or the transport is closed
     */
    @Override
    public String listen(String address, FrameSink inbound) {
        Objects.requireNonNull(inbound, "inbound");
        ensureOpen();
        requireNotOnIoThread("listen");
        InetSocketAddress at = parse(address);
        ServerBootstrap b = new ServerBootstrap()
                .group(group)
                .channelFactory(serverChannels)
                .option(ChannelOption.SO_REUSEADDR, true)
                .option(ChannelOption.SO_BACKLOG, 1024)
                .childOption(ChannelOption.TCP_NODELAY, true)
                .childOption(ChannelOption.SO_KEEPALIVE, true)
                .childHandler(new Initializer(() -> new TcpConnection(this, inbound, null)));
        ChannelFuture bound = b.bind(at).awaitUninterruptibly();
        if (!bound.isSuccess()) {
            throw new IllegalStateException("cannot listen on " + address + ": " + bound.cause(), bound.cause());
        }
        channels.add(bound.channel());
        if (closed.get()) { // closed while binding: do not leave a listener behind
            bound.channel().close();
            ensureOpen();
        }
        String actual = format(bound.channel().localAddress());
        log.debug("{}: listening on {} ({})", name, actual, nativeEpoll ? "epoll" : "nio");
        return actual;
    }

    /**
     * Connects to a listening {@code host:port} and exchanges hellos, waiting at most
     * {@link TcpConfig#connectTimeoutMillis()} for each; frames the peer sends back go to {@code inbound}.
     *
     * @throws ProtocolVersionException if the peer speaks another protocol version (the message names both)
     * @throws ComponentUnavailableException if nothing listens there (refused, unreachable, or timed out), or the
     *     peer does not greet in time
     * @throws IllegalArgumentException if the address is not {@code host:port}
     * @throws IllegalStateException if the transport is closed or this is called on one of its I/O threads
     */
    @Override
    public TcpConnection connect(String address, FrameSink inbound) {
        Objects.requireNonNull(inbound, "inbound");
        ensureOpen();
        requireNotOnIoThread("connect");
        InetSocketAddress to = parse(address);
        TcpConnection c = new TcpConnection(this, inbound, address);
        ChannelFuture f = open(c, to);
        if (!f.awaitUninterruptibly(config.connectTimeoutMillis() + 1_000L)) {
            f.channel().close();
            throw new ComponentUnavailableException("cannot connect to " + address + ": no answer within "
                    + config.connectTimeoutMillis() + " ms");
        }
        if (!f.isSuccess()) {
            throw new ComponentUnavailableException("cannot connect to " + address + ": " + describe(f.cause()));
        }
        if (closed.get()) {
            f.channel().close();
            ensureOpen();
        }
        awaitHello(c, address);
        return c;
    }

    /** Waits for the peer's hello on a new outbound connection; closes it and throws if the peer is refused. */
    private void awaitHello(TcpConnection c, String address) {
        try {
            c.handshake().get(config.connectTimeoutMillis() + 1_000L, TimeUnit.MILLISECONDS);
        } catch (ExecutionException e) {
            c.close();
            if (e.getCause() instanceof ProtocolVersionException p) {
                throw new ProtocolVersionException(address, p.peerVersion(), p.localVersion());
            }
            if (e.getCause() instanceof AccessDeniedException d) {
                throw new AccessDeniedException("cannot connect to " + address + ": " + d.getMessage(), d);
            }
            throw new ComponentUnavailableException("cannot connect to " + address + ": " + e.getCause().getMessage());
        } catch (TimeoutException e) {
            c.close();
            throw new ComponentUnavailableException("cannot connect to " + address + ": no LegoOS/J hello within "
                    + (config.connectTimeoutMillis() + 1_000L) + " ms");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            c.close();
            throw new ComponentUnavailableException("interrupted while connecting to " + address);
        }
    }

    /**
     * The synchronous request path to the peer listening at {@code address}: each thread that uses the returned
     * {@link SyncCaller} writes its requests and reads their replies itself, on a blocking socket of its own to
     * that address (opened on first use, closed with this transport). The peer serves it like any other
     * connection. Cheap; callers may keep one per peer.
     *
     * @throws IllegalArgumentException if the address is not {@code host:port}
     * @throws IllegalStateException if the transport is closed
     */
    public SyncCaller syncCaller(String address) {
        ensureOpen();
        return new SyncCaller(sync, parse(address), address);
    }

    /** The blocking request path: {@link #syncCaller}. */
    @Override
    public java.util.Optional<org.legoos.net.transport.SyncCalls> syncCalls() {
        return java.util.Optional.of(this::syncCaller);
    }

    /** Sockets of {@link SyncCaller}s currently open (for tests). */
    int openSyncSockets() {
        return sync.openSockets();
    }

    /** Throws if the calling thread is one of this transport's I/O threads (a blocking call would stall it). */
    void requireBlockingAllowed() {
        requireNotOnIoThread("SyncCaller.roundTrip");
    }

    /** Starts a reconnect of {@code c}; the future completes when the socket is up (or failed). */
    ChannelFuture reconnect(TcpConnection c, String address) {
        return open(c, parse(address));
    }

    private ChannelFuture open(TcpConnection c, InetSocketAddress to) {
        ChannelFuture f = clientTemplate.clone().handler(new Initializer(() -> c)).connect(to);
        f.addListener((ChannelFutureListener) done -> {
            if (done.isSuccess() && (c.isClosed() || closed.get())) {
                done.channel().close(); // closed while connecting
            }
        });
        return f;
    }

    private static String describe(Throwable cause) {
        if (cause instanceof ConnectException) {
            return cause.getMessage();
        }
        return String.valueOf(cause);
    }

    boolean isClosed() {
        return closed.get();
    }

    /**
     * Closes the listeners and every connection (accepted or opened), then stops the I/O threads. Connections report
     * themselves closed and drop later sends. Idempotent.
     */
    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        boolean onIoThread = onIoThread();
        if (tls != null) {
            tls.removeRevocationListener(closeRevokedPeers);
        }
        sync.close();
        var closing = channels.close();
        var stopping = group.shutdownGracefully(0, 2, TimeUnit.SECONDS);
        if (!onIoThread) {
            closing.awaitUninterruptibly(2, TimeUnit.SECONDS);
            if (!stopping.awaitUninterruptibly(3, TimeUnit.SECONDS)) {
                log.warn("{}: I/O threads did not stop within 3 s", name);
            }
        }
    }

    @Override
    public String toString() {
        return "TcpTransport[" + name + ", " + (nativeEpoll ? "epoll" : "nio") + (tls == null ? ", insecure" : ", tls")
                + (closed.get() ? ", closed" : "") + "]";
    }

    private void ensureOpen() {
        if (closed.get()) {
            throw new IllegalStateException("TCP transport " + name + " is closed");
        }
    }

    private boolean onIoThread() {
        for (EventExecutor e : group) {
            if (e.inEventLoop()) {
                return true;
            }
        }
        return false;
    }

    private void requireNotOnIoThread(String what) {
        if (onIoThread()) {
            throw new IllegalStateException(what + "() waits for a socket and must not run on a TCP I/O thread of "
                    + name + " (frame sinks run there): serve requests that call other components on an executor");
        }
    }

    /** Parses {@code host:port} or {@code [v6]:port}; the host is resolved here. */
    static InetSocketAddress parse(String address) {
        Objects.requireNonNull(address, "address");
        int colon = address.lastIndexOf(':');
        if (colon <= 0 || colon == address.length() - 1) {
            throw new IllegalArgumentException("TCP address must be host:port, got '" + address + "'");
        }
        String host = address.substring(0, colon);
        if (host.startsWith("[") && host.endsWith("]")) {
            host = host.substring(1, host.length() - 1);
        }
        int port;
        try {
            port = Integer.parseInt(address.substring(colon + 1));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("TCP address must be host:port, got '" + address + "'");
        }
        if (port < 0 || port > 65_535) {
            throw new IllegalArgumentException("port out of range in '" + address + "'");
        }
        InetSocketAddress a = new InetSocketAddress(host, port);
        if (a.isUnresolved()) {
            throw new IllegalArgumentException("unknown host in TCP address '" + address + "'");
        }
        return a;
    }

    /** The host part of {@code host:port} (brackets of an IPv6 literal removed), as dialled: what TLS verifies. */
    static String hostOf(String address) {
        String host = address.substring(0, address.lastIndexOf(':'));
        return host.startsWith("[") && host.endsWith("]") ? host.substring(1, host.length() - 1) : host;
    }

    /** {@code host:port} of a socket address, with the numeric host. */
    static String format(SocketAddress address) {
        if (address instanceof InetSocketAddress isa && isa.getAddress() != null) {
            String host = isa.getAddress().getHostAddress();
            return (host.indexOf(':') >= 0 ? "[" + host + "]" : host) + ":" + isa.getPort();
        }
        return String.valueOf(address);
    }

    /** Builds the pipeline of a new socket: hello decoder, frame decoder, then the connection's wire. */
    private final class Initializer extends ChannelInitializer<Channel> {
        private final java.util.function.Supplier<TcpConnection> connection;

        Initializer(java.util.function.Supplier<TcpConnection> connection) {
            this.connection = connection;
        }

        @Override
        protected void initChannel(Channel ch) {
            channels.add(ch);
            TcpConnection c = connection.get();
            TcpConnection.Wire wire = c.attach(ch);
            if (tls != null) { // before everything: the hello and every frame travel inside TLS
                if (c.isOutbound()) {
                    InetSocketAddress to = parse(c.remoteAddress());
                    ch.pipeline().addLast("tls", tls.client().newHandler(ch.alloc(), hostOf(c.remoteAddress()), to.getPort()));
                } else {
                    ch.pipeline().addLast("tls", tls.server().newHandler(ch.alloc()));
                }
            }
            ch.pipeline().addLast("hello", new HelloDecoder(wire, c.isOutbound() ? c.remoteAddress() : null, protocolVersion));
            ch.pipeline().addLast("frames", new FrameDecoder(config.maxBodyBytes()));
            ch.pipeline().addLast("wire", wire);
        }
    }
}
