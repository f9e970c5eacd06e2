package org.legoos.processor.excache;

/**
 * Finds the access streams of one thread in its ExCache misses, for prefetch: a small table of streams, each a
 * page, a stride in pages (negative, or more than one page, allowed) and a confidence. Fed only on the miss
 * path (never on hits), so a stream advances by its misses: the pages it prefetched are hits and say nothing.
 *
 * <ul>
 * <li>A miss that is not near any stream starts a new entry (the least recently used one is replaced).
 * <li>A miss within {@link #WINDOW} pages of an entry that is not yet confirmed trains it: the distance becomes
 *     its stride.
 * <li>A miss at the entry's page plus its stride continues the stream; the second continuation in a row
 *     confirms it (four misses at equal distances). From then on each continuation asks for a prefetch of the
 *     next {@code depth} pages of the stream, {@code depth} starting at {@link #INITIAL_DEPTH} and doubling with
 *     every further continuation up to the configured maximum. After a prefetch the stream's page moves to the
 *     last page fetched ({@link #prefetched}), so the next miss of the stream is the page right after the batch.
 * <li>A confirmed stream ignores a miss on a page of its last batches (a prefetched line evicted before use)
 *     instead of starting a new stream there.
 * <li>A confirmed stream not continued by any of the thread's last {@link #STALE} misses is confirmed no more:
 *     it must be confirmed again like a new one (its depth starts over), or it is retrained or replaced.
 * </ul>
 * Random misses train entries with random strides that the next misses almost never continue, so they cause
 * (almost) no prefetch: over a region of {@code P} pages about {@code t / P} of the misses continue one of the
 * {@code t <= 8} trained entries by chance, and only about {@code t / P^2} continue one twice in a row.
 *
 * <p>Not thread-safe: each thread has its own detector (the ExCache keeps one per thread).
 */
final class StreamDetector {
    /** Streams tracked per thread. */
    static final int ENTRIES = 8;
    /** Largest distance (pages) between two misses that trains a stride. */
    static final int WINDOW = 64;
    /** Pages prefetched by a newly confirmed stream. */
    static final int INITIAL_DEPTH = 4;
    /**
     * Equal distances in a row that confirm a stream: 3, i.e. four misses. With two (three misses) random misses
     * over 2048 pages prefetched 0.6% of a page per miss, almost none of it used; with three, none (measured
     * with {@code ExCachePrefetchTest.randomAccessIssuesAlmostNoPrefetches}). A stream pays one miss more.
     */
    private static final int CONFIRMED = 3;
    /** Misses of the thread after which a confirmed stream that none of them continued is confirmed no more. */
    static final int STALE = 4 * ENTRIES;

    private final int maxDepth;
    private final int[] asids = new int[ENTRIES];
    private final long[] pages = new long[ENTRIES];
    private final long[] strides = new long[ENTRIES];
    private final int[] confidence = new int[ENTRIES];
    private final int[] depths = new int[ENTRIES];
    /** Last use per entry (0: empty). */
    private final long[] used = new long[ENTRIES];
    private long clock;
    /** Entry of the last {@link #onMiss} that asked for a prefetch, or -1. */
    private int current = -1;

    /** @param maxDepth most pages one prefetch asks for, at least 1 */
    StreamDetector(int maxDepth) {
        if (maxDepth < 1) {
            throw new IllegalArgumentException("maxDepth must be at least 1, got " + maxDepth);
        }
        this.maxDepth = maxDepth;
    }

    /**
     * Records a miss of page {@code vpn} of {@code asid} and returns how many pages of its stream to prefetch
     * after it (0: none); the stride is then {@link #stride()}. Call {@link #prefetched} afterwards with how many
     * were.
     */
    int onMiss(int asid, long vpn) {
        long now = ++clock;
        current = -1;
        int nearest = -1;
        for (int e = 0; e < ENTRIES; e++) {
            if (used[e] == 0 || asids[e] != asid) {
                continue;
            }
            long d = vpn - pages[e];
            long s = strides[e];
            if (d == 0) {
                used[e] = now; // the same page again (refilled after an eviction): nothing new
                return 0;
            }
            if (confidence[e] >= CONFIRMED && now - used[e] > STALE) {
                confidence[e] = 0; // keeps its stride: continued three times more, it is confirmed again
                depths[e] = 0;
            }
            if (s != 0 && d == s) {
                used[e] = now;
                pages[e] = vpn;
                if (confidence[e] < CONFIRMED) {
                    confidence[e]++;
                }
                if (confidence[e] < CONFIRMED) {
                    return 0;
                }
                depths[e] = depths[e] == 0 ? Math.min(INITIAL_DEPTH, maxDepth) : Math.min(2 * depths[e], maxDepth);
                current = e;
                return depths[e];
            }
            if (confidence[e] >= CONFIRMED && d % s == 0 && d / s < 0 && d / s >= -2L * depths[e] - 1) {
                return 0; // a page of its last batches, evicted before use (this does not keep the stream alive)
            }
            if (confidence[e] < CONFIRMED && Math.abs(d) <= WINDOW && (nearest < 0 || used[e] > used[nearest])) {
                nearest = e;
            }
        }
        if (nearest >= 0) {
            strides[nearest] = vpn - pages[nearest];
            pages[nearest] = vpn;
            confidence[nearest] = 1;
            depths[nearest] = 0;
            used[nearest] = now;
            return 0;
        }
        int victim = 0;
        for (int e = 1; e < ENTRIES; e++) {
            if (used[e] < used[victim]) {
                victim = e;
            }
        }
        asids[victim] = asid;
        pages[victim] = vpn;
        strides[victim] = 0;
        confidence[victim] = 0;
        depths[victim] = 0;
        used[victim] = now;
        return 0;
    }

    /** The stride (pages) of the stream the last {@link #onMiss} asked to prefetch. */
    long stride() {
        if (current < 0) {
            throw new IllegalStateException("the last miss asked for no prefetch");
        }
        return strides[current];
    }

    /** {@code n} pages of the stream after the last miss were prefetched: the stream continues after them. */
    void prefetched(int n) {
        if (current >= 0 && n > 0) {
            pages[current] += n * strides[current];
        }
        current = -1;
    }
}
