package org.legoos.processor.excache;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.lang.foreign.MemorySegment;
import java.util.Arrays;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.legoos.api.ComponentUnavailableException;
import org.legoos.api.SegmentationFault;
import org.legoos.processor.excache.ExCacheConfig.Policy;

@Timeout(value = 10, unit = TimeUnit.SECONDS)
class ExCacheTest {
    private static final int ASID = 3;
    private static final int PAGE = 4096;
    /** Base of the test addresses; page {@code BASE + i * PAGE} has vpn {@code 0x1000 + i}. */
    private static final long BASE = 0x100_0000L;

    /** A cache of {@code lines} lines in one fully associative set. */
    private static ExCache oneSet(int lines, Policy policy, LineBackend backend) {
        return new ExCache(new ExCacheConfig((long) lines * PAGE, lines, policy, 42), backend);
    }

    private static long page(int i) {
        return BASE + (long) i * PAGE;
    }

    @Test
    void neverWrittenPageIsZeroFilledAndCounted() {
        ModelBackend backend = new ModelBackend();
        try (ExCache cache = oneSet(4, Policy.FIFO, backend)) {
            assertThat(cache.getLong(ASID, page(0) + 8)).isZero();
            assertThat(cache.getByte(ASID, page(0) + 4095)).isZero();
            ExCacheStats stats = cache.stats();
            assertThat(stats.misses()).isEqualTo(1);
            assertThat(stats.zeroFills()).isEqualTo(1);
            assertThat(stats.hits()).isEqualTo(1);
            assertThat(backend.zeroFills.get()).isEqualTo(1);
        }
    }

    @Test
    void storesAreVisibleToLoadsOfEveryWidthLittleEndian() {
        try (ExCache cache = oneSet(4, Policy.FIFO, new ModelBackend())) {
            cache.putLong(ASID, page(0) + 16, 0x0807060504030201L);
            assertThat(cache.getByte(ASID, page(0) + 16)).isEqualTo((byte) 1);
            assertThat(cache.getInt(ASID, page(0) + 20)).isEqualTo(0x08070605);
            cache.putInt(ASID, page(0) + 17, 0xAABBCCDD);
            assertThat(cache.getLong(ASID, page(0) + 16)).isEqualTo(0x080706AABBCCDD01L);
            cache.putByte(ASID, page(0) + 23, (byte) 0x7F);
            assertThat(cache.getLong(ASID, page(0) + 16)).isEqualTo(0x7F0706AABBCCDD01L);
            assertThat(cache.isDirty(ASID, page(0))).isTrue();
        }
    }

    @Test
    void missOnDirtyVictimPiggybacksFlush() {
        ModelBackend backend = new ModelBackend(); // one memory component: every miss can carry the victim
        try (ExCache cache = oneSet(1, Policy.FIFO, backend)) {
            cache.putLong(ASID, page(1), 11);
            cache.invalidateRange(ASID, page(1), PAGE, true); // page 1 now lives on the memory component
            cache.putLong(ASID, page(0), 0x1122334455667788L);
            cache.resetStats();

            assertThat(cache.getLong(ASID, page(1))).isEqualTo(11); // miss that evicts dirty page 0

            assertThat(backend.victims()).singleElement().satisfies(v -> {
                assertThat(v.asid()).isEqualTo(ASID);
                assertThat(v.vpn()).isEqualTo(page(0) >>> 12);
                assertThat(v.piggybacked()).isTrue();
                assertThat(MemorySegment.ofArray(v.data()).get(ModelBackend.LONG_LE, 0)).isEqualTo(0x1122334455667788L);
            });
            ExCacheStats stats = cache.stats();
            assertThat(stats.evictions()).isEqualTo(1);
            assertThat(stats.piggybacks()).isEqualTo(1);
            assertThat(stats.flushes()).isEqualTo(1);
            assertThat(backend.longAt(ASID, page(0))).isEqualTo(0x1122334455667788L);
            assertThat(cache.getLong(ASID, page(0))).isEqualTo(0x1122334455667788L);
        }
    }

