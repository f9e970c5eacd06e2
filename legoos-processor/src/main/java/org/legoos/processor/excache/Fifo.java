package org.legoos.processor.excache;

/**
 * FIFO eviction: the victim is the line of the set installed longest ago (exact, by install sequence). With the
 * free list and piggybacked flushes this was the paper's best configuration. Lines of a sequential stream
 * ({@link #installedStreaming}) go first, in their own FIFO order: a scan through more memory than the cache
 * holds then pushes out its own pages, not the working set of the program's other accesses. Threading: see
 * {@link EvictionPolicy}.
 */
public final class Fifo implements EvictionPolicy {
    private final int ways;
    private final long[] installedAt; // per line: install sequence number within its set
    private final long[] nextSequence; // per set: 1, 2, ... for lines of other misses
    private final long[] nextStreaming; // per set: Long.MIN_VALUE + 1, + 2, ... below every other line's

    public Fifo(int sets, int ways) {
        this.ways = ways;
        this.installedAt = new long[Math.multiplyExact(sets, ways)];
        this.nextSequence = new long[sets];
        this.nextStreaming = new long[sets];
        java.util.Arrays.fill(nextStreaming, Long.MIN_VALUE);
    }

    @Override
    public int victim(int set, byte[] referenced) {
        int base = set * ways;
        int oldest = 0;
        long oldestSeq = installedAt[base];
        for (int way = 1; way < ways; way++) {
            long seq = installedAt[base + way];
            if (seq < oldestSeq) {
                oldestSeq = seq;
                oldest = way;
            }
        }
        return oldest;
    }

    @Override
    public void installed(int set, int way) {
        installedAt[set * ways + way] = ++nextSequence[set];
    }

    @Override
    public void installedStreaming(int set, int way) {
        installedAt[set * ways + way] = ++nextStreaming[set];
    }
}
