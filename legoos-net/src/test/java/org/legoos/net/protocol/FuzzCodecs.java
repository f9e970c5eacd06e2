package org.legoos.net.protocol;

import java.lang.management.ManagementFactory;
import java.nio.ByteBuffer;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * What the protocol fuzz tests share: which decoder an input is for, how a receiver decodes a body, and a meter
 * of the bytes a decode allocates.
 *
 * <p>The input of {@link MessageCodecFuzzTest} names its decoder in three bytes before the body: the opcode's
 * 16-bit wire code (little-endian, as in a frame header) and a kind byte whose bit 0 asks for the reply decoder.
 * A code no link registers picks an opcode by its value, so no input is wasted.
 */
public final class FuzzCodecs {
    /** Bytes before the body in a {@link MessageCodecFuzzTest} input. */
    public static final int SELECTOR_BYTES = 3;
    /** Every registered opcode, by wire code. */
    static final List<Op> OPS = Protocol.all().stream().sorted(Comparator.comparingInt(Op::code)).toList();

    private static final com.sun.management.ThreadMXBean THREADS =
            (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();

    private FuzzCodecs() {
    }

    /** One decoder: the request or the reply decoder of an opcode. */
    public record Decoder(Op op, boolean reply) {
        public Function<WireReader, ? extends Message> function() {
            return reply ? op.replyDecoder() : op.requestDecoder();
        }

        /** The message type this decoder must return. */
        public Class<? extends Message> type() {
            return reply ? MessageSamples.replyType(op) : op.requestType();
        }

        @Override
        public String toString() {
            return op.wireName() + (reply ? " reply" : " request");
        }
    }

    /** The decoder the first {@link #SELECTOR_BYTES} bytes of {@code input} name (at least that many bytes). */
    public static Decoder select(byte[] input) {
        int code = Byte.toUnsignedInt(input[0]) | Byte.toUnsignedInt(input[1]) << 8;
        Op op = Protocol.byCode(code);
        if (op == null) {
            op = OPS.get(code % OPS.size());
        }
        boolean reply = (input[2] & 1) != 0 && op.replyDecoder() != null;
        return new Decoder(op, reply);
    }

    /** The selector bytes of {@code d}, for seeds. */
    public static byte[] selector(Decoder d) {
        int code = d.op().code();
        return new byte[] {(byte) code, (byte) (code >>> 8), (byte) (d.reply() ? 1 : 0)};
    }

    /** Decodes a whole body as a receiver does (RpcNode): the decoder, then no trailing bytes allowed. */
    public static Message decodeWhole(Function<WireReader, ? extends Message> decoder, ByteBuffer body) {
        WireReader in = new WireReader(body);
        Message m = decoder.apply(in);
        in.expectEnd();
        return m;
    }

    /** The encoded body of {@code m} (no header), position 0. */
    public static ByteBuffer encode(Message m) {
        WireWriter w = new WireWriter(64);
        m.encode(w);
        return w.finish();
    }

    /** Bytes allocated by this thread so far. */
    public static long allocatedBytes() {
        return THREADS.getCurrentThreadAllocatedBytes();
    }

    /**
     * Runs {@code action} and returns its result; fails if it allocated more than {@code limit} bytes, and did so
     * again when run a second time (the first run of a path may load classes, which allocates too).
     */
    public static <T> T allocatingAtMost(long limit, Supplier<String> what, Supplier<T> action) {
        long before = allocatedBytes();
        T result = action.get();
        long allocated = allocatedBytes() - before;
        if (allocated > limit) {
            before = allocatedBytes();
            action.get();
            long again = allocatedBytes() - before;
            if (again > limit) {
                throw new AssertionError(what.get() + " allocated " + allocated + " then " + again
                        + " bytes, over the bound of " + limit);
            }
        }
        return result;
    }

    public static String hex(byte[] a, int off, int len) {
        String h = HexFormat.of().formatHex(a, off, off + len);
        return len + " bytes [" + (h.length() > 600 ? h.substring(0, 600) + "..." : h) + "]";
    }

    public static String hex(ByteBuffer b) {
        byte[] a = new byte[b.remaining()];
        b.duplicate().get(a);
        return hex(a, 0, a.length);
    }

    public static byte[] bytes(ByteBuffer b) {
        byte[] a = new byte[b.remaining()];
        b.duplicate().get(a);
        return a;
    }
}