    @Test
    void dirtyVictimForAnotherComponentIsFlushedButNotPiggybacked() {
        ModelBackend backend = new ModelBackend(1, 2); // even and odd pages on different components
        try (ExCache cache = oneSet(1, Policy.FIFO, backend)) {
            cache.putLong(ASID, page(1), 5);
            cache.invalidateRange(ASID, page(1), PAGE, true);
            cache.putLong(ASID, page(0), 6);
            cache.resetStats();
            assertThat(cache.getLong(ASID, page(1))).isEqualTo(5);
            assertThat(backend.victims()).singleElement().satisfies(v -> assertThat(v.piggybacked()).isFalse());
            assertThat(cache.stats().flushes()).isEqualTo(1);
            assertThat(cache.stats().piggybacks()).isZero();
            assertThat(backend.longAt(ASID, page(0))).isEqualTo(6);
        }
    }

    @Test
    void cleanVictimIsDroppedWithoutFlush() {
        ModelBackend backend = new ModelBackend();
        try (ExCache cache = oneSet(2, Policy.FIFO, backend)) {
            cache.getLong(ASID, page(0));
            cache.getLong(ASID, page(1));
            cache.getLong(ASID, page(2)); // evicts clean page 0
            assertThat(cache.stats().evictions()).isEqualTo(1);
            assertThat(cache.stats().flushes()).isZero();
            assertThat(backend.victims()).isEmpty();
            assertThat(backend.writeBacks()).isZero();
            assertThat(cache.isCached(ASID, page(0))).isFalse();
        }
    }

    @Test
    void freeLinesAreUsedBeforeAnyEviction() {
        try (ExCache cache = oneSet(4, Policy.RANDOM, new ModelBackend())) {
            for (int i = 0; i < 4; i++) {
                cache.putLong(ASID, page(i), i);
            }
            assertThat(cache.stats().evictions()).isZero();
            for (int i = 0; i < 4; i++) {
                assertThat(cache.getLong(ASID, page(i))).isEqualTo(i);
            }
            assertThat(cache.stats().misses()).isEqualTo(4);
            assertThat(cache.stats().hits()).isEqualTo(4);
        }
    }

    @Test
    void flushRangeWritesBackButKeepsLines() {
        ModelBackend backend = new ModelBackend();
        try (ExCache cache = oneSet(4, Policy.FIFO, backend)) {
            cache.putLong(ASID, page(0), 1);
            cache.putLong(ASID, page(1), 2);
            cache.putLong(ASID, page(2), 3);
            cache.flushRange(ASID, page(0), 2L * PAGE); // pages 0 and 1, not 2
            assertThat(backend.flushCalls.get()).isEqualTo(2);
            assertThat(backend.longAt(ASID, page(0))).isEqualTo(1);
            assertThat(backend.longAt(ASID, page(1))).isEqualTo(2);
            assertThat(backend.page(ASID, page(2) >>> 12)).isNull();
            assertThat(cache.isCached(ASID, page(0))).isTrue();
            assertThat(cache.isDirty(ASID, page(0))).isFalse();
            assertThat(cache.isDirty(ASID, page(2))).isTrue();
            assertThat(cache.stats().flushes()).isEqualTo(2);

            long misses = cache.stats().misses();
            assertThat(cache.getLong(ASID, page(1))).isEqualTo(2);
            assertThat(cache.stats().misses()).isEqualTo(misses); // still cached

            cache.flushRange(ASID, page(0), 2L * PAGE); // clean now: nothing to write
            assertThat(backend.flushCalls.get()).isEqualTo(2);
            cache.invalidateAll(ASID, false); // clean lines are dropped without loss
            assertThat(cache.getLong(ASID, page(1))).isEqualTo(2);
        }
    }

