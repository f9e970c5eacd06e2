package org.legoos.examples;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Arrays;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.legoos.examples.workload.KvStoreWorkload;
import org.legoos.examples.workload.Workload;

/** The key-value store's result line and its plain-Java twin. */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class KvStorePlainTest {
    private static String programResult(String... args) throws Exception {
        HeapAddressSpace mem = new HeapAddressSpace();
        TestContext ctx = new TestContext(mem);
        int exit = new KvStore().main(ctx, args);
        assertThat(exit).as(ctx.stderr()).isZero();
        assertThat(mem.mappedBytes()).isZero();
        assertThat(ctx.stdout().lines().filter(l -> l.startsWith("result ")).count()).isEqualTo(1);
        return Workload.resultLine(ctx.stdout());
    }

    @ParameterizedTest
    @ValueSource(ints = {1, 2})
    void twinComputesTheProgramsResultLine(int threads) throws Exception {
        String program = programResult("--keys", "3000", "--ops", "30000", "--value-bytes", "100", "--get-ratio", "0.5",
                "--zipf", "0.9", "--seed", "5", "--threads", Integer.toString(threads));
        assertThat(program).matches("result gets=\\d+ puts=\\d+ mismatches=0 checksum=[0-9a-f]{16}");
        assertThat(KvStorePlain.run(3000, 30000, 100, 0.5, 0.9, 5, threads)).isEqualTo(program);
        assertThat(KvStorePlain.run(3000, 30000, 100, 0.5, 0.9, 5, 3)).as("any thread count").isEqualTo(program);
        assertThat(KvStorePlain.run(3000, 30000, 100, 0.5, 0.9, 6, threads)).isNotEqualTo(program);
    }

    @Test
    void twinCleansItsLogUnderAPutHeavyMixAndStaysCorrect() throws Exception {
        // 20 KiB values: 16 records fill a default segment, so puts open segments and the cleaner runs.
        String program = programResult("--keys", "200", "--ops", "4000", "--value-bytes", "20000", "--get-ratio", "0.2",
                "--threads", "2");
        assertThat(KvStorePlain.run(200, 4000, 20000, 0.2, 0.99, 42, 2)).isEqualTo(program);
    }

    @Test
    void heapShardKeepsLatestValueAndBoundsItsLog() {
        KvStorePlain.HeapShard shard = new KvStorePlain.HeapShard(4, 8192);
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
            assertThat(rec.key).isEqualTo(key);
            assertThat(rec.version).isEqualTo(1_500);
            KvStore.fillValue(v, 0, v.length, 3, key, 1_500);
            assertThat(Arrays.copyOfRange(rec.data, KvShard.HEADER, KvShard.HEADER + 300)).isEqualTo(v);
        }
        assertThat(shard.get(99, rec)).isFalse();
        assertThat(shard.logBytes()).isLessThan(2 * 20 * 320 + 3 * 8192);
        assertThat(shard.cleanedSegments()).isPositive();
    }

    @Test
    void workloadRunsTheProgramWithItsArgumentsAndTheTwinAgrees() throws Exception {
        KvStoreWorkload w = new KvStoreWorkload();
        assertThat(Examples.bundled()).containsKey(w.program());
        assertThat(w.quickSize()).isEqualTo(50_000);
        assertThat(w.estimatedWorkingSetBytes(w.paperSize())).isGreaterThan(w.paperSize() * 272);
        assertThat(w.programArgs(4000, 3, 2)).containsSequence("--ops", "40000").containsSequence("--get-ratio", "0.9")
                .containsSequence("--value-bytes", "256");
        for (int threads : new int[] {1, 2}) {
            String program = programResult(w.programArgs(4000, 3, threads).toArray(String[]::new));
            assertThat(program).contains("mismatches=0");
            assertThat(w.runPlain(4000, 3, threads)).isEqualTo(program);
        }
        assertThatThrownBy(() -> w.programArgs(0, 1, 1)).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("keys");
    }

    @Test
    void twinRejectsBadConfigurations() {
        assertThatThrownBy(() -> KvStorePlain.run(0, 10, 8, 0.5, 0.5, 1, 1)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> KvStorePlain.run(10, 10, 8, 0.5, 1.0, 1, 1)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> KvStorePlain.run(10, 10, 8, 0.5, 0.5, 1, 0)).isInstanceOf(IllegalArgumentException.class);
    }
}
