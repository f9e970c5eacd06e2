package org.legoos.task.fs;

import java.io.Closeable;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.ClosedFileSystemException;
import java.nio.file.CopyOption;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.DirectoryStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileStore;
import java.nio.file.FileSystem;
import java.nio.file.FileSystemException;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;
import java.nio.file.OpenOption;
import java.nio.file.Path;
import java.nio.file.PathMatcher;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.WatchService;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.UserPrincipalLookupService;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.regex.Pattern;

/**
 * The file system one process sees of its vNode's storage: {@code ctx.fileSystem()}. It is the stateful
 * half of the LegoOS file API that the process monitor keeps: the current working directory (relative
 * paths resolve against it), the table of open files (see {@link OpenFileTable}) and the open channels
 * with their positions. Everything it asks of storage goes through the stateless {@link FileService} with
 * absolute, normalised paths.
 *
 * <p>One instance per (process, vNode), made by
 * {@link LegoFileSystemProvider#newFileSystem(String, FileService)}; the process monitor closes it when the
 * process exits, which closes the channels the program left open (so their caches are written back).
 * Root "/", separator "/", one {@link FileStore}, attribute views "basic" and a read-only "unix" (for stat(2)
 * emulations; see {@link LegoFileSystemProvider#readAttributes(Path, String, LinkOption...)}). There are no links, owners or
 * permissions: access is granted or refused by storage ({@link java.nio.file.AccessDeniedException}).
 *
 * <p>Thread-safe: all threads of the process share it.
 */
public final class LegoFileSystem extends FileSystem {
    /** Size of one request when data is moved in bulk (copy, transferTo/From). */
    static final int BULK_CHUNK_BYTES = 1 << 19;

    private final LegoFileSystemProvider provider;
    private final String vnode;
    private final FileService service;
    private final OpenFileTable openFiles;
    private final LegoPath root;
    private final LegoPath empty;
    private final LegoFileStore store;
    private final Set<Closeable> resources = ConcurrentHashMap.newKeySet();
    private final AtomicBoolean closed = new AtomicBoolean();
    private volatile LegoPath workingDirectory;

    LegoFileSystem(LegoFileSystemProvider provider, String vnode, FileService service) {
        this.provider = provider;
        this.vnode = vnode;
        this.openFiles = new OpenFileTable(service);
        this.service = openFiles.coherent();
        this.root = LegoPath.rootOf(this);
        this.empty = LegoPath.emptyOf(this);
        this.store = new LegoFileStore(this);
        this.workingDirectory = root;
    }

    // ---------------------------------------------------------------- public: LegoOS-specific

    /** Name of the vNode whose storage this is. */
    public String vnode() {
        return vnode;
    }

    /** The process's current working directory (getcwd): absolute and normalised. */
    public LegoPath workingDirectory() {
        return workingDirectory;
    }

    /**
     * Changes the process's working directory (chdir). Relative paths made afterwards and relative paths
     * used afterwards resolve against it.
     *
     * @throws NoSuchFileException if it does not exist
     * @throws NotDirectoryException if it is a file
     */
    public void changeWorkingDirectory(Path dir) throws IOException {
        LegoPath p = LegoPath.checkPath(dir);
        if (p.getFileSystem() != this) {
            throw new IllegalArgumentException("'" + dir + "' belongs to another file system than " + this);
        }
        ensureOpen();
        LegoPath target = p.toAbsolutePath().normalize();
        if (!service.stat(target.toString()).directory()) {
            throw new NotDirectoryException(target.toString());
        }
        workingDirectory = target;
    }

    // ---------------------------------------------------------------- FileSystem

    @Override
    public LegoFileSystemProvider provider() {
        return provider;
    }

    /** Closes every channel and directory stream still open; idempotent. */
    @Override
    public void close() throws IOException {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        provider.closed(this);
        IOException failure = null;
        for (Closeable c : resources) {
            try {
                c.close();
            } catch (IOException e) {
                failure = chain(failure, e);
            } catch (RuntimeException e) {
                failure = chain(failure, new IOException("closing " + c + " failed", e));
            }
        }
        resources.clear();
        if (failure != null) {
            throw failure;
        }
    }

    @Override
    public boolean isOpen() {
        return !closed.get();
    }

    @Override
    public boolean isReadOnly() {
        return false;
    }

    @Override
    public String getSeparator() {
        return "/";
    }

    @Override
    public Iterable<Path> getRootDirectories() {
        return List.of(root);
    }

    @Override
    public Iterable<FileStore> getFileStores() {
        return List.of(store);
    }

    @Override
    public Set<String> supportedFileAttributeViews() {
        return Set.of("basic", "unix");
    }

