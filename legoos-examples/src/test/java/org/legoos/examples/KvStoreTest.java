package org.legoos.examples;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.legoos.api.AddressSpace;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(value = 20, unit = TimeUnit.SECONDS)
class KvStoreTest {
    private record Run(int exit, String stdout, String stderr, long mappedAfter) {
        String deterministicLine() {
            return stdout.lines().filter(l -> l.startsWith("result gets=")).findFirst().orElseThrow();
        }

        long stat(String name) {
            Matcher m = Pattern.compile(name + "=(\\d+)").matcher(stdout);
            assertThat(m.find()).as(stdout).isTrue();
            return Long.parseLong(m.group(1));
        }
    }

    private static Run run(AddressSpace mem, String... args) throws Exception {
        TestContext ctx = new TestContext(mem);
        int exit = new KvStore().main(ctx, args);
        long mapped = mem instanceof HeapAddressSpace h ? h.mappedBytes()
                : ((HeapAddressSpace) ((ForwardingAddressSpace) mem).delegate).mappedBytes();
        return new Run(exit, ctx.stdout(), ctx.stderr(), mapped);
    }

    @Test
    void cleanRunVerifiesAndFreesEverything() throws Exception {
        Run r = run(new HeapAddressSpace(), "--keys", "2000", "--ops", "20000", "--value-bytes", "100", "--threads", "2");
        assertThat(r.exit()).as(r.stderr()).isZero();
        assertThat(r.deterministicLine()).contains("mismatches=0");
        assertThat(r.stat("gets") + r.stat("puts")).isEqualTo(20000);
        assertThat(r.stat("gets")).isBetween(17_000L, 19_000L);
        assertThat(r.mappedAfter()).isZero();
    }

    @Test
    void checksumDoesNotDependOnThreadCount() throws Exception {
        String[] base = {"--keys", "1500", "--ops", "15000", "--value-bytes", "64", "--seed", "9", "--get-ratio", "0.5"};
        Run one = run(new HeapAddressSpace(), concat(base, "--threads", "1"));
        Run three = run(new HeapAddressSpace(), concat(base, "--threads", "3"));
        assertThat(one.exit()).isZero();
        assertThat(three.exit()).isZero();
        assertThat(three.deterministicLine()).isEqualTo(one.deterministicLine());
        Run otherSeed = run(new HeapAddressSpace(), "--keys", "1500", "--ops", "15000", "--value-bytes", "64",
                "--seed", "10", "--get-ratio", "0.5", "--threads", "1");
        assertThat(otherSeed.deterministicLine()).isNotEqualTo(one.deterministicLine());
    }

    @Test
    void cleanerReclaimsOverwrittenValuesUnderAPutHeavyMix() throws Exception {
        Run r = run(new HeapAddressSpace(), "--keys", "300", "--ops", "30000", "--value-bytes", "500",
                "--get-ratio", "0.3", "--segment-bytes", "8192", "--threads", "2");
        assertThat(r.exit()).as(r.stderr()).isZero();
        assertThat(r.stat("cleaned-segments")).isPositive();
        assertThat(r.mappedAfter()).isZero();
    }

    @Test
    void flippedValueByteInTheStoreGivesNonZeroExit() throws Exception {
        HeapAddressSpace heap = new HeapAddressSpace();
        // Flip one byte of the 50th record written during the load phase, after it reached memory.
        AddressSpace corrupting = new ForwardingAddressSpace(heap) {
            int bigWrites;

            @Override
            public void write(long va, byte[] src, int offset, int length) {
                super.write(va, src, offset, length);
                if (length >= 256 && ++bigWrites == 50) {
                    delegate.putByte(va + length - 20, (byte) (delegate.getByte(va + length - 20) ^ 0x10));
                }
            }
        };
        Run r = run(corrupting, "--keys", "400", "--ops", "2000", "--value-bytes", "256", "--get-ratio", "1.0",
                "--threads", "1");
        assertThat(r.exit()).isEqualTo(1);
        assertThat(r.deterministicLine()).doesNotContain("mismatches=0");
        assertThat(r.stderr()).contains("mismatch: key").contains("value byte").contains("mismatches");
    }

