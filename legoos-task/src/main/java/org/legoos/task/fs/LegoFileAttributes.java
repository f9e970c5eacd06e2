package org.legoos.task.fs;

import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileTime;

/**
 * Basic attributes of a file as storage reports them ({@link FileService.Stat}). Storage keeps one time
 * stamp, the last modification, so it also serves as access and creation time. There are no links and no
 * file keys. Immutable.
 */
final class LegoFileAttributes implements BasicFileAttributes {
    private final FileService.Stat stat;
    private final FileTime modified;

    LegoFileAttributes(FileService.Stat stat) {
        this.stat = stat;
        this.modified = FileTime.fromMillis(stat.lastModifiedMillis());
    }

    @Override
    public FileTime lastModifiedTime() {
        return modified;
    }

    @Override
    public FileTime lastAccessTime() {
        return modified;
    }

    @Override
    public FileTime creationTime() {
        return modified;
    }

    @Override
    public boolean isRegularFile() {
        return !stat.directory();
    }

    @Override
    public boolean isDirectory() {
        return stat.directory();
    }

    @Override
    public boolean isSymbolicLink() {
        return false;
    }

    @Override
    public boolean isOther() {
        return false;
    }

    @Override
    public long size() {
        return stat.size();
    }

    @Override
    public Object fileKey() {
        return null;
    }

    @Override
    public String toString() {
        return (stat.directory() ? "directory" : "file") + " size=" + stat.size() + " modified=" + modified;
    }
}
