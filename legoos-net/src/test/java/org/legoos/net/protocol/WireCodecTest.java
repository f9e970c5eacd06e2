package org.legoos.net.protocol;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.ReadOnlyBufferException;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.legoos.net.Tries;

/** {@link WireWriter} and {@link WireReader} field by field: layout, growth, bounds, and refusal of bad fields. */
class WireCodecTest {

    private static WireReader reader(int... bytes) {
        byte[] b = new byte[bytes.length];
        for (int i = 0; i < bytes.length; i++) {
            b[i] = (byte) bytes[i];
        }
        return new WireReader(ByteBuffer.wrap(b));
    }

    private static WireReader reader(WireWriter w) {
        return new WireReader(w.finish());
    }

    @Test
    @Timeout(10)
    void componentRolesAndStatesTravelByNameAndUnknownOnesAreProtocolExceptions() {
        var resources = new org.legoos.net.protocol.gm.ComponentResources(2, 1, 0, 0, 0, 0, 0);
        for (org.legoos.api.ComponentState state : org.legoos.api.ComponentState.values()) {
            var info = new org.legoos.net.protocol.gm.ComponentInfo(7, org.legoos.api.ComponentRole.MEMORY, "127.0.0.1:1",
                    state, 42, resources, "memory-1");
            WireWriter w = new WireWriter(64);
            info.encode(w);
            assertThat(org.legoos.net.protocol.gm.ComponentInfo.decode(reader(w))).isEqualTo(info);
        }
        WireWriter bad = new WireWriter(64).putInt(7).putString("memory").putString("127.0.0.1:1").putString("alive");
        resources.encode(bad.putLong(42));
        assertThatThrownBy(() -> org.legoos.net.protocol.gm.ComponentInfo.decode(reader(bad)))
                .isInstanceOf(ProtocolException.class).hasMessageContaining("bad component state 'alive'");
        WireWriter badRole = new WireWriter(64).putInt(7).putString("MEMORY").putString("127.0.0.1:1").putString("ALIVE");
        resources.encode(badRole.putLong(42));
        assertThatThrownBy(() -> org.legoos.net.protocol.gm.ComponentInfo.decode(reader(badRole)))
                .isInstanceOf(ProtocolException.class).hasMessageContaining("bad component role 'MEMORY'");
    }

    @Test
    @Timeout(10)
    void fieldsAreLittleEndian() {
        ByteBuffer b = new WireWriter(0).putShort(0x0102).putInt(0x03040506).putLong(0x0708090A0B0C0D0EL).finish();
        assertThat(b.remaining()).isEqualTo(14);
        assertThat(b.get(0)).isEqualTo((byte) 0x02);
        assertThat(b.get(2)).isEqualTo((byte) 0x06);
        assertThat(b.get(6)).isEqualTo((byte) 0x0E);
        assertThat(b.order()).isEqualTo(ByteOrder.LITTLE_ENDIAN);
    }

    @Test
    @Timeout(10)
    void writerGrowsPastItsInitialCapacity() {
        WireWriter w = new WireWriter(1);
        for (int i = 0; i < 10_000; i++) {
            w.putInt(i);
        }
        w.putBytes(new byte[100_000]);
        WireReader r = reader(w);
        for (int i = 0; i < 10_000; i++) {
            assertThat(r.getInt()).isEqualTo(i);
        }
        assertThat(r.getBytes()).hasSize(100_000);
        r.expectEnd();
    }