    @Test
    void shardGetSeesAFlipMadeThroughTheAddressSpace() {
        HeapAddressSpace mem = new HeapAddressSpace();
        try (KvShard shard = new KvShard(mem, 10, 8192)) {
            byte[] v = new byte[40];
            KvStore.fillValue(v, 0, v.length, 1, 5, 1);
            shard.put(12345L, 1, v, 0, v.length);
            KvShard.Record rec = new KvShard.Record();
            assertThat(shard.get(12345L, rec)).isTrue();
            assertThat(java.util.Arrays.copyOfRange(rec.data, KvShard.HEADER, KvShard.HEADER + rec.length)).isEqualTo(v);
            long va = shard.recordAddress(12345L);
            mem.putByte(va + KvShard.HEADER + 7, (byte) ~mem.getByte(va + KvShard.HEADER + 7));
            assertThat(shard.get(12345L, rec)).isTrue();
            assertThat(rec.data[KvShard.HEADER + 7]).isEqualTo((byte) ~v[7]);
            assertThat(shard.get(999L, rec)).isFalse();
        }
        assertThat(mem.mappedBytes()).isZero();
    }

    @Test
    void shardKeepsLatestValueAndBoundsItsLog() {
        HeapAddressSpace mem = new HeapAddressSpace();
        try (KvShard shard = new KvShard(mem, 4, 8192)) {
            byte[] v = new byte[300];
            KvShard.Record rec = new KvShard.Record();
            for (int version = 1; version <= 1_500; version++) {
                for (long key = 0; key < 20; key++) {
                    KvStore.fillValue(v, 0, v.length, 3, key, version);
                    shard.put(key, version, v, 0, v.length);
                }
            }
            for (long key = 0; key < 20; key++) {
                assertThat(shard.get(key, rec)).isTrue();
                assertThat(rec.version).isEqualTo(1_500);
                KvStore.fillValue(v, 0, v.length, 3, key, 1_500);
                assertThat(java.util.Arrays.copyOfRange(rec.data, KvShard.HEADER, KvShard.HEADER + 300)).isEqualTo(v);
            }
            assertThat(shard.size()).isEqualTo(20);
            assertThat(shard.liveBytes()).isEqualTo(20 * 320);
            assertThat(shard.logBytes()).isLessThan(2 * shard.liveBytes() + 3 * 8192);
            assertThat(shard.cleanedSegments()).isPositive();
        }
        assertThat(mem.mappedBytes()).isZero();
    }

    @Test
    void indexGrowsPastItsExpectedSize() {
        HeapAddressSpace mem = new HeapAddressSpace();
        try (KvShard shard = new KvShard(mem, 1, 1 << 16)) {
            byte[] v = {1, 2, 3};
            for (long key = 0; key < 3_000; key++) {
                shard.put(key * 7919, (int) key, v, 0, 3);
            }
            KvShard.Record rec = new KvShard.Record();
            for (long key = 0; key < 3_000; key++) {
                assertThat(shard.get(key * 7919, rec)).isTrue();
                assertThat(rec.version).isEqualTo((int) key);
                assertThat(rec.key).isEqualTo(key * 7919);
            }
        }
    }

    @Test
    void badArgumentsExitWith2() throws Exception {
        TestContext ctx = new TestContext(new HeapAddressSpace());
        assertThat(new KvStore().main(ctx, new String[] {"--zipf", "1.0"})).isEqualTo(2);
        assertThat(new KvStore().main(ctx, new String[] {"--keys", "0"})).isEqualTo(2);
        assertThat(new KvStore().main(ctx, new String[] {"--get-ratio", "abc"})).isEqualTo(2);
        assertThat(ctx.stderr()).contains("--zipf must be in").contains("--keys must be in").contains("must be a number");
    }

    private static String[] concat(String[] a, String... b) {
        String[] r = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, r, a.length, b.length);
        return r;
    }
}
