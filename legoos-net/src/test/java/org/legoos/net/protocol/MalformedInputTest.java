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
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Size;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.legoos.net.PropertyTimeout;
import org.legoos.net.protocol.MessageSamples.Sample;
import org.legoos.net.protocol.gm.MemberList;

/**
 * Bad input straight into {@link Frame#decode} and every opcode's decoders: truncated, lying lengths and
 * counts, invalid UTF-8, bad booleans, trailing garbage, random garbage. The only way to refuse is a
 * {@link ProtocolException}: never an out-of-bounds access, a buffer underflow, a negative array size or a
 * huge allocation, because a monitor must survive whatever a peer sends.
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

    @Provide
    Arbitrary<List<Sample>> everyOp() {
        return MessageSamples.everyOp();
    }

    /** Truncated at every byte offset: the body alone into the decoder, and the whole frame into Frame.decode. */
    @Property(tries = 40)
    @PropertyTimeout(seconds = 30)
    void everyStrictPrefixIsRefused(@ForAll("everyOp") List<Sample> samples) {
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

    @Property(tries = 50)
    @PropertyTimeout(seconds = 20)
    void trailingBytesAreRefused(@ForAll("everyOp") List<Sample> samples, @ForAll @Size(min = 1, max = 9) byte[] extra) {
        for (Sample s : samples) {
            ByteBuffer body = s.body();
            ByteBuffer longer = ByteBuffer.allocate(body.remaining() + extra.length).put(body).put(extra).flip();
            refusedCleanly(() -> s + " with " + extra.length + " trailing bytes", s.decoder(), longer);
        }
    }

    /** Overwrites every 4-byte window with a lying length or count: negative, over the limit, huge. */
    @Property(tries = 25)
    @PropertyTimeout(seconds = 30)
    void lyingLengthsAndCountsAreRefusedCleanly(@ForAll("everyOp") List<Sample> samples) {
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
    @Property(tries = 25)
    @PropertyTimeout(seconds = 30)
    void corruptBytesAreRefusedCleanly(@ForAll("everyOp") List<Sample> samples) {
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

    @Property(tries = 800)
    @PropertyTimeout(seconds = 30)
    void randomGarbageBodiesAreRefusedCleanly(@ForAll @Size(max = 160) byte[] garbage) {
        for (Decoder d : decoders()) {
            decodesOrRefusesCleanly(() -> d.name(), d.decode(), ByteBuffer.wrap(garbage));
        }
    }

    /** Garbage that starts with a small plausible count or length, so decoders get past their first field. */
    @Property(tries = 600)
    @PropertyTimeout(seconds = 30)
    void garbageAfterPlausibleFieldsIsRefusedCleanly(@ForAll @IntRange(max = 40) int count,
                                                     @ForAll @Size(max = 12) List<@IntRange(max = 24) Integer> lengths,
                                                     @ForAll @Size(max = 120) byte[] garbage) {
        ByteBuffer b = ByteBuffer.allocate(4 + 4 * lengths.size() + garbage.length).order(ByteOrder.LITTLE_ENDIAN);
        b.putInt(count);
        lengths.forEach(b::putInt);
        b.put(garbage).flip();
        for (Decoder d : decoders()) {
            decodesOrRefusesCleanly(() -> d.name(), d.decode(), b.duplicate());
        }
    }

    @Property(tries = 2000)
    @PropertyTimeout(seconds = 20)
    void randomGarbageFramesAreRefusedCleanly(@ForAll @Size(max = 64) byte[] garbage,
                                              @ForAll @IntRange(min = 1024, max = 1 << 20) int maxBody) {
        try {
            Frame f = Frame.decode(ByteBuffer.wrap(garbage), maxBody);
            assertThat(f.body().remaining()).isEqualTo(garbage.length - Frame.HEADER_BYTES);
        } catch (ProtocolException expected) {
            // refused
        }
    }

    @Property(tries = 2000)
    @PropertyTimeout(seconds = 20)
    void headersWithLyingBodyLengthsAreRefused(@ForAll int length, @ForAll @IntRange(max = 64) int bodyBytes) {
        ByteBuffer b = ByteBuffer.allocate(Frame.HEADER_BYTES + bodyBytes).order(ByteOrder.LITTLE_ENDIAN);
        b.putInt(0, length);
        if (length == bodyBytes) {
            assertThat(Frame.decode(b, 1024).body().remaining()).isEqualTo(bodyBytes);
        } else {
            assertThatThrownBy(() -> Frame.decode(b, 1024)).isInstanceOf(ProtocolException.class);
        }
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
