package org.legoos.bench.tcp;

import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;

/**
 * The floor: a request/reply ping-pong of the same sizes as an ExCache miss (a small request, a 4 KiB reply)
 * over plain blocking {@link Socket}s on loopback, one thread per side, nothing else in the path. No framing,
 * no codec, no thread hand-off: any transport can only add to this.
 *
 * <p>Not thread-safe: one measuring thread; the server side runs on its own thread until {@link #close()}.
 */
public final class PlainPingPong implements AutoCloseable {
    private final ServerSocket server;
    private final Thread serverThread;
    private final Socket client;
    private final OutputStream out;
    private final DataInputStream in;
    private final byte[] request;
    private final byte[] reply;

    public PlainPingPong(int requestBytes, int replyBytes) throws IOException {
        server = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
        serverThread = Thread.ofPlatform().daemon().name("plain-pingpong-server").start(() -> serve(requestBytes, replyBytes));
        client = new Socket();
        client.setTcpNoDelay(true);
        client.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), server.getLocalPort()), 2_000);
        out = client.getOutputStream();
        in = new DataInputStream(client.getInputStream());
        request = new byte[requestBytes];
        reply = new byte[replyBytes];
    }

    private void serve(int requestBytes, int replyBytes) {
        try (Socket s = server.accept()) {
            s.setTcpNoDelay(true);
            DataInputStream sin = new DataInputStream(s.getInputStream());
            OutputStream sout = s.getOutputStream();
            byte[] q = new byte[requestBytes];
            byte[] page = new byte[replyBytes];
            while (true) {
                sin.readFully(q);
                sout.write(page);
            }
        } catch (IOException closed) {
            // the client closed: done
        }
    }

    /** One round trip: send the request, wait for the whole reply. */
    public void roundTrip() throws IOException {
        out.write(request);
        in.readFully(reply);
    }

    @Override
    public void close() throws IOException {
        client.close();
        server.close();
        try {
            serverThread.join(2_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
