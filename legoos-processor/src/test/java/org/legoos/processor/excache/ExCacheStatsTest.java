package org.legoos.processor.excache;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** The working-set measure in both modes' counters. */
class ExCacheStatsTest {
    @Test
    void touchedPagesCountUsedPrefetchesWhereHitsAreSeenAndEveryPrefetchWhereTheyAreNot() {
        // thread mode: 100 misses, 40 pages prefetched of which 30 were used
        assertThat(new ExCacheStats(5000, 100, 10, 0, 0, 0, 30, 40, 5).touchedPages()).isEqualTo(130);
        // process mode: hits are hardware loads, so neither hits nor prefetch hits are counted
        assertThat(new ExCacheStats(0, 100, 100, 0, 0, 0, 0, 1500, 0).touchedPages()).isEqualTo(1600);
        assertThat(new ExCacheStats(0, 0, 0, 0, 0, 0, 0, 0, 0).touchedPages()).isZero();
    }
}
