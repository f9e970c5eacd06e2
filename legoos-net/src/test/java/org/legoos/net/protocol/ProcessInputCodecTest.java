package org.legoos.net.protocol;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.legoos.net.protocol.gm.VNodeInfo;
import org.legoos.net.protocol.pm.InputAccepted;
import org.legoos.net.protocol.pm.PmOp;
import org.legoos.net.protocol.pm.ProcessInput;
import org.legoos.net.protocol.pm.StartProcess;

/**
 * Standard input on the PM link (protocol version 2): {@code PM_START}'s stdin flag, {@code PM_INPUT} chunks (up to the
 * largest one a processor takes, with and without the end of input) and their {@link InputAccepted} answers survive their
 * codecs; the generic round trip ({@link CodecRoundTripTest}) covers random values.
 */
@Timeout(10)
class ProcessInputCodecTest {
    private static Message roundTrip(Message m, boolean reply) {
        WireWriter w = new WireWriter(16);
        m.encode(w);
        Op op = Protocol.of(m instanceof InputAccepted ? ProcessInput.class : m.getClass().asSubclass(Message.class));
        return Bodies.decodeWhole(reply ? op.replyDecoder() : op.requestDecoder(), w.finish());
    }

    @Test
    void stdinTravelsUnderItsOwnOpcodeInAVersionThatKnowsIt() {
        assertThat(Protocol.VERSION).isGreaterThanOrEqualTo(2);
        assertThat(Protocol.of(ProcessInput.class)).isSameAs(PmOp.INPUT);
        assertThat(PmOp.INPUT.wireName()).isEqualTo("PM_INPUT");
        assertThat(PmOp.INPUT.replyDecoder()).isNotNull();
    }

    @Test
    void aBuildFromBeforeStdinIsRefusedAtConnectNamingBothVersions() {
        assertThatThrownBy(() -> Hello.check(Hello.encode(1), "127.0.0.1:7700"))
                .isInstanceOf(ProtocolVersionException.class)
                .hasMessage("peer 127.0.0.1:7700 speaks LegoOS/J protocol version 1, this build speaks version " + Protocol.VERSION
                        + ": run the same LegoOS/J build on every component and client");
        assertThat(Hello.check(Hello.encode(), "self")).isEqualTo(Protocol.VERSION);
    }

    @Test
    void startCarriesWhetherStdinFollows() {
        VNodeInfo vnode = new VNodeInfo(3, "v", "10.77.0.3", "/v", 4, 5, 1L << 30, 1L << 34, 8, 0);
        for (boolean stdin : new boolean[] {true, false}) {
            StartProcess back = (StartProcess) roundTrip(new StartProcess(9, vnode, 2, "wc", List.of("-l"), stdin), false);
            assertThat(back.stdin()).isEqualTo(stdin);
            assertThat(back.args()).containsExactly("-l");
            assertThat(back.vnode()).isEqualTo(vnode);
        }
    }

    @Test
    void chunksKeepOffsetDataAndEndOfInput() {
        byte[] big = new byte[ProcessInput.MAX_CHUNK];
        for (int i = 0; i < big.length; i++) {
            big[i] = (byte) (i * 31);
        }
        for (byte[] data : new byte[][] {new byte[0], "x".getBytes(), big}) {
            for (boolean eof : new boolean[] {true, false}) {
                long offset = (5L << 32) + 7;
                ProcessInput back = (ProcessInput) roundTrip(new ProcessInput(42, offset, data, eof), false);
                assertThat(back.pid()).isEqualTo(42);
                assertThat(back.offset()).isEqualTo(offset);
                assertThat(back.data()).isEqualTo(data);
                assertThat(back.eof()).isEqualTo(eof);
            }
        }
        assertThat(new ProcessInput(1, 0, big, false).sizeHint()).isGreaterThan(big.length);
    }

    @Test
    void answersKeepHowMuchIsHeldAndWhyInputIsRefused() {
        InputAccepted ok = (InputAccepted) roundTrip(new InputAccepted(300_000, false, ""), true);
        assertThat(ok).isEqualTo(new InputAccepted(300_000, false, ""));
        InputAccepted refused = (InputAccepted) roundTrip(new InputAccepted(12, true, "pid 4 exited"), true);
        assertThat(refused.refused()).isEqualTo("pid 4 exited");
        assertThat(refused.eof()).isTrue();
        assertThat(refused.received()).isEqualTo(12);
    }
}
