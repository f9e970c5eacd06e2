package org.legoos.net.transport.tcp;

import com.code_intelligence.jazzer.junit.FuzzTest;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.CorruptedFrameException;
import io.netty.handler.codec.TooLongFrameException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Timeout;
import org.legoos.net.protocol.Frame;
import org.legoos.net.protocol.Hello;
import org.legoos.net.protocol.Protocol;
import org.legoos.net.protocol.ProtocolException;
import org.legoos.net.protocol.ProtocolVersionException;

/**
 * Coverage-guided fuzzing (Jazzer) of the TCP stream framer: any byte stream, cut into chunks of any sizes as the
 * socket may deliver it, through an {@link EmbeddedChannel} holding either a {@link FrameDecoder} and behind it a
 * handler that does what the connection's handler does (take the frames, close the channel on an error), or the
 * inbound pipeline of a real socket without TLS: {@link HelloDecoder}, {@link FrameDecoder} and a
 * {@link TcpConnection}'s own {@code Wire}, which hands frames to the connection's sink.
 *
 * <p>The input's first byte picks the body limit (bits 0-1: 0, 16, 256 or 1 MiB), the chunking (bits 2-6 seed the
 * chunk sizes, 1 to 2 x (bits 2-6 + 1) bytes) and the pipeline (bit 7: with the hello decoder and the wire); the
 * rest is the stream. Properties, against a model that checks the hello as {@link Hello} documents it and cuts the
 * rest by the header's length field:
 * <ul>
 *   <li>with the hello decoder: until 8 bytes are in nothing happens; a hello of another version, or no hello,
 *       closes the channel and fails the connection's handshake with a {@link ProtocolVersionException}, and no
 *       frame comes out; this build's hello completes the handshake and the bytes after it are framed as below;</li>
 *   <li>the frames that come out are exactly the model's whole frames, in order, byte for byte, each a heap buffer
 *       that {@link Frame#decode} accepts with the same limit; a frame never comes out before all its bytes are in;</li>
 *   <li>a length field that is negative or over the limit closes the channel, after the frames before it, with a
 *       {@link CorruptedFrameException} or {@link TooLongFrameException}; nothing else is ever thrown out of the
 *       decoder; a stream without such a length leaves the channel open;</li>
 *   <li>every chunk the decoder was given is released once the channel is closed (no leak).</li>
 * </ul>
 *
 * <p>Without {@code JAZZER_FUZZ} this runs every input in {@code FrameDecoderFuzzTestInputs/byteStream/} (test
 * resources) once, as a regression test. {@code scripts/fuzz} fuzzes it.
 */
class FrameDecoderFuzzTest {
    private static final int[] MAX_BODIES = {0, 16, 256, 1 << 20};
    /** A transport that never listens nor connects: the connections of the hello pipeline need one. */
    private static TcpTransport transport;
    private static ch.qos.logback.classic.Level connectionLogLevel;
    private static long inputs;
    private static long frames;
    private static long closed;
    private static long greeted;

    @BeforeAll
    static void quietConnectionLog() {
        transport = new TcpTransport("fuzz", TcpConfig.DEFAULT);
        // every refused hello and bad length is logged as a warning: thousands a second when fuzzing
        var log = (ch.qos.logback.classic.Logger) org.slf4j.LoggerFactory.getLogger(TcpConnection.class);
        connectionLogLevel = log.getLevel();
        log.setLevel(ch.qos.logback.classic.Level.ERROR);
    }

