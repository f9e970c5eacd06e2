package org.legoos.processor.excache;

import java.util.Locale;
import java.util.Objects;

/**
 * Geometry and policy of an {@link ExCache}: the size of the processor component's DRAM given to the cache,
 * its associativity, and how a victim is chosen in a full set.
 *
 * <p>Lines are 4 KiB pages. {@code sets = capacityBytes / (ways * 4096)} must be a power of two, because the set
 * index is taken from virtual-address bits {@code [12, 12 + log2(sets))} as in LegoOS.
 *
 * <p>Two switches go beyond LegoOS's fixed design so an evaluation can compare with and without them: stream
 * prefetch (which LegoOS never had) and piggybacking dirty victims on misses (which it always did).
 *
 * @param capacityBytes size of the cache's off-heap slab, a positive multiple of {@code ways * 4096}
 * @param ways          lines per set (LegoOS uses 64)
 * @param policy        eviction policy used when a set is full
 * @param randomSeed    seed of {@link Policy#RANDOM} (ignored by the other policies)
 * @param prefetchPages most pages a miss fetches ahead of a detected stream, in the same message as the missed
 *                      page, in {@code [0, MAX_PREFETCH_PAGES]}; 0 turns prefetch off
 * @param piggyback     whether a dirty victim rides on the miss that evicts it (LegoOS); when false every dirty
 *                      victim is written back with a flush message of its own before the miss
 */
public record ExCacheConfig(long capacityBytes, int ways, Policy policy, long randomSeed, int prefetchPages,
                            boolean piggyback) {
    /** Line size: one page. */
    public static final int LINE_SIZE = 4096;
    /** Associativity LegoOS uses. */
    public static final int DEFAULT_WAYS = 64;
    /** Default of {@link #prefetchPages}. */
    public static final int DEFAULT_PREFETCH_PAGES = 16;
    /**
     * Largest {@link #prefetchPages}: with the missed page, 1024 pages (4 MiB), the most one {@code P2M_PCACHE_MISS}
     * may ask a memory component for.
     */
    public static final int MAX_PREFETCH_PAGES = 1023;

    /** The eviction policies of LegoOS: FIFO, LRU approximated by CLOCK, and random. */
    public enum Policy {
        /** Evict the line installed longest ago (the paper's best with piggyback and the free list). */
        FIFO,
        /** CLOCK: second chance on a reference bit that hits set; an approximation of LRU. */
        CLOCK,
        /** Evict a pseudo-random line of the set (deterministic for a given seed). */
        RANDOM;

        /** Parses a policy name from configuration, case-insensitively ({@code "lru"} means {@link #CLOCK}). */
        public static Policy parse(String name) {
            Objects.requireNonNull(name, "policy");
            String upper = name.trim().toUpperCase(Locale.ROOT);
            if (upper.equals("LRU")) {
                return CLOCK;
            }
            for (Policy p : values()) {
                if (p.name().equals(upper)) {
                    return p;
                }
            }
            throw new IllegalArgumentException("unknown ExCache eviction policy '" + name + "' (expected fifo, clock, lru or random)");
        }

        /** A fresh policy instance for a cache of {@code sets} sets of {@code ways} lines. */
        public EvictionPolicy create(int sets, int ways, long seed) {
            return switch (this) {
                case FIFO -> new Fifo(sets, ways);
                case CLOCK -> new Clock(sets, ways);
                case RANDOM -> new RandomEviction(sets, ways, seed);
            };
        }
    }

    public ExCacheConfig {
        Objects.requireNonNull(policy, "policy");
        if (prefetchPages < 0 || prefetchPages > MAX_PREFETCH_PAGES) {
            throw new IllegalArgumentException("ExCache prefetchPages must be in [0, " + MAX_PREFETCH_PAGES + "], got "
                    + prefetchPages);
        }
        if (capacityBytes <= 0) {
            throw new IllegalArgumentException("ExCache capacityBytes must be positive, got " + capacityBytes);
        }
        if (ways <= 0) {
            throw new IllegalArgumentException("ExCache ways must be positive, got " + ways);
        }
        if (capacityBytes % LINE_SIZE != 0) {
            throw new IllegalArgumentException("ExCache capacityBytes " + capacityBytes
                    + " is not a multiple of the " + LINE_SIZE + "-byte line");
        }
        long setBytes = (long) ways * LINE_SIZE;
        if (capacityBytes % setBytes != 0) {
            throw new IllegalArgumentException("ExCache capacityBytes " + capacityBytes + " is not a multiple of ways * "
                    + LINE_SIZE + " = " + setBytes + " (ways " + ways + ")");
        }
        long sets = capacityBytes / setBytes;
        if (Long.bitCount(sets) != 1) {
            throw new IllegalArgumentException("ExCache sets = capacityBytes / (ways * " + LINE_SIZE + ") = " + sets
                    + " is not a power of two (capacityBytes " + capacityBytes + ", ways " + ways + ")");
        }
        if (capacityBytes / LINE_SIZE > Integer.MAX_VALUE / 2) {
            throw new IllegalArgumentException("ExCache capacityBytes " + capacityBytes + " is too large (at most "
                    + (long) (Integer.MAX_VALUE / 2) * LINE_SIZE + ")");
        }
    }

    /** The given geometry and policy with prefetch of up to {@value #DEFAULT_PREFETCH_PAGES} pages and piggyback on. */
    public ExCacheConfig(long capacityBytes, int ways, Policy policy, long randomSeed) {
        this(capacityBytes, ways, policy, randomSeed, DEFAULT_PREFETCH_PAGES, true);
    }

    /** A cache of {@code capacityBytes} with LegoOS's 64 ways and FIFO eviction, prefetch and piggyback on. */
    public static ExCacheConfig of(long capacityBytes) {
        return new ExCacheConfig(capacityBytes, DEFAULT_WAYS, Policy.FIFO, 0L);
    }

    /** Number of sets (a power of two). */
    public int sets() {
        return (int) (capacityBytes / ((long) ways * LINE_SIZE));
    }

    /** Number of lines, {@code sets * ways}. */
    public int lines() {
        return (int) (capacityBytes / LINE_SIZE);
    }

    /** The same configuration with another policy. */
    public ExCacheConfig withPolicy(Policy newPolicy) {
        return new ExCacheConfig(capacityBytes, ways, newPolicy, randomSeed, prefetchPages, piggyback);
    }

    /** The same configuration prefetching up to {@code pages} pages per miss (0: no prefetch). */
    public ExCacheConfig withPrefetchPages(int pages) {
        return new ExCacheConfig(capacityBytes, ways, policy, randomSeed, pages, piggyback);
    }

    /** The same configuration with piggybacking of dirty victims on misses switched on or off. */
    public ExCacheConfig withPiggyback(boolean on) {
        return new ExCacheConfig(capacityBytes, ways, policy, randomSeed, prefetchPages, on);
    }
}