    /** Joins the non-empty parts with "/"; absolute if the result starts with "/", else relative. */
    @Override
    public LegoPath getPath(String first, String... more) {
        Objects.requireNonNull(first, "first");
        if (more.length == 0) {
            return new LegoPath(this, first);
        }
        StringBuilder sb = new StringBuilder(first);
        for (String segment : more) {
            if (!segment.isEmpty()) {
                if (!sb.isEmpty()) {
                    sb.append('/');
                }
                sb.append(segment);
            }
        }
        return new LegoPath(this, sb.toString());
    }

    /** "glob:" (with *, **, ?, [...], {a,b}) and "regex:" matchers over the path's text. */
    @Override
    public PathMatcher getPathMatcher(String syntaxAndPattern) {
        int colon = syntaxAndPattern.indexOf(':');
        if (colon <= 0) {
            throw new IllegalArgumentException("expected 'syntax:pattern', got '" + syntaxAndPattern + "'");
        }
        String syntax = syntaxAndPattern.substring(0, colon);
        String pattern = syntaxAndPattern.substring(colon + 1);
        String regex = switch (syntax.toLowerCase(java.util.Locale.ROOT)) {
            case "glob" -> GlobPattern.toRegex(pattern);
            case "regex" -> pattern;
            default -> throw new UnsupportedOperationException("syntax '" + syntax + "' not recognised");
        };
        Pattern compiled = Pattern.compile(regex);
        return path -> compiled.matcher(path.toString()).matches();
    }

    @Override
    public UserPrincipalLookupService getUserPrincipalLookupService() {
        throw new UnsupportedOperationException("lego: file systems have no owners");
    }

    @Override
    public WatchService newWatchService() {
        throw new UnsupportedOperationException("lego: file systems have no watch service");
    }

    @Override
    public String toString() {
        return "lego://" + vnode + " (cwd " + workingDirectory + (isOpen() ? "" : ", closed") + ")";
    }

    // ---------------------------------------------------------------- operations (called by the provider)

    FileService service() {
        return service;
    }

    OpenFileTable openFiles() {
        return openFiles;
    }

    LegoPath root() {
        return root;
    }

    LegoPath emptyPath() {
        return empty;
    }

    LegoFileStore store() {
        return store;
    }

    void ensureOpen() {
        if (closed.get()) {
            throw new ClosedFileSystemException();
        }
    }

    /** Tracks a channel or stream so that closing the file system closes it. */
    void register(Closeable resource) throws IOException {
        resources.add(resource);
        if (closed.get()) {
            resources.remove(resource);
            resource.close();
            throw new ClosedFileSystemException();
        }
    }

    void unregister(Closeable resource) {
        resources.remove(resource);
    }

    FileService.Stat stat(LegoPath path) throws IOException {
        ensureOpen();
        return service.stat(path.storageKey());
    }

    LegoFileChannel newFileChannel(LegoPath path, Set<? extends OpenOption> options, FileAttribute<?>... attrs)
            throws IOException {
        boolean read = false, write = false, append = false, truncate = false, create = false, createNew = false;
        boolean deleteOnClose = false, sync = false;
        for (OpenOption o : options) {
            switch (o) {
                case null -> throw new NullPointerException("null open option");
                case StandardOpenOption so -> {
                    switch (so) {
                        case READ -> read = true;
                        case WRITE -> write = true;
                        case APPEND -> append = true;
                        case TRUNCATE_EXISTING -> truncate = true;
                        case CREATE -> create = true;
                        case CREATE_NEW -> createNew = true;
                        case DELETE_ON_CLOSE -> deleteOnClose = true;
                        case SYNC, DSYNC -> sync = true;
                        case SPARSE -> { } // a hint; storage extends files as it likes
                    }
                }
                case LinkOption lo -> { } // no links
                default -> throw new UnsupportedOperationException("unsupported open option: " + o);
            }
        }
        if (append) {
            if (read) {
                throw new IllegalArgumentException("READ and APPEND cannot be combined");
            }
            if (truncate) {
                throw new IllegalArgumentException("APPEND and TRUNCATE_EXISTING cannot be combined");
            }
            write = true;
        }
        if (!write) {
            read = true;
        }
        checkNoAttributes(attrs);
        ensureOpen();

        String key = path.storageKey();
        if (write && createNew) {
            service.create(key, true);
        } else if (write && create) {
            service.create(key, false);
        }
        FileService.Stat stat = service.stat(key);
        if (stat.directory()) {
            throw new FileSystemException(path.toString(), null, "Is a directory");
        }
        OpenFileTable.OpenFile file = openFiles.acquire(key);
        LegoFileChannel channel;
        try {
            long position = 0;
            if (write && truncate && stat.size() > 0) {
                service.truncate(key, 0);
            } else if (append) {
                position = stat.size();
            }
            channel = new LegoFileChannel(this, path, file, read, write, append, sync, deleteOnClose, position);
        } catch (IOException | RuntimeException e) {
            try {
                openFiles.release(file);
            } catch (IOException suppressed) {
                e.addSuppressed(suppressed);
            }
            throw e;
        }
        register(channel);
        return channel;
    }

