package org.legoos.memory;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.ByteBuffer;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.legoos.net.protocol.Link;
import org.legoos.net.protocol.Message;
import org.legoos.net.protocol.Op;
import org.legoos.net.protocol.Protocol;
import org.legoos.net.protocol.ProtocolException;
import org.legoos.net.protocol.WireReader;
import org.legoos.net.protocol.WireWriter;
import org.legoos.net.protocol.m2m.M2mOp;
import org.legoos.net.protocol.m2m.OwnerDestroy;
import org.legoos.net.protocol.m2m.OwnerMap;
import org.legoos.net.protocol.m2m.OwnerMovePages;
import org.legoos.net.protocol.m2m.OwnerReadPages;
import org.legoos.net.protocol.m2m.OwnerUnmap;
import org.legoos.net.protocol.m2m.OwnerWritePages;
import org.legoos.net.protocol.m2m.PageSet;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The M2M link's messages survive encoding and decoding, and truncated bodies are refused. */
@Timeout(value = 10, unit = TimeUnit.SECONDS)
class M2mMessagesTest {
    private static Message roundTrip(Message m, java.util.function.Function<WireReader, ? extends Message> decoder) {
        WireWriter w = new WireWriter(64);
        m.encode(w);
        WireReader r = new WireReader(w.finish());
        Message back = decoder.apply(r);
        r.expectEnd();
        return back;
    }

    @Test
    void everyRequestRoundTripsAndIsRegisteredOnTheM2mLink() {
        List<Message> requests = List.of(new OwnerMap(1, 7, 0x1000, 0x2000, 3), new OwnerUnmap(1, 0x1000, 0x1000),
                new OwnerMovePages(1, 0x1000, 0x9000, 0x2000), new OwnerReadPages(1, 0x1000, 0x4000, 256),
                new OwnerDestroy(1));
        for (Message m : requests) {
            Op op = Protocol.of(m.getClass());
            assertThat(op.link()).isEqualTo(Link.M2M);
            assertThat(op).isInstanceOf(M2mOp.class);
            assertThat(roundTrip(m, op.requestDecoder())).isEqualTo(m);
        }
    }

    @Test
    void pageCarryingMessagesKeepTheirBytes() {
        byte[] data = new byte[8192];
        data[0] = 1;
        data[8191] = 2;
        OwnerWritePages w = (OwnerWritePages) roundTrip(new OwnerWritePages(3, new long[] {0x1000, 0x5000}, ByteBuffer.wrap(data)),
                M2mOp.WRITE_PAGES.requestDecoder());
        assertThat(w.vaddrs()).containsExactly(0x1000, 0x5000);
        assertThat(w.data().remaining()).isEqualTo(8192);
        assertThat(w.data().get(8191)).isEqualTo((byte) 2);
        PageSet s = (PageSet) roundTrip(new PageSet(0x9000, new long[] {0x1000}, ByteBuffer.wrap(data, 0, 4096)),
                M2mOp.READ_PAGES.replyDecoder());
        assertThat(s.next()).isEqualTo(0x9000);
        assertThat(s.data().remaining()).isEqualTo(4096);
        assertThat(s.data().get(0)).isEqualTo((byte) 1);
    }

    @Test
    void truncatedBodiesAreProtocolErrors() {
        WireWriter w = new WireWriter(64);
        new OwnerMap(1, 7, 0x1000, 0x2000, 3).encode(w);
        ByteBuffer b = w.finish();
        b.limit(b.limit() - 2);
        assertThatThrownBy(() -> OwnerMap.decode(new WireReader(b))).isInstanceOf(ProtocolException.class);
    }
}
