package org.legoos.eval.micro;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.legoos.memory.MemoryConfig;
import org.legoos.node.LocalCluster;
import org.legoos.processor.ProcessorConfig;
import org.legoos.processor.excache.ExCacheConfig;
import org.legoos.processor.excache.ExCacheStats;

@Timeout(value = 30, unit = TimeUnit.SECONDS)
class SeqLoadProgramTest {
    /** 16 sets of 4 ways: prefetch needs other sets than the missed page's. */
    private static final long CACHE = 256L << 10;

    private static LocalCluster cluster() {
        return cluster(0);
    }

    private static LocalCluster cluster(int prefetchPages) {
        LocalCluster.Spec spec = LocalCluster.Spec.defaults().withCounts(1, 1, 1)
                .withProcessor(new ProcessorConfig(2, new ExCacheConfig(CACHE, 4, ExCacheConfig.Policy.FIFO, 0, prefetchPages, true), 64, 2000))
                .withMemory(MemoryConfig.of(64L << 20).withWorkers(0));
        return LocalCluster.start(spec, MicroPrograms.all());
    }

    @Test
    void everyTimedLoadIsAMissFetchedFromTheMemoryComponent() throws Exception {
        long region = 8 * CACHE;
        long pages = region / 4096;
        try (LocalCluster c = cluster()) {
            c.createVNode("v");
            ExCacheStats before = c.processors().getFirst().excacheStats();
            // one timed thread: with two, a page installed for one thread can be evicted by the other's fault in the same
            // set before the first thread's load retries, and is fetched again (correct, and rare: about 1 run in 6
            // here), which this exact count cannot tell from a fetch that should not have happened
            LocalCluster.RunResult r = c.run("v", SeqLoadProgram.NAME, String.valueOf(region), "1");
            ExCacheStats during = c.processors().getFirst().excacheStats().minus(before);

            assertThat(r.exitCode()).as(r.stderr()).isZero();
            Map<String, String> kv = MicroText.findLine(r.stdout(), "iops", "pages", "seconds", "verified");
            assertThat(kv.get("pages")).isEqualTo(String.valueOf(pages));
            assertThat(kv.get("verified")).isEqualTo("true");
            assertThat(Double.parseDouble(kv.get("iops"))).isPositive();
            // writes and scratch loads of never-written pages are local zero-fills; only the timed loads fetch
            assertThat(during.misses() - during.zeroFills()).as("fetched misses: " + during).isEqualTo(pages);
            // write phase + scratch phase + timed phase: every access missed
            assertThat(during.misses()).isGreaterThanOrEqualTo(3 * pages);
        }
    }

    @Test
    void withPrefetchTheRegionStillComesFromTheMemoryComponentInFewerMisses() throws Exception {
        long region = 8 * CACHE;
        long pages = region / 4096;
        try (LocalCluster c = cluster(16)) {
            c.createVNode("v");
            ExCacheStats before = c.processors().getFirst().excacheStats();
            LocalCluster.RunResult r = c.run("v", SeqLoadProgram.NAME, String.valueOf(region), "1");
            ExCacheStats during = c.processors().getFirst().excacheStats().minus(before);

            assertThat(r.exitCode()).as(r.stderr()).isZero();
            assertThat(r.stdout()).contains("verified=true");
            long fetches = during.misses() - during.zeroFills();
            assertThat(during.prefetched()).isPositive();
            assertThat(fetches).isLessThan(pages);
            assertThat(fetches + during.prefetched()).as("every page came from the memory component").isGreaterThanOrEqualTo(pages);
        }
    }

    @Test
    void aTooSmallScratchRegionLeavesTheRegionCachedAndTheCountersShowIt() throws Exception {
        long region = CACHE / 2; // fits the ExCache
        try (LocalCluster c = cluster()) {
            c.createVNode("v");
            ExCacheStats before = c.processors().getFirst().excacheStats();
            LocalCluster.RunResult r = c.run("v", SeqLoadProgram.NAME, String.valueOf(region), "1", "4096");
            ExCacheStats during = c.processors().getFirst().excacheStats().minus(before);

            assertThat(r.exitCode()).as(r.stderr()).isZero();
            assertThat(r.stdout()).contains("verified=true");
            assertThat(during.misses() - during.zeroFills()).as("a warm cache fetches nothing").isZero();
        }
    }

    @Test
    void badArgumentsEndTheProcessWithAMessage() throws Exception {
        try (LocalCluster c = cluster()) {
            c.createVNode("v");
            LocalCluster.RunResult r = c.run("v", SeqLoadProgram.NAME, "10000", "1");
            assertThat(r.exitCode()).isNotZero();
            assertThat(r.stderr()).contains("multiple of 4096");
            LocalCluster.RunResult missing = c.run("v", SeqLoadProgram.NAME, "1MiB");
            assertThat(missing.exitCode()).isNotZero();
            assertThat(missing.stderr()).contains("missing threads");
        }
    }
}
