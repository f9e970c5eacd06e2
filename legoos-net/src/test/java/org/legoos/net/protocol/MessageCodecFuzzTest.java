package org.legoos.net.protocol;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.nio.ByteBuffer;
import java.util.Arrays;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Timeout;
import org.legoos.net.protocol.FuzzCodecs.Decoder;

/**
 * Coverage-guided fuzzing (Jazzer) of every message codec, as a receiver meets it: any bytes a peer sends as the
 * body of any opcode's request or reply. An input is three selector bytes ({@link FuzzCodecs#select}: wire code and
 * request/reply) and then the body.
 *
 * <p>Properties, for every input:
 * <ul>
 *   <li>the decoder returns a message of its opcode's type, or refuses with a {@link ProtocolException} that says
 *       why; never another exception or error (an out-of-bounds access, a buffer underflow, a negative array size,
 *       a record's compact constructor refusing, a stack overflow, running out of memory);</li>
 *   <li>decoding allocates at most a small multiple of the body ({@link #ALLOCATION_SLACK} plus
 *       {@link #ALLOCATION_PER_BYTE} bytes per body byte), whatever a count or length field claims;</li>
 *   <li>a body that decodes is exactly the encoding of the message it decodes to, and that message encoded and
 *       decoded again is equal to it (round trip).</li>
 * </ul>
 * A hang is caught by the timeout (libFuzzer's per-input timeout when fuzzing).
 *
 * <p>Without {@code JAZZER_FUZZ} this runs every input in {@code MessageCodecFuzzTestInputs/decodeBody/} (test
 * resources) once, as a regression test: a valid body of every opcode's request and reply ({@link FuzzSeeds}) and
 * the inputs that found the defects fixed so far. {@code scripts/fuzz} fuzzes it.
 */
class MessageCodecFuzzTest {
    /** Bytes any decode may allocate whatever its input (a list's first 1024 slots, a decoder's buffers). */
    static final long ALLOCATION_SLACK = 64 * 1024;
    /** Bytes a decode may allocate per body byte (strings decode to chars and then to a String). */
    static final long ALLOCATION_PER_BYTE = 16;
    private static long inputs;
    private static long decoded;

    @FuzzTest
    @Timeout(10)
    void decodeBody(byte[] input) {
        inputs++;
        if (input.length < FuzzCodecs.SELECTOR_BYTES) {
            return;
        }
        Decoder d = FuzzCodecs.select(input);
        int bodyLength = input.length - FuzzCodecs.SELECTOR_BYTES;
        // the body at a non-zero position of a larger array, as a receiver's frame buffer holds it
        ByteBuffer body = ByteBuffer.wrap(input, FuzzCodecs.SELECTOR_BYTES, bodyLength).asReadOnlyBuffer();

        Message m = FuzzCodecs.allocatingAtMost(ALLOCATION_SLACK + ALLOCATION_PER_BYTE * bodyLength,
                () -> "decoding " + d + " from " + FuzzCodecs.hex(body), () -> decodeOrRefuse(d, body));
        if (m != null) {
            decoded++;
            roundTrip(d, m, body);
        }
    }

    /** How much was tried: scripts/fuzz shows this line. */
    @AfterAll
    static void summary() {
        System.out.println("fuzz summary: MessageCodecFuzzTest: " + inputs + " inputs, " + decoded
                + " decoded to a message, the others refused");
    }

    /** The decoded message, or null if the decoder refused the body as it may: with a ProtocolException. */
    private static Message decodeOrRefuse(Decoder d, ByteBuffer body) {
        Message m;
        try {
            m = FuzzCodecs.decodeWhole(d.function(), body.duplicate());
        } catch (ProtocolException refused) {
            if (refused.getMessage() == null || refused.getMessage().isBlank()) {
                throw new AssertionError(d + " refused " + FuzzCodecs.hex(body) + " without saying why", refused);
            }
            return null;
        } catch (Throwable t) {
            throw new AssertionError(d + " threw " + t + " instead of a ProtocolException on " + FuzzCodecs.hex(body), t);
        }
        if (m == null || m.getClass() != d.type()) {
            throw new AssertionError(d + " decoded " + FuzzCodecs.hex(body) + " to "
                    + (m == null ? "null" : m.getClass().getName()) + ", not a " + d.type().getName());
        }
        return m;
    }

    private static void roundTrip(Decoder d, Message m, ByteBuffer body) {
        byte[] received = FuzzCodecs.bytes(body);
        byte[] encoded;
        try {
            encoded = FuzzCodecs.bytes(FuzzCodecs.encode(m));
        } catch (Throwable t) {
            throw new AssertionError(d + ": the message decoded from " + FuzzCodecs.hex(body) + " cannot be encoded: "
                    + MessageSamples.describe(m), t);
        }
        if (!Arrays.equals(received, encoded)) {
            throw new AssertionError(d + ": " + FuzzCodecs.hex(body) + " decodes to " + MessageSamples.describe(m)
                    + ", which encodes to other bytes: " + FuzzCodecs.hex(encoded, 0, encoded.length));
        }
        Message again;
        try {
            again = FuzzCodecs.decodeWhole(d.function(), ByteBuffer.wrap(encoded));
        } catch (Throwable t) {
            throw new AssertionError(d + ": the encoding of " + MessageSamples.describe(m) + " does not decode", t);
        }
        String difference = MessageSamples.difference(m, again);
        if (difference != null) {
            throw new AssertionError(d + ": " + MessageSamples.describe(m) + " encoded and decoded again differs at "
                    + difference);
        }
    }
}
