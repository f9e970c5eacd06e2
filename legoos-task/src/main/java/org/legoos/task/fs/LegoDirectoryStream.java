package org.legoos.task.fs;

import java.io.IOException;
import java.nio.file.DirectoryIteratorException;
import java.nio.file.DirectoryStream;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;

/**
 * The entries of one directory, read from storage in one {@link FileService#readdir} request when the
 * stream is opened (storage keeps no directory cursor). Entries are {@code dir.resolve(name)}, so a
 * relative directory gives relative entries. Closing the stream ends iteration.
 *
 * <p>Not thread-safe for iteration, like any {@link DirectoryStream}; {@link #close} may be called from any
 * thread.
 */
final class LegoDirectoryStream implements DirectoryStream<Path> {
    private final LegoFileSystem fs;
    private final LegoPath dir;
    private final List<FileService.DirEntry> entries;
    private final Filter<? super Path> filter;
    private volatile boolean closed;
    private boolean iteratorTaken;

    LegoDirectoryStream(LegoFileSystem fs, LegoPath dir, List<FileService.DirEntry> entries,
                        Filter<? super Path> filter) {
        this.fs = fs;
        this.dir = dir;
        this.entries = List.copyOf(entries);
        this.filter = filter;
    }

    @Override
    public synchronized Iterator<Path> iterator() {
        if (closed) {
            throw new IllegalStateException("directory stream is closed");
        }
        if (iteratorTaken) {
            throw new IllegalStateException("iterator already obtained");
        }
        iteratorTaken = true;
        return new Iterator<>() {
            private int next;
            private Path pending;

            @Override
            public boolean hasNext() {
                if (pending != null) {
                    return true;
                }
                while (!closed && next < entries.size()) {
                    String name = entries.get(next++).name();
                    if (name.isEmpty() || name.equals(".") || name.equals("..") || name.indexOf('/') >= 0) {
                        continue; // not a name storage should send; never let it escape the directory
                    }
                    Path entry = dir.resolve(name);
                    try {
                        if (filter.accept(entry)) {
                            pending = entry;
                            return true;
                        }
                    } catch (IOException e) {
                        throw new DirectoryIteratorException(e);
                    }
                }
                return false;
            }

            @Override
            public Path next() {
                if (!hasNext()) {
                    throw new NoSuchElementException();
                }
                Path result = pending;
                pending = null;
                return result;
            }
        };
    }

    @Override
    public void close() {
        closed = true;
        fs.unregister(this);
    }
}
