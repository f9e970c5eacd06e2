package org.legoos.processor.excache;

import java.lang.foreign.MemorySegment;
import java.util.List;
import java.util.Objects;

/**
 * Where ExCache lines come from and go to: in LegoOS, the memory components that own the vRegions of a
 * process. The process monitor implements it over RPC ({@code P2M_PCACHE_MISS}, {@code P2M_PCACHE_FLUSH});
 * tests implement it with a map.
 *
 * <p>Prefetch (beyond LegoOS) is optional: a backend that says which pages may ride on a miss
 * ({@link #prefetchable}) gets them in one {@link #fillBatch} call with the missed page. The defaults prefetch
 * nothing, so a backend with only {@link #fill} and {@link #flush} works unchanged.
 *
 * <p>Threading: the {@link ExCache} calls the backend from many threads at once, but every call that moves a
 * page's data ({@link #fill}, {@link #fillBatch}, {@link #flush}: missed, prefetched, victim or flushed pages) is
 * made with the lock of that page's cache set held, so two such calls for the same page never overlap. Calls may block (they are remote calls); other sets keep running meanwhile. A
 * backend must not call back into the ExCache that called it.
 */
public interface LineBackend {
    /** Result of a fill, for the counters. */
    enum Fill {
        /** The page was fetched from its memory component; a dirty victim, if any, was written back separately. */
        FETCHED,
        /** The page was fetched and the dirty victim rode on the same miss message (same memory component). */
        FETCHED_WITH_PIGGYBACK,
        /** The page was never materialised on a memory component: the backend zero-filled {@code dst} locally. */
        ZERO_FILLED,
        /**
         * The page's newest contents were a dirty victim whose write-back the backend had deferred (see
         * {@link #writeBackDeferred}) and not yet sent: the backend copied them into {@code dst} and forgot them, so the
         * ExCache must keep the line dirty.
         */
        RESTORED
    }

    /**
     * A page to fetch along with a miss, and the line it goes to. If {@code victimData} is not null it is the
     * dirty page (victimAsid, victimVpn) that had the line; it is the same memory as {@code dst}, so the backend
     * must read it fully (write it back) before it writes {@code dst}. Without a dirty victim {@code victimData}
     * is null, {@code victimAsid} 0 and {@code victimVpn} -1.
     *
     * @param vpn page to fetch: the {@code i}-th prefetch line of a batch has {@code vpn + (i + 1) * strideVpns}
     *            of the missed page
     */
    record PrefetchLine(long vpn, MemorySegment dst, int victimAsid, long victimVpn, MemorySegment victimData) {
        public PrefetchLine {
            Objects.requireNonNull(dst, "dst");
        }
    }

    /**
     * What {@link #fillBatch} did.
     *
     * @param fill       how the missed page was filled
     * @param prefetched how many of the prefetch lines, counted from the first, were filled (the rest are not)
     */
    record BatchFill(Fill fill, int prefetched) {
        public BatchFill {
            Objects.requireNonNull(fill, "fill");
            if (prefetched < 0) {
                throw new IllegalArgumentException("prefetched must not be negative, got " + prefetched);
            }
        }
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

    /**
     * A backend may defer the write-back of dirty victims it cannot piggyback (LegoOS's victim cache), to send them
     * in batches; until a deferred page is written back, a fill of it returns it ({@link Fill#RESTORED}) and no
     * prefetch fetches it. This writes back, and waits for, every deferred page of {@code asid} in
     * {@code [firstVpn, lastVpn]}: the ExCache calls it after writing back that range's dirty lines (msync, mremap).
     * The default defers nothing.
     */
    default void writeBackDeferred(int asid, long firstVpn, long lastVpn) {
    }

    /**
     * Forgets the deferred pages of {@code asid} in {@code [firstVpn, lastVpn]} without writing them back, and waits
     * for any write-back of them already under way: the ExCache calls it when it drops the range's lines without
     * write-back (munmap, process exit), so nothing stale lands after.
     */
    default void discardDeferred(int asid, long firstVpn, long lastVpn) {
    }

