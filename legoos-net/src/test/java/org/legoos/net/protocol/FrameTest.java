package org.legoos.net.protocol;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.legoos.net.Tries;

/** The common 20-byte header: layout, field ranges, and refusal of frames that do not match it. */
class FrameTest {

    @Test
    @Timeout(10)
    void headerLayoutIsAsDocumented() {
        ByteBuffer f = Frame.encode(0x0102, Frame.FLAG_REPLY, 26, 0x11223344, 0x0102030405060708L,
                out -> out.putInt(0xCAFEBABE)).order(ByteOrder.LITTLE_ENDIAN);
        assertThat(f.remaining()).isEqualTo(Frame.HEADER_BYTES + 4);
        assertThat(f.getInt(0)).isEqualTo(4);
        assertThat(f.getShort(4)).isEqualTo((short) 0x0102);
        assertThat(f.get(6)).isEqualTo((byte) Frame.FLAG_REPLY);
        assertThat(f.get(7)).isEqualTo((byte) 26);
        assertThat(f.getInt(8)).isEqualTo(0x11223344);
        assertThat(f.getLong(12)).isEqualTo(0x0102030405060708L);
        assertThat(f.getInt(20)).isEqualTo(0xCAFEBABE);
    }

    @Test
    @Timeout(value = 10, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    void headerFieldsRoundTripOverTheirWholeRange() {
        Tries.forAll(500, g -> {
            int opcode = g.given("opcode", g.between(0, 0xFFFF));
            int flags = g.given("flags", g.between(0, 0xFF));
            int status = g.given("status", g.between(0, 0xFF));
            int source = g.given("source", g.anyInt());
            long requestId = g.given("requestId", g.anyLong());
            int bodyBytes = g.given("bodyBytes", g.between(0, 300));
            ByteBuffer wire = Frame.encode(opcode, flags, status, source, requestId,
                    out -> out.putRaw(new byte[bodyBytes], 0, bodyBytes));
            Frame f = Frame.decode(wire, 1024);
            assertThat(f.opcode()).isEqualTo(opcode);
            assertThat(f.flags()).isEqualTo(flags);
            assertThat(f.status()).isEqualTo(status);
            assertThat(f.sourceNode()).isEqualTo(source);
            assertThat(f.requestId()).isEqualTo(requestId);
            assertThat(f.body().remaining()).isEqualTo(bodyBytes);
            assertThat(f.isReply()).isEqualTo((flags & Frame.FLAG_REPLY) != 0);
            assertThat(f.isOneWay()).isEqualTo((flags & Frame.FLAG_ONE_WAY) != 0);
        });
    }

    @Test
    @Timeout(10)
    void shortFramesAreRefused() {
        for (int n = 0; n < Frame.HEADER_BYTES; n++) {
            ByteBuffer b = ByteBuffer.allocate(n);
            assertThatThrownBy(() -> Frame.decode(b, 1024)).isInstanceOf(ProtocolException.class)
                    .hasMessageContaining("shorter than");
        }
    }

    @Test
    @Timeout(10)
    void negativeAndOversizedBodyLengthsAreRefused() {
        for (int len : new int[] {-1, Integer.MIN_VALUE, 1025, Integer.MAX_VALUE}) {
            ByteBuffer b = ByteBuffer.allocate(Frame.HEADER_BYTES).order(ByteOrder.LITTLE_ENDIAN).putInt(0, len);
            assertThatThrownBy(() -> Frame.decode(b, 1024)).isInstanceOf(ProtocolException.class)
                    .hasMessageContaining("outside");
        }
    }

    @Test
    @Timeout(10)
    void bodyLengthMustMatchTheBytesReceived() {
        ByteBuffer wire = Frame.encode(1, 0, 0, 0, 0, out -> out.putLong(1));
        ByteBuffer longer = ByteBuffer.allocate(wire.remaining() + 1).put(wire.duplicate()).clear();
        assertThatThrownBy(() -> Frame.decode(longer, 1024)).isInstanceOf(ProtocolException.class)
                .hasMessageContaining("follow the header");
        assertThatThrownBy(() -> Frame.decode(wire.slice(0, wire.remaining() - 1), 1024))
                .isInstanceOf(ProtocolException.class);
    }

    @Test
    @Timeout(10)
    void peekBodyLengthReadsTheHeaderWithoutDisturbingTheBuffer() {
        ByteBuffer wire = Frame.encode(1, 0, 0, 0, 0, out -> out.putRaw(new byte[300], 0, 300));
        ByteBuffer header = ByteBuffer.allocate(Frame.HEADER_BYTES); // a stream transport's big-endian buffer
        header.put(wire.duplicate().limit(Frame.HEADER_BYTES)).flip();
        assertThat(Frame.peekBodyLength(header)).isEqualTo(300);
        assertThat(header.order()).as("the caller's byte order is left alone").isEqualTo(ByteOrder.BIG_ENDIAN);
        assertThat(header.position()).isZero();
    }

    @Test
    @Timeout(10)
    void decodedBodyIsTheFramesBytesAfterTheHeader() {
        ByteBuffer wire = Frame.encode(1, 0, 0, 0, 0, out -> out.putInt(7).putInt(8));
        Frame f = Frame.decode(wire, 1024);
        assertThat(f.body().position()).isZero();
        assertThat(f.body().remaining()).isEqualTo(8);
        WireReader r = new WireReader(f.body());
        assertThat(r.getInt()).isEqualTo(7);
        assertThat(r.getInt()).isEqualTo(8);
    }
}