    @FuzzTest
    @Timeout(10)
    void byteStream(byte[] input) {
        inputs++;
        if (input.length == 0) {
            return;
        }
        int maxBody = MAX_BODIES[input[0] & 3];
        int chunkScale = ((input[0] & 0x7F) >>> 2) + 1;
        boolean withHello = (input[0] & 0x80) != 0;
        byte[] stream = Arrays.copyOfRange(input, 1, input.length);
        Model model = withHello ? Model.withHello(stream, maxBody) : Model.of(stream, 0, maxBody);

        Receiver receiver = new Receiver(withHello);
        EmbeddedChannel ch;
        TcpConnection.Wire wire = null;
        if (withHello) {
            // as TcpTransport builds the pipeline of an accepted socket (without TLS)
            ch = new EmbeddedChannel();
            TcpConnection connection = new TcpConnection(transport, (from, frame) -> receiver.frames.add(frame), null);
            wire = connection.attach(ch);
            ch.pipeline().addLast("hello", new HelloDecoder(wire, null, Protocol.VERSION));
            ch.pipeline().addLast("frames", new FrameDecoder(maxBody));
            ch.pipeline().addLast("spy", receiver); // passes everything on to the wire, seeing the errors
            ch.pipeline().addLast("wire", wire);
        } else {
            ch = new EmbeddedChannel(new FrameDecoder(maxBody), receiver);
        }
        List<ByteBuf> given = new ArrayList<>();
        SplittableRandom chunks = new SplittableRandom(input[0]);
        int fed = 0;
        while (fed < stream.length && ch.isOpen()) {
            int n = Math.min(stream.length - fed, 1 + chunks.nextInt(2 * chunkScale));
            ByteBuf chunk = Unpooled.buffer(n).writeBytes(stream, fed, n);
            given.add(chunk);
            ch.writeInbound(chunk);
            fed += n;
            // never a frame before all its bytes are in
            for (int i = 0; i < receiver.frames.size(); i++) {
                if (i >= model.ends.size()) {
                    throw new AssertionError(receiver.frames.size() + " frames came out of " + describe(input)
                            + ", which holds " + model.ends.size());
                }
                if (model.ends.get(i) > fed) {
                    throw new AssertionError("frame " + i + " (ending at byte " + model.ends.get(i) + ") came out after "
                            + fed + " bytes of " + describe(input));
                }
            }
        }
        boolean open = ch.isOpen();
        if (withHello) {
            checkHandshake(model, wire, open, input); // before finishing, which closes the channel and so the handshake
        }
        ch.finishAndReleaseAll();

        if (receiver.frames.size() != model.frames.size()) {
            throw new AssertionError(receiver.frames.size() + " frames came out of " + describe(input) + ", expected "
                    + model.frames.size() + (receiver.error == null ? "" : " (closed on " + receiver.error + ")"));
        }
        for (int i = 0; i < model.frames.size(); i++) {
            ByteBuffer got = receiver.frames.get(i);
            if (!got.hasArray() || got.position() != 0 || !got.equals(ByteBuffer.wrap(model.frames.get(i)))) {
                throw new AssertionError("frame " + i + " of " + describe(input) + " came out as " + got);
            }
            try {
                Frame.decode(got, maxBody);
            } catch (ProtocolException e) {
                throw new AssertionError("frame " + i + " of " + describe(input) + " is refused by Frame.decode: "
                        + e.getMessage(), e);
            }
        }
        if (model.badLength == null) {
            if (model.refusedHello) {
                if (open || receiver.error != null) {
                    throw new AssertionError(describe(input) + " has no hello of this build, yet the channel "
                            + (open ? "stayed open" : "closed on " + receiver.error));
                }
            } else if (receiver.error != null || !open) {
                throw new AssertionError(describe(input) + " closed the channel on " + receiver.error, receiver.error);
            }
        } else {
            Class<?> expected = model.badLength < 0 ? CorruptedFrameException.class : TooLongFrameException.class;
            if (!expected.isInstance(receiver.error) || receiver.errors != 1) {
                throw new AssertionError(describe(input) + " has length " + model.badLength + " (limit " + maxBody
                        + "): expected one " + expected.getSimpleName() + ", got " + receiver.errors + ": " + receiver.error,
                        receiver.error);
            }
            if (receiver.error.getMessage() == null || !receiver.error.getMessage().contains(String.valueOf(model.badLength))) {
                throw new AssertionError(describe(input) + ": the error does not name the length " + model.badLength
                        + ": " + receiver.error.getMessage());
            }
            if (open) {
                throw new AssertionError(describe(input) + ": the channel stayed open after " + receiver.error);
            }
        }
        for (int i = 0; i < given.size(); i++) {
            if (given.get(i).refCnt() != 0) {
                throw new AssertionError("chunk " + i + " of " + describe(input) + " was not released (refCnt "
                        + given.get(i).refCnt() + ")");
            }
        }
        frames += receiver.frames.size();
        closed += open ? 0 : 1;
        greeted += model.greeted ? 1 : 0;
    }

