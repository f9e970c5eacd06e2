package org.legoos.api;

/**
 * The fixed shape of every LegoOS/J user address space and the argument checks all VM calls share: the one
 * source of truth for the processor (which validates a call before it has any side effect) and the home memory
 * component (which validates it again, since any client may call it).
 *
 * <pre>
 *   0 .. MIN_ADDR = 64 GiB     never mapped (null pointers fault)
 *   MMAP_BASE = 1 TiB          the mmap area, first fit upwards, up to TASK_SIZE
 *   TASK_SIZE = 64 TiB         end of the user address space
 * </pre>
 * The heap's start depends on the vRegion size and is chosen by the home.
 *
 * <p>Why not Linux's [4 KiB, 128 TiB): in process mode a LegoOS/J address is a real address of the process's own
 * JVM (PROCESSES.md), and that JVM needs room of its own: below 64 GiB its Java heap, class data and archives
 * (placed low for compressed pointers), above 64 TiB its executable, libraries, stacks and code cache (placed
 * top-down from 128 TiB by the kernel). The range in between is the program's, in every mode, so a program
 * behaves the same in process and thread mode.
 *
 * <p>The checks throw {@link IllegalArgumentException} (Linux's EINVAL) with a message naming the call.
 * Stateless; thread-safe.
 */
public final class UserSpace {
    public static final int PAGE_SIZE = AddressSpace.PAGE_SIZE;
    public static final long PAGE_MASK = PAGE_SIZE - 1;
    /** Lowest address that can be mapped (64 GiB): below it lives the task JVM's own heap and class data. */
    public static final long MIN_ADDR = 1L << 36;
    /** Where the mmap area starts (1 TiB). */
    public static final long MMAP_BASE = 1L << 40;
    /** End (exclusive) of the user address space: 64 TiB (above it, the task JVM's own mappings). */
    public static final long TASK_SIZE = 1L << 46;

    private UserSpace() {
    }

    public static boolean isPageAligned(long addr) {
        return (addr & PAGE_MASK) == 0;
    }

    /** {@code n} rounded up to whole pages, or -1 on overflow. */
    public static long pageUp(long n) {
        long r = (n + PAGE_MASK) & ~PAGE_MASK;
        return r < n ? -1 : r;
    }

    /**
     * Checks a range argument of a VM call and returns its length rounded up to pages.
     *
     * @throws IllegalArgumentException if {@code addr} is not page aligned, {@code length} is not positive, or the
     *     range leaves [0, TASK_SIZE)
     */
    public static long checkRange(String call, long addr, long length) {
        if (!isPageAligned(addr)) {
            throw new IllegalArgumentException(call + ": address 0x" + Long.toHexString(addr) + " is not page aligned");
        }
        return checkLength(call, addr, length);
    }

    /** As {@link #checkRange} for an address that need not be aligned (a hint). */
    public static long checkLength(String call, long addr, long length) {
        if (length <= 0) {
            throw new IllegalArgumentException(call + ": length must be positive, got " + length);
        }
        long len = pageUp(length);
        if (len < 0 || addr < 0 || addr > TASK_SIZE || len > TASK_SIZE - addr) {
            throw new IllegalArgumentException(call + ": range 0x" + Long.toHexString(addr) + " + " + length
                    + " leaves the address space");
        }
        return len;
    }

    /**
     * Checks protection bits: any combination of {@link AddressSpace#PROT_READ} and {@link AddressSpace#PROT_WRITE},
     * or {@link AddressSpace#PROT_NONE}.
     */
    public static int checkProt(String call, int prot) {
        if ((prot & ~AddressSpace.PROT_RW) != 0) {
            throw new IllegalArgumentException(call + ": unknown protection bits 0x" + Integer.toHexString(prot));
        }
        return prot;
    }

    /** Checks file-mapping flags: exactly one of MAP_SHARED and MAP_PRIVATE; returns whether shared. */
    public static boolean checkMapFlags(String call, int flags) {
        if (flags != AddressSpace.MAP_SHARED && flags != AddressSpace.MAP_PRIVATE) {
            throw new IllegalArgumentException(call + ": flags must be MAP_SHARED or MAP_PRIVATE, got " + flags);
        }
        return flags == AddressSpace.MAP_SHARED;
    }

    /** Checks a file offset of a mapping: page aligned and not negative. */
    public static long checkFileOffset(String call, long offset) {
        if (offset < 0 || !isPageAligned(offset)) {
            throw new IllegalArgumentException(call + ": file offset " + offset + " must be page aligned and not negative");
        }
        return offset;
    }

    /** Whether an area of {@code prot} may be read (as on x86, write permission implies read). */
    public static boolean readable(int prot) {
        return prot != AddressSpace.PROT_NONE;
    }

    /** Whether an area of {@code prot} may be written. */
    public static boolean writable(int prot) {
        return (prot & AddressSpace.PROT_WRITE) != 0;
    }
}
