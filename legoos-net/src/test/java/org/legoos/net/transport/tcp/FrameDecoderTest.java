package org.legoos.net.transport.tcp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.CorruptedFrameException;
import io.netty.handler.codec.TooLongFrameException;
import java.nio.ByteBuffer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.legoos.net.protocol.Frame;

/** The stream framer without sockets: bytes in through an {@link EmbeddedChannel}, whole frames out. */
@Timeout(10)
class FrameDecoderTest {
    private static final int MAX_BODY = 100;

    private static byte[] frame(long seq, int bodyBytes) {
        ByteBuffer f = Frame.encode(0x0102, 0, 0, 1, seq, out -> out.putRaw(new byte[bodyBytes], 0, bodyBytes));
        byte[] b = new byte[f.remaining()];
        f.get(b);
        return b;
    }

    private static EmbeddedChannel channel() {
        return new EmbeddedChannel(new FrameDecoder(MAX_BODY));
    }

    @Test
    void aWholeFrameComesOutAsAHeapBufferAndTheInputIsReleased() {
        EmbeddedChannel ch = channel();
        byte[] f = frame(1, 10);
        ByteBuf in = Unpooled.directBuffer().writeBytes(f);

        ch.writeInbound(in);

        ByteBuffer out = ch.readInbound();
        assertThat(out.hasArray()).isTrue();
        byte[] got = new byte[out.remaining()];
        out.get(got);
        assertThat(got).isEqualTo(f);
        assertThat(in.refCnt()).as("the decoder released what it read").isZero();
        assertThat(ch.finish()).isFalse();
    }

    @Test
    void bytesWaitUntilTheFrameIsWhole() {
        EmbeddedChannel ch = channel();
        byte[] f = frame(2, 50);

        for (int i = 0; i < f.length - 1; i++) {
            ch.writeInbound(Unpooled.wrappedBuffer(f, i, 1));
            assertThat(ch.inboundMessages()).as("after %d bytes", i + 1).isEmpty();
        }
        ch.writeInbound(Unpooled.wrappedBuffer(f, f.length - 1, 1));

        assertThat(((ByteBuffer) ch.readInbound()).remaining()).isEqualTo(f.length);
        assertThat(ch.finish()).isFalse();
    }

    @Test
    void severalFramesInOneReadComeOutSeparately() {
        EmbeddedChannel ch = channel();
        byte[] a = frame(1, 0);
        byte[] b = frame(2, MAX_BODY);
        byte[] c = frame(3, 7);

        ch.writeInbound(Unpooled.wrappedBuffer(a, b, c));

        assertThat(((ByteBuffer) ch.readInbound()).remaining()).isEqualTo(a.length);
        assertThat(((ByteBuffer) ch.readInbound()).remaining()).isEqualTo(b.length);
        assertThat(((ByteBuffer) ch.readInbound()).remaining()).isEqualTo(c.length);
        assertThat(ch.finish()).isFalse();
    }

    @Test
    void aLengthOverTheLimitFailsAndLaterBytesAreIgnored() {
        EmbeddedChannel ch = channel();
        ByteBuf tooLong = Unpooled.wrappedBuffer(frame(1, MAX_BODY + 1));

        assertThatThrownBy(() -> ch.writeInbound(tooLong))
                .isInstanceOf(TooLongFrameException.class)
                .hasMessageContaining(String.valueOf(MAX_BODY + 1));

        ch.writeInbound(Unpooled.wrappedBuffer(frame(2, 1)));
        assertThat(ch.inboundMessages()).as("the stream cannot be trusted after a bad length").isEmpty();
        assertThat(tooLong.refCnt()).isZero();
        ch.finishAndReleaseAll();
    }

    @Test
    void aNegativeLengthIsAGarbageHeader() {
        EmbeddedChannel ch = channel();
        byte[] garbage = new byte[Frame.HEADER_BYTES];
        java.util.Arrays.fill(garbage, (byte) 0x80);

        assertThatThrownBy(() -> ch.writeInbound(Unpooled.wrappedBuffer(garbage)))
                .isInstanceOf(CorruptedFrameException.class)
                .hasMessageContaining("negative");
        ch.finishAndReleaseAll();
    }

    @Test
    void aFrameCutShortAtTheEndOfTheStreamIsDroppedAndReleased() {
        EmbeddedChannel ch = channel();
        byte[] f = frame(1, 30);
        ByteBuf partial = Unpooled.directBuffer().writeBytes(f, 0, f.length - 5);

        ch.writeInbound(partial);

        assertThat(ch.finish()).as("nothing comes out of a truncated frame").isFalse();
        assertThat(partial.refCnt()).isZero();
    }
}
