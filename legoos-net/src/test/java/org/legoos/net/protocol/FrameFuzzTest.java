package org.legoos.net.protocol;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.function.Function;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Timeout;

/**
 * Coverage-guided fuzzing (Jazzer) of what a peer sends first on a connection: the {@link Hello} (the first
 * {@link Hello#BYTES} bytes of the input) and then one frame (the rest), checked by {@link Hello#check} and decoded
 * by {@link Frame#decode} and then, as {@code RpcNode} does, by the body decoder its opcode and flags name.
 *
 * <p>Properties, checked against a model of each layout written here from the javadoc:
 * <ul>
 *   <li>the hello is accepted exactly when it has the magic and this build's version, and is otherwise refused
 *       with a {@link ProtocolVersionException} naming the peer and both versions; the buffer is not moved;</li>
 *   <li>the frame is accepted exactly when it holds a whole header and a body of exactly the length the header
 *       gives, in [0, maxBodyBytes]; every header field is read as the layout says, the body is the bytes after the
 *       header, the caller's buffer is not moved, the same bytes at another buffer position decode alike, and the
 *       frame encodes back to the same bytes; otherwise it is refused with a {@link ProtocolException};</li>
 *   <li>the body of an accepted frame decodes or is refused with a {@link ProtocolException}, nothing else.</li>
 * </ul>
 *
 * <p>Without {@code JAZZER_FUZZ} this runs every input in {@code FrameFuzzTestInputs/helloThenFrame/} (test
 * resources) once, as a regression test. {@code scripts/fuzz} fuzzes it.
 */
class FrameFuzzTest {
    /** The receivers' limit in the default configuration is larger; a small one reaches "too long" with short inputs. */
    private static final int SMALL_MAX_BODY = 64;
    private static final int LARGE_MAX_BODY = 1 << 20;
    private static final String PEER = "10.0.0.7:7701";
    private static long inputs;
    private static long hellos;
    private static long frames;
    private static long bodies;

    @FuzzTest
    @Timeout(10)
    void helloThenFrame(byte[] input) {
        inputs++;
        int helloBytes = Math.min(Hello.BYTES, input.length);
        checkHello(ByteBuffer.wrap(input, 0, helloBytes));
        byte[] frame = Arrays.copyOfRange(input, helloBytes, input.length);
        Frame small = checkFrame(frame, SMALL_MAX_BODY);
        Frame large = checkFrame(frame, LARGE_MAX_BODY);
        if (small != null && large == null) {
            throw new AssertionError("a frame within " + SMALL_MAX_BODY + " bytes of body is refused with a larger limit");
        }
        if (large != null) {
            frames++;
            decodeBody(large);
        }
    }

    /** How much was tried: scripts/fuzz shows this line. */
    @AfterAll
    static void summary() {
        System.out.println("fuzz summary: FrameFuzzTest: " + inputs + " inputs, " + hellos + " hellos accepted, " + frames
                + " frames accepted, " + bodies + " bodies decoded to a message");
    }

    private static void checkHello(ByteBuffer hello) {
        if (Hello.BYTES == hello.remaining() && isThisBuildsHello(hello)) {
            hellos++;
        }
        int position = hello.position();
        int limit = hello.limit();
        ByteBuffer le = hello.duplicate().order(ByteOrder.LITTLE_ENDIAN);
        boolean magic = le.remaining() >= Hello.BYTES && le.get(position) == 'L' && le.get(position + 1) == 'G'
                && le.get(position + 2) == 'O' && le.get(position + 3) == 'S';
        int announced = magic ? Short.toUnsignedInt(le.getShort(position + 4)) : ProtocolVersionException.UNKNOWN;
        for (int local : new int[] {Protocol.VERSION, magic ? announced : Protocol.VERSION + 1}) {
            boolean accept = magic && announced == local;
            try {
                int version = Hello.check(hello, PEER, local);
                if (!accept) {
                    throw new AssertionError("hello " + FuzzCodecs.hex(hello) + " accepted by an end speaking " + local);
                }
                if (version != local) {
                    throw new AssertionError("hello " + FuzzCodecs.hex(hello) + " accepted as version " + version
                            + " by an end speaking " + local);
                }
            } catch (ProtocolVersionException e) {
                if (accept) {
                    throw new AssertionError("this build's hello " + FuzzCodecs.hex(hello) + " refused: " + e.getMessage(), e);
                }
                if (e.peerVersion() != announced || e.localVersion() != local || !e.getMessage().contains(PEER)
                        || !e.getMessage().contains("version " + local)
                        || (magic && !e.getMessage().contains("version " + announced))) {
                    throw new AssertionError("hello " + FuzzCodecs.hex(hello) + " refused with peer version "
                            + e.peerVersion() + ", local " + e.localVersion() + ": " + e.getMessage());
                }
            }
            if (hello.position() != position || hello.limit() != limit) {
                throw new AssertionError("Hello.check moved the buffer");
            }
        }
    }

    private static boolean isThisBuildsHello(ByteBuffer hello) {
        try {
            return Hello.check(hello, PEER) == Protocol.VERSION;
        } catch (ProtocolVersionException e) {
            return false;
        }
    }

