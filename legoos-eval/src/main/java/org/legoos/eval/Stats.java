package org.legoos.eval;

import org.legoos.processor.excache.ExCacheStats;

/** Derived figures of {@link ExCacheStats} for tables. */
final class Stats {
    private Stats() {
    }

    /** Lines installed by prefetching. */
    static long prefetched(ExCacheStats s) {
        return s.prefetched();
    }
}