    /** How much was tried: scripts/fuzz shows this line. */
    @AfterAll
    static void summary() {
        System.out.println("fuzz summary: FrameDecoderFuzzTest: " + inputs + " streams (" + greeted + " greeted with"
                + " this build's hello), " + frames + " frames out, " + closed + " closed on a bad hello or length");
        ((ch.qos.logback.classic.Logger) org.slf4j.LoggerFactory.getLogger(TcpConnection.class)).setLevel(connectionLogLevel);
        transport.close();
    }

    private static void checkHandshake(Model model, TcpConnection.Wire wire, boolean open, byte[] input) {
        var handshake = wire.handshake;
        if (model.refusedHello) {
            Throwable why = handshake.isCompletedExceptionally() ? handshake.handle((v, t) -> t).join() : null;
            if (!(why instanceof ProtocolVersionException)) {
                throw new AssertionError(describe(input) + " has no hello of this build, yet the handshake "
                        + (handshake.isDone() ? "ended with " + why : "is still open"));
            }
        } else if (model.greeted) {
            if (!handshake.isDone() || handshake.isCompletedExceptionally()) {
                throw new AssertionError(describe(input) + " greets with this build's hello, yet the handshake "
                        + (handshake.isDone() ? "failed" : "is still open"));
            }
        } else if (open && handshake.isDone()) {
            throw new AssertionError(describe(input) + " holds less than a hello, yet the handshake ended");
        }
    }

    /**
     * Without the wire: what the connection's handler does (keep the frames, close the channel on an exception).
     * With it: a spy in front of it, which passes frames and exceptions on.
     */
    private static final class Receiver extends ChannelInboundHandlerAdapter {
        final List<ByteBuffer> frames = new ArrayList<>();
        final boolean passOn;
        Throwable error;
        int errors;

        Receiver(boolean passOn) {
            this.passOn = passOn;
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            if (!(msg instanceof ByteBuffer b)) {
                throw new AssertionError("the frame decoder passed on a " + msg.getClass().getName());
            }
            if (error != null) {
                throw new AssertionError("a frame came out after the decoder failed on " + error);
            }
            if (passOn) {
                ctx.fireChannelRead(msg); // the wire hands it to the connection's sink, which keeps it in frames
            } else {
                frames.add(b);
            }
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            errors++;
            if (error == null) {
                error = cause;
            }
            if (passOn) {
                ctx.fireExceptionCaught(cause); // the wire closes the channel
            } else {
                ctx.close();
            }
        }
    }

    /**
     * The stream cut by the header's length field, up to a bad length or a partial frame at the end; with the hello
     * decoder, after a hello (or refused at it).
     */
    private record Model(List<byte[]> frames, List<Integer> ends, Integer badLength, boolean greeted, boolean refusedHello) {
        static Model withHello(byte[] s, int maxBody) {
            if (s.length < Hello.BYTES) {
                return new Model(List.of(), List.of(), null, false, false);
            }
            boolean thisBuild = s[0] == 'L' && s[1] == 'G' && s[2] == 'O' && s[3] == 'S'
                    && ((s[4] & 0xFF) | (s[5] & 0xFF) << 8) == Protocol.VERSION;
            return thisBuild ? of(s, Hello.BYTES, maxBody) : new Model(List.of(), List.of(), null, false, true);
        }

        static Model of(byte[] stream, int from, int maxBody) {
            List<byte[]> frames = new ArrayList<>();
            List<Integer> ends = new ArrayList<>();
            int at = from;
            while (stream.length - at >= Frame.HEADER_BYTES) {
                int length = (stream[at] & 0xFF) | (stream[at + 1] & 0xFF) << 8 | (stream[at + 2] & 0xFF) << 16
                        | (stream[at + 3] & 0xFF) << 24;
                if (length < 0 || length > maxBody) {
                    return new Model(frames, ends, length, from > 0, false);
                }
                if (stream.length - at - Frame.HEADER_BYTES < length) {
                    break;
                }
                int end = at + Frame.HEADER_BYTES + length;
                frames.add(Arrays.copyOfRange(stream, at, end));
                ends.add(end);
                at = end;
            }
            return new Model(frames, ends, null, from > 0, false);
        }
    }

    private static String describe(byte[] input) {
        String h = HexFormat.of().formatHex(input);
        return "stream of " + (input.length - 1) + " bytes [" + (h.length() > 600 ? h.substring(0, 600) + "..." : h) + "]";
    }
}
