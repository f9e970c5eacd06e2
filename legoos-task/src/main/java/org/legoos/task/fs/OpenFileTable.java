package org.legoos.task.fs;

import java.io.IOException;
import java.nio.file.NoSuchFileException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The process monitor's table of open files for one process and vNode: which paths this process holds
 * open and how many handles it has on each. It is the process-side state that lets storage stay
 * stateless: when the last handle of a path is released the table tells the {@link FileService}
 * ({@link FileService#close}) so that caches of that file are written back, and when this process renames
 * or deletes a file the table moves or detaches the open handles so they keep naming the right file.
 *
 * <p>Limits (inherent to a stateless storage protocol): a rename or delete done by another process is not
 * seen, so a handle then fails with {@link NoSuchFileException} (or, after a re-create, sees the new file);
 * a handle on a file this process deleted or replaced fails with {@link NoSuchFileException} instead of
 * reading the old data as on Linux.
 *
 * <p>Thread-safe: one lock guards the table; {@link FileService#close} and buffer flushes are called outside it.
 */
final class OpenFileTable {
    /**
     * One open file: the current path of the file, this process's handle count on it and its write-behind and
     * read-ahead {@link FileBuffer}, shared by all of this process's channels on the file.
     */
    static final class OpenFile {
        private volatile String path; // null once detached (deleted or replaced by this process)
        private volatile String lastPath;
        private int handles; // guarded by the table lock
        /** Serialises append writes of this process to this file (stat of the end, then write). */
        final ReentrantLock appendLock = new ReentrantLock();
        /** Pending writes and the read-ahead window of this process on this file. */
        final FileBuffer buffer;

        private OpenFile(String path, FileService service) {
            this.path = path;
            this.lastPath = path;
            this.buffer = new FileBuffer(service);
        }

        /** Current storage path; NoSuchFileException once this process deleted or replaced the file. */
        String path() throws NoSuchFileException {
            String p = path;
            if (p == null) {
                throw new NoSuchFileException(lastPath, null, "file was deleted or replaced while open");
            }
            return p;
        }

        /** Current storage path, or null if detached. */
        String pathOrNull() {
            return path;
        }
    }

    private final FileService service;
    private final Object lock = new Object();
    private final Map<String, OpenFile> byPath = new HashMap<>();

    OpenFileTable(FileService service) {
        this.service = service;
    }

    /** Takes one more handle on {@code path}. */
    OpenFile acquire(String path) {
        synchronized (lock) {
            OpenFile file = byPath.computeIfAbsent(path, p -> new OpenFile(p, service));
            file.handles++;
            return file;
        }
    }

    /**
     * Gives back one handle; on the last one sends the file's pending writes and tells storage to write back
     * its caches of the file. A file that is gone by then (deleted by another process) has nothing to write
     * back, so that is not an error. A failed write-behind is thrown (after the close was still sent).
     */
    void release(OpenFile file) throws IOException {
        String closePath = null;
        boolean last;
        synchronized (lock) {
            if (file.handles <= 0) {
                throw new IllegalStateException("handle released twice: " + file.lastPath);
            }
            last = --file.handles == 0;
            if (last && file.path != null) {
                byPath.remove(file.path, file);
                closePath = file.path;
            }
        }
        if (!last) {
            return;
        }
        if (closePath == null) {
            file.buffer.discard();
            return;
        }
        IOException failed = null;
        try {
            file.buffer.flush(closePath);
        } catch (NoSuchFileException gone) {
            file.buffer.discard();
        } catch (IOException e) {
            failed = e;
        }
        try {
            service.close(closePath);
        } catch (NoSuchFileException gone) {
            // deleted meanwhile: no caches left to write back
        } catch (IOException e) {
            if (failed == null) {
                throw e;
            }
            failed.addSuppressed(e);
        }
        if (failed != null) {
            throw failed;
        }
    }

    /**
     * Sends the pending writes of this process to the file at {@code path}, and of every file under it when
     * {@code withChildren} (a directory about to be renamed), and drops their read-ahead windows: done before
     * anything else looks at or changes the file behind the buffers.
     */
    void flush(String path, boolean withChildren) throws IOException {
        List<OpenFile> open = new ArrayList<>();
        synchronized (lock) {
            OpenFile f = byPath.get(path);
            if (f != null) {
                open.add(f);
            }
            if (withChildren) {
                String prefix = path.equals("/") ? "/" : path + "/";
                for (var e : byPath.entrySet()) {
                    if (e.getKey().startsWith(prefix)) {
                        open.add(e.getValue());
                    }
                }
            }
        }
        for (OpenFile f : open) {
            String p = f.pathOrNull();
            if (p != null) {
                f.buffer.flush(p);
            }
        }
    }

    /** A view of the service that keeps it coherent with the open files' buffers (see {@link CoherentFileService}). */
    FileService coherent() {
        return new CoherentFileService(service, this);
    }

    /** This process renamed {@code from} (a file or a directory) to {@code to}: handles follow the file. */
    void renamed(String from, String to) {
        synchronized (lock) {
            detachLocked(to);
            String prefix = from.equals("/") ? "/" : from + "/";
            List<OpenFile> moved = new ArrayList<>();
            for (var it = byPath.entrySet().iterator(); it.hasNext(); ) {
                var e = it.next();
                String p = e.getKey();
                if (p.equals(from) || p.startsWith(prefix)) {
                    it.remove();
                    OpenFile f = e.getValue();
                    String np = to + p.substring(from.length());
                    f.path = np;
                    f.lastPath = np;
                    moved.add(f);
                }
            }
            for (OpenFile f : moved) {
                detachLocked(f.path); // nothing can be open under a replaced target; stay consistent anyway
                byPath.put(f.path, f);
            }
        }
    }

    /** This process deleted (or replaced) the file at {@code path}: its handles no longer name a file. */
    void removed(String path) {
        synchronized (lock) {
            detachLocked(path);
        }
    }

    /** Number of paths this process holds open (for tests and diagnostics). */
    int openPaths() {
        synchronized (lock) {
            return byPath.size();
        }
    }

    private void detachLocked(String path) {
        OpenFile f = byPath.remove(path);
        if (f != null) {
            f.path = null;
            f.buffer.discard();
        }
    }
}
