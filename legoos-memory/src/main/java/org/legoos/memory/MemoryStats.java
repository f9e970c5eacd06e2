package org.legoos.memory;

import java.util.Map;

/**
 * A snapshot of a memory monitor's state and counters (counters count since start).
 *
 * @param capacityBytes page store capacity
 * @param pagesUsed page frames holding process pages
 * @param homeSpaces address spaces this component is the home of
 * @param ownedSpaces address spaces with areas in vRegions owned here
 * @param mappedBytesPerSpace pid to bytes mapped, for address spaces homed here
 * @param storedBytesPerSpace pid to bytes of pages stored here (any home)
 * @param missesServed PCACHE_MISS requests answered
 * @param pagesServed pages returned by misses
 * @param zeroPagesServed of those, pages never written back (returned as zeros)
 * @param flushes PCACHE_FLUSH requests stored
 * @param pagesFlushed pages written back, by flushes and piggybacked victims
 * @param piggybackedVictims dirty victims that rode on a miss
 * @param refusedNoMemory requests refused because the page store was full
 * @param refusedBadAddress requests refused because the address was not mapped here
 * @param vmCalls address-space calls served as home
 * @param consults vRegion owners asked of the GMM
 * @param pagesCopiedAcrossOwners pages mremap copied from one owner to another
 * @param bufferCacheHits buffer cache chunk lookups that hit
 * @param bufferCacheMisses chunk lookups that had to fill (or create) a chunk
 * @param bufferCacheEvictions chunks evicted
 * @param bufferCacheWriteBacks dirty ranges written to storage
 * @param bufferCacheBytes bytes of file data cached
 * @param bufferCacheDirtyChunks cached chunks not yet written back
 * @param replicaBytes bytes of pages held here as the replica of other components' vRegions
 * @param spacesWithoutReplica address spaces owned here that have no replica
 * @param changesReplicated changes of owned spaces sent to their replica and acknowledged
 * @param promotions replicas held here that took over from a dead owner
 * @param failovers processes homed here whose vRegions were moved off a dead owner
 * @param homesAdopted processes this component became the home of when their home died
 * @param homeCopyBytes bytes of other homes' metadata kept here as their home replica
 * @param relocations vRegions of processes homed here moved off a memory component that ran out of room
 * @param replicasRestored replicas this home named for owners that already held pages (after a component joined or a
 *     replica died), counted once the owner's copy was complete and the pairing recorded
 */
public record MemoryStats(long capacityBytes, long pagesUsed, int homeSpaces, int ownedSpaces,
                          Map<Long, Long> mappedBytesPerSpace, Map<Long, Long> storedBytesPerSpace,
                          long missesServed, long pagesServed, long zeroPagesServed, long flushes, long pagesFlushed,
                          long piggybackedVictims, long refusedNoMemory, long refusedBadAddress,
                          long vmCalls, long consults, long pagesCopiedAcrossOwners,
                          long bufferCacheHits, long bufferCacheMisses, long bufferCacheEvictions,
                          long bufferCacheWriteBacks, long bufferCacheBytes, long bufferCacheDirtyChunks,
                          long replicaBytes, int spacesWithoutReplica, long changesReplicated, long promotions,
                          long failovers, long homesAdopted, long homeCopyBytes, long relocations,
                          long replicasRestored) {
    public MemoryStats {
        mappedBytesPerSpace = Map.copyOf(mappedBytesPerSpace);
        storedBytesPerSpace = Map.copyOf(storedBytesPerSpace);
    }

    /** Bytes of the page store in use. */
    public long usedBytes() {
        return pagesUsed * 4096;
    }
}
