package org.legoos.task.fs;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.MappedByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.NonReadableChannelException;
import java.nio.channels.NonWritableChannelException;
import java.nio.channels.ReadableByteChannel;
import java.nio.channels.WritableByteChannel;
import java.nio.file.NoSuchFileException;
import java.util.Objects;

/**
 * An open file of a process: the process monitor's file descriptor, holding what storage does not keep
 * (the file position, the access mode, append mode). Reads and writes go through the file's
 * {@link FileBuffer} (shared by this process's channels on the file) and become stateless
 * {@link FileService} requests with the full path and the absolute offset: writes are held back in a bounded
 * write-behind buffer and sent in batches (at the latest by {@link #force}, {@link #close}, a read, or a size
 * or metadata operation of this process on the file); a sequential stream of reads is served from a read-ahead
 * window; any other read is one request for as many bytes as the caller's buffer holds. See
 * {@link FileBuffer} for what other processes see and when. No other data is cached here.
 *
 * <p>Thread-safe like {@link FileChannel}: the relative operations ({@link #read(ByteBuffer)},
 * {@link #write(ByteBuffer)}, {@link #position}, {@link #truncate}) are serialised per channel, positional
 * ones run concurrently. In append mode every write (also a positional one, as on Linux) goes to the
 * current end of the file; appends of all handles of this process on the file are serialised, appends
 * from other processes are not (storage has no atomic append).
 */
final class LegoFileChannel extends FileChannel {
    private final LegoFileSystem fs;
    private final LegoPath path;
    private final OpenFileTable.OpenFile file;
    private final boolean readable;
    private final boolean writable;
    private final boolean append;
    private final boolean sync;
    private final boolean deleteOnClose;

    private final Object positionLock = new Object();
    private long position; // guarded by positionLock

    LegoFileChannel(LegoFileSystem fs, LegoPath path, OpenFileTable.OpenFile file, boolean readable,
                    boolean writable, boolean append, boolean sync, boolean deleteOnClose, long position) {
        this.fs = fs;
        this.path = path;
        this.file = file;
        this.readable = readable;
        this.writable = writable;
        this.append = append;
        this.sync = sync;
        this.deleteOnClose = deleteOnClose;
        this.position = position;
    }

    // ---------------------------------------------------------------- relative operations

    @Override
    public int read(ByteBuffer dst) throws IOException {
        Objects.requireNonNull(dst, "dst");
        ensureReadable();
        synchronized (positionLock) {
            int n = readAt(dst, position);
            if (n > 0) {
                position += n;
            }
            return n;
        }
    }

    @Override
    public long read(ByteBuffer[] dsts, int offset, int length) throws IOException {
        Objects.checkFromIndexSize(offset, length, dsts.length);
        ensureReadable();
        synchronized (positionLock) {
            long total = 0;
            for (int i = offset; i < offset + length; i++) {
                ByteBuffer dst = dsts[i];
                if (!dst.hasRemaining()) {
                    continue;
                }
                int n = readAt(dst, position);
                if (n < 0) {
                    return total == 0 ? -1 : total;
                }
                position += n;
                total += n;
                if (dst.hasRemaining()) {
                    break; // short read: stop, as a FileChannel does
                }
            }
            return total;
        }
    }

    @Override
    public int write(ByteBuffer src) throws IOException {
        Objects.requireNonNull(src, "src");
        ensureWritable();
        synchronized (positionLock) {
            if (append) {
                return appendAtEnd(src, true);
            }
            int n = writeAt(src, position);
            position += n;
            return n;
        }
    }

    @Override
    public long write(ByteBuffer[] srcs, int offset, int length) throws IOException {
        Objects.checkFromIndexSize(offset, length, srcs.length);
        ensureWritable();
        long total = 0;
        synchronized (positionLock) {
            for (int i = offset; i < offset + length; i++) {
                ByteBuffer src = srcs[i];
                if (append) {
                    total += appendAtEnd(src, true);
                } else {
                    int n = writeAt(src, position);
                    position += n;
                    total += n;
                }
            }
        }
        return total;
    }