    @Test
    void invalidateRangeWithoutWriteBackDiscardsData() {
        ModelBackend backend = new ModelBackend();
        try (ExCache cache = oneSet(4, Policy.FIFO, backend)) {
            cache.putLong(ASID, page(0), 7);
            cache.flushRange(ASID, page(0), PAGE);
            cache.putLong(ASID, page(0), 8);
            cache.putLong(ASID, page(1), 9);
            cache.invalidateRange(ASID, page(0) + 100, PAGE, false); // touches pages 0 and 1
            assertThat(cache.isCached(ASID, page(0))).isFalse();
            assertThat(cache.isCached(ASID, page(1))).isFalse();
            assertThat(backend.flushCalls.get()).isEqualTo(1);
            assertThat(cache.getLong(ASID, page(0))).isEqualTo(7); // the memory component's copy
            assertThat(cache.getLong(ASID, page(1))).isZero();
            cache.checkInvariants();
        }
    }

    @Test
    void invalidateRangeWithWriteBackKeepsData() {
        ModelBackend backend = new ModelBackend();
        try (ExCache cache = oneSet(4, Policy.FIFO, backend)) {
            cache.putLong(ASID, page(0), 7);
            cache.getLong(ASID, page(1));
            cache.invalidateRange(ASID, page(0), 2L * PAGE, true);
            assertThat(cache.isCached(ASID, page(0))).isFalse();
            assertThat(cache.isCached(ASID, page(1))).isFalse();
            assertThat(backend.flushCalls.get()).isEqualTo(1); // only the dirty one
            assertThat(cache.getLong(ASID, page(0))).isEqualTo(7);
        }
    }

    @Test
    void invalidateAllDropsOnlyThatAddressSpace() {
        ModelBackend backend = new ModelBackend();
        try (ExCache cache = oneSet(4, Policy.FIFO, backend)) {
            cache.putLong(ASID, page(0), 1);
            cache.putLong(ASID + 1, page(0), 2); // same address, other process: another line
            assertThat(cache.getLong(ASID, page(0))).isEqualTo(1);
            cache.invalidateAll(ASID, true);
            assertThat(cache.isCached(ASID, page(0))).isFalse();
            assertThat(cache.isCached(ASID + 1, page(0))).isTrue();
            assertThat(backend.longAt(ASID, page(0))).isEqualTo(1);
            assertThat(backend.page(ASID + 1, page(0) >>> 12)).isNull();
            cache.invalidateAll(ASID + 1, false);
            assertThat(cache.getLong(ASID + 1, page(0))).isZero();
        }
    }

    @Test
    void largeRangesAreHandledByScanningLines() {
        ModelBackend backend = new ModelBackend();
        try (ExCache cache = oneSet(4, Policy.FIFO, backend)) {
            cache.putLong(ASID, page(0), 1);
            cache.putLong(ASID, page(3), 2);
            cache.flushRange(ASID, 0, Long.MAX_VALUE); // far more pages than lines
            assertThat(backend.flushCalls.get()).isEqualTo(2);
            cache.putLong(ASID, page(3), 3);
            cache.invalidateRange(ASID, page(2), 1L << 40, false);
            assertThat(cache.isCached(ASID, page(0))).isTrue();
            assertThat(cache.isCached(ASID, page(3))).isFalse();
            assertThat(cache.getLong(ASID, page(3))).isEqualTo(2);
        }
    }

    @Test
    void segmentationFaultPropagatesAndLeavesCacheConsistent() {
        ModelBackend backend = new ModelBackend();
        long unmappedVpn = page(1) >>> 12;
        backend.mapped(vpn -> vpn != unmappedVpn);
        try (ExCache cache = oneSet(1, Policy.FIFO, backend)) {
            cache.putLong(ASID, page(0), 0xDEADL);
            assertThatThrownBy(() -> cache.getLong(ASID, page(1) + 8)).isInstanceOf(SegmentationFault.class);
            cache.checkInvariants();
            assertThat(cache.isCached(ASID, page(0))).isFalse(); // evicted, and the line stayed free
            assertThat(backend.longAt(ASID, page(0))).isEqualTo(0xDEADL); // victim written back before the fault
            assertThat(cache.stats().evictions()).isEqualTo(1);

            assertThatThrownBy(() -> cache.putLong(ASID, page(1), 1)).isInstanceOf(SegmentationFault.class);
            assertThat(backend.victims()).hasSize(1); // the free line had no victim to hand over
            assertThat(cache.stats().evictions()).isEqualTo(1);

            assertThat(cache.getLong(ASID, page(0))).isEqualTo(0xDEADL); // victim's data is not lost
            cache.checkInvariants();
        }
    }

