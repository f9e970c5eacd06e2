package org.legoos.storage;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedByInterruptException;
import java.nio.channels.FileChannel;
import java.nio.file.AccessDeniedException;
import java.nio.file.DirectoryIteratorException;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.DirectoryStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.FileSystemLoopException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;
import java.nio.file.OpenOption;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import org.legoos.net.protocol.Ack;
import org.legoos.net.protocol.Message;
import org.legoos.net.protocol.Request;
import org.legoos.net.protocol.gm.ComponentResources;
import org.legoos.net.protocol.gm.StorageAttach;
import org.legoos.net.protocol.gm.StorageDetach;
import org.legoos.net.protocol.m2s.BlockRead;
import org.legoos.net.protocol.m2s.BlockSync;
import org.legoos.net.protocol.m2s.BlockWrite;
import org.legoos.net.protocol.m2s.StorageUsage;
import org.legoos.net.protocol.m2s.UsageRequest;
import org.legoos.net.protocol.p2s.DirCreate;
import org.legoos.net.protocol.p2s.DirList;
import org.legoos.net.protocol.p2s.DirRead;
import org.legoos.net.protocol.p2s.DirRemove;
import org.legoos.net.protocol.p2s.FileData;
import org.legoos.net.protocol.p2s.FileOpen;
import org.legoos.net.protocol.p2s.FileRename;
import org.legoos.net.protocol.p2s.FileStat;
import org.legoos.net.protocol.p2s.FileStatRequest;
import org.legoos.net.protocol.p2s.FileTruncate;
import org.legoos.net.protocol.p2s.FileUnlink;
import org.legoos.net.rpc.RpcException;
import org.legoos.net.rpc.RpcNode;
import org.legoos.net.rpc.Status;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The storage monitor of an sComponent: a stateless file service over one local directory per vNode, as in
 * LegoOS (modelled on NFSv2). Every request carries everything it needs, the vNode, the full path, an
 * absolute offset and a length, so nothing is kept per caller and a restarted monitor over the same
 * {@link StorageConfig#root() root} serves the same files. The only "state" is on disk: the directory
 * {@code root/vnode-<id>} of each vNode the GSM attached here ({@code GM_STORAGE_ATTACH}).
 *
 * <p>Served requests:
 * <ul>
 *   <li>P2S from process monitors: {@code OPEN, STAT, TRUNCATE, UNLINK, MKDIR, RMDIR, READDIR, RENAME};</li>
 *   <li>M2S from memory monitors' storage buffer caches: {@code READ, WRITE, FSYNC}, and {@code USAGE} (the bytes a
 *       vNode's files take and its quota, which the buffer cache checks writes against before it accepts them);</li>
 *   <li>{@code GM_STORAGE_ATTACH} from the GSM: serve a vNode (creates its directory; idempotent);</li>
 *   <li>{@code GM_STORAGE_DETACH} from the GSM when the vNode is removed: stop serving it and delete its
 *       directory with every file in it (idempotent).</li>
 * </ul>
 *
 * <p>Isolation: paths are normalised lexically and one that climbs above the vNode's root is refused
 * ({@code DENIED}); a vNode never sees another's directory. Symbolic links are never followed: any request
 * whose path passes through, or names, a symbolic link is {@code DENIED}, except {@code UNLINK}, which
 * removes the link itself without looking at its target. Non-regular files (FIFOs, devices) are refused too.
 *
 * <p>Storage quota: the sizes of a vNode's regular files (holes included, as {@code ls -l} shows them) may not exceed
 * its storage quota, which the monitor asks the manager for once per vNode. A WRITE or TRUNCATE that would grow the
 * vNode's files beyond it is refused with QUOTA and changes nothing; the count is kept per vNode, taken from disk when
 * the vNode is first served (a restart) and updated by every request that changes a size.
 *
 * <p>Internally the full path is the key of a hash table of open files ({@link OpenFileTable}), bounded by
 * {@link StorageConfig#maxOpenFiles()}. {@code FSYNC} forces the file's data and metadata, and the
 * directories whose entries changed on the way to it, so data acknowledged after FSYNC is durable.
 *
 * <p>Errors reach the caller as {@link RpcException}s with NOT_FOUND, EXISTS, NOT_EMPTY, IS_DIRECTORY,
 * NOT_DIRECTORY, INVALID_ARGUMENT, DENIED or IO_ERROR; messages name the vNode and its path, never the host
 * path. After {@link #close()} every request is refused with UNAVAILABLE.
 *
 * <p>Thread-safe: requests are served concurrently on the transport's threads or on
 * {@link StorageConfig#workers()} worker threads. Data requests to a file already open take no lock;
 * UNLINK and RENAME exclude opens of their vNode while they change the namespace.
 */
public final class StorageMonitor implements AutoCloseable {
    /** Most bytes one READ or WRITE moves (16 MiB). */
    public static final int MAX_IO_BYTES = 16 << 20;

    private static final Logger log = LoggerFactory.getLogger(StorageMonitor.class);
    private static final String VNODE_DIR_PREFIX = "vnode-";
    private static final LinkOption[] NOFOLLOW = {LinkOption.NOFOLLOW_LINKS};
    private static final OpenOption[] OPEN_EXISTING = {
        StandardOpenOption.READ, StandardOpenOption.WRITE, LinkOption.NOFOLLOW_LINKS};
    private static final OpenOption[] OPEN_OR_CREATE = {
        StandardOpenOption.READ, StandardOpenOption.WRITE, StandardOpenOption.CREATE, LinkOption.NOFOLLOW_LINKS};
    private static final OpenOption[] CREATE_NEW = {
        StandardOpenOption.READ, StandardOpenOption.WRITE, StandardOpenOption.CREATE_NEW, LinkOption.NOFOLLOW_LINKS};
    /** Beyond this many directories awaiting an fsync of their entries, all are synced at once. */
    private static final int MAX_DIRTY_DIRS = 4096;
    private static final ByteBuffer EMPTY = ByteBuffer.allocate(0).asReadOnlyBuffer();

    /**
     * A served vNode: its directory, the lock that orders namespace changes against opens, and the bytes its regular
     * files take (their sizes, holes included; counted from disk when the vNode is first served here, then kept up to
     * date by every request that changes a size). Its storage quota is asked of the manager when first needed.
     */
    private record VNode(int id, Path dir, ReentrantReadWriteLock namespace, java.util.concurrent.atomic.AtomicLong used,
                         java.util.concurrent.atomic.AtomicLong quota) {
        VNode(int id, Path dir, long used) {
            this(id, dir, new ReentrantReadWriteLock(), new java.util.concurrent.atomic.AtomicLong(used),
                    new java.util.concurrent.atomic.AtomicLong(0));
        }
    }

    /** Size changes of one file are serialised by one of these, chosen by the file's key, so they are counted exactly. */
    private final java.util.concurrent.locks.ReentrantLock[] sizeLocks = new java.util.concurrent.locks.ReentrantLock[64];

    /** A request's normalised path inside its vNode. */
    private record Target(VNode vnode, String path) {
        boolean isRoot() {
            return path.equals("/");
        }

        /** Where the file lives on the local disk; resolved only when needed (not on an open-file table hit). */
        Path host() {
            return isRoot() ? vnode.dir() : vnode.dir().resolve(path.substring(1));
        }

        OpenFileTable.Key key() {
            return new OpenFileTable.Key(vnode.id(), path);
        }

        RpcException error(Status status, String reason) {
            return new RpcException(status, "vNode " + vnode.id() + ": " + path + ": " + reason);
        }
    }

    @FunctionalInterface
    private interface Handler<Q, R> {
        R handle(Q request) throws IOException;
    }

    private final RpcNode rpc;
    private final StorageConfig config;
    private final Path root;
    private final ExecutorService workers;
    private final OpenFileTable files;
    private final ConcurrentHashMap<Integer, VNode> served = new ConcurrentHashMap<>();
    private final Set<Path> dirtyDirs = ConcurrentHashMap.newKeySet();
    private volatile boolean closed;

    /**
     * Creates the root directory if needed and registers the P2S, M2S and STORAGE_ATTACH handlers on
     * {@code rpc}. The monitor does not own {@code rpc}: closing the monitor leaves it open.
     *
     * @throws UncheckedIOException if the root directory cannot be created
     * @throws IllegalStateException if {@code rpc} already serves one of these requests
     */
    /**
     * Keeps vNode users inside their vNodes and gives each vNode's storage quota; null (a storage component without a
     * manager, in tests) refuses every vNode user and enforces no quota.
     */
    private final org.legoos.net.security.VNodeScope vnodeScope;

    /** A storage monitor that enforces no quota and refuses vNode users (a storage component without a manager). */
    public StorageMonitor(RpcNode rpc, StorageConfig config) {
        this(rpc, config, null);
    }

    /**
     * @param vnodes the manager's vNodes: who may act in which, and their storage quotas (the wiring gives it the
     *     manager to ask)
     */
    public StorageMonitor(RpcNode rpc, StorageConfig config, org.legoos.net.security.VNodeScope vnodes) {
        this.vnodeScope = vnodes;
        for (int i = 0; i < sizeLocks.length; i++) {
            sizeLocks[i] = new java.util.concurrent.locks.ReentrantLock();
        }
        this.rpc = java.util.Objects.requireNonNull(rpc, "rpc");
        this.config = java.util.Objects.requireNonNull(config, "config");
        try {
            Files.createDirectories(config.root());
            this.root = config.root().toRealPath();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot use storage root " + config.root(), e);
        }
        this.files = new OpenFileTable(config.maxOpenFiles());
        this.workers = config.workers() == 0 ? null
                : Executors.newFixedThreadPool(config.workers(), workerThreads(rpc.name()));
        serve(StorageAttach.class, this::attach);
        serve(StorageDetach.class, this::detach);
        // metadata of a vNode's files: processors, and `lego cp|ls|rm` of operators and of users in their vNodes
        serve(FileOpen.class, q -> scoped(q.vnodeId(), "P2S_OPEN"), this::open);
        serve(FileStatRequest.class, q -> scoped(q.vnodeId(), "P2S_STAT"), this::stat);
        serve(FileTruncate.class, q -> scoped(q.vnodeId(), "P2S_TRUNCATE"), this::truncate);
        serve(FileUnlink.class, q -> scoped(q.vnodeId(), "P2S_UNLINK"), this::unlink);
        serve(DirCreate.class, q -> scoped(q.vnodeId(), "P2S_MKDIR"), this::mkdir);
        serve(DirRemove.class, q -> scoped(q.vnodeId(), "P2S_RMDIR"), this::rmdir);
        serve(DirRead.class, q -> scoped(q.vnodeId(), "P2S_READDIR"), this::readdir);
        serve(FileRename.class, q -> scoped(q.vnodeId(), "P2S_RENAME"), this::rename);
        serve(BlockRead.class, this::read);
        serve(BlockWrite.class, this::write);
        serve(BlockSync.class, this::fsync);
        serve(UsageRequest.class, this::usage);
    }

    public StorageConfig config() {
        return config;
    }

    /**
     * What this component has and uses, for its status reports to the managers: {@code storageUsedBytes} is
     * the total size of the regular files of every vNode under the root. Walks the directory tree, so its cost
     * grows with the number of files; call it at status-report rate, not per request.
     */
    public ComponentResources resources() {
        return new ComponentResources(Runtime.getRuntime().availableProcessors(), config.workers(), 0, 0, 0,
                storageUsedBytes(), 0);
    }

    private long storageUsedBytes() {
        return bytesUnder(root);
    }

    /** The sizes of the regular files under {@code dir} (symbolic links not followed). */
    private long bytesUnder(Path dir) {
        long[] total = {0};
        try {
            Files.walkFileTree(dir, new SimpleFileVisitor<>() {
                @Override
                public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) {
                    if (attrs.isRegularFile()) {
                        total[0] += attrs.size();
                    }
                    return FileVisitResult.CONTINUE;
                }

                @Override
                public FileVisitResult visitFileFailed(Path file, IOException e) {
                    return FileVisitResult.CONTINUE; // removed while we walked
                }
            });
        } catch (IOException e) {
            log.warn("{}: cannot measure storage use under {}: {}", rpc.name(), dir, e.toString());
        }
        return total[0];
    }

    /** The open-file table (for tests in this package). */
    OpenFileTable openFileTable() {
        return files;
    }

    /** Where vNode {@code vnodeId}'s files live on the local disk (for tests in this package). */
    Path vnodeDirectory(int vnodeId) {
        return root.resolve(VNODE_DIR_PREFIX + vnodeId);
    }

    // ------------------------------------------------------------------ dispatch and errors

    private <R extends Message, Q extends Request<R>> void serve(Class<Q> type, Handler<Q, R> handler) {
        serve(type, null, handler);
    }

    /** What a request names of a vNode, for the check of a vNode user's scope. */
    private record Scope(int vnodeId, String what) {
    }

    private static Scope scoped(int vnodeId, String what) {
        return new Scope(vnodeId, what);
    }

    /**
     * Serves {@code type} on the workers; {@code scope} (null: none) says which vNode a request acts in, which a vNode
     * user must hold ({@link #scopeUsersWith}).
     */
    private <R extends Message, Q extends Request<R>> void serve(Class<Q> type, java.util.function.Function<Q, Scope> scope,
                                                                 Handler<Q, R> handler) {
        rpc.handle(type, (q, ctx) -> {
            if (closed) {
                throw new RpcException(Status.UNAVAILABLE, "storage monitor " + rpc.name() + " is closed");
            }
            if (scope != null) {
                Scope s = scope.apply(q);
                org.legoos.net.security.VNodeScope.check(vnodeScope, ctx.principal(), s.vnodeId(), s.what());
            }
            try {
                return handler.handle(q);
            } catch (IOException e) {
                throw translate(e);
            } catch (UncheckedIOException e) {
                throw translate(e.getCause());
            } catch (DirectoryIteratorException e) {
                throw translate(e.getCause());
            } catch (InvalidPathException e) {
                throw new RpcException(Status.INVALID_ARGUMENT, "path not usable on this storage component: "
                        + e.getReason());
            }
        }, workers);
    }

    /** The wire error for an I/O failure; the message names the vNode path, never the host path. */
    private RpcException translate(IOException e) {
        Status status = switch (e) {
            case NoSuchFileException _ -> Status.NOT_FOUND;
            case FileAlreadyExistsException _ -> Status.EXISTS;
            case DirectoryNotEmptyException _ -> Status.NOT_EMPTY;
            case NotDirectoryException _ -> Status.NOT_DIRECTORY;
            case AccessDeniedException _, FileSystemLoopException _ -> Status.DENIED;
            default -> Status.IO_ERROR;
        };
        String what;
        if (e instanceof FileSystemException fse) {
            String reason = fse.getReason() != null ? fse.getReason() : switch (status) {
                case NOT_FOUND -> "no such file or directory";
                case EXISTS -> "exists";
                case NOT_EMPTY -> "directory not empty";
                case NOT_DIRECTORY -> "not a directory";
                case DENIED -> "permission denied";
                default -> e.getClass().getSimpleName();
            };
            what = describeHostPath(fse.getFile()) + ": " + reason;
        } else if (e instanceof ClosedByInterruptException) {
            what = "the calling thread was interrupted during file I/O";
        } else {
            what = e.getClass().getSimpleName() + (e.getMessage() == null ? "" : ": " + e.getMessage());
        }
        if (status == Status.IO_ERROR) {
            log.warn("{}: I/O error: {}", rpc.name(), what);
        }
        return new RpcException(status, what);
    }

    /** "vNode 3: /a/b" for a host path under a vNode's directory. */
    private String describeHostPath(String file) {
        if (file == null) {
            return "storage";
        }
        try {
            Path p = Path.of(file);
            if (p.startsWith(root) && p.getNameCount() > root.getNameCount()) {
                Path rel = root.relativize(p);
                String dir = rel.getName(0).toString();
                String inner = rel.getNameCount() == 1 ? "/" : "/" + rel.subpath(1, rel.getNameCount()).toString()
                        .replace(p.getFileSystem().getSeparator(), "/");
                return dir.startsWith(VNODE_DIR_PREFIX) ? "vNode " + dir.substring(VNODE_DIR_PREFIX.length()) + ": " + inner
                        : inner;
            }
        } catch (InvalidPathException ignored) {
            // fall through
        }
        return "storage";
    }

    // ------------------------------------------------------------------ vNodes and paths

    private Ack attach(StorageAttach q) throws IOException {
        checkVnodeId(q.vnodeId());
        Path dir = vnodeDirectory(q.vnodeId());
        try {
            Files.createDirectory(dir);
            syncDirectory(root);
            log.info("{}: now serving vNode {} ({})", rpc.name(), q.vnodeId(), PathNormalizer.printable(q.vnodeName()));
        } catch (FileAlreadyExistsException e) {
            BasicFileAttributes a = lstat(dir);
            if (a == null || !a.isDirectory() || a.isSymbolicLink()) {
                throw new RpcException(Status.IO_ERROR, "vNode " + q.vnodeId()
                        + ": its storage directory exists but is not a plain directory");
            }
        }
        served.computeIfAbsent(q.vnodeId(), id -> new VNode(id, dir, bytesUnder(dir)));
        return Ack.INSTANCE;
    }

    /**
     * The vNode was removed: its open files are closed, its directory and everything in it deleted (symbolic links
     * are removed, never followed), and it is no longer served. Under its namespace lock, so no open or namespace
     * change of it runs meanwhile.
     */
    private Ack detach(StorageDetach q) throws IOException {
        checkVnodeId(q.vnodeId());
        Path dir = vnodeDirectory(q.vnodeId());
        VNode v = served.get(q.vnodeId());
        var lock = v == null ? null : v.namespace().writeLock();
        if (lock != null) {
            lock.lock();
        }
        try {
            served.remove(q.vnodeId());
            files.invalidateTree(q.vnodeId(), "/");
            BasicFileAttributes a = lstat(dir);
            if (a != null && a.isDirectory() && !a.isSymbolicLink()) {
                deleteTree(dir);
                syncDirectory(root);
                log.info("{}: vNode {} ({}) detached, its files deleted", rpc.name(), q.vnodeId(),
                        PathNormalizer.printable(q.vnodeName()));
            }
        } finally {
            if (lock != null) {
                lock.unlock();
            }
        }
        return Ack.INSTANCE;
    }

    /** Deletes {@code dir} and everything below it, without following symbolic links. */
    private static void deleteTree(Path dir) throws IOException {
        Files.walkFileTree(dir, new java.nio.file.SimpleFileVisitor<>() {
            @Override
            public java.nio.file.FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
                Files.delete(file);
                return java.nio.file.FileVisitResult.CONTINUE;
            }

            @Override
            public java.nio.file.FileVisitResult postVisitDirectory(Path d, IOException e) throws IOException {
                if (e != null) {
                    throw e;
                }
                Files.delete(d);
                return java.nio.file.FileVisitResult.CONTINUE;
            }
        });
    }

    private static void checkVnodeId(int vnodeId) {
        if (vnodeId < 0) {
            throw new RpcException(Status.INVALID_ARGUMENT, "negative vNode id " + vnodeId);
        }
    }

    /** The served vNode, learning from disk (a restart) that it was attached; DENIED if it is not served. */
    private VNode vnode(int vnodeId) throws IOException {
        VNode v = served.get(vnodeId);
        if (v != null) {
            return v;
        }
        checkVnodeId(vnodeId);
        Path dir = vnodeDirectory(vnodeId);
        BasicFileAttributes a = lstat(dir);
        if (a == null || !a.isDirectory() || a.isSymbolicLink()) {
            throw new RpcException(Status.DENIED, "vNode " + vnodeId + " is not served by this storage component");
        }
        return served.computeIfAbsent(vnodeId, id -> new VNode(id, dir, bytesUnder(dir)));
    }

    private Target target(int vnodeId, String rawPath) throws IOException {
        String path = PathNormalizer.normalize(rawPath);
        return new Target(vnode(vnodeId), path);
    }

    private static BasicFileAttributes lstat(Path p) throws IOException {
        try {
            return Files.readAttributes(p, BasicFileAttributes.class, NOFOLLOW);
        } catch (NoSuchFileException e) {
            return null;
        }
    }

    /**
     * Checks every directory on the way to {@code t} (not {@code t} itself) without following links:
     * NOT_FOUND if one is missing, NOT_DIRECTORY if one is a file, DENIED if one is a symbolic link.
     */
    private static void checkParents(Target t) throws IOException {
        String path = t.path();
        Path p = t.vnode().dir();
        int from = 1;
        for (int slash = path.indexOf('/', from); slash > 0; slash = path.indexOf('/', from)) {
            p = p.resolve(path.substring(from, slash));
            String prefix = path.substring(0, slash);
            BasicFileAttributes a = lstat(p);
            if (a == null) {
                throw t.error(Status.NOT_FOUND, "no such directory " + prefix);
            }
            if (a.isSymbolicLink()) {
                throw t.error(Status.DENIED, prefix + " is a symbolic link; links are not followed");
            }
            if (!a.isDirectory()) {
                throw t.error(Status.NOT_DIRECTORY, prefix + " is not a directory");
            }
            from = slash + 1;
        }
    }

    /** Attributes of an existing target that is not a symbolic link (its parents checked too). */
    private static BasicFileAttributes existing(Target t) throws IOException {
        if (t.isRoot()) {
            return Files.readAttributes(t.host(), BasicFileAttributes.class, NOFOLLOW);
        }
        checkParents(t);
        BasicFileAttributes a = lstat(t.host());
        if (a == null) {
            throw t.error(Status.NOT_FOUND, "no such file or directory");
        }
        refuseLink(t, a);
        return a;
    }

    private static void refuseLink(Target t, BasicFileAttributes a) {
        if (a.isSymbolicLink()) {
            throw t.error(Status.DENIED, "is a symbolic link; links are not followed");
        }
    }

    /** Refuses anything but an existing regular file: the checks of a data request's open. */
    private static void requireRegularFile(Target t, BasicFileAttributes a) {
        if (a.isDirectory()) {
            throw t.error(Status.IS_DIRECTORY, "is a directory");
        }
        if (!a.isRegularFile()) {
            throw t.error(Status.DENIED, "is not a regular file");
        }
    }

    /** Runs {@code fn} on the open channel of an existing regular file, opening it on a table miss. */
    private <T> T withFile(Target t, OpenFileTable.ChannelFunction<T> fn) throws IOException {
        if (t.isRoot()) {
            throw t.error(Status.IS_DIRECTORY, "is the vNode's root directory");
        }
        return files.withChannel(t.key(), t.vnode().namespace().readLock(), () -> {
            requireRegularFile(t, existing(t));
            return FileChannel.open(t.host(), OPEN_EXISTING);
        }, fn);
    }

    // ------------------------------------------------------------------ durability of directory entries

    private void markDirty(Path dir) {
        dirtyDirs.add(dir);
        if (dirtyDirs.size() > MAX_DIRTY_DIRS) {
            for (Path d : List.copyOf(dirtyDirs)) {
                if (dirtyDirs.remove(d)) {
                    syncDirectory(d);
                }
            }
        }
    }

    /** Makes the entries of the directories between {@code file} and its vNode root durable, where changed. */
    private void syncDirtyAncestors(Target t) {
        for (Path d = t.host().getParent(); d != null && d.startsWith(t.vnode().dir()); d = d.getParent()) {
            if (dirtyDirs.remove(d)) {
                syncDirectory(d);
            }
        }
    }

    /** fsync of a directory (its entries); best effort where the platform cannot open directories. */
    private void syncDirectory(Path dir) {
        try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
            ch.force(true);
        } catch (IOException e) {
            log.debug("{}: cannot fsync directory {}: {}", rpc.name(), dir, e.toString());
        }
    }

    // ------------------------------------------------------------------ P2S

    private FileStat open(FileOpen q) throws IOException {
        Target t = target(q.vnodeId(), q.path());
        if (t.isRoot()) {
            throw q.create() && q.exclusive() ? t.error(Status.EXISTS, "exists")
                    : t.error(Status.IS_DIRECTORY, "is the vNode's root directory");
        }
        if (q.create() && q.exclusive()) {
            return createExclusive(t);
        }
        FileStat stat = files.withChannel(t.key(), t.vnode().namespace().readLock(), () -> {
            checkParents(t);
            BasicFileAttributes a = lstat(t.host());
            if (a == null && !q.create()) {
                throw t.error(Status.NOT_FOUND, "no such file");
            }
            if (a != null) {
                refuseLink(t, a);
                requireRegularFile(t, a);
                return FileChannel.open(t.host(), OPEN_EXISTING);
            }
            FileChannel ch = FileChannel.open(t.host(), OPEN_OR_CREATE);
            markDirty(t.host().getParent());
            return ch;
        }, ch -> fileStat(t, ch));
        return stat;
    }

    /** OPEN with create and exclusive: only the caller that really created the file succeeds. */
    private FileStat createExclusive(Target t) throws IOException {
        var lock = t.vnode().namespace().readLock();
        lock.lock();
        try {
            checkParents(t);
            BasicFileAttributes a = lstat(t.host());
            if (a != null) {
                refuseLink(t, a);
                throw t.error(Status.EXISTS, "exists");
            }
            FileChannel ch = FileChannel.open(t.host(), CREATE_NEW);
            markDirty(t.host().getParent());
            FileStat stat;
            try {
                stat = fileStat(t, ch);
            } catch (IOException e) {
                ch.close();
                throw e;
            }
            files.adopt(t.key(), ch);
            return stat;
        } finally {
            lock.unlock();
        }
    }

    private static FileStat fileStat(Target t, FileChannel ch) throws IOException {
        long size = ch.size();
        long mtime = Files.getLastModifiedTime(t.host(), NOFOLLOW).toMillis();
        return new FileStat(false, size, mtime);
    }

    private FileStat stat(FileStatRequest q) throws IOException {
        Target t = target(q.vnodeId(), q.path());
        BasicFileAttributes a = existing(t);
        return new FileStat(a.isDirectory(), a.isDirectory() ? 0 : a.size(), a.lastModifiedTime().toMillis());
    }

    private Ack truncate(FileTruncate q) throws IOException {
        if (q.size() < 0) {
            throw new RpcException(Status.INVALID_ARGUMENT, "negative size " + q.size() + " for " + PathNormalizer.printable(q.path()));
        }
        Target t = target(q.vnodeId(), q.path());
        long size = q.size();
        long quota = quota(t.vnode());
        return withFile(t, ch -> resize(t, ch, quota, size, () -> {
            long current = ch.size();
            if (size < current) {
                ch.truncate(size);
            } else if (size > current) {
                // FileChannel.truncate never grows a file: write its last byte, leaving a hole of zeros.
                ch.write(ByteBuffer.allocate(1), size - 1);
            }
        }));
    }

    private Ack unlink(FileUnlink q) throws IOException {
        Target t = target(q.vnodeId(), q.path());
        if (t.isRoot()) {
            throw t.error(Status.DENIED, "cannot remove the vNode's root directory");
        }
        var lock = t.vnode().namespace().writeLock();
        lock.lock();
        try {
            checkParents(t);
            BasicFileAttributes a = lstat(t.host());
            if (a == null) {
                throw t.error(Status.NOT_FOUND, "no such file");
            }
            if (a.isDirectory()) {
                throw t.error(Status.IS_DIRECTORY, "is a directory (use rmdir)");
            }
            files.invalidate(t.key());
            Files.delete(t.host()); // removes a symbolic link itself, never its target
            if (a.isRegularFile()) {
                t.vnode().used().addAndGet(-a.size());
            }
        } finally {
            lock.unlock();
        }
        markDirty(t.host().getParent());
        return Ack.INSTANCE;
    }

    private Ack mkdir(DirCreate q) throws IOException {
        Target t = target(q.vnodeId(), q.path());
        if (t.isRoot()) {
            throw t.error(Status.EXISTS, "is the vNode's root directory");
        }
        checkParents(t);
        if (lstat(t.host()) != null) {
            throw t.error(Status.EXISTS, "exists");
        }
        Files.createDirectory(t.host());
        markDirty(t.host().getParent());
        return Ack.INSTANCE;
    }

    private Ack rmdir(DirRemove q) throws IOException {
        Target t = target(q.vnodeId(), q.path());
        if (t.isRoot()) {
            throw t.error(Status.DENIED, "cannot remove the vNode's root directory");
        }
        BasicFileAttributes a = existing(t);
        if (!a.isDirectory()) {
            throw t.error(Status.NOT_DIRECTORY, "is not a directory");
        }
        try {
            Files.delete(t.host());
        } catch (DirectoryNotEmptyException e) {
            throw t.error(Status.NOT_EMPTY, "directory not empty");
        }
        dirtyDirs.remove(t.host());
        markDirty(t.host().getParent());
        return Ack.INSTANCE;
    }

    private DirList readdir(DirRead q) throws IOException {
        Target t = target(q.vnodeId(), q.path());
        BasicFileAttributes a = existing(t);
        if (!a.isDirectory()) {
            throw t.error(Status.NOT_DIRECTORY, "is not a directory");
        }
        record Entry(String name, boolean directory) {
        }
        List<Entry> entries = new ArrayList<>();
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(t.host())) {
            for (Path p : ds) {
                BasicFileAttributes e = lstat(p);
                if (e != null) { // else removed while listing
                    entries.add(new Entry(p.getFileName().toString(), e.isDirectory()));
                }
            }
        }
        entries.sort(Comparator.comparing(Entry::name));
        List<String> names = new ArrayList<>(entries.size());
        int[] flags = new int[entries.size()];
        for (int i = 0; i < flags.length; i++) {
            names.add(entries.get(i).name());
            flags[i] = entries.get(i).directory() ? 1 : 0;
        }
        return new DirList(names, flags);
    }

    private Ack rename(FileRename q) throws IOException {
        Target from = target(q.vnodeId(), q.from());
        Target to = target(q.vnodeId(), q.to());
        if (from.isRoot() || to.isRoot()) {
            throw (from.isRoot() ? from : to).error(Status.DENIED, "cannot rename the vNode's root directory");
        }
        var lock = from.vnode().namespace().writeLock();
        lock.lock();
        try {
            BasicFileAttributes src = existing(from);
            if (from.path().equals(to.path())) {
                return Ack.INSTANCE;
            }
            if (src.isDirectory() && PathNormalizer.isSameOrBelow(to.path(), from.path())) {
                throw from.error(Status.INVALID_ARGUMENT, "cannot move a directory into itself (" + to.path() + ")");
            }
            checkParents(to);
            BasicFileAttributes dst = lstat(to.host());
            if (dst != null) {
                refuseLink(to, dst);
                if (src.isDirectory() && !dst.isDirectory()) {
                    throw to.error(Status.NOT_DIRECTORY, "is not a directory (renaming directory " + from.path() + ")");
                }
                if (!src.isDirectory() && dst.isDirectory()) {
                    throw to.error(Status.IS_DIRECTORY, "is a directory (renaming file " + from.path() + ")");
                }
                if (dst.isDirectory() && !isEmptyDirectory(to.host())) {
                    throw to.error(Status.NOT_EMPTY, "directory not empty");
                }
            }
            files.invalidateTree(from.vnode().id(), from.path());
            files.invalidateTree(to.vnode().id(), to.path());
            Files.move(from.host(), to.host(), StandardCopyOption.ATOMIC_MOVE);
            if (dst != null && dst.isRegularFile()) {
                to.vnode().used().addAndGet(-dst.size()); // the file renamed over is gone
            }
        } finally {
            lock.unlock();
        }
        markDirty(from.host().getParent());
        markDirty(to.host().getParent());
        return Ack.INSTANCE;
    }

    private static boolean isEmptyDirectory(Path dir) throws IOException {
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir)) {
            return !ds.iterator().hasNext();
        }
    }

    // ------------------------------------------------------------------ M2S

    private FileData read(BlockRead q) throws IOException {
        if (q.offset() < 0 || q.length() < 0 || q.length() > MAX_IO_BYTES) {
            throw new RpcException(Status.INVALID_ARGUMENT, "read of " + q.length() + " bytes at offset " + q.offset()
                    + " of " + PathNormalizer.printable(q.path()) + ": offset and length must be >= 0, length <= " + MAX_IO_BYTES);
        }
        Target t = target(q.vnodeId(), q.path());
        long offset = q.offset();
        int length = q.length();
        return withFile(t, ch -> {
            long size = ch.size();
            if (length == 0 || offset >= size) {
                return new FileData(EMPTY);
            }
            ByteBuffer buf = ByteBuffer.allocate((int) Math.min(length, size - offset));
            while (buf.hasRemaining()) {
                if (ch.read(buf, offset + buf.position()) < 0) {
                    break; // shrunk meanwhile: a short read
                }
            }
            return new FileData(buf.flip());
        });
    }

    private Ack write(BlockWrite q) throws IOException {
        int length = q.data().remaining();
        if (q.offset() < 0 || length > MAX_IO_BYTES || q.offset() > Long.MAX_VALUE - length) {
            throw new RpcException(Status.INVALID_ARGUMENT, "write of " + length + " bytes at offset " + q.offset()
                    + " of " + PathNormalizer.printable(q.path()) + ": offset must be >= 0, length <= " + MAX_IO_BYTES);
        }
        Target t = target(q.vnodeId(), q.path());
        long offset = q.offset();
        long quota = quota(t.vnode());
        return withFile(t, ch -> resize(t, ch, quota, offset + length, () -> {
            ByteBuffer src = q.data().duplicate();
            long pos = offset;
            while (src.hasRemaining()) {
                pos += ch.write(src, pos);
            }
        }));
    }

    private StorageUsage usage(UsageRequest q) throws IOException {
        VNode v = vnode(q.vnodeId());
        return new StorageUsage(Math.max(0, v.used().get()), quota(v));
    }

    // ------------------------------------------------------------------ storage quota

    @FunctionalInterface
    private interface Change {
        void run() throws IOException;
    }

    /**
     * The vNode's storage quota: asked of the manager once (outside any lock), {@link StorageUsage#UNLIMITED} when this
     * monitor has no manager.
     */
    private long quota(VNode v) {
        long q = v.quota().get();
        if (q > 0) {
            return q;
        }
        q = vnodeScope == null ? StorageUsage.UNLIMITED : vnodeScope.info(v.id()).storageQuotaBytes();
        v.quota().set(q);
        return q;
    }

    /**
     * Runs {@code change}, which leaves the file at most {@code end} bytes long, under the file's size lock: the growth
     * beyond the current size is taken from the vNode's quota first (QUOTA if it does not fit, nothing changed), and
     * the size the file really has afterwards is what is counted.
     */
    private Ack resize(Target t, FileChannel ch, long quota, long end, Change change) throws IOException {
        var lock = sizeLocks[Math.floorMod(t.key().hashCode(), sizeLocks.length)];
        lock.lock();
        try {
            long before = ch.size();
            long growth = Math.max(0, end - before);
            java.util.concurrent.atomic.AtomicLong used = t.vnode().used();
            if (growth > 0) {
                long now;
                do {
                    now = used.get();
                    if (now + growth > quota || now + growth < 0) {
                        throw t.error(Status.QUOTA, "the vNode's files would take " + org.legoos.api.Sizes.human(now + growth)
                                + ", over its storage quota of " + org.legoos.api.Sizes.human(quota) + " ("
                                + org.legoos.api.Sizes.human(now) + " used, this grows the file by "
                                + org.legoos.api.Sizes.human(growth) + ")");
                    }
                } while (!used.compareAndSet(now, now + growth));
            }
            try {
                change.run();
            } finally {
                used.addAndGet(sizeAfter(ch, before + growth) - before - growth);
            }
            return Ack.INSTANCE;
        } finally {
            lock.unlock();
        }
    }

    /** The channel's size, or {@code fallback} if it cannot be read (the change failed half way). */
    private static long sizeAfter(FileChannel ch, long fallback) {
        try {
            return ch.size();
        } catch (IOException e) {
            return fallback;
        }
    }

    private Ack fsync(BlockSync q) throws IOException {
        Target t = target(q.vnodeId(), q.path());
        withFile(t, ch -> {
            ch.force(true);
            return null;
        });
        syncDirtyAncestors(t);
        return Ack.INSTANCE;
    }

    // ------------------------------------------------------------------ lifecycle

    private static ThreadFactory workerThreads(String name) {
        AtomicInteger n = new AtomicInteger();
        return r -> {
            Thread th = new Thread(r, name + "-storage-worker-" + n.incrementAndGet());
            th.setDaemon(true);
            return th;
        };
    }

    /**
     * Stops serving: later requests get UNAVAILABLE, requests in progress finish (workers get a few seconds),
     * and every open file is closed. Does not close the {@link RpcNode}. Idempotent.
     */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        if (workers != null) {
            workers.shutdown();
            try {
                if (!workers.awaitTermination(5, TimeUnit.SECONDS)) {
                    log.warn("{}: storage workers still busy after 5 s; closing files anyway", rpc.name());
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        files.close();
    }
}