    /**
     * Writes {@code src} at the current end of the file and returns the count; with {@code movePosition}
     * (the caller then holds positionLock) the position becomes the new end.
     */
    private int appendAtEnd(ByteBuffer src, boolean movePosition) throws IOException {
        file.appendLock.lock();
        try {
            long end = fs.service().stat(file.path()).size();
            int n = writeAt(src, end);
            if (movePosition) {
                position = end + n;
            }
            return n;
        } finally {
            file.appendLock.unlock();
        }
    }

    @Override
    public long position() throws IOException {
        ensureOpen();
        synchronized (positionLock) {
            return position;
        }
    }

    @Override
    public LegoFileChannel position(long newPosition) throws IOException {
        if (newPosition < 0) {
            throw new IllegalArgumentException("negative position: " + newPosition);
        }
        ensureOpen();
        synchronized (positionLock) {
            position = newPosition;
        }
        return this;
    }

    @Override
    public long size() throws IOException {
        ensureOpen();
        return fs.service().stat(file.path()).size();
    }

    @Override
    public LegoFileChannel truncate(long size) throws IOException {
        if (size < 0) {
            throw new IllegalArgumentException("negative size: " + size);
        }
        ensureWritable();
        synchronized (positionLock) {
            String p = file.path();
            if (size < fs.service().stat(p).size()) {
                fs.service().truncate(p, size);
            }
            if (position > size) {
                position = size;
            }
        }
        return this;
    }

    /**
     * Sends this process's pending writes to the file, reports a write-behind failure since the last force (see
     * {@link FileBuffer}), and makes the file durable on storage ({@link FileService#fsync}); metadata is kept
     * with the data.
     */
    @Override
    public void force(boolean metaData) throws IOException {
        ensureOpen();
        String p = file.path();
        file.buffer.flushForSync(p);
        fs.service().fsync(p);
    }

    // ---------------------------------------------------------------- positional operations

    @Override
    public int read(ByteBuffer dst, long position) throws IOException {
        Objects.requireNonNull(dst, "dst");
        if (position < 0) {
            throw new IllegalArgumentException("negative position: " + position);
        }
        ensureReadable();
        return readAt(dst, position);
    }

    @Override
    public int write(ByteBuffer src, long position) throws IOException {
        Objects.requireNonNull(src, "src");
        if (position < 0) {
            throw new IllegalArgumentException("negative position: " + position);
        }
        ensureWritable();
        if (append) {
            return appendAtEnd(src, false); // as on Linux: O_APPEND wins over the given position
        }
        return writeAt(src, position);
    }

    @Override
    public long transferTo(long position, long count, WritableByteChannel target) throws IOException {
        Objects.requireNonNull(target, "target");
        if (position < 0 || count < 0) {
            throw new IllegalArgumentException("negative position or count: " + position + ", " + count);
        }
        ensureReadable();
        if (!target.isOpen()) {
            throw new ClosedChannelException();
        }
        if (target instanceof LegoFileChannel c && !c.writable) {
            throw new NonWritableChannelException(); // also when nothing is left to transfer, as the JDK's FileChannel
        }
        ByteBuffer buf = ByteBuffer.allocate((int) Math.min(LegoFileSystem.BULK_CHUNK_BYTES, Math.max(1, count)));
        long done = 0;
        while (done < count) {
            buf.clear().limit((int) Math.min(buf.capacity(), count - done));
            int n = readAt(buf, position + done);
            if (n <= 0) {
                break;
            }
            buf.flip();
            while (buf.hasRemaining()) {
                if (target.write(buf) == 0) {
                    return done + n - buf.remaining(); // non-blocking target is full
                }
            }
            done += n;
        }
        return done;
    }

