package org.legoos.net.transport.tcp;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.lang.ref.WeakReference;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;
import org.legoos.api.ComponentUnavailableException;
import org.legoos.api.security.AccessDeniedException;
import org.legoos.api.security.Principal;
import org.legoos.net.protocol.Frame;
import org.legoos.net.protocol.Hello;
import org.legoos.net.protocol.ProtocolException;
import org.legoos.net.protocol.ProtocolVersionException;
import org.legoos.net.security.ClusterTls;

/**
 * The blocking per-thread sockets behind {@link SyncCaller}s of one {@link TcpTransport}: for each (calling
 * thread, peer) one {@link Socket} (the JDK's NIO-based implementation, so {@code SO_TIMEOUT} bounds each read),
 * found through a {@link ThreadLocal} map and also tracked in a concurrent set so that {@link #close()} can close
 * them all, including those of threads blocked in a read (which then fail with {@code UNAVAILABLE}).
 *
 * <p>Threading: thread-safe. A socket is only ever read and written by the thread that opened it; other threads
 * only close it.
 */
final class SyncChannels implements AutoCloseable {
    private final TcpTransport transport;
    private final String name;
    private final TcpConfig config;
    private final Set<SyncSocket> open = ConcurrentHashMap.newKeySet();
    private final ThreadLocal<Map<InetSocketAddress, SyncSocket>> mine = ThreadLocal.withInitial(HashMap::new);
    private volatile boolean closed;

    SyncChannels(TcpTransport transport, String name, TcpConfig config) {
        this.transport = transport;
        this.name = name;
        this.config = config;
    }

    /** One socket of one thread to one peer. */
    /**
     * A plain socket whose input is read through a buffer, for the TLS socket layered over it: the JDK's
     * {@code SSLSocket} reads each record's 5-byte header and then its body, each read a system call (and, with
     * {@code SO_TIMEOUT} set, a poll before it); through the buffer one read usually brings a whole reply record.
     * On a virtual machine, where every system call is dear, that second read was a measurable part of what TLS cost
     * a miss (docs/PERFORMANCE.md, "What mutual TLS costs").
     */
    static final class BufferedInputSocket extends Socket {
        /** A TLS record holds at most 16 KiB of plaintext, plus its header and tag. */
        private static final int BUFFER_BYTES = 17 << 10;
        private InputStream in;

        @Override
        public synchronized InputStream getInputStream() throws IOException {
            if (in == null) {
                in = new java.io.BufferedInputStream(super.getInputStream(), BUFFER_BYTES);
            }
            return in;
        }
    }

    private static final class SyncSocket {
        final Socket socket;
        /** The TCP socket under {@link #socket} when that is a TLS socket (else the same one). */
        final Socket plain;
        final InputStream in;
        final OutputStream out;
        final WeakReference<Thread> owner;
        final InetSocketAddress to;
        final byte[] header = new byte[Frame.HEADER_BYTES];
        int soTimeout = -1;
        volatile boolean closed;

        SyncSocket(Socket socket, Socket plain, Thread owner, InetSocketAddress to) throws IOException {
            this.socket = socket;
            this.plain = plain;
            this.to = to;
            this.in = socket.getInputStream();
            this.out = socket.getOutputStream();
            this.owner = new WeakReference<>(owner);
        }

        /**
         * Closes the TCP socket first: a TLS socket's own close sends a close_notify and takes the socket's locks,
         * which a thread blocked reading from a hung peer holds until its timeout, so closing it alone would block
         * the closer (a delivery thread failing the calls to a node declared dead) for that long.
         */
        void close() {
            closed = true;
            try {
                plain.close();
            } catch (IOException ignored) {
                // closing: nothing more to do
            }
            if (socket != plain) {
                try {
                    socket.close();
                } catch (IOException ignored) {
                    // closing: nothing more to do
                }
            }
        }

        boolean ownerGone() {
            Thread t = owner.get();
            return t == null || !t.isAlive();
        }
    }