    /** The frame Frame.decode makes of {@code bytes} with a body limit of {@code max}, checked; null if refused. */
    private static Frame checkFrame(byte[] bytes, int max) {
        // the model: the layout of Frame's javadoc, read byte by byte
        boolean valid = false;
        int length = 0;
        if (bytes.length >= Frame.HEADER_BYTES) {
            length = (int) le(bytes, 0, 4);
            valid = length >= 0 && length <= max && bytes.length - Frame.HEADER_BYTES == length;
        }
        ByteBuffer buf = ByteBuffer.wrap(bytes);
        Frame f;
        try {
            f = Frame.decode(buf, max);
        } catch (ProtocolException e) {
            if (valid) {
                throw new AssertionError("valid frame " + FuzzCodecs.hex(buf) + " refused: " + e.getMessage(), e);
            }
            if (e.getMessage() == null || e.getMessage().isBlank()) {
                throw new AssertionError("frame " + FuzzCodecs.hex(buf) + " refused without saying why", e);
            }
            return null;
        } catch (Throwable t) {
            throw new AssertionError("Frame.decode threw " + t + " instead of a ProtocolException on " + FuzzCodecs.hex(buf), t);
        }
        if (!valid) {
            throw new AssertionError("invalid frame " + FuzzCodecs.hex(buf) + " (limit " + max + ") accepted as " + f);
        }
        if (buf.position() != 0 || buf.limit() != bytes.length) {
            throw new AssertionError("Frame.decode moved the caller's buffer");
        }
        if (f.opcode() != le(bytes, 4, 2) || f.flags() != le(bytes, 6, 1) || f.status() != le(bytes, 7, 1)
                || f.sourceNode() != (int) le(bytes, 8, 4) || f.requestId() != le(bytes, 12, 8)
                || f.isReply() != ((bytes[6] & Frame.FLAG_REPLY) != 0) || f.isOneWay() != ((bytes[6] & Frame.FLAG_ONE_WAY) != 0)) {
            throw new AssertionError("header of " + FuzzCodecs.hex(buf) + " misread as " + f);
        }
        if (f.body().position() != 0 || f.body().remaining() != length
                || !f.body().equals(ByteBuffer.wrap(bytes, Frame.HEADER_BYTES, length))) {
            throw new AssertionError("body of " + FuzzCodecs.hex(buf) + " misread as " + FuzzCodecs.hex(f.body()));
        }
        // the same bytes in the middle of a larger buffer, as a stream transport may hand them over
        byte[] padded = new byte[bytes.length + 11];
        Arrays.fill(padded, (byte) 0xA5);
        System.arraycopy(bytes, 0, padded, 7, bytes.length);
        Frame shifted = Frame.decode(ByteBuffer.wrap(padded, 7, bytes.length), max);
        if (shifted.opcode() != f.opcode() || shifted.flags() != f.flags() || shifted.status() != f.status()
                || shifted.sourceNode() != f.sourceNode() || shifted.requestId() != f.requestId()
                || !shifted.body().equals(f.body())) {
            throw new AssertionError("frame " + FuzzCodecs.hex(buf) + " decodes otherwise at another buffer position: " + shifted);
        }
        ByteBuffer body = f.body();
        byte[] encoded = FuzzCodecs.bytes(Frame.encode(f.opcode(), f.flags(), f.status(), f.sourceNode(), f.requestId(),
                out -> out.putRaw(body.duplicate())));
        if (!Arrays.equals(encoded, bytes)) {
            throw new AssertionError("frame " + FuzzCodecs.hex(buf) + " encodes back to " + FuzzCodecs.hex(encoded, 0, encoded.length));
        }
        return f;
    }

    /** The body decoder RpcNode would use for this frame, and its contract. */
    private static void decodeBody(Frame f) {
        Op op = Protocol.byCode(f.opcode());
        if (op == null) {
            return; // answered UNKNOWN_OPCODE without reading the body
        }
        Function<WireReader, ? extends Message> decoder;
        if (!f.isReply()) {
            decoder = op.requestDecoder();
        } else if (f.status() != 0) {
            decoder = in -> new ErrorText(in.getString()); // an error reply's body
        } else {
            decoder = op.replyDecoder();
        }
        if (decoder == null) {
            return; // a reply to a one-way opcode: no call waits for it
        }
        try {
            FuzzCodecs.decodeWhole(decoder, f.body());
            bodies++;
        } catch (ProtocolException refused) {
            // the one allowed way to refuse
        } catch (Throwable t) {
            throw new AssertionError(op.wireName() + (f.isReply() ? " reply" : " request") + " body "
                    + FuzzCodecs.hex(f.body()) + " threw " + t + " instead of a ProtocolException", t);
        }
    }

    /** The body of an error reply as RpcNode's ErrorBody reads it: one string. */
    private record ErrorText(String message) implements Message {
        @Override
        public void encode(WireWriter out) {
            out.putString(message);
        }
    }

    /** The unsigned little-endian value of {@code n} bytes at {@code at}. */
    private static long le(byte[] b, int at, int n) {
        long v = 0;
        for (int i = n - 1; i >= 0; i--) {
            v = v << 8 | Byte.toUnsignedLong(b[at + i]);
        }
        return v;
    }
}
