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
    /** Set under the write lock once M2M_DESTROY removed this space; later requests see BAD_ADDRESS. */
    boolean dead;

    OwnerSpace(long pid, int vnodeId, PageTable pages) {
        this.pid = pid;
        this.vnodeId = vnodeId;
        this.pages = pages;
    }
}
