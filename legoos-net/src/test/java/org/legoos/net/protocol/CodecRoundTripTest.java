package org.legoos.net.protocol;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.legoos.net.Tries;
import org.legoos.net.protocol.MessageSamples.Sample;

/**
 * Every registered opcode's request and reply survive encode, {@link Frame#decode} and the opcode's own
 * decoder unchanged, without sockets. Messages are generated from the record components, so new opcodes are
 * covered as soon as they are registered. Each of the 200 seeded tries covers every opcode once.
 */
class CodecRoundTripTest {
    private static final int MAX_BODY = 1 << 20;

    @Test
    @Timeout(value = 30, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    void everyMessageOfEveryOpRoundTripsThroughAFrame() {
        Tries.forAll(200, g -> {
            List<Sample> samples = g.given("samples", MessageSamples.everyOp(g));
            int source = g.given("source", g.anyInt());
            long requestId = g.given("requestId", g.anyLong());
            int status = g.given("status", g.between(0, 255));
            int offset = g.given("offset", g.between(0, 13));
            roundTrip(samples, source, requestId, status, offset);
        });
    }

    private static void roundTrip(List<Sample> samples, int source, long requestId, int status, int offset) {
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
