package org.legoos.bench.tcp;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.legoos.net.protocol.Frame;
import org.legoos.net.transport.Connection;
import org.legoos.net.transport.tcp.TcpConfig;
import org.legoos.net.transport.tcp.TcpTransport;

/**
 * The transport alone, to split the miss round trip into transport and RPC/codec/monitor costs: a frame of
 * the size of a {@code PCACHE_MISS} request goes out on a {@link TcpTransport} connection, the server's sink
 * answers on its event loop with a prebuilt frame of the size of the 4 KiB reply, and the caller waits on a
 * {@link CompletableFuture} completed by the client's event loop, as {@code RpcNode.call} does.
 *
 * <p>Not thread-safe: one measuring thread.
 */
public final class FramePingPong implements AutoCloseable {
    private final TcpTransport serverTransport;
    private final TcpTransport clientTransport;
    private final Connection connection;
    private final byte[] request;
    private volatile CompletableFuture<ByteBuffer> waiting;

    public FramePingPong(TcpConfig tcp, int requestBodyBytes, int replyBodyBytes) {
        serverTransport = new TcpTransport("frames-server", tcp);
        clientTransport = new TcpTransport("frames-client", tcp);
        ByteBuffer reply = frame(replyBodyBytes);
        String at = serverTransport.listen("127.0.0.1:0", (from, frame) -> from.send(reply.duplicate()));
        connection = clientTransport.connect(at, (from, frame) -> {
            CompletableFuture<ByteBuffer> f = waiting;
            if (f != null) {
                f.complete(frame);
            }
        });
        request = frame(requestBodyBytes).array();
    }

    private static ByteBuffer frame(int bodyBytes) {
        ByteBuffer b = ByteBuffer.allocate(Frame.HEADER_BYTES + bodyBytes).order(ByteOrder.LITTLE_ENDIAN);
        b.putInt(0, bodyBytes);
        return b;
    }

    public boolean nativeEpoll() {
        return clientTransport.isNativeEpoll();
    }

    public void roundTrip() throws Exception {
        CompletableFuture<ByteBuffer> f = new CompletableFuture<>();
        waiting = f;
        connection.send(ByteBuffer.wrap(request));
        f.get(10, TimeUnit.SECONDS);
    }

    @Override
    public void close() {
        clientTransport.close();
        serverTransport.close();
    }
}
