package org.legoos.net.transport.tcp;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.legoos.net.protocol.Frame;
import org.legoos.net.protocol.Hello;
import org.legoos.net.transport.Inbox;

/**
 * How the TCP transport cuts a byte stream into frames, fed by a plain {@link Socket} that writes raw bytes: frames
 * split across segments, many frames in one segment, a length over the limit, a garbage header, and a frame cut
 * short by the peer closing. Every frame reaches the sink whole, as its own heap buffer; a stream that cannot be
 * trusted closes its connection and nothing else.
 */
@Timeout(20)
class TcpFramingTest {
    static {
        LeakCheck.install();
    }

    private static final int MAX_BODY = 1024;
    private TcpTransport transport;
    private Inbox inbox;
    private int port;
    private final List<Socket> sockets = new ArrayList<>();

    @BeforeEach
    void listen() {
        transport = new TcpTransport("framing", TcpTestNetwork.testConfig().withMaxBodyBytes(MAX_BODY));
        inbox = new Inbox();
        String address = transport.listen("127.0.0.1:0", inbox);
        port = Integer.parseInt(address.substring(address.lastIndexOf(':') + 1));
    }

    @AfterEach
    void close() throws IOException {
        for (Socket s : sockets) {
            s.close();
        }
        transport.close();
    }

    @AfterAll
    static void noBufferLeaked() {
        LeakCheck.assertNoLeaks();
    }