    /** Writes {@code frame} (unless null) and reads one frame, on the calling thread's socket to {@code c.to()}. */
    ByteBuffer roundTrip(SyncCaller c, ByteBuffer frame, int maxBodyBytes, long timeoutMillis) {
        long deadline = System.nanoTime() + Math.max(0, timeoutMillis) * 1_000_000L;
        transport.requireBlockingAllowed();
        Map<InetSocketAddress, SyncSocket> sockets = mine.get();
        SyncSocket s = sockets.get(c.to());
        if (s != null && s.closed) {
            sockets.remove(c.to());
            s = null;
        }
        if (s == null) {
            if (frame == null) {
                throw new ComponentUnavailableException("no open synchronous connection to " + c.address());
            }
            s = connect(c, timeoutMillis);
            sockets.put(c.to(), s);
        }
        try {
            if (frame != null) {
                write(s, frame);
            }
            readFully(s, s.header, 0, Frame.HEADER_BYTES, deadline);
            int bodyLength = ByteBuffer.wrap(s.header).order(ByteOrder.LITTLE_ENDIAN).getInt(0);
            if (bodyLength < 0 || bodyLength > maxBodyBytes) {
                drop(s, sockets, c.to());
                throw new ProtocolException("frame from " + c.address() + " announces a body of " + bodyLength
                        + " bytes (limit " + maxBodyBytes + "): closing the synchronous connection");
            }
            byte[] whole = new byte[Frame.HEADER_BYTES + bodyLength];
            System.arraycopy(s.header, 0, whole, 0, Frame.HEADER_BYTES);
            readFully(s, whole, Frame.HEADER_BYTES, bodyLength, deadline);
            return ByteBuffer.wrap(whole);
        } catch (SocketTimeoutException e) {
            drop(s, sockets, c.to());
            throw new ComponentUnavailableException("TIMEOUT", "no reply from " + c.address() + " within "
                    + timeoutMillis + " ms");
        } catch (IOException e) {
            drop(s, sockets, c.to());
            throw new ComponentUnavailableException("synchronous connection to " + c.address() + " failed"
                    + (closed ? " (transport " + name + " closed)" : "") + ": " + e.getMessage());
        }
    }

    void discard(InetSocketAddress to) {
        Map<InetSocketAddress, SyncSocket> sockets = mine.get();
        SyncSocket s = sockets.remove(to);
        if (s != null) {
            open.remove(s);
            s.close();
        }
    }

    /** Closes every thread's socket to {@code to}: their owners' reads fail and their next call opens a new one. */
    void abort(InetSocketAddress to) {
        for (SyncSocket s : open) {
            if (s.to.equals(to)) {
                open.remove(s);
                s.close();
            }
        }
    }

    private void drop(SyncSocket s, Map<InetSocketAddress, SyncSocket> sockets, InetSocketAddress to) {
        sockets.remove(to, s);
        open.remove(s);
        s.close();
    }

    private SyncSocket connect(SyncCaller c, long timeoutMillis) {
        if (closed) {
            throw new ComponentUnavailableException("TCP transport " + name + " is closed");
        }
        sweep();
        Socket socket = transport.tls() != null ? new BufferedInputSocket() : new Socket();
        Socket plain = socket;
        SyncSocket s;
        try {
            socket.setTcpNoDelay(true);
            socket.setKeepAlive(true);
            int connectTimeout = (int) Math.max(1, Math.min(config.connectTimeoutMillis(), Math.max(1, timeoutMillis)));
            socket.connect(c.to(), connectTimeout);
            if (transport.tls() != null) {
                socket = secure(socket, c, connectTimeout);
            }
            s = new SyncSocket(socket, plain, Thread.currentThread(), c.to());
            greet(s, c.address(), System.nanoTime() + Math.max(1, config.connectTimeoutMillis()) * 1_000_000L);
        } catch (ProtocolVersionException | AccessDeniedException e) {
            try {
                socket.close();
            } catch (IOException ignored) {
                // already failing
            }
            throw e;
        } catch (IOException e) {
            try {
                socket.close();
            } catch (IOException ignored) {
                // already failing
            }
            throw new ComponentUnavailableException("cannot connect to " + c.address() + ": " + e.getMessage());
        }
        open.add(s);
        if (closed) { // close() ran meanwhile and may not have seen it
            open.remove(s);
            s.close();
            throw new ComponentUnavailableException("TCP transport " + name + " is closed");
        }
        return s;
    }

