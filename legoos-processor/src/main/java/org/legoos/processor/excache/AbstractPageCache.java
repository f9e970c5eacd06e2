package org.legoos.processor.excache;

import java.util.Objects;

/**
 * The range operations of a {@link PageCache} written once for both caches (the software {@link ExCache} and the
 * {@link FaultExCache} of process mode): argument checks, the choice between visiting each page of a short range and
 * scanning every set for a long one, and, after the pages, the same operation on the pages whose write-back the
 * {@link LineBackend} has deferred ({@link LineBackend#writeBackDeferred}, {@link LineBackend#discardDeferred}).
 *
 * <p>That last step is why this class exists: a deferred victim is a page's newest contents, held by the backend
 * until its batch is sent, and a later miss of the page takes it back. A cache that drops a range without discarding
 * its deferred pages hands the old contents to the next mapping of the same addresses (word count lost words this way
 * in process mode); one that flushes a range without writing them back lets mremap move stale pages. A subclass only
 * says how to apply an operation to its own resident pages.
 */
public abstract class AbstractPageCache implements PageCache {
    /** What a range operation does to each cached page of the range. */
    protected enum RangeOp {
        /** Write back if dirty; the page stays cached, clean. */
        FLUSH,
        /** Drop without write-back (munmap, exit). */
        DROP,
        /** Write back if dirty, then drop (mremap, mprotect(PROT_NONE)). */
        DROP_WRITE_BACK,
        /** Take away write permission; dirty pages stay dirty (mprotect). */
        REVOKE_WRITE
    }

    private static final int PAGE_SHIFT = 12;

    /** The memory components as this cache sees them. */
    protected final LineBackend backend;

    protected AbstractPageCache(LineBackend backend) {
        this.backend = Objects.requireNonNull(backend, "backend");
    }

    @Override
    public final void flushRange(int asid, long va, long len) {
        rangeOp(asid, va, len, RangeOp.FLUSH);
    }

    @Override
    public final void invalidateRange(int asid, long va, long len, boolean writeBack) {
        rangeOp(asid, va, len, writeBack ? RangeOp.DROP_WRITE_BACK : RangeOp.DROP);
    }

    @Override
    public final void revokeWrite(int asid, long va, long len) {
        rangeOp(asid, va, len, RangeOp.REVOKE_WRITE);
    }

    @Override
    public final void invalidateAll(int asid, boolean writeBack) {
        ensureOpen();
        RangeOp op = writeBack ? RangeOp.DROP_WRITE_BACK : RangeOp.DROP;
        scanPages(asid, 0, Long.MAX_VALUE, op);
        deferred(asid, 0, Long.MAX_VALUE, op);
    }

    private void rangeOp(int asid, long va, long len, RangeOp op) {
        ensureOpen();
        checkRange(va, len);
        if (len == 0) {
            return;
        }
        long first = va >>> PAGE_SHIFT;
        long last = (va + len - 1) >>> PAGE_SHIFT;
        if (last - first >= capacityPages()) {
            scanPages(asid, first, last, op);
        } else {
            rangePages(asid, first, last, op);
        }
        deferred(asid, first, last, op);
    }

    /** After a range operation on the cached pages: the same for the backend's deferred write-backs of the range. */
    private void deferred(int asid, long first, long last, RangeOp op) {
        switch (op) {
            case DROP -> backend.discardDeferred(asid, first, last);
            case FLUSH, DROP_WRITE_BACK -> backend.writeBackDeferred(asid, first, last);
            case REVOKE_WRITE -> {
            }
        }
    }

    static void checkRange(long va, long len) {
        if (len < 0) {
            throw new IllegalArgumentException("negative length " + len);
        }
        if (len > 0 && Long.compareUnsigned(va + len - 1, va) < 0) {
            throw new IllegalArgumentException("range [0x" + Long.toHexString(va) + ", +" + len
                    + ") wraps around the end of the address space");
        }
    }

    /** Throws if the cache is closed. */
    protected abstract void ensureOpen();

    /** Pages the cache holds at most: a range longer than this is cheaper to find by scanning every set. */
    protected abstract long capacityPages();

    /** Applies {@code op} to the cached pages of {@code asid} in {@code [first, last]}, looking each one up. */
    protected abstract void rangePages(int asid, long first, long last, RangeOp op);

    /** Applies {@code op} to the cached pages of {@code asid} in {@code [first, last]}, scanning every set. */
    protected abstract void scanPages(int asid, long first, long last, RangeOp op);
}
