package org.legoos.memory;

import org.legoos.memory.vm.Layout;

/**
 * Configuration of a memory monitor (an mComponent). Immutable and validated on construction; units are in
 * the names.
 *
 * @param capacityBytes size of the page store (the component's memory for process pages), a multiple of 4 KiB;
 *     off-heap memory is reserved lazily as pages are first written
 * @param vregionBytes size of a vRegion, a power of two in [4 KiB, 64 GiB] (LegoOS: 1 GiB). Every memory
 *     component of a cluster must use the same value: a vRegion's owner is found from its index.
 * @param workers 0 to serve requests on the transport's delivery thread (fine for the in-JVM transport; do
 *     not use 0 with a transport whose delivery thread must not block, since home calls wait for owners and
 *     the GMM), else the number of worker threads for P2M requests; M2M requests get a second pool of the
 *     same size, so a home waiting on an owner can never starve that owner. ExCache misses and flushes are
 *     always served on the delivery thread: they never wait on another component
 * @param bufferCacheBytes most bytes of file data the storage buffer cache holds
 * @param bufferChunkBytes unit of the buffer cache (filled, evicted and written back as a whole), a power of
 *     two in [4 KiB, 64 MiB], at most {@code bufferCacheBytes}
 * @param replicas copies of every page of the processes this component is home of: 1 (no replication) or 2 (each
 *     owner's pages of a process are also on a second memory component, when the cluster has one, so that the
 *     process survives the owner's death)
 * @param reReplicationBytesPerSecond how fast an owner copies a process's pages to a new replica while the program runs
 *     (a component joined, or a replica died): bounded so the copy does not starve the programs' own traffic
 */
public record MemoryConfig(long capacityBytes, long vregionBytes, int workers, long bufferCacheBytes, int bufferChunkBytes,
                           int replicas, long reReplicationBytesPerSecond) {
    public static final long DEFAULT_VREGION_BYTES = 1L << 30;
    public static final int DEFAULT_WORKERS = 4;
    public static final long DEFAULT_BUFFER_CACHE_BYTES = 64L << 20;
    public static final int DEFAULT_BUFFER_CHUNK_BYTES = 64 << 10;
    public static final int DEFAULT_REPLICAS = 2;
    public static final long DEFAULT_RE_REPLICATION_BYTES_PER_SECOND = 128L << 20;
    /** Most copies of a page: a primary and one replica (more are not supported yet). */
    public static final int MAX_REPLICAS = 2;
    /** Most page-store capacity: 2^31 - 1 frames. */
    public static final long MAX_CAPACITY_BYTES = (long) Integer.MAX_VALUE * Layout.PAGE_SIZE;

    public MemoryConfig {
        if (capacityBytes < Layout.PAGE_SIZE || capacityBytes > MAX_CAPACITY_BYTES || capacityBytes % Layout.PAGE_SIZE != 0) {
            throw new IllegalArgumentException("capacityBytes must be a multiple of 4096 in [4 KiB, 8 TiB), got " + capacityBytes);
        }
        if (Long.bitCount(vregionBytes) != 1 || vregionBytes < Layout.MIN_VREGION_BYTES || vregionBytes > Layout.MAX_VREGION_BYTES) {
            throw new IllegalArgumentException("vregionBytes must be a power of two in [4 KiB, 64 GiB], got " + vregionBytes);
        }
        if (workers < 0 || workers > 1024) {
            throw new IllegalArgumentException("workers must be in [0, 1024], got " + workers);
        }
        if (Integer.bitCount(bufferChunkBytes) != 1 || bufferChunkBytes < 4096 || bufferChunkBytes > (64 << 20)) {
            throw new IllegalArgumentException("bufferChunkBytes must be a power of two in [4 KiB, 64 MiB], got " + bufferChunkBytes);
        }
        if (replicas < 1 || replicas > MAX_REPLICAS) {
            throw new IllegalArgumentException("replicas must be in [1, " + MAX_REPLICAS + "], got " + replicas);
        }
        if (reReplicationBytesPerSecond < Layout.PAGE_SIZE) {
            throw new IllegalArgumentException("reReplicationBytesPerSecond must be at least one page (4096), got "
                    + reReplicationBytesPerSecond);
        }
        if (bufferCacheBytes < bufferChunkBytes) {
            throw new IllegalArgumentException("bufferCacheBytes (" + bufferCacheBytes + ") must hold at least one chunk of "
                    + bufferChunkBytes + " bytes");
        }
    }

    /** With the default re-replication rate. */
    public MemoryConfig(long capacityBytes, long vregionBytes, int workers, long bufferCacheBytes, int bufferChunkBytes,
                        int replicas) {
        this(capacityBytes, vregionBytes, workers, bufferCacheBytes, bufferChunkBytes, replicas,
                DEFAULT_RE_REPLICATION_BYTES_PER_SECOND);
    }

    /** With the default number of replicas. */
    public MemoryConfig(long capacityBytes, long vregionBytes, int workers, long bufferCacheBytes, int bufferChunkBytes) {
        this(capacityBytes, vregionBytes, workers, bufferCacheBytes, bufferChunkBytes, DEFAULT_REPLICAS);
    }

    /** A configuration with {@code capacityBytes} of page store and the defaults for everything else. */
    public static MemoryConfig of(long capacityBytes) {
        return new MemoryConfig(capacityBytes, DEFAULT_VREGION_BYTES, DEFAULT_WORKERS, DEFAULT_BUFFER_CACHE_BYTES,
                DEFAULT_BUFFER_CHUNK_BYTES);
    }

    public MemoryConfig withVregionBytes(long bytes) {
        return new MemoryConfig(capacityBytes, bytes, workers, bufferCacheBytes, bufferChunkBytes, replicas, reReplicationBytesPerSecond);
    }

    public MemoryConfig withWorkers(int n) {
        return new MemoryConfig(capacityBytes, vregionBytes, n, bufferCacheBytes, bufferChunkBytes, replicas, reReplicationBytesPerSecond);
    }

    public MemoryConfig withBufferCache(long cacheBytes, int chunkBytes) {
        return new MemoryConfig(capacityBytes, vregionBytes, workers, cacheBytes, chunkBytes, replicas, reReplicationBytesPerSecond);
    }

    public MemoryConfig withReplicas(int n) {
        return new MemoryConfig(capacityBytes, vregionBytes, workers, bufferCacheBytes, bufferChunkBytes, n, reReplicationBytesPerSecond);
    }

    public MemoryConfig withReReplicationBytesPerSecond(long bytesPerSecond) {
        return new MemoryConfig(capacityBytes, vregionBytes, workers, bufferCacheBytes, bufferChunkBytes, replicas, bytesPerSecond);
    }
}