    @Test
    void failedWriteBackOnInvalidateKeepsTheLineDirty() {
        ModelBackend backend = new ModelBackend();
        try (ExCache cache = oneSet(2, Policy.FIFO, backend)) {
            cache.putLong(ASID, page(0), 77);
            backend.failNextFlush(new ComponentUnavailableException("memory component down"));
            assertThatThrownBy(() -> cache.invalidateRange(ASID, page(0), PAGE, true))
                    .isInstanceOf(ComponentUnavailableException.class);
            assertThat(cache.isCached(ASID, page(0))).isTrue();
            assertThat(cache.isDirty(ASID, page(0))).isTrue();
            assertThat(cache.getLong(ASID, page(0))).isEqualTo(77);

            backend.failNextFlush(new ComponentUnavailableException("memory component down"));
            assertThatThrownBy(() -> cache.flushRange(ASID, page(0), PAGE))
                    .isInstanceOf(ComponentUnavailableException.class);
            assertThat(cache.isDirty(ASID, page(0))).isTrue();
            cache.flushRange(ASID, page(0), PAGE);
            assertThat(backend.longAt(ASID, page(0))).isEqualTo(77);
            cache.checkInvariants();
        }
    }

    @Test
    void crossPageUnalignedLongAndIntRoundTrip() {
        ModelBackend backend = new ModelBackend();
        try (ExCache cache = oneSet(2, Policy.FIFO, backend)) {
            for (int shift = 1; shift < 8; shift++) {
                long va = page(1) - shift;
                long value = 0x0102030405060708L * shift;
                cache.putLong(ASID, va, value);
                assertThat(cache.getLong(ASID, va)).isEqualTo(value);
                for (int i = 0; i < 8; i++) {
                    assertThat(cache.getByte(ASID, va + i)).isEqualTo((byte) (value >>> (8 * i)));
                }
            }
            cache.putInt(ASID, page(2) - 2, 0xCAFEBABE);
            assertThat(cache.getInt(ASID, page(2) - 2)).isEqualTo(0xCAFEBABE);
            assertThat(cache.getInt(ASID, page(1) - 3)).isEqualTo((int) (0x0102030405060708L * 7 >>> 32));
            // Written back through evictions, the memory components see the same little-endian bytes.
            cache.invalidateAll(ASID, true);
            assertThat(backend.longAt(ASID, page(1) - 7)).isEqualTo(0x0102030405060708L * 7);
            assertThat(cache.getLong(ASID, page(1) - 7)).isEqualTo(0x0102030405060708L * 7);
        }
    }

    @Test
    void bulkReadAndWriteSpanPagesAndEvictions() {
        ModelBackend backend = new ModelBackend();
        try (ExCache cache = oneSet(2, Policy.CLOCK, backend)) {
            byte[] data = new byte[5 * PAGE + 123];
            for (int i = 0; i < data.length; i++) {
                data[i] = (byte) (i * 31 + 7);
            }
            cache.write(ASID, page(0) + 1000, data, 0, data.length); // 6 pages through a 2-line cache
            byte[] back = new byte[data.length + 10];
            cache.read(ASID, page(0) + 1000, back, 5, data.length);
            assertThat(Arrays.copyOfRange(back, 5, 5 + data.length)).isEqualTo(data);
            cache.invalidateAll(ASID, true);
            assertThat(backend.bytes(ASID, page(0) + 1000, data.length)).isEqualTo(data);
            cache.read(ASID, page(0), back, 0, 0); // empty is fine
            assertThatThrownBy(() -> cache.read(ASID, page(0), back, 5, back.length))
                    .isInstanceOf(IndexOutOfBoundsException.class);
            assertThatThrownBy(() -> cache.write(ASID, -16, data, 0, 100))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("wraps");
            cache.checkInvariants();
        }
    }

