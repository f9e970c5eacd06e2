package org.legoos.api;

/**
 * A process's virtual address space in LegoOS/J: the home memory component keeps its virtual memory
 * areas, vRegions of it are owned by one or more memory components, and the processor's ExCache holds
 * the hot lines. Loads and stores go through the ExCache; a miss fetches the 4 KiB line from the
 * vRegion's owner.
 *
 * <p>Addresses are plain {@code long}s. Accessing an address outside every mapped area throws
 * {@link SegmentationFault} at the access; a store to an area without {@link #PROT_WRITE}, and any access to a
 * {@link #PROT_NONE} area, does too. {@link #PROT_WRITE} implies read access (as on x86). Multi-byte values are
 * little-endian.
 *
 * <p>Errors of the VM calls, each raised before the call has any effect: a bad argument (an address that must be
 * page aligned and is not, a length that is not positive, unknown protection bits, a range leaving the user
 * address space, see {@link UserSpace}) is an {@link IllegalArgumentException}; a range that must be mapped and
 * is not is a {@link SegmentationFault}; no room is a {@link NoMemoryException} (a {@link QuotaExceededException}
 * when the vNode's quota is the limit).
 *
 * <p>Thread-safety: all methods may be called from any thread of the owning process. As on real hardware,
 * concurrent unsynchronised stores to the same address leave one of the values; use Java synchronisation
 * between the process's threads for anything stronger.
 */
public interface AddressSpace {
    /** No access: every load and store of the area is a {@link SegmentationFault}. */
    int PROT_NONE = 0;
    int PROT_READ = 1;
    int PROT_WRITE = 2;
    int PROT_RW = PROT_READ | PROT_WRITE;

    /** {@link #mmap(long, long, int, int, String, long)}: stores reach the file (on msync, munmap and exit). */
    int MAP_SHARED = 1;
    /** {@link #mmap(long, long, int, int, String, long)}: copy on write, stores never reach the file. */
    int MAP_PRIVATE = 2;

    /** Size of a page and of an ExCache line. */
    int PAGE_SIZE = 4096;

    /**
     * Maps {@code length} bytes (rounded up to pages) of zero-filled anonymous memory.
     *
     * @param hint a page-aligned address to place the mapping at, or 0 to let the home node choose
     * @return the address of the new mapping
     * @throws NoMemoryException if the memory components or the vNode's quota cannot hold it
     */
    long mmap(long hint, long length, int prot);

    /** Shorthand for {@code mmap(0, length, PROT_RW)}. */
    default long mmap(long length) {
        return mmap(0, length, PROT_RW);
    }

    /**
     * Maps {@code length} bytes (rounded up to pages) of the file {@code path} of the process's vNode, from
     * {@code offset}. Its pages are filled from the file by the memory components when first touched (the file is
     * never copied whole to the processor). {@link #MAP_PRIVATE}: stores are the process's own and never reach the
     * file; {@link #MAP_SHARED}: stores reach the file through the memory components' buffer cache on
     * {@link #msync}, {@link #munmap} and exit, up to the file's size when it was mapped (a mapping never extends
     * its file). As in Linux, a page wholly past the end of the file is a {@link SegmentationFault} (SIGBUS) at the
     * access; the rest of the last page reads as zeros. Data written to the file through a channel is seen once
     * that channel was forced or closed. A file mapping can shrink with {@link #mremap} but not grow.
     *
     * @param path   an absolute path in the vNode's file system, e.g. {@code /data/input.bin}
     * @param flags  {@link #MAP_SHARED} or {@link #MAP_PRIVATE}
     * @param offset a page-aligned file offset
     * @throws java.io.UncheckedIOException wrapping {@link java.nio.file.NoSuchFileException} if there is no such
     *     file (or it is a directory)
     */
    long mmap(long hint, long length, int prot, int flags, String path, long offset);

    /** Unmaps the pages of [addr, addr+length); unmapping what is not mapped is allowed, as in POSIX. */
    void munmap(long addr, long length);

    /**
     * Grows or shrinks the mapping at {@code oldAddr}, keeping its contents.
     *
     * @param mayMove whether the mapping may move if it cannot grow in place
     * @return the (possibly new) address of the mapping
     */
    long mremap(long oldAddr, long oldLength, long newLength, boolean mayMove);

    /**
     * Sets the end of the heap (program break) and returns the new break; {@code brk(0)} returns the
     * current one. Shrinking frees the pages above the new break.
     */
    long brk(long newBreak);

    /**
     * Sets the protection of the pages of [addr, addr+length) (LegoOS's {@code P2M_MPROTECT}), enforced at the
     * processor on every later access. Data written before stays. All or nothing: if any page of the range is not
     * mapped it throws {@link SegmentationFault} and changes nothing (Linux may change a prefix).
     *
     * @param prot {@link #PROT_NONE}, {@link #PROT_READ}, {@link #PROT_WRITE} or {@link #PROT_RW}
     */
    void mprotect(long addr, long length, int prot);

    /** Writes back every dirty ExCache line of [addr, addr+length) to its memory component. */
    void msync(long addr, long length);

    byte getByte(long va);

    void putByte(long va, byte value);

    int getInt(long va);

    void putInt(long va, int value);

    long getLong(long va);

    void putLong(long va, long value);

    default double getDouble(long va) {
        return Double.longBitsToDouble(getLong(va));
    }

    default void putDouble(long va, double value) {
        putLong(va, Double.doubleToRawLongBits(value));
    }

