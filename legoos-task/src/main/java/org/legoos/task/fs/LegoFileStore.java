package org.legoos.task.fs;

import java.nio.file.FileStore;
import java.nio.file.attribute.BasicFileAttributeView;
import java.nio.file.attribute.FileAttributeView;
import java.nio.file.attribute.FileStoreAttributeView;

/**
 * The one store of a vNode's file system: the vNode's storage directory on its storage component. Storage
 * does not report capacity through {@link FileService}, so the space queries answer
 * {@link Long#MAX_VALUE} ("unknown, not limited here"); quotas are enforced by storage itself. Immutable.
 */
final class LegoFileStore extends FileStore {
    private final LegoFileSystem fs;

    LegoFileStore(LegoFileSystem fs) {
        this.fs = fs;
    }

    @Override
    public String name() {
        return fs.vnode();
    }

    @Override
    public String type() {
        return "lego";
    }

    @Override
    public boolean isReadOnly() {
        return false;
    }

    @Override
    public long getTotalSpace() {
        return Long.MAX_VALUE;
    }

    @Override
    public long getUsableSpace() {
        return Long.MAX_VALUE;
    }

    @Override
    public long getUnallocatedSpace() {
        return Long.MAX_VALUE;
    }

    @Override
    public long getBlockSize() {
        return 4096;
    }

    @Override
    public boolean supportsFileAttributeView(Class<? extends FileAttributeView> type) {
        return type == BasicFileAttributeView.class;
    }

    @Override
    public boolean supportsFileAttributeView(String name) {
        return name.equals("basic") || name.equals("unix");
    }

    @Override
    public <V extends FileStoreAttributeView> V getFileStoreAttributeView(Class<V> type) {
        return null;
    }

    @Override
    public Object getAttribute(String attribute) {
        return switch (attribute) {
            case "totalSpace" -> getTotalSpace();
            case "usableSpace" -> getUsableSpace();
            case "unallocatedSpace" -> getUnallocatedSpace();
            default -> throw new UnsupportedOperationException("'" + attribute + "' not recognised");
        };
    }

    @Override
    public String toString() {
        return "lego://" + fs.vnode() + " (lego)";
    }
}