    private Socket rawPeer() throws IOException {
        Socket s = new Socket();
        sockets.add(s);
        s.setTcpNoDelay(true);
        s.setSoTimeout(5_000);
        s.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 2_000);
        s.getOutputStream().write(Hello.encode().array()); // a peer of this build greets first
        return s;
    }

    private static byte[] frame(long seq, int bodyBytes) {
        byte[] body = new byte[bodyBytes];
        for (int i = 0; i < bodyBytes; i++) {
            body[i] = (byte) (seq + i);
        }
        ByteBuffer f = Frame.encode(0x0101, 0, 0, 9, seq, out -> out.putRaw(body, 0, body.length));
        byte[] b = new byte[f.remaining()];
        f.get(b);
        return b;
    }

    /** Reads until the peer closes; true if it did within the socket's timeout. */
    private static boolean closedByPeer(Socket s) throws IOException {
        InputStream in = s.getInputStream();
        byte[] sink = new byte[256];
        try {
            for (int i = 0; i < 1_000; i++) {
                int n = in.read(sink);
                if (n < 0) {
                    return true;
                }
            }
            return false;
        } catch (SocketTimeoutException e) {
            return false;
        } catch (IOException reset) {
            return true; // a reset is a close too
        }
    }

    @Test
    void aFrameTricklingInByteByByteArrivesWhole() throws Exception {
        byte[] f = frame(1, 300);
        OutputStream out = rawPeer().getOutputStream();

        for (int i = 0; i < f.length; i++) {
            out.write(f[i]);
            out.flush();
            if (i % 40 == 0) {
                Thread.sleep(1); // let segments leave one by one
            }
        }

        Inbox.Received got = inbox.take();
        assertThat(got.bytes()).isEqualTo(f);
        assertThat(inbox.poll(50)).isNull();
    }

    @Test
    void theHeaderItselfMaySplitAnywhere() throws Exception {
        for (int cut = 1; cut < Frame.HEADER_BYTES + 3; cut++) {
            byte[] f = frame(cut, 3);
            OutputStream out = rawPeer().getOutputStream();

            out.write(f, 0, cut);
            out.flush();
            Thread.sleep(2);
            assertThat(inbox.poll(5)).as("nothing before the frame is whole (cut at %d)", cut).isNull();
            out.write(f, cut, f.length - cut);
            out.flush();

            assertThat(inbox.take().bytes()).as("cut at %d", cut).isEqualTo(f);
        }
    }

    @Test
    void manyFramesInOneSegmentArriveOneByOneInOrder() throws Exception {
        int n = 200;
        List<byte[]> frames = new ArrayList<>();
        ByteBuffer all = ByteBuffer.allocate(n * (Frame.HEADER_BYTES + 40));
        for (int i = 0; i < n; i++) {
            byte[] f = frame(i, i % 41);
            frames.add(f);
            all.put(f);
        }

        rawPeer().getOutputStream().write(all.array(), 0, all.position());

        for (int i = 0; i < n; i++) {
            assertThat(inbox.take().bytes()).as("frame %d", i).isEqualTo(frames.get(i));
        }
        assertThat(inbox.poll(50)).isNull();
    }

    @Test
    void randomlyChunkedStreamsYieldTheSameFrames() throws Exception {
        long seed = System.nanoTime();
        System.out.println("randomlyChunkedStreamsYieldTheSameFrames seed = " + seed);
        Random rnd = new Random(seed);
        List<byte[]> frames = new ArrayList<>();
        ByteBuffer all = ByteBuffer.allocate(300 * (Frame.HEADER_BYTES + MAX_BODY));
        for (int i = 0; i < 300; i++) {
            byte[] f = frame(i, rnd.nextInt(10) == 0 ? MAX_BODY : rnd.nextInt(100));
            frames.add(f);
            all.put(f);
        }
        OutputStream out = rawPeer().getOutputStream();
        int at = 0;
        while (at < all.position()) {
            int chunk = Math.min(1 + rnd.nextInt(rnd.nextBoolean() ? 7 : 3000), all.position() - at);
            out.write(all.array(), at, chunk);
            out.flush();
            at += chunk;
        }

        for (int i = 0; i < frames.size(); i++) {
            Inbox.Received got = inbox.take();
            assertThat(got.bytes()).as("frame %d (seed %d)", i, seed).isEqualTo(frames.get(i));
        }
    }

    @Test
    void eachFrameIsItsOwnHeapBufferHoldingExactlyTheFrame() throws Exception {
        byte[] a = frame(1, 10);
        byte[] b = frame(2, 20);
        OutputStream out = rawPeer().getOutputStream();
        out.write(a);
        out.write(b);

        ByteBuffer first = inbox.take().frame();
        ByteBuffer second = inbox.take().frame();

        for (ByteBuffer f : List.of(first, second)) {
            assertThat(f.hasArray()).as("a heap buffer").isTrue();
            assertThat(f.isDirect()).isFalse();
            assertThat(f.position()).isZero();
        }
        assertThat(first.remaining()).isEqualTo(a.length);
        assertThat(second.remaining()).isEqualTo(b.length);
        assertThat(first.array()).isNotSameAs(second.array());
    }

    @Test
    void aBodyOfExactlyTheLimitPasses() throws Exception {
        byte[] f = frame(7, MAX_BODY);
        Socket s = rawPeer();

        s.getOutputStream().write(f);

        assertThat(inbox.take().bytes()).isEqualTo(f);
        assertThat(s.isClosed()).isFalse();
    }

    @Test
    void aLengthOverTheLimitClosesTheConnectionAndNothingIsDelivered() throws Exception {
        Socket s = rawPeer();
        byte[] f = frame(1, MAX_BODY + 1);

        s.getOutputStream().write(f);

        assertThat(closedByPeer(s)).as("the transport closes a stream it cannot resynchronise").isTrue();
        assertThat(inbox.poll(50)).isNull();
        assertThatListenerStillServes();
    }

    @Test
    void aGarbageHeaderWithANegativeLengthClosesTheConnection() throws Exception {
        Socket s = rawPeer();
        byte[] garbage = new byte[Frame.HEADER_BYTES + 8];
        java.util.Arrays.fill(garbage, (byte) 0xFF);

        s.getOutputStream().write(garbage);

        assertThat(closedByPeer(s)).isTrue();
        assertThat(inbox.poll(50)).isNull();
        assertThatListenerStillServes();
    }

    @Test
    void framesBeforeABadHeaderAreDeliveredAndNothingAfterIt() throws Exception {
        Socket s = rawPeer();
        byte[] good = frame(1, 5);
        byte[] bad = frame(2, MAX_BODY + 100);
        byte[] after = frame(3, 5);
        ByteBuffer all = ByteBuffer.allocate(good.length + Frame.HEADER_BYTES + after.length);
        all.put(good).put(bad, 0, Frame.HEADER_BYTES).put(after);

        s.getOutputStream().write(all.array());

        assertThat(inbox.take().bytes()).isEqualTo(good);
        assertThat(closedByPeer(s)).isTrue();
        assertThat(inbox.poll(50)).as("bytes after a bad header are not trusted").isNull();
    }

    @Test
    void aFrameCutShortByThePeerClosingIsDropped() throws Exception {
        Socket s = rawPeer();
        byte[] whole = frame(1, 8);
        byte[] cut = frame(2, 100);
        OutputStream out = s.getOutputStream();
        out.write(whole);
        out.write(cut, 0, cut.length - 1);
        out.flush();
        assertThat(inbox.take().bytes()).isEqualTo(whole);

        s.shutdownOutput();
        s.close();

        assertThat(inbox.poll(100)).isNull();
        assertThatListenerStillServes();
    }

    @Test
    void aPeerThatConnectsAndLeavesSilentlyChangesNothing() throws Exception {
        Socket s = rawPeer();
        s.getOutputStream().write(new byte[7]); // less than a header
        s.close();

        assertThat(inbox.poll(100)).isNull();
        assertThatListenerStillServes();
    }

    private void assertThatListenerStillServes() throws IOException {
        byte[] f = frame(99, 4);
        rawPeer().getOutputStream().write(f);
        assertThat(inbox.take().bytes()).as("other connections are still served").isEqualTo(f);
    }
}