    default float getFloat(long va) {
        return Float.intBitsToFloat(getInt(va));
    }

    default void putFloat(long va, float value) {
        putInt(va, Float.floatToRawIntBits(value));
    }

    /**
     * A {@link java.lang.foreign.MemorySegment} over {@code [va, va+length)} of this address space, to hand to any
     * library that works on segments: in process mode its address is {@code va} itself and its loads and stores are
     * hardware accesses (pages fault in from memory components as they are touched). An access to a page that is not
     * mapped or lacks the permission raises {@code InternalError} (the JVM's error for a failed memory access), not
     * {@link SegmentationFault}; the process's error report names the address.
     *
     * @throws UnsupportedOperationException in thread mode, where the address space is a software cache with no
     *     memory of its own to hand out (use the bulk {@link #read} and {@link #write})
     */
    default java.lang.foreign.MemorySegment segment(long va, long length) {
        throw new UnsupportedOperationException("segment: this process runs in thread mode, where its memory is a "
                + "software cache; only process mode hands out segments");
    }

    /**
     * Whether {@link #segment} hands out segments here (process mode): a program that wants hardware-speed loops
     * over its arrays works on segment views in place when this is true, and on bulk {@link #read}/{@link #write}
     * copies of blocks otherwise (thread mode, where every access is a software call that bulk copies amortise).
     */
    default boolean hasSegments() {
        return false;
    }

    /** Copies {@code length} bytes at {@code va} into {@code dst[offset..]}. */
    void read(long va, byte[] dst, int offset, int length);

    /** Copies {@code src[offset..offset+length)} to {@code va}. */
    void write(long va, byte[] src, int offset, int length);

    /**
     * Copies {@code n} little-endian doubles at {@code va} into {@code dst[offset..]}: one bulk read, the way a
     * program moves a block of disaggregated memory into its registers and on-chip caches.
     */
    default void readDoubles(long va, double[] dst, int offset, int n) {
        java.util.Objects.checkFromIndexSize(offset, n, dst.length);
        readLittleEndian(va, n, 8).asDoubleBuffer().get(dst, offset, n);
    }

    /** Copies {@code src[offset..offset+n)} to {@code va} as little-endian doubles in one bulk write. */
    default void writeDoubles(long va, double[] src, int offset, int n) {
        java.util.Objects.checkFromIndexSize(offset, n, src.length);
        java.nio.ByteBuffer b = littleEndian(n, 8);
        b.asDoubleBuffer().put(src, offset, n);
        write(va, b.array(), 0, b.capacity());
    }

    /** Copies {@code n} little-endian longs at {@code va} into {@code dst[offset..]} in one bulk read. */
    default void readLongs(long va, long[] dst, int offset, int n) {
        java.util.Objects.checkFromIndexSize(offset, n, dst.length);
        readLittleEndian(va, n, 8).asLongBuffer().get(dst, offset, n);
    }

    /** Copies {@code src[offset..offset+n)} to {@code va} as little-endian longs in one bulk write. */
    default void writeLongs(long va, long[] src, int offset, int n) {
        java.util.Objects.checkFromIndexSize(offset, n, src.length);
        java.nio.ByteBuffer b = littleEndian(n, 8);
        b.asLongBuffer().put(src, offset, n);
        write(va, b.array(), 0, b.capacity());
    }

    /** Copies {@code n} little-endian ints at {@code va} into {@code dst[offset..]} in one bulk read. */
    default void readInts(long va, int[] dst, int offset, int n) {
        java.util.Objects.checkFromIndexSize(offset, n, dst.length);
        readLittleEndian(va, n, 4).asIntBuffer().get(dst, offset, n);
    }

    /** Copies {@code src[offset..offset+n)} to {@code va} as little-endian ints in one bulk write. */
    default void writeInts(long va, int[] src, int offset, int n) {
        java.util.Objects.checkFromIndexSize(offset, n, src.length);
        java.nio.ByteBuffer b = littleEndian(n, 4);
        b.asIntBuffer().put(src, offset, n);
        write(va, b.array(), 0, b.capacity());
    }

    /** A little-endian heap buffer for {@code n} values of {@code size} bytes (the typed bulk accessors' staging). */
    private static java.nio.ByteBuffer littleEndian(int n, int size) {
        return java.nio.ByteBuffer.allocate(Math.multiplyExact(n, size)).order(java.nio.ByteOrder.LITTLE_ENDIAN);
    }

    /** {@code n * size} bytes at {@code va}, read in one bulk read, as a little-endian buffer. */
    private java.nio.ByteBuffer readLittleEndian(long va, int n, int size) {
        java.nio.ByteBuffer b = littleEndian(n, size);
        read(va, b.array(), 0, b.capacity());
        return b;
    }

    /** Maps a new zeroed array of {@code length} longs. */
    default LongArray allocateLongs(long length) {
        return new LongArray(this, mmap(Math.multiplyExact(Math.max(length, 1), 8L)), length);
    }

    /** Maps a new zeroed array of {@code length} doubles. */
    default DoubleArray allocateDoubles(long length) {
        return new DoubleArray(this, mmap(Math.multiplyExact(Math.max(length, 1), 8L)), length);
    }

    /** Maps a new zeroed array of {@code length} bytes. */
    default ByteArray allocateBytes(long length) {
        return new ByteArray(this, mmap(Math.max(length, 1)), length);
    }
}
