package org.legoos.memory.vm;

/**
 * What a file-backed area maps: bytes of the file {@code path} of vNode {@code vnodeId} from {@code offset} (the
 * file offset of the area's first byte), read and written through the buffer cache of memory component
 * {@code cacheNode}. Private mappings never write the file; shared ones write their stored pages back on msync,
 * munmap and exit, up to {@code size} (the file's size when it was mapped: a mapping never extends its file).
 * Immutable.
 */
public record FileBacking(int vnodeId, int cacheNode, String path, long offset, boolean shared, long size) {
    public FileBacking {
        java.util.Objects.requireNonNull(path, "path");
        if (offset < 0 || (offset & Layout.PAGE_MASK) != 0) {
            throw new IllegalArgumentException("file offset must be page aligned and not negative, got " + offset);
        }
    }

    /** The same file seen from {@code delta} bytes further into the area. */
    public FileBacking at(long delta) {
        return delta == 0 ? this : new FileBacking(vnodeId, cacheNode, path, offset + delta, shared, size);
    }
}