    LegoDirectoryStream newDirectoryStream(LegoPath dir, DirectoryStream.Filter<? super Path> filter)
            throws IOException {
        Objects.requireNonNull(filter, "filter");
        ensureOpen();
        List<FileService.DirEntry> entries = service.readdir(dir.storageKey());
        LegoDirectoryStream stream = new LegoDirectoryStream(this, dir, entries, filter);
        register(stream);
        return stream;
    }

    void createDirectory(LegoPath dir, FileAttribute<?>... attrs) throws IOException {
        checkNoAttributes(attrs);
        ensureOpen();
        String key = dir.storageKey();
        if (key.equals("/")) {
            throw new FileAlreadyExistsException(dir.toString());
        }
        service.mkdir(key);
    }

    /** Deletes a file or an empty directory; handles this process has on a deleted file are detached. */
    void delete(LegoPath path) throws IOException {
        ensureOpen();
        deleteWhileClosing(path);
    }

    /** {@link #delete} without the open check: for DELETE_ON_CLOSE channels closed by {@link #close}. */
    void deleteWhileClosing(LegoPath path) throws IOException {
        String key = path.storageKey();
        if (key.equals("/")) {
            throw new FileSystemException(path.toString(), null, "cannot delete the root directory");
        }
        if (service.stat(key).directory()) {
            service.rmdir(key);
        } else {
            service.unlink(key);
            openFiles.removed(key);
        }
    }

    /** Same storage namespace: one vNode is one store. */
    boolean sameStore(LegoFileSystem other) {
        return other == this || other.vnode.equals(vnode);
    }

    /**
     * Copies a file (its bytes, in large requests) or a directory (as an empty directory) to {@code target},
     * which may be in another {@link LegoFileSystem} of the same provider. Attributes cannot be set on
     * storage, so COPY_ATTRIBUTES copies nothing more.
     */
    void copy(LegoPath source, LegoPath target, CopyOption... options) throws IOException {
        boolean replace = false;
        for (CopyOption o : options) {
            if (o == StandardCopyOption.REPLACE_EXISTING) {
                replace = true;
            } else if (o == StandardCopyOption.COPY_ATTRIBUTES || o == LinkOption.NOFOLLOW_LINKS) {
                // storage keeps no settable attributes; there are no links
            } else if (o == null) {
                throw new NullPointerException("null copy option");
            } else {
                throw new UnsupportedOperationException("unsupported copy option: " + o);
            }
        }
        LegoFileSystem targetFs = target.getFileSystem();
        ensureOpen();
        targetFs.ensureOpen();
        String from = source.storageKey();
        String to = target.storageKey();
        FileService.Stat src = service.stat(from);
        if (from.equals(to) && sameStore(targetFs)) {
            return;
        }
        FileService.Stat existing = statOrNull(targetFs.service, to);
        if (existing != null) {
            if (!replace) {
                throw new FileAlreadyExistsException(target.toString());
            }
            targetFs.deleteKey(target, to, existing);
        }
        if (src.directory()) {
            targetFs.service.mkdir(to);
            return;
        }
        targetFs.service.create(to, true);
        copyData(from, targetFs, to, src.size());
    }