    /**
     * Called under the set's lock before the first store to a cached line of page {@code vpn}: returns if the page may
     * be written, else throws {@link org.legoos.api.SegmentationFault} (a read-only page), which reaches the program
     * at its store. The default allows every store.
     */
    default void checkWrite(int asid, long vpn) {
    }

    /**
     * Whether page {@code vpn} is anonymous memory a store may change now, so a cache that tracks dirty pages by
     * faults may install it writable (and dirty) ahead of a store it expects: nothing but a write-back is lost if the
     * store never comes. Answers from local state, under the set's lock. The default says no.
     */
    default boolean writableAnonymous(int asid, long vpn) {
        return false;
    }

    /**
     * How many of the pages {@code vpn + i * strideVpns}, {@code i = 1 .. max}, counted from {@code i = 1} up to
     * the first that is not, are worth fetching in the same message as page {@code vpn}: pages with data on the
     * same memory component as {@code vpn}. Pages never written back are not (their own miss zero-fills them
     * locally), nor unmapped ones. Returns 0 if {@code vpn} itself would not be fetched from a memory component.
     *
     * <p>The ExCache acts only on an answer given while it holds the locks of the sets of {@code vpn} and of every
     * page asked about, and installs the pages before it releases them; it may also ask before taking the
     * latter, as a cheap pre-check. So a backend that stops answering for a range before the range's lines are
     * invalidated never gets a line installed for it afterwards. Runs on every miss of a detected stream: it must
     * answer from local state, without remote calls. The default prefetches nothing.
     *
     * @param strideVpns nonzero distance between the pages, in pages (negative for a descending stream)
     * @param max        at least 1
     */
    default int prefetchable(int asid, long vpn, long strideVpns, int max) {
        return 0;
    }

    /**
     * The zero-fill counterpart of {@link #prefetchable}, for a cache whose misses are costly in themselves (process
     * mode: each one a page fault served from another process): how many of the pages {@code vpn + i * strideVpns},
     * {@code i = 1 .. max}, counted from {@code i = 1} up to the first that is not, a miss of {@code vpn} may
     * zero-fill along with it, because they, like {@code vpn} itself, are anonymous, mapped readable, never written
     * back and not waiting for a deferred write-back. Returns 0 if {@code vpn} itself would not be zero-filled. The
     * locking contract is {@link #prefetchable}'s; {@link #fillBatch} then fills such lines with zeros and sends
     * nothing. The default zero-fills nothing ahead.
     */
    default int zeroFillable(int asid, long vpn, long strideVpns, int max) {
        return 0;
    }

    /**
     * A miss of page {@code vpn} (as {@link #fill}, with its victim) that also fills the prefetch lines
     * {@code lines} with pages {@code vpn + (i + 1) * strideVpns}: the pages {@link #prefetchable} accepted, in
     * one message if the backend can. Every dirty victim of {@code lines} must be written back before the call
     * returns or throws (unless the exception says its memory component failed), and before its line is written.
     * The backend fills a prefix of {@code lines} (possibly none, e.g. if the memory component returned fewer
     * pages) and returns its length; the ExCache frees the other lines. If it throws, the ExCache frees every
     * line, the missed page's included. Neither the segments nor the list may be kept after the call.
     *
     * <p>The default writes back the victims of {@code lines} one by one, fills the missed page with
     * {@link #fill} and then each prefetch line with {@link #fill} (no victim) until one fails; a failure of a
     * prefetch page is not the program's: it only ends the prefix.
     */
    default BatchFill fillBatch(int asid, long vpn, MemorySegment dst, int victimAsid, long victimVpn,
                                MemorySegment victimData, long strideVpns, List<PrefetchLine> lines) {
        for (PrefetchLine line : lines) {
            if (line.victimData() != null) {
                flush(line.victimAsid(), line.victimVpn(), line.victimData());
            }
        }
        Fill fill = fill(asid, vpn, dst, victimAsid, victimVpn, victimData);
        int prefetched = 0;
        for (PrefetchLine line : lines) {
            try {
                fill(asid, line.vpn(), line.dst(), 0, -1, null);
            } catch (RuntimeException e) {
                break; // e.g. unmapped meanwhile: the prefetch ends here, the miss itself succeeded
            }
            prefetched++;
        }
        return new BatchFill(fill, prefetched);
    }
}
