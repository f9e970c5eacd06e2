package org.legoos.eval;

import org.legoos.processor.excache.ExCacheConfig;

/**
 * Turns "an ExCache of about N bytes" into a valid geometry. A capacity must be {@code sets * ways * 4096} with a
 * power-of-two number of sets; with LegoOS's fixed 64 ways that allows only powers of two times 256 KiB, too coarse
 * for "25% of a 37 MiB working set". This picks the power-of-two set count that puts the ways in [33, 64] and rounds
 * the ways, so the capacity is within about 3% of the target, while keeping associativity close to LegoOS's.
 * Prefetch and piggyback are on (the defaults); change them with the config's withers.
 */
public final class ExCacheSizing {
    /** The smallest cache the harness configures (64 lines). */
    public static final long MIN_BYTES = 64L * ExCacheConfig.LINE_SIZE;

    private ExCacheSizing() {
    }

    /** A geometry of about {@code targetBytes} (at least {@link #MIN_BYTES}) with the given policy. */
    public static ExCacheConfig about(long targetBytes, ExCacheConfig.Policy policy) {
        if (targetBytes <= 0) {
            throw new IllegalArgumentException("ExCache target size must be positive, got " + targetBytes);
        }
        long lines = Math.max(MIN_BYTES, targetBytes) / ExCacheConfig.LINE_SIZE;
        long sets = Math.max(1, Long.highestOneBit(Math.max(1, lines / 33)));
        long ways = Math.max(1, Math.min(64, Math.round((double) lines / sets)));
        return new ExCacheConfig(sets * ways * ExCacheConfig.LINE_SIZE, (int) ways, policy, 42L,
                ExCacheConfig.DEFAULT_PREFETCH_PAGES, true);
    }
}
