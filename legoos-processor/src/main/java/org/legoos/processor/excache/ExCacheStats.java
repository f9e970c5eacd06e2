package org.legoos.processor.excache;

/**
 * An immutable snapshot of the {@link ExCache} counters (the numbers LegoOS reports for its pcache, and the
 * prefetch counters LegoOS did not have).
 * An access is one load or store, one page's part of a bulk {@code read}/{@code write}, or one byte of a value
 * that crosses a page boundary (such values are split into bytes).
 *
 * @param hits             loads and stores served by a cached line (including ones that waited for another
 *                         thread's fill of the same page, and first uses of prefetched lines)
 * @param misses           accesses that had to fill a line from the backend (zero-fills included); pages
 *                         brought in by prefetch are not misses
 * @param zeroFills        misses the backend served by zero-filling locally (page never materialised)
 * @param evictions        valid lines evicted to make room for a miss or a prefetched page
 * @param flushes          dirty lines written back, by any route (eviction, piggyback, msync, invalidation)
 * @param piggybacks       dirty victims that rode on the miss message instead of a flush of their own
 *                         (a subset of {@code flushes})
 * @param prefetchHits     prefetched lines used at least once (counted at their first use; with one-way sets
 *                         a first use may go uncounted, see {@link ExCache})
 * @param prefetched       pages installed by prefetch, along with a miss
 * @param prefetchMessages misses that brought prefetched pages along (one {@code P2M_PCACHE_MISS} each with
 *                         the process monitor's backend)
 */
public record ExCacheStats(long hits, long misses, long zeroFills, long evictions, long flushes, long piggybacks,
                           long prefetchHits, long prefetched, long prefetchMessages) {
    /** All counters zero. */
    public static final ExCacheStats ZERO = new ExCacheStats(0, 0, 0, 0, 0, 0, 0, 0, 0);

    /** The counters of a cache that never prefetched. */
    public ExCacheStats(long hits, long misses, long zeroFills, long evictions, long flushes, long piggybacks,
                        long prefetchHits) {
        this(hits, misses, zeroFills, evictions, flushes, piggybacks, prefetchHits, 0, 0);
    }

    /** Loads and stores that went through the cache: {@code hits + misses}. */
    public long accesses() {
        return hits + misses;
    }

    /**
     * Distinct pages a run brought into the cache, exact when nothing was evicted (the measure of a working set): every
     * miss, zero-fills included, plus the prefetched pages it used. A prefetched page's first use is a prefetch hit
     * where the cache sees accesses (thread mode); where it does not (process mode: a hit is a hardware load, so hits
     * and prefetch hits stay 0) every prefetched page counts, which overstates the set by at most the unused tail of
     * each stream's last prefetch.
     */
    public long touchedPages() {
        boolean seesHits = hits > 0 || prefetchHits > 0;
        return misses + (seesHits ? prefetchHits : prefetched);
    }

    /** {@code hits / accesses}, or 0 when there were no accesses. */
    public double hitRate() {
        long accesses = accesses();
        return accesses == 0 ? 0.0 : (double) hits / accesses;
    }

    /** {@code prefetchHits / prefetched}: the share of prefetched pages that were used, or 0 if none were. */
    public double prefetchAccuracy() {
        return prefetched == 0 ? 0.0 : (double) prefetchHits / prefetched;
    }

    /** The counters accumulated since {@code earlier} was taken. */
    public ExCacheStats minus(ExCacheStats earlier) {
        return new ExCacheStats(hits - earlier.hits, misses - earlier.misses, zeroFills - earlier.zeroFills,
                evictions - earlier.evictions, flushes - earlier.flushes, piggybacks - earlier.piggybacks,
                prefetchHits - earlier.prefetchHits, prefetched - earlier.prefetched,
                prefetchMessages - earlier.prefetchMessages);
    }
}
