package org.legoos.task.fs;

import java.io.IOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.channels.FileChannel;
import java.nio.channels.SeekableByteChannel;
import java.nio.file.AccessMode;
import java.nio.file.CopyOption;
import java.nio.file.DirectoryStream;
import java.nio.file.FileStore;
import java.nio.file.FileSystem;
import java.nio.file.FileSystemNotFoundException;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.OpenOption;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributeView;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.FileAttributeView;
import java.nio.file.attribute.FileTime;
import java.nio.file.spi.FileSystemProvider;
import java.util.HashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The {@code lego:} file system provider: the process monitor's implementation of the file API over the
 * stateless storage of a vNode. A program never sees this class; it uses {@code ctx.fileSystem()} and
 * {@link java.nio.file.Files}. The process monitor makes one {@link LegoFileSystem} per process with
 * {@link #newFileSystem(String, FileService)} and closes it when the process exits.
 *
 * <p>The provider is not installed with {@link java.util.ServiceLoader} and its file systems are not
 * registered in {@link java.nio.file.FileSystems}; {@link #getPath(URI)} and {@link #getFileSystem(URI)}
 * find a file system this provider instance made and that is still open, for the vNode named by the URI's
 * authority ({@code lego://<vnode>/a/b}). Several processes of one vNode each have their own file system
 * (own working directory and open files) over the same store; any of them serves a URI.
 *
 * <p>Thread-safe; one instance can be shared by all processes of a processor component.
 */
public final class LegoFileSystemProvider extends FileSystemProvider {
    /** URI scheme: {@code lego://<vnode>/path}. */
    public static final String SCHEME = "lego";
    /** Key of the {@link FileService} in the environment map of {@link #newFileSystem(URI, Map)}. */
    public static final String ENV_FILE_SERVICE = "fileService";

    private final Set<LegoFileSystem> open = ConcurrentHashMap.newKeySet();

    public LegoFileSystemProvider() {}

    /**
     * A new file system for one process over the storage of vNode {@code vnodeName}, with working
     * directory "/". Nothing is asked of storage until it is used.
     *
     * @throws IllegalArgumentException if the name is empty or cannot be the authority of a URI
     */
    public LegoFileSystem newFileSystem(String vnodeName, FileService service) {
        Objects.requireNonNull(vnodeName, "vnodeName");
        Objects.requireNonNull(service, "service");
        if (vnodeName.isBlank() || vnodeName.indexOf('/') >= 0) {
            throw new IllegalArgumentException("invalid vNode name '" + vnodeName + "'");
        }
        try {
            URI probe = new URI(SCHEME, vnodeName, "/", null, null);
            if (!vnodeName.equals(probe.getAuthority())) {
                throw new IllegalArgumentException("vNode name '" + vnodeName + "' does not survive a URI");
            }
        } catch (URISyntaxException e) {
            throw new IllegalArgumentException("vNode name '" + vnodeName + "' cannot be a URI authority", e);
        }
        LegoFileSystem fs = new LegoFileSystem(this, vnodeName, service);
        open.add(fs);
        return fs;
    }

    void closed(LegoFileSystem fs) {
        open.remove(fs);
    }

    @Override
    public String getScheme() {
        return SCHEME;
    }

    /**
     * {@code lego://<vnode>} with the {@link FileService} under {@link #ENV_FILE_SERVICE}; same as
     * {@link #newFileSystem(String, FileService)}. Never throws FileSystemAlreadyExistsException: each
     * process has its own file system of a vNode.
     */
    @Override
    public LegoFileSystem newFileSystem(URI uri, Map<String, ?> env) {
        String vnode = vnodeOf(uri);
        if (!(env.get(ENV_FILE_SERVICE) instanceof FileService service)) {
            throw new IllegalArgumentException("env must map '" + ENV_FILE_SERVICE + "' to a FileService");
        }
        return newFileSystem(vnode, service);
    }

    /** An open file system of the URI's vNode made by this provider. */
    @Override
    public LegoFileSystem getFileSystem(URI uri) {
        String vnode = vnodeOf(uri);
        for (LegoFileSystem fs : open) {
            if (fs.vnode().equals(vnode) && fs.isOpen()) {
                return fs;
            }
        }
        throw new FileSystemNotFoundException("no open lego: file system for vNode '" + vnode + "'");
    }

    /** The absolute path of {@code lego://<vnode>/a/b} in an open file system of that vNode. */
    @Override
    public LegoPath getPath(URI uri) {
        LegoFileSystem fs = getFileSystem(uri);
        if (uri.getQuery() != null || uri.getFragment() != null) {
            throw new IllegalArgumentException("a lego: URI has no query or fragment: " + uri);
        }
        String path = uri.getPath();
        if (path == null || path.isEmpty()) {
            path = "/";
        }
        if (!path.startsWith("/")) {
            throw new IllegalArgumentException("a lego: URI has an absolute path: " + uri);
        }
        return fs.getPath(path);
    }

    private static String vnodeOf(URI uri) {
        if (!SCHEME.equalsIgnoreCase(uri.getScheme())) {
            throw new IllegalArgumentException("not a lego: URI: " + uri);
        }
        String vnode = uri.getAuthority();
        if (vnode == null || vnode.isEmpty()) {
            throw new IllegalArgumentException("a lego: URI names its vNode as authority (lego://vnode/...): "
                    + uri);
        }
        return vnode;
    }

    // ---------------------------------------------------------------- files and directories

    @Override
    public FileChannel newFileChannel(Path path, Set<? extends OpenOption> options, FileAttribute<?>... attrs)
            throws IOException {
        LegoPath p = LegoPath.checkPath(path);
        return p.getFileSystem().newFileChannel(p, options, attrs);
    }

    @Override
    public SeekableByteChannel newByteChannel(Path path, Set<? extends OpenOption> options,
                                              FileAttribute<?>... attrs) throws IOException {
        return newFileChannel(path, options, attrs);
    }

    @Override
    public DirectoryStream<Path> newDirectoryStream(Path dir, DirectoryStream.Filter<? super Path> filter)
            throws IOException {
        LegoPath p = LegoPath.checkPath(dir);
        return p.getFileSystem().newDirectoryStream(p, filter);
    }

    @Override
    public void createDirectory(Path dir, FileAttribute<?>... attrs) throws IOException {
        LegoPath p = LegoPath.checkPath(dir);
        p.getFileSystem().createDirectory(p, attrs);
    }

    /** Deletes a file or an empty directory. */
    @Override
    public void delete(Path path) throws IOException {
        LegoPath p = LegoPath.checkPath(path);
        p.getFileSystem().delete(p);
    }

    @Override
    public void copy(Path source, Path target, CopyOption... options) throws IOException {
        LegoPath s = LegoPath.checkPath(source);
        s.getFileSystem().copy(s, LegoPath.checkPath(target), options);
    }

    @Override
    public void move(Path source, Path target, CopyOption... options) throws IOException {
        LegoPath s = LegoPath.checkPath(source);
        s.getFileSystem().move(s, LegoPath.checkPath(target), options);
    }

    /** Same absolute normalised path in the same vNode (there are no links). */
    @Override
    public boolean isSameFile(Path path, Path path2) throws IOException {
        if (Objects.requireNonNull(path, "path").equals(path2)) {
            return true;
        }
        LegoPath a = LegoPath.checkPath(path);
        if (!(Objects.requireNonNull(path2, "path2") instanceof LegoPath b)) {
            return false;
        }
        a.getFileSystem().stat(a);
        b.getFileSystem().stat(b);
        return a.getFileSystem().sameStore(b.getFileSystem()) && a.storageKey().equals(b.storageKey());
    }

    @Override
    public boolean isHidden(Path path) {
        LegoPath.checkPath(path);
        return false;
    }

    @Override
    public FileStore getFileStore(Path path) throws IOException {
        LegoPath p = LegoPath.checkPath(path);
        p.getFileSystem().stat(p);
        return p.getFileSystem().store();
    }

    /**
     * Checks that the file exists. Storage has no permission bits to report: it refuses an operation it
     * does not allow when it is tried ({@link java.nio.file.AccessDeniedException}), so every mode is granted
     * here.
     */
    @Override
    public void checkAccess(Path path, AccessMode... modes) throws IOException {
        LegoPath p = LegoPath.checkPath(path);
        for (AccessMode m : modes) {
            Objects.requireNonNull(m, "null access mode");
        }
        p.getFileSystem().stat(p);
    }

    // ---------------------------------------------------------------- attributes

    @Override
    @SuppressWarnings("unchecked")
    public <V extends FileAttributeView> V getFileAttributeView(Path path, Class<V> type, LinkOption... options) {
        LegoPath p = LegoPath.checkPath(path);
        if (type == BasicFileAttributeView.class) {
            return (V) new LegoFileAttributeView(p);
        }
        return null;
    }

    @Override
    @SuppressWarnings("unchecked")
    public <A extends BasicFileAttributes> A readAttributes(Path path, Class<A> type, LinkOption... options)
            throws IOException {
        LegoPath p = LegoPath.checkPath(path);
        if (type != BasicFileAttributes.class) {
            throw new UnsupportedOperationException("lego: only BasicFileAttributes, not " + type.getName());
        }
        return (A) new LegoFileAttributes(p.getFileSystem().stat(p));
    }

    /**
     * "basic:" view attributes (or "*"); the view name may be left out. Also the read-only "unix:" view that
     * WASI runtimes and other POSIX emulations read for stat(2): the basic attributes and {@code dev} (one per vNode),
     * {@code ino} (a stable hash of the absolute path, as files have no inode numbers here), {@code nlink} 1,
     * {@code mode} (file type and rw-r--r-- or rwxr-xr-x: access is storage's to grant), {@code uid}/{@code gid} 0,
     * {@code rdev} 0 and {@code ctime} (the modification time).
     */
    @Override
    public Map<String, Object> readAttributes(Path path, String attributes, LinkOption... options)
            throws IOException {
        LegoPath p = LegoPath.checkPath(path);
        int colon = attributes.indexOf(':');
        boolean unix = colon >= 0 && attributes.substring(0, colon).equals("unix");
        String[] names = unix ? unixNames(attributes.substring(colon + 1)) : basicNames(attributes);
        LegoFileAttributes a = new LegoFileAttributes(p.getFileSystem().stat(p));
        Map<String, Object> result = new HashMap<>();
        for (String name : names) {
            if (name.equals("*")) {
                for (String each : ALL_BASIC) {
                    result.put(each, basicValue(a, each));
                }
                if (unix) {
                    for (String each : UNIX_ONLY) {
                        result.put(each, unixValue(p, a, each));
                    }
                }
            } else {
                result.put(name, Set.of(UNIX_ONLY).contains(name) ? unixValue(p, a, name) : basicValue(a, name));
            }
        }
        return result;
    }

    /** Only the basic times exist, and storage sets them itself: see {@link BasicFileAttributeView#setTimes}. */
    @Override
    public void setAttribute(Path path, String attribute, Object value, LinkOption... options) throws IOException {
        LegoPath p = LegoPath.checkPath(path);
        String[] names = basicNames(attribute);
        if (names.length != 1 || names[0].equals("*")) {
            throw new IllegalArgumentException("one attribute name expected: '" + attribute + "'");
        }
        LegoFileAttributeView view = new LegoFileAttributeView(p);
        view.readAttributes(); // NoSuchFileException if absent
        FileTime time = (FileTime) value;
        switch (names[0]) {
            case "lastModifiedTime" -> view.setTimes(time, null, null);
            case "lastAccessTime" -> view.setTimes(null, time, null);
            case "creationTime" -> view.setTimes(null, null, time);
            default -> throw new IllegalArgumentException("'" + names[0] + "' cannot be set");
        }
    }

    private static final String[] ALL_BASIC = {"lastModifiedTime", "lastAccessTime", "creationTime", "size",
            "isRegularFile", "isDirectory", "isSymbolicLink", "isOther", "fileKey"};

    /** The "unix" view's attributes beyond the basic ones (see {@link #readAttributes(Path, String, LinkOption...)}). */
    private static final String[] UNIX_ONLY = {"dev", "ino", "nlink", "mode", "uid", "gid", "rdev", "ctime"};

    /** Checks the names of "unix:a,b" (after the colon). */
    private static String[] unixNames(String list) {
        String[] names = list.split(",");
        for (String name : names) {
            if (!name.equals("*") && !Set.of(ALL_BASIC).contains(name) && !Set.of(UNIX_ONLY).contains(name)) {
                throw new IllegalArgumentException("'" + name + "' not recognised");
            }
        }
        return names;
    }

    private static Object unixValue(LegoPath p, LegoFileAttributes a, String name) {
        return switch (name) {
            case "dev" -> (long) p.getFileSystem().vnode().hashCode() & 0xFFFF_FFFFL;
            case "ino" -> inode(p.toAbsolutePath().normalize().toString());
            case "nlink" -> 1;
            case "mode" -> a.isDirectory() ? 0040755 : 0100644;
            case "uid", "gid" -> 0;
            case "rdev" -> 0L;
            case "ctime" -> a.lastModifiedTime();
            default -> throw new IllegalArgumentException("'" + name + "' not recognised");
        };
    }

    /** A stable 63-bit number for an absolute path (FNV-1a): the same file, the same number, in every process. */
    private static long inode(String absolutePath) {
        long h = 0xcbf29ce484222325L;
        for (byte b : absolutePath.getBytes(java.nio.charset.StandardCharsets.UTF_8)) {
            h = (h ^ (b & 0xFF)) * 0x100000001b3L;
        }
        return h & Long.MAX_VALUE;
    }

    /** Splits "basic:a,b" or "a,b" into names after checking the view and every name. */
    private static String[] basicNames(String attributes) {
        int colon = attributes.indexOf(':');
        String view = colon < 0 ? "basic" : attributes.substring(0, colon);
        if (!view.equals("basic")) {
            throw new UnsupportedOperationException("view '" + view + "' not available");
        }
        String[] names = attributes.substring(colon + 1).split(",");
        for (String name : names) {
            if (!name.equals("*") && !Set.of(ALL_BASIC).contains(name)) {
                throw new IllegalArgumentException("'" + name + "' not recognised");
            }
        }
        return names;
    }

    private static Object basicValue(LegoFileAttributes a, String name) {
        return switch (name) {
            case "lastModifiedTime" -> a.lastModifiedTime();
            case "lastAccessTime" -> a.lastAccessTime();
            case "creationTime" -> a.creationTime();
            case "size" -> a.size();
            case "isRegularFile" -> a.isRegularFile();
            case "isDirectory" -> a.isDirectory();
            case "isSymbolicLink" -> a.isSymbolicLink();
            case "isOther" -> a.isOther();
            case "fileKey" -> a.fileKey();
            default -> throw new IllegalArgumentException("'" + name + "' not recognised");
        };
    }
}
