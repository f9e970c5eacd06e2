package org.legoos.memory.pagestore;

import it.unimi.dsi.fastutil.ints.IntArrayList;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;

/**
 * The physical memory of a memory component (an mComponent's DRAM in the paper): a pool of 4 KiB page
 * frames in off-heap memory, handed out on demand (LegoOS allocates a page at its first flush) and
 * recycled through a free list. Capacity is fixed at construction; the backing memory is reserved lazily
 * in chunks (1 MiB to 64 MiB, depending on the capacity) as frames are first needed, so an idle component
 * costs nothing.
 *
 * <p>A frame is named by an {@code int} index; {@link PageTable} maps (address space, virtual page) to
 * frames. Frames are allocated all-or-nothing ({@link #allocate(int)}), so a request that needs several new
 * pages either gets them all or changes nothing.
 *
 * <p>Thread-safety: allocation and freeing are synchronised. Page contents are not: a frame's bytes are
 * read and written only by the holder of the {@link PageTable} lock that maps it. After {@link #close()}
 * every access throws {@link IllegalStateException}.
 */
public final class PageStore implements AutoCloseable {
    /** Size of a page frame (an ExCache line). */
    public static final int PAGE_SIZE = 4096;
    /** log2 of {@link #PAGE_SIZE}. */
    public static final int PAGE_SHIFT = 12;

    private final Arena arena = Arena.ofShared();
    private final long capacityBytes;
    private final int capacityFrames;
    /** log2 of frames per chunk: chunks of 1 MiB to 64 MiB, about a thousand of them unless the store is over 64 GiB. */
    private final int chunkShift;
    /**
     * Chunk i holds frames [i << chunkShift, (i + 1) << chunkShift). Written under this object's
     * lock before any frame in it is handed out; readers learn of a frame only through a PageTable lock
     * taken after that, which orders the write before their read.
     */
    private final MemorySegment[] chunks;
    private final IntArrayList free = new IntArrayList(); // guarded by this
    private int nextFresh; // frames below it were handed out at least once; guarded by this
    private int used; // guarded by this
    private volatile boolean closed;

    /**
     * @param capacityBytes rounded down to whole pages; at least one page and at most 2^31 - 1 pages
     */
    public PageStore(long capacityBytes) {
        long frames = capacityBytes / PAGE_SIZE;
        if (frames < 1 || frames > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("page store capacity must be between 4 KiB and 8 TiB, got " + capacityBytes);
        }
        this.capacityFrames = (int) frames;
        this.capacityBytes = frames * PAGE_SIZE;
        int shift = 8; // 256 frames = 1 MiB
        while ((frames >>> shift) > 1024 && shift < 14) {
            shift++;
        }
        this.chunkShift = shift;
        this.chunks = new MemorySegment[(int) ((frames + (1L << shift) - 1) >>> shift)];
    }

    /** Total frames this store may hand out. */
    public int capacityFrames() {
        return capacityFrames;
    }

    public long capacityBytes() {
        return capacityBytes;
    }

    /** Frames currently allocated. */
    public synchronized int usedFrames() {
        return used;
    }

    public long usedBytes() {
        return (long) usedFrames() * PAGE_SIZE;
    }

    /**
     * Takes {@code n} free frames, or none at all.
     *
     * @return the frames (contents undefined: callers overwrite whole pages), or null if fewer than
     *     {@code n} are free
     */
    public synchronized int[] allocate(int n) {
        ensureOpen();
        if (n < 0) {
            throw new IllegalArgumentException("negative frame count " + n);
        }
        if (n > capacityFrames - used) {
            return null;
        }
        int[] out = new int[n];
        for (int i = 0; i < n; i++) {
            if (!free.isEmpty()) {
                out[i] = free.popInt();
            } else {
                int f = nextFresh++;
                int c = f >>> chunkShift;
                if (chunks[c] == null) {
                    long frames = Math.min(1L << chunkShift, capacityFrames - ((long) c << chunkShift));
                    chunks[c] = arena.allocate(frames * PAGE_SIZE, PAGE_SIZE);
                }
                out[i] = f;
            }
        }
        used += n;
        return out;
    }

    /**
     * Reserves {@code n} frames for a write of several pages.
     *
     * @return the reservation, or null if fewer than {@code n} frames are free (nothing is taken then)
     */
    public Reservation reserve(int n) {
        int[] frames = allocate(n);
        return frames == null ? null : new Reservation(this, frames);
    }

    /** Returns one frame to the free list. */
    public synchronized void free(int frame) {
        checkFrame(frame);
        free.push(frame);
        used--;
    }

    /** Returns frames {@code frames[from..to)} to the free list. */
    public synchronized void free(int[] frames, int from, int to) {
        for (int i = from; i < to; i++) {
            checkFrame(frames[i]);
            free.push(frames[i]);
        }
        used -= to - from;
    }

    private void checkFrame(int frame) {
        if (frame < 0 || frame >= nextFresh) {
            throw new IllegalArgumentException("frame " + frame + " was never allocated");
        }
    }

    private MemorySegment chunkOf(int frame) {
        ensureOpen();
        return chunks[frame >>> chunkShift];
    }

    private long offsetOf(int frame) {
        return (long) (frame & ((1 << chunkShift) - 1)) << PAGE_SHIFT;
    }

    /** Copies frame {@code frame} into {@code dst[off .. off + 4096)}. */
    public void copyOut(int frame, byte[] dst, int off) {
        MemorySegment.copy(chunkOf(frame), ValueLayout.JAVA_BYTE, offsetOf(frame), dst, off, PAGE_SIZE);
    }

    /**
     * Copies 4096 bytes of {@code src}, starting {@code srcOffset} bytes after its position, into the frame. The
     * buffer's position is left alone.
     */
    public void copyIn(int frame, ByteBuffer src, int srcOffset) {
        MemorySegment.copy(MemorySegment.ofBuffer(src), srcOffset, chunkOf(frame), offsetOf(frame), PAGE_SIZE);
    }

    private void ensureOpen() {
        if (closed) {
            throw new IllegalStateException("page store is closed");
        }
    }

    /** Releases the off-heap memory. Callers must have stopped using the store. */
    @Override
    public synchronized void close() {
        if (!closed) {
            closed = true;
            arena.close();
        }
    }
}