    @Test
    void fifoEvictsTheOldestInstalledLine() {
        // scattered pages: misses in a sequence (0, 1, 2, ...) would be a stream, whose lines go first
        try (ExCache cache = oneSet(3, Policy.FIFO, new ModelBackend())) {
            cache.getLong(ASID, page(0));
            cache.getLong(ASID, page(9));
            cache.getLong(ASID, page(4));
            cache.getLong(ASID, page(0)); // a hit does not matter to FIFO
            cache.getLong(ASID, page(17));
            assertThat(cache.isCached(ASID, page(0))).isFalse();
            cache.getLong(ASID, page(30));
            assertThat(cache.isCached(ASID, page(9))).isFalse();
            assertThat(cache.isCached(ASID, page(4))).isTrue();
        }
    }

    @Test
    void fifoEvictsStreamedLinesFirstInTheirOwnOrder() {
        Fifo fifo = new Fifo(2, 4);
        fifo.installed(1, 0);
        fifo.installedStreaming(1, 1);
        fifo.installed(1, 2);
        fifo.installedStreaming(1, 3);
        assertThat(fifo.victim(1, null)).as("the older streamed line").isEqualTo(1);
        fifo.installed(1, 1);
        assertThat(fifo.victim(1, null)).as("the other streamed line").isEqualTo(3);
        fifo.installed(1, 3);
        assertThat(fifo.victim(1, null)).as("then plain FIFO").isEqualTo(0);
        fifo.installedStreaming(0, 2); // sets are independent
        assertThat(fifo.victim(1, null)).isEqualTo(0);
    }

    @Test
    void clockGivesReferencedLinesASecondChance() {
        try (ExCache cache = oneSet(3, Policy.CLOCK, new ModelBackend())) {
            cache.getLong(ASID, page(0));
            cache.getLong(ASID, page(1));
            cache.getLong(ASID, page(2));
            cache.getLong(ASID, page(3)); // all referenced: the hand clears them all and takes page 0
            assertThat(cache.isCached(ASID, page(0))).isFalse();
            cache.getLong(ASID, page(1)); // referenced again
            cache.getLong(ASID, page(4)); // hand at page 1: second chance; page 2 (unreferenced) goes
            assertThat(cache.isCached(ASID, page(1))).isTrue();
            assertThat(cache.isCached(ASID, page(2))).isFalse();
        }
    }

    @Test
    void randomEvictionIsReproducibleForASeed() {
        boolean[][] cached = new boolean[2][];
        for (int run = 0; run < 2; run++) {
            try (ExCache cache = oneSet(4, Policy.RANDOM, new ModelBackend())) {
                for (int i = 0; i < 40; i++) {
                    cache.getLong(ASID, page(i % 9));
                }
                cached[run] = new boolean[9];
                for (int i = 0; i < 9; i++) {
                    cached[run][i] = cache.isCached(ASID, page(i));
                }
            }
        }
        assertThat(cached[1]).isEqualTo(cached[0]);
    }

    @Test
    void pagesMapToSetsByVirtualAddressBits() {
        // 4 sets of 1 way: pages 0 and 4 share set 0, pages 0..3 do not conflict.
        try (ExCache cache = new ExCache(new ExCacheConfig(4L * PAGE, 1, Policy.FIFO, 0), new ModelBackend())) {
            for (int i = 0; i < 4; i++) {
                cache.getLong(ASID, page(i));
            }
            assertThat(cache.stats().evictions()).isZero();
            cache.getLong(ASID, page(4));
            assertThat(cache.stats().evictions()).isEqualTo(1);
            assertThat(cache.isCached(ASID, page(0))).isFalse();
            assertThat(cache.isCached(ASID, page(1))).isTrue();
        }
    }

    @Test
    void statsSnapshotIsImmutableAndResettable() {
        try (ExCache cache = oneSet(2, Policy.FIFO, new ModelBackend())) {
            cache.getLong(ASID, page(0));
            ExCacheStats before = cache.stats();
            cache.getLong(ASID, page(0));
            assertThat(before.hits()).isZero();
            assertThat(cache.stats().hits()).isEqualTo(1);
            assertThat(cache.stats().hitRate()).isEqualTo(0.5);
            cache.resetStats();
            assertThat(cache.stats()).isEqualTo(ExCacheStats.ZERO);
            cache.getLong(ASID, page(0));
            assertThat(cache.stats().hits()).isEqualTo(1);
            assertThat(cache.stats().prefetchHits()).isZero();
        }
    }