    /**
     * Mutual TLS 1.3 over a connected socket, as the transport's event-loop sockets have it: the peer's certificate
     * must be the cluster's, name the host dialled and belong to a component.
     *
     * @throws AccessDeniedException if the handshake fails or the peer is no component (the socket is closed)
     */
    private Socket secure(Socket plain, SyncCaller c, int timeoutMillis) throws IOException {
        SSLSocket ssl = (SSLSocket) transport.tls().jdkClient().getSocketFactory()
                .createSocket(plain, TcpTransport.hostOf(c.address()), c.to().getPort(), true);
        try {
            SSLParameters params = ssl.getSSLParameters();
            params.setProtocols(new String[] {"TLSv1.3"});
            params.setEndpointIdentificationAlgorithm("HTTPS");
            ssl.setSSLParameters(params);
            ssl.setSoTimeout(timeoutMillis);
            ssl.startHandshake();
            Principal peer = transport.tls().verifiedPeer(ssl.getSession());
            if (!peer.role().isComponent()) {
                throw new SSLException("the peer's certificate is a " + peer.role().wireName() + "'s ('" + peer.name()
                        + "'), not a component's");
            }
            return ssl;
        } catch (SSLException e) {
            ssl.close();
            throw new AccessDeniedException("cannot connect to " + c.address() + ": TLS: " + TcpConnection.tlsReason(e));
        }
    }

    /** Exchanges hellos on a new socket: ours out, the peer's in and checked, before any frame. */
    private void greet(SyncSocket s, String address, long deadline) throws IOException {
        write(s, Hello.encode(transport.protocolVersion()));
        byte[] hello = new byte[Hello.BYTES];
        readFully(s, hello, 0, Hello.BYTES, deadline);
        Hello.check(ByteBuffer.wrap(hello), address, transport.protocolVersion());
    }

    /** Closes the sockets of threads that have ended (their thread-local maps are gone with them). */
    private void sweep() {
        for (SyncSocket s : open) {
            if (s.ownerGone()) {
                open.remove(s);
                s.close();
            }
        }
    }

    private static void write(SyncSocket s, ByteBuffer frame) throws IOException {
        if (frame.hasArray()) {
            s.out.write(frame.array(), frame.arrayOffset() + frame.position(), frame.remaining());
        } else {
            byte[] copy = new byte[frame.remaining()];
            frame.duplicate().get(copy);
            s.out.write(copy);
        }
    }

    /**
     * Reads exactly {@code len} bytes before {@code deadline}. {@code SO_TIMEOUT} bounds each read; it is reset only
     * when it would let a read end early or overshoot the deadline by more than about 6%, which keeps the common
     * single-read reply free of option calls.
     */
    private static void readFully(SyncSocket s, byte[] into, int off, int len, long deadline) throws IOException {
        while (len > 0) {
            long leftNanos = deadline - System.nanoTime();
            if (leftNanos <= 0) {
                throw new SocketTimeoutException("deadline passed");
            }
            int millis = (int) Math.min(Integer.MAX_VALUE, Math.max(1, (leftNanos + 999_999) / 1_000_000));
            if (s.soTimeout < millis || s.soTimeout > millis + millis / 16 + 1) {
                s.socket.setSoTimeout(millis);
                s.soTimeout = millis;
            }
            int n = s.in.read(into, off, len);
            if (n < 0) {
                throw new IOException("closed by the peer");
            }
            off += n;
            len -= n;
        }
    }

    /**
     * Closes the TLS sockets whose peer's certificate {@code tls}'s revocation list in force revokes; the next call on
     * such a path opens a new socket, whose handshake refuses the peer.
     */
    void closeRevoked(ClusterTls tls) {
        for (SyncSocket s : open) {
            if (s.socket instanceof SSLSocket ssl) {
                try {
                    java.security.cert.Certificate[] chain = ssl.getSession().getPeerCertificates();
                    if (chain.length > 0 && chain[0] instanceof java.security.cert.X509Certificate x && tls.isRevoked(x)) {
                        open.remove(s);
                        s.close();
                    }
                } catch (javax.net.ssl.SSLPeerUnverifiedException e) {
                    // no peer certificate: nothing to revoke
                }
            }
        }
    }

    /** Number of sockets open (for tests). */
    int openSockets() {
        return open.size();
    }

    @Override
    public void close() {
        closed = true;
        for (SyncSocket s : open) {
            open.remove(s);
            s.close();
        }
    }
}
