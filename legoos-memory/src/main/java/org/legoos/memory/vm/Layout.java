package org.legoos.memory.vm;

import org.legoos.api.UserSpace;
import org.legoos.net.rpc.Status;

/**
 * The layout of a LegoOS/J virtual address space, decided by its home memory component, and the checks on
 * addresses every VM call shares.
 *
 * <pre>
 *   0 .. MIN_ADDR = 64 GiB    never mapped (see UserSpace for why not just page 0)
 *   heapStart                 the first vRegion boundary at or above MIN_ADDR: the heap (brk area) grows up from
 *                             here, at most to MMAP_BASE
 *   MMAP_BASE = 1 TiB         mmap area: first fit upwards, up to TASK_SIZE
 *   TASK_SIZE = 64 TiB        end of the user address space
 * </pre>
 *
 * The heap and the mmap area are always in different vRegions (vRegions are at most 64 GiB). A page-aligned
 * mmap hint anywhere in [MIN_ADDR, TASK_SIZE) is honoured when the range is free.
 *
 * <p>Stateless; thread-safe.
 */
public final class Layout {
    public static final int PAGE_SIZE = UserSpace.PAGE_SIZE;
    public static final long PAGE_MASK = UserSpace.PAGE_MASK;
    /** Lowest address that can be mapped (page 0 never is). */
    public static final long MIN_ADDR = UserSpace.MIN_ADDR;
    /** Where the mmap area starts (1 TiB). */
    public static final long MMAP_BASE = UserSpace.MMAP_BASE;
    /** End (exclusive) of the user address space: 128 TiB. */
    public static final long TASK_SIZE = UserSpace.TASK_SIZE;
    public static final long MIN_VREGION_BYTES = PAGE_SIZE;
    public static final long MAX_VREGION_BYTES = 1L << 36;

    private Layout() {
    }

    /** Where the heap starts: the first vRegion boundary at or above {@link #MIN_ADDR}. */
    public static long heapStart(long vregionBytes) {
        return (MIN_ADDR + vregionBytes - 1) / vregionBytes * vregionBytes;
    }

    public static boolean isPageAligned(long addr) {
        return UserSpace.isPageAligned(addr);
    }

    /** {@code n} rounded up to whole pages, or -1 on overflow. */
    public static long pageUp(long n) {
        return UserSpace.pageUp(n);
    }

    /**
     * {@link UserSpace#checkRange} as the home answers it.
     *
     * @throws org.legoos.net.rpc.RpcException INVALID_ARGUMENT if {@code addr} is not page aligned,
     *     {@code length} is not positive, or the range leaves [0, TASK_SIZE)
     */
    public static long checkRange(String what, long addr, long length) {
        try {
            return UserSpace.checkRange(what, addr, length);
        } catch (IllegalArgumentException e) {
            throw invalid(e.getMessage());
        }
    }

    /** As {@link #checkRange} for an address already known to be aligned (or a hint). */
    public static long checkLength(String what, long addr, long length) {
        try {
            return UserSpace.checkLength(what, addr, length);
        } catch (IllegalArgumentException e) {
            throw invalid(e.getMessage());
        }
    }

    /** {@link UserSpace#checkProt} as the home and owners answer it. */
    public static int checkProt(String what, int prot) {
        try {
            return UserSpace.checkProt(what, prot);
        } catch (IllegalArgumentException e) {
            throw invalid(e.getMessage());
        }
    }

    static org.legoos.api.LegoException invalid(String message) {
        return Status.INVALID_ARGUMENT.toException(message);
    }
}
