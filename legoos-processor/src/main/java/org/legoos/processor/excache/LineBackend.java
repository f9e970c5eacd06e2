package org.legoos.processor.excache;

import java.lang.foreign.MemorySegment;

/**
 * Where ExCache lines come from and go to: in LegoOS, the memory components that own the vRegions of a
 * process. The process monitor implements it over RPC ({@code P2M_PCACHE_MISS}, {@code P2M_PCACHE_FLUSH});
 * tests implement it with a map.
 *
 * <p>Threading: the {@link ExCache} calls the backend from many threads at once, but never twice at the same
 * time for lines of the same cache set (it holds the set's lock around each call), so two calls for the same
 * page never overlap. Calls may block (they are remote calls); other sets keep running meanwhile. A backend must
 * not call back into the ExCache that called it.
 */
public interface LineBackend {
    /** Result of a fill, for the counters. */
    enum Fill {
        /** The page was fetched from its memory component; a dirty victim, if any, was written back separately. */
        FETCHED,
        /** The page was fetched and the dirty victim rode on the same miss message (same memory component). */
        FETCHED_WITH_PIGGYBACK,
        /** The page was never materialised on a memory component: the backend zero-filled {@code dst} locally. */
        ZERO_FILLED
    }

    /**
     * Fills dst (exactly 4096 bytes) with page vpn of address space asid. If victimData != null it is a dirty
     * line (victimAsid, victimVpn) being evicted to make room: the backend must write it back before returning,
     * piggybacking it on the miss when it goes to the same memory component. victimData and dst may be the
     * same memory: the backend reads victimData fully before writing dst.
     * Throws org.legoos.api.SegmentationFault for an unmapped address (or other LegoException).
     * If it throws, the victim has either been written back or the exception says the component failed.
     *
     * <p>When there is no dirty victim, {@code victimData} is null, {@code victimAsid} is 0 and
     * {@code victimVpn} is -1. Neither segment may be kept after the call returns.
     */
    Fill fill(int asid, long vpn, MemorySegment dst, int victimAsid, long victimVpn, MemorySegment victimData);

    /**
     * Writes back one dirty line. {@code src} is the live 4096-byte line: the backend must copy it before
     * returning and must not keep it. Concurrent stores of the process may change it meanwhile; the ExCache
     * then keeps the line dirty, so a later flush writes the newer bytes.
     */
    void flush(int asid, long vpn, MemorySegment src);
}
