package org.legoos.net.transport.tcp;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.DataInputStream;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.legoos.net.protocol.Frame;
import org.legoos.net.protocol.Hello;
import org.legoos.net.transport.Inbox;

/**
 * The sending side under pressure: a peer that stops reading fills the socket buffers, so sending threads' direct
 * writes go partial and later frames queue behind them; once the peer reads again every frame must arrive whole
 * and in each sender's order. Run on NIO (direct writes) and epoll (event-loop writes only).
 */
@Timeout(30)
class TcpSendTest {
    static {
        LeakCheck.install();
    }

    @AfterAll
    static void noBufferLeaked() {
        LeakCheck.assertNoLeaks();
    }

    private static ByteBuffer frame(int sender, int seq, int bodyBytes) {
        return Frame.encode(0x0101, 0, 0, sender, seq, out -> {
            for (int i = 0; i < bodyBytes; i++) {
                out.putByte((byte) (sender * 7 + seq + i));
            }
        });
    }

    @ParameterizedTest(name = "epoll allowed: {0}")
    @ValueSource(booleans = {false, true})
    void aPeerThatStopsReadingGetsEveryFrameInOrderOnceItReadsAgain(boolean epoll) throws Exception {
        int senders = 4;
        int perSender = 120;
        try (ServerSocket peer = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
             TcpTransport transport = new TcpTransport("pressure", TcpTestNetwork.testConfig().withNativeEpollAllowed(epoll))) {
            java.util.concurrent.CompletableFuture<Socket> greeted = java.util.concurrent.CompletableFuture.supplyAsync(() -> {
                try {
                    Socket a = peer.accept();
                    a.getOutputStream().write(Hello.encode().array()); // connect() waits for the peer's hello
                    return a;
                } catch (IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            });
            TcpConnection c = transport.connect("127.0.0.1:" + peer.getLocalPort(), new Inbox());
            Socket accepted = greeted.get(10, TimeUnit.SECONDS); // not read until every sender is done
            accepted.setSoTimeout(10_000);

            ExecutorService pool = Executors.newFixedThreadPool(senders);
            CountDownLatch start = new CountDownLatch(1);
            List<Future<?>> done = new ArrayList<>();
            for (int s = 0; s < senders; s++) {
                int sender = s;
                done.add(pool.submit(() -> {
                    start.await();
                    for (int i = 0; i < perSender; i++) {
                        // mostly direct-write sized frames, some small, some over the direct-write limit
                        int body = i % 10 == 0 ? 3 : i % 17 == 0 ? TcpConnection.DIRECT_WRITE_MAX_BYTES + 100 : 60_000;
                        c.send(frame(sender, i, body));
                    }
                    return null;
                }));
            }
            start.countDown();
            for (Future<?> f : done) {
                f.get(20, TimeUnit.SECONDS);
            }
            pool.shutdown();

            DataInputStream in = new DataInputStream(accepted.getInputStream());
            in.readFully(new byte[Hello.BYTES]); // the transport's hello comes first
            int[] next = new int[senders];
            byte[] header = new byte[Frame.HEADER_BYTES];
            for (int n = 0; n < senders * perSender; n++) {
                in.readFully(header);
                ByteBuffer h = ByteBuffer.wrap(header).order(ByteOrder.LITTLE_ENDIAN);
                int bodyLength = h.getInt(0);
                int sender = h.getInt(8);
                int seq = (int) h.getLong(12);
                byte[] body = new byte[bodyLength];
                in.readFully(body);
                assertThat(sender).as("frame %d: a sender id, so the stream is not torn", n).isBetween(0, senders - 1);
                assertThat(seq).as("order of sender %d", sender).isEqualTo(next[sender]);
                for (int i = 0; i < bodyLength; i += 997) {
                    assertThat(body[i]).as("byte %d of frame %d/%d", i, sender, seq).isEqualTo((byte) (sender * 7 + seq + i));
                }
                next[sender]++;
            }
            assertThat(c.isOpen()).isTrue();
            accepted.close();
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }
}
