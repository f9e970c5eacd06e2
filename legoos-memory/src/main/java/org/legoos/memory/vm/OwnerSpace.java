package org.legoos.memory.vm;

import java.util.concurrent.locks.ReentrantReadWriteLock;
import org.legoos.memory.pagestore.PageTable;

/**
 * What a vRegion owner keeps of one address space: the areas of it inside vRegions owned here and the pages
 * stored for it. Misses and flushes hold {@link #lock} shared, area changes from the home exclusively.
 */
final class OwnerSpace {
    final long pid;
    final int vnodeId;
    final ReentrantReadWriteLock lock = new ReentrantReadWriteLock();
    /** Guarded by {@link #lock}. */
    final VmaTree areas = new VmaTree();
    final PageTable pages;
    /**
     * Ranges start to end of vRegions the home moved (or is moving) to another owner (M2M_MOVE_OUT): processors'
     * misses and flushes there are refused with UNAVAILABLE, so they ask the home for the new owner, until an area
     * is mapped there again. Guarded by {@link #lock}; empty but for a full owner.
     */
    final java.util.TreeMap<Long, Long> movedOut = new java.util.TreeMap<>();
    /** Set under the write lock once M2M_DESTROY removed this space; later requests see BAD_ADDRESS. */
    boolean dead;
    /**
     * The memory component every change of this space is replicated to before it is acknowledged (M2M_SET_REPLICA),
     * -1 for none. Unused in a replica's own copy.
     */
    volatile int replica = -1;
    /**
     * The pairing with {@link #replica} as the home numbered it (M2M_SET_REPLICA, M2M_PROMOTE); in a replica's copy, the
     * pairing it belongs to.
     */
    volatile long replicaEpoch;
    /**
     * Write order per page while replicating: a flush holds the stripes of its pages across its local store and its
     * M2M_REPLICATE, so two flushes of one page reach the replica in the order they were applied here.
     */
    final java.util.concurrent.locks.ReentrantLock[] writeOrder = new java.util.concurrent.locks.ReentrantLock[64];

    {
        for (int i = 0; i < writeOrder.length; i++) {
            writeOrder[i] = new java.util.concurrent.locks.ReentrantLock();
        }
    }

    OwnerSpace(long pid, int vnodeId, PageTable pages) {
        this.pid = pid;
        this.vnodeId = vnodeId;
        this.pages = pages;
    }
}
