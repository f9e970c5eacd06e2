package org.legoos.task.fs;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.Objects;

/**
 * The {@link FileService} as the file system's own operations see it: before each operation on a path, the
 * pending writes of this process's open files on that path (for a rename, on both names and everything under
 * them) are sent and their read-ahead windows dropped ({@link OpenFileTable#flush}), so a stat sees the size
 * the process wrote, a truncate, rename or delete is not overtaken by writes still held back, and a copy reads
 * what was written. Directory-only operations pass straight through.
 *
 * <p>Thread-safe if the wrapped service is.
 */
final class CoherentFileService implements FileService {
    private final FileService service;
    private final OpenFileTable openFiles;

    CoherentFileService(FileService service, OpenFileTable openFiles) {
        this.service = Objects.requireNonNull(service, "service");
        this.openFiles = Objects.requireNonNull(openFiles, "openFiles");
    }

    @Override
    public Stat stat(String path) throws IOException {
        openFiles.flush(path, false);
        return service.stat(path);
    }

    @Override
    public void create(String path, boolean exclusive) throws IOException {
        service.create(path, exclusive);
    }

    @Override
    public int read(String path, long offset, ByteBuffer dst) throws IOException {
        openFiles.flush(path, false);
        return service.read(path, offset, dst);
    }

    @Override
    public void write(String path, long offset, ByteBuffer src) throws IOException {
        openFiles.flush(path, false);
        service.write(path, offset, src);
    }

    @Override
    public void writeBatch(String path, List<Extent> extents) throws IOException {
        openFiles.flush(path, false);
        service.writeBatch(path, extents);
    }

    @Override
    public void truncate(String path, long size) throws IOException {
        openFiles.flush(path, false);
        service.truncate(path, size);
    }

    @Override
    public void unlink(String path) throws IOException {
        openFiles.flush(path, false);
        service.unlink(path);
    }

    @Override
    public void mkdir(String path) throws IOException {
        service.mkdir(path);
    }

    @Override
    public void rmdir(String path) throws IOException {
        service.rmdir(path);
    }

    @Override
    public List<DirEntry> readdir(String path) throws IOException {
        return service.readdir(path);
    }

    @Override
    public void rename(String from, String to) throws IOException {
        openFiles.flush(from, true);
        openFiles.flush(to, true);
        service.rename(from, to);
    }

    @Override
    public void fsync(String path) throws IOException {
        openFiles.flush(path, false);
        service.fsync(path);
    }

    @Override
    public void close(String path) throws IOException {
        service.close(path);
    }
}
