package org.legoos.task.fs;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The small per-open-file staging a process monitor keeps in front of the stateless {@link FileService}: a
 * bounded write-behind buffer and a sequential read-ahead window. It is not a file cache (LegoOS processors
 * keep none): it holds at most {@link #WRITE_BEHIND_BYTES} of writes not yet sent and at most one window of
 * {@link #MAX_WINDOW_BYTES} read ahead, for one file of one process (shared by that process's channels on the
 * file, see {@link OpenFileTable.OpenFile}).
 *
 * <p><b>Write-behind.</b> A write is copied into the buffer (contiguous writes extend the last extent, others add
 * one) and sent later, all pending extents in one {@link FileService#writeBatch} (one {@code P2M_WRITEV}), in
 * order, when: the buffer is full; this process reads the file (any channel), asks its size, appends to it, or
 * changes its metadata (truncate, rename, delete, copy); a channel forces it ({@code force}, or every write of a
 * {@code SYNC}/{@code DSYNC} channel); its last handle in this process is closed. A write of at least
 * {@link #WRITE_BEHIND_BYTES} goes out at once (after the pending ones). What other processes (and other
 * processors) see: this process's writes to a file reach the buffer cache of the vNode's memory component, where
 * everybody reads, when they are flushed as above, not when {@code write} returns; {@code force} and
 * {@code close} flush, so a writer that forces or closes before telling a reader is seen, as under NFS's
 * close-to-open consistency. Durability is unchanged: nothing is durable before {@code force}, which flushes
 * and then syncs the buffer cache to storage.
 *
 * <p><b>Errors.</b> A flush that fails drops the extents it could not send (they would fail again, and retrying
 * them later could overwrite newer data written by others) and throws the storage error (its type kept, e.g.
 * {@link java.nio.file.AccessDeniedException}, with a suppressed note of what was lost) to the operation that
 * triggered it (a write, read, size, force or close); the failure is also remembered and thrown again by the next
 * {@link #flushForSync force}, so a program that ignored it still learns at its fsync that data was lost
 * (as Linux reports writeback errors at fsync).
 *
 * <p><b>Read-ahead.</b> A read that starts where the previous read of the file ended (a sequential stream)
 * fetches a window of {@link #MIN_WINDOW_BYTES}, doubling on each further sequential fill up to
 * {@link #MAX_WINDOW_BYTES}, in one request, and later reads inside the window are served from it. Any write of
 * this process to the file (and any metadata change through this process) drops the window; writes of other
 * processes are seen at the next window fill, so a sequential reader may see up to one window of data older
 * than another process's latest writes. Any other read (a random one) goes straight to the buffer cache as one
 * request for exactly the bytes asked for.
 *
 * <p>Thread-safe: one lock guards the buffer and the window and is held while they are flushed or filled;
 * random reads run outside it.
 */
final class FileBuffer {
    /** Most bytes of writes held back. */
    static final int WRITE_BEHIND_BYTES = 256 << 10;
    /** Most extents held back. */
    static final int MAX_EXTENTS = 1024;
    /** First read-ahead window of a sequential stream. */
    static final int MIN_WINDOW_BYTES = 32 << 10;
    /** Largest read-ahead window. */
    static final int MAX_WINDOW_BYTES = 256 << 10;

    private final FileService service;
    private final ReentrantLock lock = new ReentrantLock();
    // write-behind, guarded by lock
    private byte[] pending;
    private int pendingBytes;
    private final long[] offsets = new long[MAX_EXTENTS];
    private final int[] starts = new int[MAX_EXTENTS];
    private final int[] lengths = new int[MAX_EXTENTS];
    private int extents;
    private IOException syncError;
    // read-ahead, guarded by lock
    private byte[] window;
    private long windowStart;
    private int windowLength;
    private int nextWindowBytes = MIN_WINDOW_BYTES;
    /** Where the last read ended (heuristic only: racy updates are harmless). */
    private volatile long lastReadEnd = -1;

    FileBuffer(FileService service) {
        this.service = service;
    }

    /**
     * Reads into {@code dst} at {@code offset} (pending writes are flushed first): from the read-ahead window, by
     * filling a window on a sequential stream, or with one request. Advances {@code dst} by the count; -1 at the
     * end of the file.
     */
    int read(String path, long offset, ByteBuffer dst) throws IOException {
        int room = dst.remaining();
        if (room == 0) {
            return 0;
        }
        boolean sequential = offset == lastReadEnd;
        lock.lock();
        try {
            flushLocked(path);
            if (window != null && offset >= windowStart && offset < windowStart + windowLength) {
                int n = (int) Math.min(room, windowStart + windowLength - offset);
                dst.put(window, (int) (offset - windowStart), n);
                lastReadEnd = offset + n;
                return n;
            }
            if (sequential && room < MAX_WINDOW_BYTES) {
                int want = Math.max(nextWindowBytes, room);
                if (window == null || window.length < want) {
                    window = new byte[Math.min(MAX_WINDOW_BYTES, Math.max(want, nextWindowBytes))];
                }
                ByteBuffer into = ByteBuffer.wrap(window, 0, want);
                windowLength = 0;
                int got = service.read(path, offset, into);
                if (got < 0) {
                    return -1;
                }
                if (got == 0 || got > want) {
                    throw new IOException("storage returned " + got + " for a read of " + want + " bytes of " + path);
                }
                windowStart = offset;
                windowLength = got;
                nextWindowBytes = Math.min(MAX_WINDOW_BYTES, nextWindowBytes * 2);
                int n = Math.min(room, got);
                dst.put(window, 0, n);
                lastReadEnd = offset + n;
                return n;
            }
            nextWindowBytes = MIN_WINDOW_BYTES;
        } finally {
            lock.unlock();
        }
        int n = service.read(path, offset, dst.duplicate());
        if (n > 0) {
            if (n > room) {
                throw new IOException("storage returned " + n + " for a read of " + room + " bytes of " + path);
            }
            dst.position(dst.position() + n);
            lastReadEnd = offset + n;
        }
        return n;
    }

    /** Queues the remaining bytes of {@code src} at {@code offset} (see the class comment); consumes {@code src}. */
    void write(String path, long offset, ByteBuffer src) throws IOException {
        int n = src.remaining();
        if (n == 0) {
            return;
        }
        lock.lock();
        try {
            window = null;
            if (n >= WRITE_BEHIND_BYTES) {
                flushLocked(path);
                service.write(path, offset, src.duplicate());
                src.position(src.limit());
                return;
            }
            boolean contiguous = extents > 0 && offset == offsets[extents - 1] + lengths[extents - 1]
                    && starts[extents - 1] + lengths[extents - 1] == pendingBytes;
            if (pendingBytes + n > WRITE_BEHIND_BYTES || (!contiguous && extents == MAX_EXTENTS)) {
                flushLocked(path);
                contiguous = false;
            }
            if (pending == null) {
                pending = new byte[WRITE_BEHIND_BYTES];
            }
            src.get(pending, pendingBytes, n);
            if (contiguous) {
                lengths[extents - 1] += n;
            } else {
                offsets[extents] = offset;
                starts[extents] = pendingBytes;
                lengths[extents] = n;
                extents++;
            }
            pendingBytes += n;
        } finally {
            lock.unlock();
        }
    }

    /** Sends the pending writes (if any) and drops the read-ahead window; throws if they could not be sent. */
    void flush(String path) throws IOException {
        lock.lock();
        try {
            window = null;
            flushLocked(path);
        } finally {
            lock.unlock();
        }
    }

    /** Drops pending writes and the window without sending anything: the file was deleted or replaced. */
    void discard() {
        lock.lock();
        try {
            extents = 0;
            pendingBytes = 0;
            window = null;
        } finally {
            lock.unlock();
        }
    }

    /**
     * For {@code force}: sends the pending writes, then throws (once) the failure of an earlier flush since the
     * last force if there was one. A failure of this flush is thrown here and not remembered.
     */
    void flushForSync(String path) throws IOException {
        lock.lock();
        try {
            window = null;
            try {
                flushLocked(path);
            } catch (IOException e) {
                syncError = null;
                throw e;
            }
            IOException e = syncError;
            syncError = null;
            if (e != null) {
                throw new IOException("an earlier write-behind to this file failed: " + e.getMessage(), e);
            }
        } finally {
            lock.unlock();
        }
    }

    /** Bytes waiting to be sent (for tests). */
    int pendingBytes() {
        lock.lock();
        try {
            return pendingBytes;
        } finally {
            lock.unlock();
        }
    }

    private void flushLocked(String path) throws IOException {
        if (extents == 0) {
            return;
        }
        List<FileService.Extent> batch = new ArrayList<>(extents);
        for (int i = 0; i < extents; i++) {
            batch.add(new FileService.Extent(offsets[i], ByteBuffer.wrap(pending, starts[i], lengths[i])));
        }
        int bytes = pendingBytes;
        extents = 0;
        pendingBytes = 0;
        try {
            service.writeBatch(path, batch);
        } catch (IOException e) {
            // the storage error as it is (a program expects AccessDeniedException etc.), with what was lost
            e.addSuppressed(new IOException("write-behind of " + bytes + " bytes in " + batch.size()
                    + " extent(s) to " + path + " failed; that data is lost"));
            syncError = e;
            throw e;
        }
    }
}
