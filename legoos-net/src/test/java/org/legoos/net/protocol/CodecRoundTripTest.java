package org.legoos.net.protocol;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import java.util.List;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;
import org.legoos.net.PropertyTimeout;
import org.legoos.net.protocol.MessageSamples.Sample;

/**
 * Every registered opcode's request and reply survive encode, {@link Frame#decode} and the opcode's own
 * decoder unchanged, without sockets. Messages are generated from the record components, so new opcodes are
 * covered as soon as they are registered. Each try covers every opcode once.
 */
class CodecRoundTripTest {
    private static final int MAX_BODY = 1 << 20;

    @Provide
    Arbitrary<List<Sample>> everyOp() {
        return MessageSamples.everyOp();
    }

    @Property(tries = 200)
    @PropertyTimeout(seconds = 30)
    void everyMessageOfEveryOpRoundTripsThroughAFrame(@ForAll("everyOp") List<Sample> samples, @ForAll int source,
                                                      @ForAll long requestId, @ForAll @IntRange(max = 255) int status,
                                                      @ForAll @IntRange(max = 13) int offset) {
        for (Sample s : samples) {
            String before = MessageSamples.describe(s.message());
            int flags = s.reply() ? Frame.FLAG_REPLY : s.op().replyDecoder() == null ? Frame.FLAG_ONE_WAY : 0;
            ByteBuffer wire = Frame.encode(s.op().code(), flags, s.reply() ? status : 0, source, requestId, s.message());
            // received at an arbitrary position of a larger buffer, as a stream transport may hand it over
            ByteBuffer received = ByteBuffer.allocate(offset + wire.remaining() + 5);
            received.position(offset).put(wire.duplicate()).limit(offset + wire.remaining()).position(offset);

            Frame f = Frame.decode(received, MAX_BODY);

            assertThat(received.position()).as("decode must not move the caller's buffer").isEqualTo(offset);
            assertThat(f.opcode()).as(s::toString).isEqualTo(s.op().code());
            assertThat(f.flags()).isEqualTo(flags);
            assertThat(f.isReply()).isEqualTo(s.reply());
            assertThat(f.isOneWay()).isEqualTo(flags == Frame.FLAG_ONE_WAY);
            assertThat(f.status()).isEqualTo(s.reply() ? status : 0);
            assertThat(f.sourceNode()).isEqualTo(source);
            assertThat(f.requestId()).isEqualTo(requestId);
            assertThat(Frame.peekBodyLength(wire)).isEqualTo(f.body().remaining());

            Message back = Bodies.decodeWhole(s.decoder(), f.body());

            assertThat(MessageSamples.difference(s.message(), back)).as(s::toString).isNull();
            assertThat(MessageSamples.describe(s.message())).as(() -> "encode must not consume the buffers of " + s)
                    .isEqualTo(before);
            assertThat(new Sample(s.op(), s.reply(), back).body()).as(() -> "re-encoding the decoded " + s)
                    .isEqualTo(s.body());
        }
    }
}
