package org.legoos.task.fs;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.List;

/**
 * Stateless file operations of one vNode, as the storage/memory monitors serve them. Paths are absolute,
 * normalised ("/a/b"), never containing "." or "..". Errors are thrown as java.nio.file exceptions
 * (NoSuchFileException, FileAlreadyExistsException, DirectoryNotEmptyException, NotDirectoryException,
 * AccessDeniedException, or IOException) by the implementation. Thread-safe.
 *
 * <p>This is the LegoOS split of the file API: the process monitor keeps the state (fd table, cwd, file
 * positions; see {@link LegoFileSystem}) and every request here carries all it needs, the full path, an
 * absolute offset and a length, like NFSv2. The process monitor implements it over RPC to the storage
 * component (through the memory component's storage buffer cache).
 *
 * <p>Buffer convention: {@link #read} fills {@code dst} from its position and advances the position by
 * the count it returns; {@link #write} consumes {@code src} from its position to its limit. Callers in
 * this package do not depend on either (they pass a duplicate and move the caller's buffer themselves),
 * so an implementation that leaves the positions alone is also accepted. {@link #read} returns at least
 * one byte when {@code dst} has room and {@code offset} is before the end of the file, and may return
 * fewer than {@code dst.remaining()} (for example to bound a message).
 */
public interface FileService {
    /** What {@link #stat} reports of one file or directory. */
    record Stat(boolean directory, long size, long lastModifiedMillis) {}

    /** One entry of {@link #readdir}: a plain name (no '/'), never "." or "..". */
    record DirEntry(String name, boolean directory) {}

    /** NoSuchFileException if absent. */
    Stat stat(String path) throws IOException;

    /** Creates an empty regular file if absent; FileAlreadyExistsException if exclusive and present. */
    void create(String path, boolean exclusive) throws IOException;

    /** Bytes read, -1 at EOF. */
    int read(String path, long offset, ByteBuffer dst) throws IOException;

    /** Writes all remaining bytes, extends the file. */
    void write(String path, long offset, ByteBuffer src) throws IOException;

    /** One write of {@link #writeBatch}: the remaining bytes of {@code data} at {@code offset}. */
    record Extent(long offset, ByteBuffer data) {
        public Extent {
            if (offset < 0) {
                throw new IllegalArgumentException("negative offset " + offset);
            }
            java.util.Objects.requireNonNull(data, "data");
        }
    }

    /**
     * Writes every extent, in order (a later one overlapping an earlier one wins), as {@link #write} one by one
     * would; an implementation may send them in fewer requests. Consumes nothing: the extents' buffers are left
     * as they were. On failure some extents may have been written.
     */
    default void writeBatch(String path, List<Extent> extents) throws IOException {
        for (Extent e : extents) {
            write(path, e.offset(), e.data().duplicate());
        }
    }

    void truncate(String path, long size) throws IOException;

    void unlink(String path) throws IOException;

    void mkdir(String path) throws IOException;

    void rmdir(String path) throws IOException;

    List<DirEntry> readdir(String path) throws IOException;

    /** Replaces an existing regular file at 'to'. */
    void rename(String from, String to) throws IOException;

    /** Durable: data written before it survives a crash of the storage component once it returns. */
    void fsync(String path) throws IOException;

    /** The last handle of this process on {@code path} was closed: write back caches. */
    void close(String path) throws IOException;
}
