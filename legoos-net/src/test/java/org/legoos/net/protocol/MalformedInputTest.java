package org.legoos.net.protocol;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.legoos.net.protocol.Bodies.decodesOrRefusesCleanly;
import static org.legoos.net.protocol.Bodies.refusedCleanly;

import java.lang.management.ManagementFactory;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.Timeout.ThreadMode;
import org.legoos.net.Tries;
import org.legoos.net.protocol.MessageSamples.Sample;
import org.legoos.net.protocol.gm.MemberList;

/**
 * Bad input straight into {@link Frame#decode} and every opcode's decoders: truncated, lying lengths and
 * counts, invalid UTF-8, bad booleans, trailing garbage, random garbage. The only way to refuse is a
 * {@link ProtocolException}: never an out-of-bounds access, a buffer underflow, a negative array size or a
 * huge allocation, because a monitor must survive whatever a peer sends. The properties run seeded tries
 * ({@link Tries}): a failure prints the seed that replays it.
 */
class MalformedInputTest {
    private static final int MAX_BODY = 1 << 20;
    private static final int[] LYING_INTS = {-1, -4, Integer.MIN_VALUE, Integer.MAX_VALUE, Integer.MAX_VALUE - 3,
            1 << 30, (1 << 30) + 1, (1 << 20) + 1, 0x7FFF_FFF0, 65_536};
    private static final int[] BAD_BYTES = {0xFF, 0x80, 0xC0, 0xED, 0x02, 0x7F};

    /** Every decoder of every registered opcode. */
    private record Decoder(String name, Function<WireReader, ? extends Message> decode) {
    }

    private static List<Decoder> decoders() {
        List<Decoder> all = new ArrayList<>();
        for (Op op : Protocol.all()) {
            all.add(new Decoder(op.wireName() + " request", op.requestDecoder()));
            if (op.replyDecoder() != null) {
                all.add(new Decoder(op.wireName() + " reply", op.replyDecoder()));
            }
        }
        return all;
    }

    /** Truncated at every byte offset: the body alone into the decoder, and the whole frame into Frame.decode. */
    @Test
    @Timeout(value = 30, threadMode = ThreadMode.SEPARATE_THREAD)
    void everyStrictPrefixIsRefused() {
        Tries.forAll(40, g -> everyStrictPrefixIsRefused(g.given("samples", MessageSamples.everyOp(g))));
    }

    private static void everyStrictPrefixIsRefused(List<Sample> samples) {
        for (Sample s : samples) {
            ByteBuffer body = s.body();
            for (int n = 0; n < body.remaining(); n++) {
                int cut = n;
                refusedCleanly(() -> s + " cut at " + cut, s.decoder(), body.slice(0, n));
            }
            ByteBuffer wire = Frame.encode(s.op().code(), 0, 0, 1, 2, s.message());
            for (int n = 0; n < wire.remaining(); n++) {
                ByteBuffer cut = wire.slice(0, n);
                int at = n;
                assertThatThrownBy(() -> Frame.decode(cut, MAX_BODY)).as(() -> s + " cut at " + at)
                        .isInstanceOf(ProtocolException.class);
            }
        }
    }

    @Test
    @Timeout(value = 20, threadMode = ThreadMode.SEPARATE_THREAD)
    void trailingBytesAreRefused() {
        Tries.forAll(50, g -> {
            List<Sample> samples = g.given("samples", MessageSamples.everyOp(g));
            byte[] extra = g.given("extra", g.bytes(1, 9));
            for (Sample s : samples) {
                ByteBuffer body = s.body();
                ByteBuffer longer = ByteBuffer.allocate(body.remaining() + extra.length).put(body).put(extra).flip();
                refusedCleanly(() -> s + " with " + extra.length + " trailing bytes", s.decoder(), longer);
            }
        });
    }