    /**
     * Renames within one vNode (a file, or a directory with everything under it); across vNodes copies and
     * deletes (files and empty directories). REPLACE_EXISTING replaces a file or an empty directory.
     * Without it, the check that the target is absent and the rename are two requests, so a file created
     * in between by another process is replaced (storage has no exclusive rename).
     */
    void move(LegoPath source, LegoPath target, CopyOption... options) throws IOException {
        boolean replace = false;
        boolean atomic = false;
        for (CopyOption o : options) {
            if (o == StandardCopyOption.REPLACE_EXISTING) {
                replace = true;
            } else if (o == StandardCopyOption.ATOMIC_MOVE) {
                atomic = true;
            } else if (o == LinkOption.NOFOLLOW_LINKS) {
                // no links
            } else if (o == null) {
                throw new NullPointerException("null copy option");
            } else {
                throw new UnsupportedOperationException("unsupported move option: " + o);
            }
        }
        LegoFileSystem targetFs = target.getFileSystem();
        ensureOpen();
        targetFs.ensureOpen();
        String from = source.storageKey();
        String to = target.storageKey();
        if (from.equals("/")) {
            throw new FileSystemException(source.toString(), target.toString(), "cannot move the root directory");
        }
        if (!sameStore(targetFs)) {
            if (atomic) {
                throw new AtomicMoveNotSupportedException(source.toString(), target.toString(),
                        "source and target are in different vNodes");
            }
            moveAcrossStores(source, from, target, to, replace);
            return;
        }
        FileService.Stat src = service.stat(from);
        if (from.equals(to)) {
            return;
        }
        if (to.startsWith(from + "/") || to.equals("/")) {
            // reported as on Linux: an existing target (without REPLACE_EXISTING), then a missing or non-directory
            // parent of the target, then the move into itself
            if (!atomic && !replace && statOrNull(service, to) != null) {
                throw new FileAlreadyExistsException(target.toString());
            }
            String parent = to.equals("/") ? "/" : to.substring(0, Math.max(1, to.lastIndexOf('/')));
            if (!service.stat(parent).directory()) {
                throw new NotDirectoryException(parent);
            }
            throw new FileSystemException(source.toString(), target.toString(),
                    "cannot move a directory into itself or onto the root");
        }
        if (!atomic) {
            FileService.Stat existing = statOrNull(service, to);
            if (existing != null) {
                if (!replace) {
                    throw new FileAlreadyExistsException(target.toString());
                }
                if (existing.directory() || src.directory()) {
                    deleteKey(target, to, existing); // rename itself replaces only a file by a file
                }
            }
        }
        service.rename(from, to);
        openFiles.renamed(from, to);
    }

    // ---------------------------------------------------------------- helpers

    private void moveAcrossStores(LegoPath source, String from, LegoPath target, String to, boolean replace)
            throws IOException {
        FileService.Stat src = service.stat(from);
        if (src.directory() && !service.readdir(from).isEmpty()) {
            throw new DirectoryNotEmptyException(source.toString());
        }
        copy(source, target, replace ? new CopyOption[] {StandardCopyOption.REPLACE_EXISTING} : new CopyOption[0]);
        deleteKey(source, from, src);
    }

    /** Deletes what {@code existing} says is at {@code key} (rmdir or unlink) and detaches handles. */
    private void deleteKey(LegoPath path, String key, FileService.Stat existing) throws IOException {
        if (key.equals("/")) {
            throw new FileSystemException(path.toString(), null, "cannot delete the root directory");
        }
        if (existing.directory()) {
            service.rmdir(key);
        } else {
            service.unlink(key);
            openFiles.removed(key);
        }
    }

    /** Copies the bytes of {@code from} into the (new, empty) file {@code to}; deletes it on failure. */
    private void copyData(String from, LegoFileSystem targetFs, String to, long sizeHint) throws IOException {
        OpenFileTable.OpenFile in = openFiles.acquire(from);
        OpenFileTable.OpenFile out = targetFs.openFiles.acquire(to);
        IOException failure = null;
        try {
            ByteBuffer buf = ByteBuffer.allocate(Math.clamp(sizeHint, 1, BULK_CHUNK_BYTES));
            long offset = 0;
            while (true) {
                buf.clear();
                int n = service.read(in.path(), offset, buf.duplicate());
                if (n < 0) {
                    break;
                }
                if (n == 0 || n > buf.capacity()) {
                    throw new IOException("storage returned " + n + " for a read of " + buf.capacity()
                            + " bytes of " + from);
                }
                buf.limit(n);
                targetFs.service.write(out.path(), offset, buf.duplicate());
                offset += n;
            }
        } catch (IOException e) {
            failure = e;
        }
        failure = releaseAll(failure, in, out, targetFs);
        if (failure != null) {
            try {
                targetFs.service.unlink(to);
                targetFs.openFiles.removed(to);
            } catch (IOException e) {
                failure.addSuppressed(e);
            }
            throw failure;
        }
    }

    private IOException releaseAll(IOException failure, OpenFileTable.OpenFile in, OpenFileTable.OpenFile out,
                                   LegoFileSystem targetFs) {
        try {
            openFiles.release(in);
        } catch (IOException e) {
            failure = chain(failure, e);
        }
        try {
            targetFs.openFiles.release(out);
        } catch (IOException e) {
            failure = chain(failure, e);
        }
        return failure;
    }

    private static IOException chain(IOException first, IOException next) {
        if (first == null) {
            return next;
        }
        first.addSuppressed(next);
        return first;
    }

    private static FileService.Stat statOrNull(FileService service, String key) throws IOException {
        try {
            return service.stat(key);
        } catch (NoSuchFileException absent) {
            return null;
        }
    }

    private static void checkNoAttributes(FileAttribute<?>... attrs) {
        for (FileAttribute<?> a : attrs) {
            Objects.requireNonNull(a, "null file attribute");
            throw new UnsupportedOperationException("lego: cannot set attribute '" + a.name() + "' at creation");
        }
    }
}
