package org.legoos.processor.excache;

/**
 * CLOCK eviction, LegoOS's LRU approximation: a hand sweeps the ways of the set; a line whose reference bit is
 * set (it was hit since the hand last passed) gets a second chance and its bit cleared, the first line found
 * without the bit is the victim. Threading: see {@link EvictionPolicy}.
 */
public final class Clock implements EvictionPolicy {
    private final int ways;
    private final int[] hand; // per set: next way to look at

    public Clock(int sets, int ways) {
        this.ways = ways;
        this.hand = new int[sets];
    }

    @Override
    public boolean usesReferenceBits() {
        return true;
    }

    @Override
    public int victim(int set, byte[] referenced) {
        int base = set * ways;
        int way = hand[set];
        // At most two sweeps: the first clears every bit it passes, so the second finds a clear one.
        for (int step = 0; step < 2 * ways; step++) {
            int line = base + way;
            if (referenced[line] == 0) {
                hand[set] = (way + 1) % ways;
                return way;
            }
            referenced[line] = 0;
            way = (way + 1) % ways;
        }
        // Hits kept setting bits behind the hand: take the line under it.
        hand[set] = (way + 1) % ways;
        return way;
    }

    @Override
    public void installed(int set, int way) {
        // The cache sets the line's reference bit; nothing else to remember.
    }
}