    /** Overwrites every 4-byte window with a lying length or count: negative, over the limit, huge. */
    @Test
    @Timeout(value = 30, threadMode = ThreadMode.SEPARATE_THREAD)
    void lyingLengthsAndCountsAreRefusedCleanly() {
        Tries.forAll(25, g -> lyingLengthsAndCountsAreRefusedCleanly(g.given("samples", MessageSamples.everyOp(g))));
    }

    private static void lyingLengthsAndCountsAreRefusedCleanly(List<Sample> samples) {
        for (Sample s : samples) {
            ByteBuffer body = s.body();
            int n = body.remaining();
            for (int at = 0; at + 4 <= n; at++) {
                for (int lie : withSizes(n - at)) {
                    ByteBuffer bad = Bodies.copy(body).order(ByteOrder.LITTLE_ENDIAN);
                    bad.putInt(at, lie);
                    int where = at;
                    decodesOrRefusesCleanly(() -> s + " with " + lie + " at " + where, s.decoder(), bad);
                }
            }
        }
    }

    private static int[] withSizes(int left) {
        int[] all = java.util.Arrays.copyOf(LYING_INTS, LYING_INTS.length + 3);
        all[LYING_INTS.length] = left;          // one more than what follows the count itself
        all[LYING_INTS.length + 1] = left - 3;  // exactly what follows
        all[LYING_INTS.length + 2] = left / 8;  // plausible element count
        return all;
    }

    /** Bytes that are invalid UTF-8 lead bytes, surrogate halves, or impossible booleans, at every offset. */
    @Test
    @Timeout(value = 30, threadMode = ThreadMode.SEPARATE_THREAD)
    void corruptBytesAreRefusedCleanly() {
        Tries.forAll(25, g -> corruptBytesAreRefusedCleanly(g.given("samples", MessageSamples.everyOp(g))));
    }

    private static void corruptBytesAreRefusedCleanly(List<Sample> samples) {
        for (Sample s : samples) {
            ByteBuffer body = s.body();
            for (int at = 0; at < body.remaining(); at++) {
                for (int v : BAD_BYTES) {
                    ByteBuffer bad = Bodies.copy(body);
                    bad.put(at, (byte) v);
                    int where = at;
                    decodesOrRefusesCleanly(() -> s + " with 0x" + Integer.toHexString(v) + " at " + where, s.decoder(), bad);
                }
            }
        }
    }

    @Test
    @Timeout(value = 30, threadMode = ThreadMode.SEPARATE_THREAD)
    void randomGarbageBodiesAreRefusedCleanly() {
        List<Decoder> decoders = decoders();
        Tries.forAll(800, g -> {
            byte[] garbage = g.given("garbage", g.bytes(0, 160));
            for (Decoder d : decoders) {
                decodesOrRefusesCleanly(() -> d.name(), d.decode(), ByteBuffer.wrap(garbage));
            }
        });
    }

    /** Garbage that starts with a small plausible count or length, so decoders get past their first field. */
    @Test
    @Timeout(value = 30, threadMode = ThreadMode.SEPARATE_THREAD)
    void garbageAfterPlausibleFieldsIsRefusedCleanly() {
        List<Decoder> decoders = decoders();
        Tries.forAll(600, g -> {
            int count = g.given("count", g.between(0, 40));
            List<Integer> lengths = g.given("lengths", g.list(0, 12, () -> g.between(0, 24)));
            byte[] garbage = g.given("garbage", g.bytes(0, 120));
            ByteBuffer b = ByteBuffer.allocate(4 + 4 * lengths.size() + garbage.length).order(ByteOrder.LITTLE_ENDIAN);
            b.putInt(count);
            lengths.forEach(b::putInt);
            b.put(garbage).flip();
            for (Decoder d : decoders) {
                decodesOrRefusesCleanly(() -> d.name(), d.decode(), b.duplicate());
            }
        });
    }

