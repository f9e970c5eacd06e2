package org.legoos.net.protocol;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.legoos.net.protocol.gm.GmOp;
import org.legoos.net.protocol.m2s.M2sOp;
import org.legoos.net.protocol.p2m.P2mOp;
import org.legoos.net.protocol.p2m.PcacheMiss;
import org.legoos.net.protocol.p2s.P2sOp;
import org.legoos.net.protocol.pm.PmOp;

/** The opcode registry: one opcode per message type, codes by link, request/one-way kinds consistent. */
@Timeout(10)
class ProtocolRegistryTest {

    @Test
    void everyOpIsFoundByItsCodeAndByItsMessageType() {
        assertThat(Protocol.all()).isNotEmpty();
        for (Op op : Protocol.all()) {
            assertThat(Protocol.byCode(op.code())).isSameAs(op);
            assertThat(Protocol.of(op.requestType())).isSameAs(op);
        }
    }

    @Test
    void everyLinkEnumIsRegistered() {
        for (Op[] ops : new Op[][] {P2mOp.values(), P2sOp.values(), M2sOp.values(), GmOp.values(), PmOp.values()}) {
            assertThat(ops).isNotEmpty();
            assertThat(Protocol.all()).contains(ops);
        }
    }

    @Test
    void codeIsLinkIdThenNumberAndUnique() {
        Set<Integer> codes = new HashSet<>();
        Set<Class<?>> types = new HashSet<>();
        for (Op op : Protocol.all()) {
            assertThat(op.number()).isBetween(1, 255);
            assertThat(op.code() >> 8).isEqualTo(op.link().id);
            assertThat(op.code() & 0xFF).isEqualTo(op.number());
            assertThat(codes.add(op.code())).as("duplicate code of " + op.wireName()).isTrue();
            assertThat(types.add(op.requestType())).as("type with two opcodes: " + op.requestType()).isTrue();
        }
    }

    @Test
    void wireNamesAreThePaperStyleLinkAndOp() {
        assertThat(P2mOp.PCACHE_MISS.wireName()).isEqualTo("P2M_PCACHE_MISS");
        assertThat(M2sOp.READ.wireName()).isEqualTo("M2S_READ");
        assertThat(Protocol.of(PcacheMiss.class)).isSameAs(P2mOp.PCACHE_MISS);
        assertThat(Protocol.all().stream().map(Op::wireName).distinct().count()).isEqualTo(Protocol.all().size());
    }

    @Test
    void requestsHaveReplyDecodersAndOneWayMessagesDoNot() {
        for (Op op : Protocol.all()) {
            assertThat(op.requestType().isRecord()).as(op.wireName()).isTrue();
            assertThat(op.requestDecoder()).as(op.wireName()).isNotNull();
            boolean request = Request.class.isAssignableFrom(op.requestType());
            boolean oneWay = OneWay.class.isAssignableFrom(op.requestType());
            assertThat(request ^ oneWay).as(op.wireName() + " is exactly one of Request, OneWay").isTrue();
            assertThat(op.replyDecoder() != null).as(op.wireName() + " reply decoder").isEqualTo(request);
            if (request) {
                assertThat(MessageSamples.replyType(op)).isNotNull();
            }
        }
    }

    @Test
    void unknownCodesAndTypesAreRefused() {
        assertThat(Protocol.byCode(0)).isNull();
        assertThat(Protocol.byCode(-1)).isNull();
        assertThat(Protocol.byCode(1 << 16)).isNull();
        assertThat(Protocol.byCode(0xFFFF)).isNull();
        assertThat(Protocol.byCode(P2mOp.PCACHE_MISS.link().id << 8)).as("number 0 is never used").isNull();
        assertThatThrownBy(() -> Protocol.of(Ack.class)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("Ack");
    }
}
