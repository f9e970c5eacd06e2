package org.legoos.processor.excache;

/**
 * Chooses which line of a full ExCache set to evict (LegoOS: FIFO, LRU, random). Implementations are
 * {@link Fifo}, {@link Clock} and {@link RandomEviction}; each instance serves one cache geometry.
 *
 * <p>Lines are numbered {@code set * ways + way}. Threading: every method is called with the lock of the
 * named set held, so per-set state needs no further synchronisation; different sets are served concurrently,
 * so state shared between sets must be thread-safe. The hit path never calls the policy (it must stay free of
 * calls); a policy that needs to know about hits asks for {@linkplain #usesReferenceBits() reference bits},
 * which the cache sets on every hit without a call.
 */
public interface EvictionPolicy {
    /**
     * Whether the cache must maintain a reference bit per line: set on every hit (racily, it is a hint) and on
     * install, passed to {@link #victim} which may clear it.
     */
    default boolean usesReferenceBits() {
        return false;
    }

    /**
     * Picks the way to evict from {@code set}, whose lines are all valid.
     *
     * @param referenced the reference bits indexed by line (not way), or null if {@link #usesReferenceBits()}
     *                   is false; the policy may clear bits of this set
     * @return a way in {@code [0, ways)}
     */
    int victim(int set, byte[] referenced);

    /** A line was installed at {@code way} of {@code set}. */
    void installed(int set, int way);

    /**
     * A line of a sequential stream was installed at {@code way} of {@code set} (a prefetched page, or a miss that
     * continues a confirmed stream): likely used once, so a policy should evict it before the lines installed by
     * other misses (Linux puts read-ahead pages on its inactive list for the same reason). The default treats it as
     * any other line.
     */
    default void installedStreaming(int set, int way) {
        installed(set, way);
    }

    /** The line at {@code way} of {@code set} was dropped and is free now. */
    default void invalidated(int set, int way) {
    }
}
