package org.legoos.processor.excache;

/**
 * What the VM calls of a process need from the processor component's cache of its pages, whichever way the cache is
 * built: the software {@link ExCache} of thread mode (lines in one off-heap slab, every load a call) or the
 * {@link FaultExCache} of process mode (the resident pages of the task JVMs, loads plain hardware loads). The
 * address-space logic ({@code RemoteAddressSpace}: mmap, munmap, mremap, mprotect, msync, exit) is written once
 * against this interface, so both modes keep the same semantics by construction.
 *
 * <p>Thread-safe. A write-back failure propagates and leaves the page cached and dirty.
 */
public interface PageCache {
    /** Writes back the dirty pages of {@code [va, va+len)} of {@code asid}; they stay cached, clean (msync). */
    void flushRange(int asid, long va, long len);

    /**
     * Drops the cached pages of {@code [va, va+len)} of {@code asid}: without write-back for munmap (their data is
     * discarded), with write-back of the dirty ones first for mremap and mprotect(PROT_NONE).
     */
    void invalidateRange(int asid, long va, long len, boolean writeBack);

    /**
     * Takes write permission away from the cached pages of {@code [va, va+len)} (mprotect): once this returns every
     * store to them asks the backend ({@link LineBackend#checkWrite}) again. Dirty pages stay dirty.
     */
    void revokeWrite(int asid, long va, long len);

    /** Drops every page of {@code asid} (process exit), writing dirty ones back first if asked. */
    void invalidateAll(int asid, boolean writeBack);

    /** The counters since creation or the last reset. */
    ExCacheStats stats();
}