    @Test
    void badConfigIsRejectedNamingTheValue() {
        assertThatThrownBy(() -> new ExCacheConfig(0, 1, Policy.FIFO, 0))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("capacityBytes").hasMessageContaining("0");
        assertThatThrownBy(() -> new ExCacheConfig(4096 * 3 + 1, 1, Policy.FIFO, 0))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("12289");
        assertThatThrownBy(() -> new ExCacheConfig(4096 * 6, 4, Policy.FIFO, 0))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("24576").hasMessageContaining("ways 4");
        assertThatThrownBy(() -> new ExCacheConfig(4096 * 3, 1, Policy.FIFO, 0))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("power of two").hasMessageContaining("3");
        assertThatThrownBy(() -> new ExCacheConfig(4096, 0, Policy.FIFO, 0))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("ways").hasMessageContaining("0");
        assertThatThrownBy(() -> new ExCacheConfig(4096, 1, null, 0)).isInstanceOf(NullPointerException.class);
        assertThatThrownBy(() -> Policy.parse("lfu"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("lfu");
        assertThat(Policy.parse(" lru ")).isEqualTo(Policy.CLOCK);
        ExCacheConfig ok = ExCacheConfig.of(64L << 20);
        assertThat(ok.ways()).isEqualTo(64);
        assertThat(ok.sets()).isEqualTo(256);
        assertThat(ok.lines()).isEqualTo(16384);
    }

    @Test
    void badRangeArgumentsAreRejectedWithoutSideEffects() {
        ModelBackend backend = new ModelBackend();
        try (ExCache cache = oneSet(2, Policy.FIFO, backend)) {
            cache.putLong(ASID, page(0), 1);
            assertThatThrownBy(() -> cache.flushRange(ASID, page(0), -1))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("-1");
            assertThatThrownBy(() -> cache.invalidateRange(ASID, -4096, 8192, false))
                    .isInstanceOf(IllegalArgumentException.class);
            assertThat(cache.isDirty(ASID, page(0))).isTrue();
            assertThat(backend.writeBacks()).isZero();
        }
    }

    @Test
    void closeFreesTheSlabAndLaterAccessFailsCleanly() {
        ExCache cache = oneSet(2, Policy.FIFO, new ModelBackend());
        cache.putLong(ASID, page(0), 1);
        cache.close();
        cache.close(); // idempotent
        assertThatThrownBy(() -> cache.getLong(ASID, page(0))).isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(() -> cache.putLong(ASID, page(5), 1)).isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(() -> cache.flushRange(ASID, page(0), 8)).isInstanceOf(IllegalStateException.class);
    }

    @ParameterizedTest
    @EnumSource(Policy.class)
    void everyPolicyKeepsAllDataThroughHeavyEviction(Policy policy) {
        ModelBackend backend = new ModelBackend(16, 2);
        try (ExCache cache = new ExCache(new ExCacheConfig(8L * PAGE, 2, policy, 7), backend)) {
            for (int round = 0; round < 3; round++) {
                for (int i = 0; i < 64; i++) {
                    cache.putLong(ASID, page(i) + 8L * round, i * 1000L + round);
                }
            }
            for (int i = 0; i < 64; i++) {
                for (int round = 0; round < 3; round++) {
                    assertThat(cache.getLong(ASID, page(i) + 8L * round)).isEqualTo(i * 1000L + round);
                }
            }
            ExCacheStats stats = cache.stats();
            assertThat(stats.misses()).isEqualTo(backend.fills.get());
            assertThat(stats.zeroFills()).isEqualTo(backend.zeroFills.get());
            assertThat(stats.piggybacks()).isEqualTo(backend.piggybacks.get());
            assertThat(stats.flushes()).isEqualTo(backend.writeBacks());
            assertThat(stats.piggybacks()).isPositive();
            assertThat(backend.overlaps.get()).isZero();
            cache.checkInvariants();
        }
    }
}