    @Override
    public long transferFrom(ReadableByteChannel src, long position, long count) throws IOException {
        Objects.requireNonNull(src, "src");
        if (position < 0 || count < 0) {
            throw new IllegalArgumentException("negative position or count: " + position + ", " + count);
        }
        ensureOpen();
        if (!src.isOpen()) {
            throw new ClosedChannelException();
        }
        if (src instanceof LegoFileChannel c && !c.readable) {
            // checked first, also beyond the end, as the JDK's FileChannel does
            throw new NonReadableChannelException();
        }
        ensureWritable();
        file.path(); // a file this process deleted or replaced fails before anything is read from src
        // since Java 21 a position past the end grows the file (the gap reads as zeros here), as a write there does
        ByteBuffer buf = ByteBuffer.allocate((int) Math.min(LegoFileSystem.BULK_CHUNK_BYTES, Math.max(1, count)));
        long done = 0;
        while (done < count) {
            buf.clear().limit((int) Math.min(buf.capacity(), count - done));
            int n = src.read(buf);
            if (n <= 0) {
                break;
            }
            buf.flip();
            write(buf, position + done);
            done += n;
        }
        return done;
    }

    @Override
    public MappedByteBuffer map(MapMode mode, long position, long size) {
        throw new UnsupportedOperationException("lego: files cannot be memory-mapped through a channel; "
                + "use the process's address space (ctx.memory())");
    }

    @Override
    public FileLock lock(long position, long size, boolean shared) {
        throw new UnsupportedOperationException("lego: storage is stateless and has no file locks");
    }

    @Override
    public FileLock tryLock(long position, long size, boolean shared) {
        throw new UnsupportedOperationException("lego: storage is stateless and has no file locks");
    }

    @Override
    protected void implCloseChannel() throws IOException {
        fs.unregister(this);
        String current = file.pathOrNull();
        fs.openFiles().release(file);
        if (deleteOnClose && current != null) {
            try {
                fs.deleteWhileClosing(fs.getPath(current));
            } catch (NoSuchFileException gone) {
                // already deleted: nothing to do
            }
        }
    }

    @Override
    public String toString() {
        return "LegoFileChannel[" + path + (readable ? " r" : "") + (writable ? " w" : "")
                + (append ? " append" : "") + (isOpen() ? "" : " closed") + "]";
    }

    // ---------------------------------------------------------------- helpers

    /** One read into {@code dst} at {@code offset} through the file's {@link FileBuffer}; advances {@code dst} by the count. */
    private int readAt(ByteBuffer dst, long offset) throws IOException {
        if (dst.isReadOnly()) {
            throw new IllegalArgumentException("read-only buffer");
        }
        int room = dst.remaining();
        if (room == 0) {
            return 0;
        }
        int n = file.buffer.read(file.path(), offset, dst.duplicate());
        if (n < -1 || n > room) {
            throw new IOException("storage returned " + n + " for a read of " + room + " bytes of " + path);
        }
        if (n == 0) {
            throw new IOException("storage returned no bytes before the end of " + path + " at offset " + offset);
        }
        if (n > 0) {
            dst.position(dst.position() + n);
        }
        return n;
    }

    /**
     * One write of all of {@code src} at {@code offset} into the file's write-behind {@link FileBuffer} (a
     * {@code SYNC}/{@code DSYNC} channel forces it at once); consumes {@code src}.
     */
    private int writeAt(ByteBuffer src, long offset) throws IOException {
        int n = src.remaining();
        if (n == 0) {
            return 0;
        }
        String p = file.path();
        file.buffer.write(p, offset, src.duplicate());
        src.position(src.limit());
        if (sync) {
            file.buffer.flushForSync(p);
            fs.service().fsync(p);
        }
        return n;
    }

    private void ensureOpen() throws ClosedChannelException {
        if (!isOpen()) {
            throw new ClosedChannelException();
        }
    }

    private void ensureReadable() throws ClosedChannelException {
        ensureOpen();
        if (!readable) {
            throw new NonReadableChannelException();
        }
    }

    private void ensureWritable() throws ClosedChannelException {
        ensureOpen();
        if (!writable) {
            throw new NonWritableChannelException();
        }
    }
}
