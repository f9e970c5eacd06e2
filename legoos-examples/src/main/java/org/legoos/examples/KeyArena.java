package org.legoos.examples;

import java.util.Arrays;
import org.legoos.api.AddressSpace;

/**
 * A bump allocator for word bytes in the disaggregated address space: keys are appended to mapped blocks
 * and never move, so their virtual addresses can be shared by several {@link WordTable}s (the reduce
 * phase's merged table points at the map threads' keys instead of copying them). Keys larger than a
 * quarter block get a mapping of their own, so there is no limit on key length.
 *
 * <p>Not thread-safe: each map thread owns its arena; after the map phase the arenas are only read.
 */
final class KeyArena implements AutoCloseable {
    static final long BLOCK_BYTES = 256 * 1024;

    private final AddressSpace memory;
    private long blockVa;
    private long blockUsed = BLOCK_BYTES; // forces a block on first store
    private long[] mappings = new long[16]; // (va, length) pairs
    private int mappingCount;
    private long bytesStored;

    KeyArena(AddressSpace memory) {
        this.memory = memory;
    }

    /** Copies {@code key[0..length)} into the arena and returns its virtual address. */
    long store(byte[] key, int length) {
        long va;
        if (length > BLOCK_BYTES / 4) {
            va = map(length);
        } else {
            if (blockUsed + length > BLOCK_BYTES) {
                blockVa = map(BLOCK_BYTES);
                blockUsed = 0;
            }
            va = blockVa + blockUsed;
            blockUsed += length;
        }
        memory.write(va, key, 0, length);
        bytesStored += length;
        return va;
    }

    /** Bytes of key data stored so far. */
    long bytesStored() {
        return bytesStored;
    }

    private long map(long length) {
        long va = memory.mmap(length);
        if (mappingCount * 2 == mappings.length) {
            mappings = Arrays.copyOf(mappings, mappings.length * 2);
        }
        mappings[mappingCount * 2] = va;
        mappings[mappingCount * 2 + 1] = length;
        mappingCount++;
        return va;
    }

    /** Unmaps every block; addresses handed out become invalid. */
    @Override
    public void close() {
        for (int i = 0; i < mappingCount; i++) {
            memory.munmap(mappings[i * 2], mappings[i * 2 + 1]);
        }
        mappingCount = 0;
        blockUsed = BLOCK_BYTES;
    }
}
