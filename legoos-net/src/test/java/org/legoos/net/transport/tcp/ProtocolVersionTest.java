package org.legoos.net.transport.tcp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.legoos.net.protocol.Frame;
import org.legoos.net.protocol.Hello;
import org.legoos.net.protocol.Protocol;
import org.legoos.net.protocol.ProtocolVersionException;
import org.legoos.net.transport.Inbox;

/**
 * A peer of another build (another {@link Protocol#VERSION}, or one that sends no hello at all) is refused at
 * connect, on both ends and on both the event-loop and the synchronous path, with a message naming both versions;
 * its socket is closed and none of its frames reaches a sink.
 */
@Timeout(30)
class ProtocolVersionTest {
    private static final int OTHER = Protocol.VERSION + 1;
    private final List<AutoCloseable> closing = new ArrayList<>();
    private TcpTransport server;
    private Inbox inbox;
    private String address;

    @BeforeEach
    void listen() {
        server = open(new TcpTransport("v-server", TcpTestNetwork.testConfig()));
        inbox = new Inbox();
        address = server.listen("127.0.0.1:0", inbox);
    }

    @AfterEach
    void close() throws Exception {
        for (AutoCloseable c : closing.reversed()) {
            c.close();
        }
    }

    private <T extends AutoCloseable> T open(T c) {
        closing.add(c);
        return c;
    }

    private static String bothVersions() {
        return "speaks LegoOS/J protocol version " + OTHER + ", this build speaks version " + Protocol.VERSION;
    }

    @Test
    void aClientOfAnotherVersionIsRefusedAtConnectNamingBothVersions() {
        TcpTransport old = open(new TcpTransport("v-client", TcpTestNetwork.testConfig(), OTHER));
        Inbox back = new Inbox();
        assertThatThrownBy(() -> old.connect(address, back))
                .isInstanceOfSatisfying(ProtocolVersionException.class, e -> {
                    assertThat(e.peerVersion()).isEqualTo(Protocol.VERSION);
                    assertThat(e.localVersion()).isEqualTo(OTHER);
                    assertThat(e.getMessage()).startsWith("peer " + address + " speaks LegoOS/J protocol version "
                            + Protocol.VERSION + ", this build speaks version " + OTHER);
                });
        assertThat(inbox.poll(300)).as("nothing reached the server's sink").isNull();
        assertThat(back.poll(10)).isNull();
        // and the server still serves clients of its own build
        TcpConnection good = open(new TcpTransport("v-good", TcpTestNetwork.testConfig())).connect(address, new Inbox());
        good.send(Frame.encode(0x0101, 0, 0, 3, 77, out -> out.putInt(5)));
        assertThat(Frame.decode(inbox.take().frame(), 1024).requestId()).isEqualTo(77);
    }

    @Test
    void theServerRefusesAPeerOfAnotherVersionClosesItAndParsesNoneOfItsFrames() throws Exception {
        Socket s = open(rawPeer());
        ByteBuffer frame = Frame.encode(0x0101, 0, 0, 9, 1, out -> out.putInt(42));
        byte[] bytes = new byte[Hello.BYTES + frame.remaining()];
        Hello.encode(OTHER).get(bytes, 0, Hello.BYTES);
        frame.get(bytes, Hello.BYTES, bytes.length - Hello.BYTES);
        s.getOutputStream().write(bytes); // a well-formed frame right behind the hello
        DataInputStream in = new DataInputStream(s.getInputStream());
        byte[] hello = new byte[Hello.BYTES];
        in.readFully(hello);
        assertThat(ByteBuffer.wrap(hello).order(ByteOrder.LITTLE_ENDIAN).getShort(4))
                .as("the server greets with its own version").isEqualTo((short) Protocol.VERSION);
        assertThat(closedByPeer(s)).as("the server closes the socket").isTrue();
        assertThat(inbox.poll(200)).as("the frame behind the foreign hello is never parsed").isNull();
    }

    @Test
    void aPeerThatSendsNoHelloIsRefusedToo() throws Exception {
        Socket s = open(rawPeer());
        ByteBuffer frame = Frame.encode(0x0101, 0, 0, 9, 1, out -> out.putLong(7));
        byte[] bytes = new byte[frame.remaining()];
        frame.get(bytes);
        s.getOutputStream().write(bytes); // what a build from before the hello sends first
        assertThat(closedByPeer(s)).isTrue();
        assertThat(inbox.poll(200)).isNull();
    }

    @Test
    void aHelloIsReadAsAnOversizedFrameByABuildThatHasNone() {
        int asBodyLength = Frame.peekBodyLength(Hello.encode());
        assertThat(asBodyLength).isGreaterThan(TcpConfig.DEFAULT.maxBodyBytes()).isGreaterThan(1 << 30);
    }

    @Test
    void theSynchronousPathRefusesAnotherVersionToo() {
        TcpTransport old = open(new TcpTransport("v-sync", TcpTestNetwork.testConfig(), OTHER));
        SyncCaller caller = old.syncCaller(address);
        ByteBuffer frame = Frame.encode(0x0101, 0, 0, 9, 1, out -> out.putInt(1));
        assertThatThrownBy(() -> caller.roundTrip(frame, 1024, 5_000))
                .isInstanceOf(ProtocolVersionException.class)
                .hasMessageContaining("peer " + address + " speaks LegoOS/J protocol version " + Protocol.VERSION)
                .hasMessageContaining("this build speaks version " + OTHER);
        assertThat(old.openSyncSockets()).isZero();
        assertThat(inbox.poll(200)).isNull();
    }

    @Test
    void theServerSideRefusalNamesBothVersions() {
        // the accepting end's view, as HelloDecoder reports it
        assertThatThrownBy(() -> Hello.check(Hello.encode(OTHER), "127.0.0.1:5"))
                .isInstanceOf(ProtocolVersionException.class)
                .hasMessageStartingWith("peer 127.0.0.1:5 " + bothVersions());
        assertThat(Hello.check(Hello.encode(), "x")).isEqualTo(Protocol.VERSION);
    }

    private Socket rawPeer() throws IOException {
        Socket s = new Socket();
        s.setSoTimeout(5_000);
        int port = Integer.parseInt(address.substring(address.lastIndexOf(':') + 1));
        s.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 2_000);
        return s;
    }

    private static boolean closedByPeer(Socket s) throws IOException {
        InputStream in = s.getInputStream();
        byte[] sink = new byte[256];
        try {
            for (int i = 0; i < 1_000; i++) {
                if (in.read(sink) < 0) {
                    return true;
                }
            }
            return false;
        } catch (SocketTimeoutException e) {
            return false;
        } catch (IOException reset) {
            return true;
        }
    }
}
