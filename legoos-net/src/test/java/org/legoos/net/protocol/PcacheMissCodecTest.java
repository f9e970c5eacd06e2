package org.legoos.net.protocol;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.legoos.net.protocol.p2m.P2mOp;
import org.legoos.net.protocol.p2m.PcacheMiss;

/** {@code P2M_PCACHE_MISS} with a stride (batched prefetch) through its codec, and its consecutive default. */
@Timeout(10)
class PcacheMissCodecTest {
    private static PcacheMiss roundTrip(PcacheMiss q) {
        WireWriter w = new WireWriter(16);
        q.encode(w);
        return (PcacheMiss) Bodies.decodeWhole(P2mOp.PCACHE_MISS.requestDecoder(), w.finish());
    }

    @Test
    void strideSurvivesTheWireInBothDirections() {
        ByteBuffer victim = ByteBuffer.allocate(4096);
        victim.putLong(0, 0x1122_3344_5566_7788L);
        for (long stride : new long[] {4096, 2 * 4096, -4096, -40 * 4096, 1L << 47, -(1L << 47)}) {
            PcacheMiss back = roundTrip(new PcacheMiss(77, 0x7f00_0000_0000L, 17, 0x7f00_1000_0000L, victim.duplicate(), stride));
            assertThat(back.strideBytes()).isEqualTo(stride);
            assertThat(back.pid()).isEqualTo(77);
            assertThat(back.vaddr()).isEqualTo(0x7f00_0000_0000L);
            assertThat(back.pages()).isEqualTo(17);
            assertThat(back.victimVaddr()).isEqualTo(0x7f00_1000_0000L);
            assertThat(back.victim()).isEqualTo(victim.duplicate());
        }
    }

    @Test
    void withoutAStridePagesAreConsecutive() {
        PcacheMiss q = new PcacheMiss(1, 0x1000, 4, 0, ByteBuffer.allocate(0));
        assertThat(q.strideBytes()).isEqualTo(PcacheMiss.CONSECUTIVE).isEqualTo(4096);
        assertThat(roundTrip(q).strideBytes()).isEqualTo(4096);
    }
}
