package org.legoos.task.fs;

import java.io.IOException;
import java.nio.file.attribute.BasicFileAttributeView;
import java.nio.file.attribute.FileTime;

/**
 * The "basic" attribute view of a path: reads go to storage each time ({@link FileService#stat}).
 * Storage sets the modification time itself on writes, so times cannot be set. Immutable, thread-safe.
 */
final class LegoFileAttributeView implements BasicFileAttributeView {
    private final LegoPath path;

    LegoFileAttributeView(LegoPath path) {
        this.path = path;
    }

    @Override
    public String name() {
        return "basic";
    }

    @Override
    public LegoFileAttributes readAttributes() throws IOException {
        return new LegoFileAttributes(path.getFileSystem().stat(path));
    }

    /** No effect if all are null; otherwise unsupported: storage stamps the modification time itself. */
    @Override
    public void setTimes(FileTime lastModifiedTime, FileTime lastAccessTime, FileTime createTime) {
        if (lastModifiedTime != null || lastAccessTime != null || createTime != null) {
            throw new UnsupportedOperationException("lego: storage sets file times itself; they cannot be set");
        }
    }
}