    @Test
    @Timeout(value = 10, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    void everyFieldKindRoundTrips() {
        Tries.forAll(300, g -> {
            byte b = g.given("b", g.anyByte());
            short s = g.given("s", g.anyShort());
            int i = g.given("i", g.anyInt());
            long l = g.given("l", g.anyLong());
            double d = g.given("d", g.anyDouble());
            boolean z = g.given("z", g.anyBoolean());
            byte[] bytes = g.given("bytes", g.bytes(0, 255));
            List<Integer> cps = g.list(0, 255, g::anyInt); // code points below the surrogates: 1- to 3-byte UTF-8
            String str = g.given("str", new String(cps.stream().mapToInt(c -> Math.floorMod(c, 0xD000)).toArray(),
                    0, cps.size()));
            WireWriter w = new WireWriter(8).putByte(b).putShort(s).putInt(i).putLong(l).putDouble(d).putBoolean(z)
                    .putBytes(bytes).putString(str).putStrings(List.of(str, "", str)).putRaw(bytes, 0, bytes.length);
            WireReader r = reader(w);
            assertThat(r.getByte()).isEqualTo(b);
            assertThat(r.getShort()).isEqualTo(s);
            assertThat(r.getInt()).isEqualTo(i);
            assertThat(r.getLong()).isEqualTo(l);
            assertThat(Double.doubleToRawLongBits(r.getDouble())).isEqualTo(Double.doubleToRawLongBits(d));
            assertThat(r.getBoolean()).isEqualTo(z);
            assertThat(r.getBytes()).isEqualTo(bytes);
            assertThat(r.getString()).isEqualTo(str);
            assertThat(r.getStrings(3)).containsExactly(str, "", str);
            assertThat(r.getRaw(bytes.length)).isEqualTo(bytes);
            assertThat(r.remaining()).isZero();
            r.expectEnd();
        });
    }

    @Test
    @Timeout(10)
    void positionCountsHeaderSpaceAndPutIntAtPatchesIt() {
        WireWriter w = new WireWriter(4).putInt(0).putLong(5);
        assertThat(w.position()).isEqualTo(12);
        w.putIntAt(0, 42);
        WireReader r = reader(w);
        assertThat(r.getInt()).isEqualTo(42);
        assertThat(r.getLong()).isEqualTo(5);
    }

    @Test
    @Timeout(10)
    void rawBytesMoveBetweenOffHeapMemoryAndFrames() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment page = arena.allocate(4096);
            for (int i = 0; i < 4096; i++) {
                page.set(ValueLayout.JAVA_BYTE, i, (byte) (i * 7));
            }
            ByteBuffer wire = new WireWriter(16).putInt(1).putRaw(page).putInt(2).finish();
            assertThat(wire.remaining()).isEqualTo(4104);

            for (ByteBuffer shape : List.of(wire.duplicate(), wire.asReadOnlyBuffer(),
                    ByteBuffer.allocateDirect(wire.remaining()).put(wire.duplicate()).flip())) {
                WireReader r = new WireReader(shape);
                assertThat(r.getInt()).isEqualTo(1);
                MemorySegment dst = arena.allocate(4096);
                r.getRaw(dst, 4096);
                assertThat(dst.mismatch(page)).as("heap/read-only/direct source").isEqualTo(-1L);
                assertThat(r.getInt()).isEqualTo(2);
                r.expectEnd();
            }
        }
    }

    @Test
    @Timeout(10)
    void rawBytesFromAByteBufferUseItsRemainingBytes() {
        ByteBuffer src = ByteBuffer.wrap(new byte[] {9, 1, 2, 3, 9}, 1, 3);
        ByteBuffer wire = new WireWriter(8).putRaw(src).finish();
        assertThat(wire.remaining()).isEqualTo(3);
        assertThat(wire.get(0)).isEqualTo((byte) 1);
    }

    @Test
    @Timeout(10)
    void slicesAreReadOnlyViewsOfTheRightBytes() {
        ByteBuffer s = reader(1, 2, 3, 4, 5).getSlice(3);
        assertThat(s.isReadOnly()).isTrue();
        assertThat(s.remaining()).isEqualTo(3);
        assertThat(s.get(2)).isEqualTo((byte) 3);
        assertThatThrownBy(() -> s.put(0, (byte) 0)).isInstanceOf(ReadOnlyBufferException.class);
    }

    @Test
    @Timeout(10)
    void readingPastTheEndIsAProtocolException() {
        assertThatThrownBy(() -> reader().getByte()).isInstanceOf(ProtocolException.class);
        assertThatThrownBy(() -> reader(1).getShort()).isInstanceOf(ProtocolException.class);
        assertThatThrownBy(() -> reader(1, 2, 3).getInt()).isInstanceOf(ProtocolException.class)
                .hasMessageContaining("truncated");
        assertThatThrownBy(() -> reader(1, 2, 3, 4, 5, 6, 7).getLong()).isInstanceOf(ProtocolException.class);
        assertThatThrownBy(() -> reader(1, 2).getRaw(3)).isInstanceOf(ProtocolException.class);
        assertThatThrownBy(() -> reader(1, 2).getSlice(3)).isInstanceOf(ProtocolException.class);
        assertThatThrownBy(() -> reader(1, 2).getRaw(-1)).isInstanceOf(ProtocolException.class);
        assertThatThrownBy(() -> reader(1, 2).getSlice(-1)).isInstanceOf(ProtocolException.class);
    }

    @Test
    @Timeout(10)
    void lengthPrefixesThatLieAreProtocolExceptions() {
        // string of 5 bytes with 2 present; byte array of -1; string of Integer.MIN_VALUE
        assertThatThrownBy(() -> reader(5, 0, 0, 0, 'a', 'b').getString()).isInstanceOf(ProtocolException.class);
        assertThatThrownBy(() -> reader(0xFF, 0xFF, 0xFF, 0xFF).getBytes()).isInstanceOf(ProtocolException.class);
        assertThatThrownBy(() -> reader(0, 0, 0, 0x80).getString()).isInstanceOf(ProtocolException.class);
        assertThatThrownBy(() -> reader(0xFF, 0xFF, 0xFF, 0x7F).getBytes()).isInstanceOf(ProtocolException.class);
    }

    @Test
    @Timeout(10)
    void countsOutsideTheirRangeAreProtocolExceptions() {
        assertThat(reader(3, 0, 0, 0).getCount(3, "things")).isEqualTo(3);
        assertThatThrownBy(() -> reader(4, 0, 0, 0).getCount(3, "things")).isInstanceOf(ProtocolException.class)
                .hasMessageContaining("things count 4");
        assertThatThrownBy(() -> reader(0xFF, 0xFF, 0xFF, 0xFF).getCount(3, "things"))
                .isInstanceOf(ProtocolException.class);
        assertThatThrownBy(() -> reader(2, 0, 0, 0, 0, 0, 0, 0).getStrings(1)).isInstanceOf(ProtocolException.class);
        assertThatThrownBy(() -> reader(0xFF, 0xFF, 0xFF, 0x7F).getStrings(1 << 20))
                .isInstanceOf(ProtocolException.class);
    }

    @Test
    @Timeout(10)
    void invalidUtf8IsAProtocolException() {
        for (int[] bad : new int[][] {{0xC0, 0x80}, {0xFF}, {0xED, 0xA0, 0x80}, {0xE2, 0x82}, {0x80}}) {
            int[] field = new int[4 + bad.length];
            field[0] = bad.length;
            System.arraycopy(bad, 0, field, 4, bad.length);
            assertThatThrownBy(() -> reader(field).getString()).isInstanceOf(ProtocolException.class)
                    .hasMessageContaining("UTF-8");
        }
        WireReader ok = reader(3, 0, 0, 0, 0xE2, 0x82, 0xAC);
        assertThat(ok.getString()).isEqualTo("\u20AC");
    }

    @Test
    @Timeout(10)
    void booleansOtherThanZeroOrOneAreProtocolExceptions() {
        assertThat(reader(0).getBoolean()).isFalse();
        assertThat(reader(1).getBoolean()).isTrue();
        for (int bad : new int[] {2, 0x7F, 0x80, 0xFF}) {
            assertThatThrownBy(() -> reader(bad).getBoolean()).isInstanceOf(ProtocolException.class)
                    .hasMessageContaining("boolean");
        }
    }

    @Test
    @Timeout(10)
    void trailingBytesAreRefusedByExpectEnd() {
        WireReader r = reader(1, 2);
        r.getByte();
        assertThatThrownBy(r::expectEnd).isInstanceOf(ProtocolException.class).hasMessageContaining("1 unexpected");
        r.getByte();
        r.expectEnd();
    }

    @Test
    @Timeout(10)
    void repeatedFieldHelpersBoundCountsByWhatIsLeft() {
        ByteBuffer longs = new WireWriter(8).putInt(2).putLong(7).putLong(-7).finish();
        assertThat(Codecs.readLongs(new WireReader(longs))).containsExactly(7, -7);
        ByteBuffer ints = new WireWriter(8).putInt(3).putInt(1).putInt(2).putInt(3).finish();
        assertThat(Codecs.readInts(new WireReader(ints))).containsExactly(1, 2, 3);
        ByteBuffer list = new WireWriter(8).putInt(2).putString("a").putString("b").finish();
        assertThat(Codecs.readList(new WireReader(list), WireReader::getString)).containsExactly("a", "b");

        assertThatThrownBy(() -> Codecs.readLongs(reader(3, 0, 0, 0, 1, 2, 3, 4, 5, 6, 7, 8)))
                .isInstanceOf(ProtocolException.class);
        assertThatThrownBy(() -> Codecs.readInts(reader(0xFF, 0xFF, 0xFF, 0x7F))).isInstanceOf(ProtocolException.class);
        assertThatThrownBy(() -> Codecs.readList(reader(0xFF, 0xFF, 0xFF, 0xFF), WireReader::getString))
                .isInstanceOf(ProtocolException.class);
    }

    @Test
    @Timeout(10)
    void readerDoesNotMoveTheBufferItWasGiven() {
        ByteBuffer b = ByteBuffer.wrap(new byte[] {1, 0, 0, 0});
        WireReader r = new WireReader(b);
        assertThat(r.getInt()).isEqualTo(1);
        assertThat(b.position()).isZero();
        assertThat(b.order()).isEqualTo(ByteOrder.BIG_ENDIAN);
    }
}