    @Test
    @Timeout(value = 20, threadMode = ThreadMode.SEPARATE_THREAD)
    void randomGarbageFramesAreRefusedCleanly() {
        Tries.forAll(2000, g -> {
            byte[] garbage = g.given("garbage", g.bytes(0, 64));
            int maxBody = g.given("maxBody", g.between(1024, 1 << 20));
            if (garbage.length >= Frame.HEADER_BYTES && g.oneIn(4)) {
                // a length field that matches what follows, so some garbage frames are accepted too
                ByteBuffer.wrap(garbage).order(ByteOrder.LITTLE_ENDIAN).putInt(0, garbage.length - Frame.HEADER_BYTES);
            }
            try {
                Frame f = Frame.decode(ByteBuffer.wrap(garbage), maxBody);
                assertThat(f.body().remaining()).isEqualTo(garbage.length - Frame.HEADER_BYTES);
            } catch (ProtocolException expected) {
                // refused
            }
        });
    }

    @Test
    @Timeout(value = 20, threadMode = ThreadMode.SEPARATE_THREAD)
    void headersWithLyingBodyLengthsAreRefused() {
        Tries.forAll(2000, g -> {
            int bodyBytes = g.given("bodyBytes", g.between(0, 64));
            // off by a little from the truth as often as wildly wrong
            int length = g.given("length", g.oneIn(2) ? g.anyInt() : bodyBytes + g.between(-2, 2));
            ByteBuffer b = ByteBuffer.allocate(Frame.HEADER_BYTES + bodyBytes).order(ByteOrder.LITTLE_ENDIAN);
            b.putInt(0, length);
            if (length == bodyBytes) {
                assertThat(Frame.decode(b, 1024).body().remaining()).isEqualTo(bodyBytes);
            } else {
                assertThatThrownBy(() -> Frame.decode(b, 1024)).isInstanceOf(ProtocolException.class);
            }
        });
    }

    @Test
    @Timeout(10)
    void bodyLengthOverTheLimitIsRefusedEvenWhenTheBytesAreThere() {
        ByteBuffer b = ByteBuffer.allocate(Frame.HEADER_BYTES + 1025).order(ByteOrder.LITTLE_ENDIAN);
        b.putInt(0, 1025);
        assertThatThrownBy(() -> Frame.decode(b, 1024)).isInstanceOf(ProtocolException.class)
                .hasMessageContaining("1025");
        assertThat(Frame.decode(b, 1025).body().remaining()).isEqualTo(1025);
    }

    /**
     * A list count that fits in the body but is far larger than the elements it could hold must not make the
     * decoder allocate for the count: a 1 MiB body claiming a million members is refused at the first member.
     */
    @Test
    @Timeout(10)
    void lyingListCountAllocatesLittle() {
        int size = 1 << 20;
        ByteBuffer body = ByteBuffer.allocate(size).order(ByteOrder.LITTLE_ENDIAN);
        body.putInt(0, size - 4);
        for (int i = 4; i < size; i++) {
            body.put(i, (byte) 0xFF); // the first member's role has length -1
        }
        var threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        Bodies.refusedCleanly(() -> "warm-up", MemberList::decode, body.duplicate());
        long before = threads.getCurrentThreadAllocatedBytes();
        Bodies.refusedCleanly(() -> "member list", MemberList::decode, body.duplicate());
        long allocated = threads.getCurrentThreadAllocatedBytes() - before;
        assertThat(allocated).as("bytes allocated refusing a lying count").isLessThan(64 * 1024);
    }

    @Test
    @Timeout(value = 10, unit = TimeUnit.SECONDS)
    void everyDecoderRefusesAnEmptyBodyOrDecodesAnEmptyMessage() {
        for (Op op : Protocol.all()) {
            for (var d : java.util.Arrays.asList(op.requestDecoder(), op.replyDecoder())) {
                if (d != null) {
                    decodesOrRefusesCleanly(() -> op.wireName(), d, ByteBuffer.allocate(0));
                }
            }
        }
    }
}
