package org.legoos.net.protocol;

import static org.assertj.core.api.Assertions.fail;

import java.nio.ByteBuffer;
import java.util.HexFormat;
import java.util.function.Function;
import java.util.function.Supplier;

/** Feeding bodies to decoders the way the RPC layer does: decode, then insist on no trailing bytes. */
final class Bodies {
    private Bodies() {
    }

    static Message decodeWhole(Function<WireReader, ? extends Message> decoder, ByteBuffer body) {
        WireReader in = new WireReader(body);
        Message m = decoder.apply(in);
        in.expectEnd();
        return m;
    }

    /** Decodes ({@code what} names the case, built only on failure), accepting either a message or a {@link ProtocolException}; anything else fails the test. */
    static void decodesOrRefusesCleanly(Supplier<String> what, Function<WireReader, ? extends Message> decoder, ByteBuffer body) {
        try {
            decodeWhole(decoder, body);
        } catch (ProtocolException expected) {
            // the one allowed way to refuse
        } catch (Throwable t) {
            throw new AssertionError(what.get() + ": decoding " + hex(body) + " threw " + t + " instead of ProtocolException", t);
        }
    }

    /** Decoding must refuse with a {@link ProtocolException}. */
    static void refusedCleanly(Supplier<String> what, Function<WireReader, ? extends Message> decoder, ByteBuffer body) {
        Message m;
        try {
            m = decodeWhole(decoder, body);
        } catch (ProtocolException expected) {
            return;
        } catch (Throwable t) {
            throw new AssertionError(what.get() + ": decoding " + hex(body) + " threw " + t + " instead of ProtocolException", t);
        }
        fail(what.get() + ": decoding " + hex(body) + " should be refused but gave " + MessageSamples.describe(m));
    }

    static String hex(ByteBuffer b) {
        byte[] a = new byte[b.remaining()];
        b.duplicate().get(a);
        String h = HexFormat.of().formatHex(a);
        return a.length + " bytes [" + (h.length() > 400 ? h.substring(0, 400) + "..." : h) + "]";
    }

    static ByteBuffer copy(ByteBuffer b) {
        ByteBuffer c = ByteBuffer.allocate(b.remaining());
        c.put(b.duplicate()).flip();
        return c;
    }
}
