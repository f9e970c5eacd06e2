package org.legoos.task.fs;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.AccessDeniedException;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Test double of a vNode's stateless storage: a POSIX-like tree in memory that answers the
 * {@link FileService} calls with the errors a storage component gives (NoSuchFileException for a missing
 * file or parent, NotDirectoryException when a parent is a file, FileAlreadyExistsException,
 * DirectoryNotEmptyException, "Is a directory" for data operations on directories, AccessDeniedException
 * for paths a test denies). It refuses, with IllegalArgumentException, any path that is not absolute and
 * normalised, so a test fails if the process monitor ever sends one. It counts every request and records
 * the size of every read, so tests can check what the process monitor asks of storage.
 *
 * <p>Thread-safe: one monitor guards the tree.
 */
final class InMemoryFileService implements FileService {
    private abstract static sealed class Node permits FileNode, DirNode {
        long modifiedMillis = System.currentTimeMillis();
    }

    private static final class FileNode extends Node {
        byte[] data = new byte[0];
        int size;
    }

    private static final class DirNode extends Node {
        final TreeMap<String, Node> children = new TreeMap<>();
    }

    private final DirNode root = new DirNode();
    private final Map<String, AtomicLong> calls = new ConcurrentHashMap<>();
    private final List<Integer> readRequests = new ArrayList<>(); // guarded by this
    private final Map<String, AtomicLong> closes = new ConcurrentHashMap<>();
    private final Set<String> denied = ConcurrentHashMap.newKeySet();

    // ---------------------------------------------------------------- test controls

    /** Mutations of {@code path} (write, truncate, unlink, rename from/to, create, mkdir, rmdir) are refused. */
    void deny(String path) {
        denied.add(path);
    }

    long calls(String op) {
        AtomicLong n = calls.get(op);
        return n == null ? 0 : n.get();
    }

    long closes(String path) {
        AtomicLong n = closes.get(path);
        return n == null ? 0 : n.get();
    }

    synchronized List<Integer> readRequests() {
        return List.copyOf(readRequests);
    }

    synchronized void resetCounters() {
        calls.clear();
        closes.clear();
        readRequests.clear();
    }

    /** Whole content of a file, bypassing the provider (for assertions). */
    synchronized byte[] contentOf(String path) throws IOException {
        FileNode f = file(path);
        return Arrays.copyOf(f.data, f.size);
    }

    // ---------------------------------------------------------------- FileService

    @Override
    public synchronized Stat stat(String path) throws IOException {
        count("stat", path);
        Node n = lookup(path);
        return switch (n) {
            case FileNode f -> new Stat(false, f.size, f.modifiedMillis);
            case DirNode d -> new Stat(true, 0, d.modifiedMillis);
        };
    }

    @Override
    public synchronized void create(String path, boolean exclusive) throws IOException {
        count("create", path);
        DirNode parent = parentOf(path);
        Node existing = parent.children.get(nameOf(path));
        if (existing != null) {
            if (exclusive) {
                throw new FileAlreadyExistsException(path);
            }
            return;
        }
        checkAllowed(path);
        parent.children.put(nameOf(path), new FileNode());
        parent.modifiedMillis = System.currentTimeMillis();
    }

    @Override
    public synchronized int read(String path, long offset, ByteBuffer dst) throws IOException {
        count("read", path);
        if (offset < 0) {
            throw new IllegalArgumentException("negative offset " + offset);
        }
        readRequests.add(dst.remaining());
        FileNode f = file(path);
        if (offset >= f.size) {
            return -1;
        }
        int n = (int) Math.min(dst.remaining(), f.size - offset);
        dst.put(f.data, (int) offset, n);
        return n;
    }

    @Override
    public synchronized void write(String path, long offset, ByteBuffer src) throws IOException {
        count("write", path);
        if (offset < 0) {
            throw new IllegalArgumentException("negative offset " + offset);
        }
        FileNode f = file(path);
        checkAllowed(path);
        long end = offset + src.remaining();
        if (end > Integer.MAX_VALUE - 16) {
            throw new IOException("file too large for the in-memory model: " + path);
        }
        ensureCapacity(f, (int) end);
        src.get(f.data, (int) offset, src.remaining());
        f.size = Math.max(f.size, (int) end);
        f.modifiedMillis = System.currentTimeMillis();
    }

    @Override
    public synchronized void truncate(String path, long size) throws IOException {
        count("truncate", path);
        if (size < 0) {
            throw new IllegalArgumentException("negative size " + size);
        }
        FileNode f = file(path);
        checkAllowed(path);
        if (size > Integer.MAX_VALUE - 16) {
            throw new IOException("file too large for the in-memory model: " + path);
        }
        int s = (int) size;
        if (s < f.size) {
            Arrays.fill(f.data, s, f.size, (byte) 0); // a later extension reads zeros
        } else {
            ensureCapacity(f, s);
        }
        f.size = s;
        f.modifiedMillis = System.currentTimeMillis();
    }

    @Override
    public synchronized void unlink(String path) throws IOException {
        count("unlink", path);
        DirNode parent = parentOf(path);
        Node n = parent.children.get(nameOf(path));
        if (n == null) {
            throw new NoSuchFileException(path);
        }
        if (n instanceof DirNode) {
            throw new FileSystemException(path, null, "Is a directory");
        }
        checkAllowed(path);
        parent.children.remove(nameOf(path));
        parent.modifiedMillis = System.currentTimeMillis();
    }

    @Override
    public synchronized void mkdir(String path) throws IOException {
        count("mkdir", path);
        if (path.equals("/")) {
            throw new FileAlreadyExistsException(path);
        }
        DirNode parent = parentOf(path);
        if (parent.children.containsKey(nameOf(path))) {
            throw new FileAlreadyExistsException(path);
        }
        checkAllowed(path);
        parent.children.put(nameOf(path), new DirNode());
        parent.modifiedMillis = System.currentTimeMillis();
    }

    @Override
    public synchronized void rmdir(String path) throws IOException {
        count("rmdir", path);
        if (path.equals("/")) {
            throw new FileSystemException(path, null, "Device or resource busy");
        }
        DirNode parent = parentOf(path);
        Node n = parent.children.get(nameOf(path));
        if (n == null) {
            throw new NoSuchFileException(path);
        }
        if (!(n instanceof DirNode d)) {
            throw new NotDirectoryException(path);
        }
        if (!d.children.isEmpty()) {
            throw new DirectoryNotEmptyException(path);
        }
        checkAllowed(path);
        parent.children.remove(nameOf(path));
        parent.modifiedMillis = System.currentTimeMillis();
    }

    @Override
    public synchronized List<DirEntry> readdir(String path) throws IOException {
        count("readdir", path);
        if (!(lookup(path) instanceof DirNode d)) {
            throw new NotDirectoryException(path);
        }
        List<DirEntry> result = new ArrayList<>(d.children.size());
        d.children.forEach((name, n) -> result.add(new DirEntry(name, n instanceof DirNode)));
        return result;
    }

    /** As rename(2): replaces a file by a file and an empty directory by a directory. */
    @Override
    public synchronized void rename(String from, String to) throws IOException {
        count("rename", from);
        checkPath(to);
        if (from.equals("/") || to.equals("/")) {
            throw new FileSystemException(from, to, "Device or resource busy");
        }
        DirNode fromParent = parentOf(from);
        Node moving = fromParent.children.get(nameOf(from));
        if (moving == null) {
            throw new NoSuchFileException(from);
        }
        DirNode toParent = parentOf(to);
        if (from.equals(to)) {
            return;
        }
        if (to.startsWith(from + "/")) {
            throw new FileSystemException(from, to, "Invalid argument");
        }
        Node existing = toParent.children.get(nameOf(to));
        if (existing instanceof DirNode d) {
            if (!(moving instanceof DirNode)) {
                throw new FileSystemException(from, to, "Is a directory");
            }
            if (!d.children.isEmpty()) {
                throw new DirectoryNotEmptyException(to);
            }
        } else if (existing != null && moving instanceof DirNode) {
            throw new NotDirectoryException(to);
        }
        checkAllowed(from);
        checkAllowed(to);
        fromParent.children.remove(nameOf(from));
        toParent.children.put(nameOf(to), moving);
        long now = System.currentTimeMillis();
        fromParent.modifiedMillis = now;
        toParent.modifiedMillis = now;
    }

    @Override
    public synchronized void fsync(String path) throws IOException {
        count("fsync", path);
        lookup(path);
    }

    @Override
    public synchronized void close(String path) throws IOException {
        count("close", path);
        lookup(path);
        closes.computeIfAbsent(path, p -> new AtomicLong()).incrementAndGet();
    }

    // ---------------------------------------------------------------- model

    private void count(String op, String path) {
        checkPath(path);
        calls.computeIfAbsent(op, o -> new AtomicLong()).incrementAndGet();
    }

    private void checkAllowed(String path) throws AccessDeniedException {
        if (denied.contains(path)) {
            throw new AccessDeniedException(path);
        }
    }

    /** The storage protocol carries only absolute, normalised paths. */
    private static void checkPath(String path) {
        boolean ok = path.startsWith("/") && !path.contains("//") && path.indexOf('\u0000') < 0
                && (path.equals("/") || !path.endsWith("/"));
        if (ok && !path.equals("/")) {
            for (String name : path.substring(1).split("/")) {
                if (name.equals(".") || name.equals("..")) {
                    ok = false;
                    break;
                }
            }
        }
        if (!ok) {
            throw new IllegalArgumentException("not an absolute normalised storage path: '" + path + "'");
        }
    }

    private Node lookup(String path) throws IOException {
        if (path.equals("/")) {
            return root;
        }
        Node n = parentOf(path).children.get(nameOf(path));
        if (n == null) {
            throw new NoSuchFileException(path);
        }
        return n;
    }

    private DirNode parentOf(String path) throws IOException {
        Node n = root;
        String[] names = path.substring(1).split("/");
        for (int i = 0; i < names.length - 1; i++) {
            if (!(n instanceof DirNode d)) {
                throw new NotDirectoryException(path);
            }
            n = d.children.get(names[i]);
            if (n == null) {
                throw new NoSuchFileException(path);
            }
        }
        if (!(n instanceof DirNode d)) {
            throw new NotDirectoryException(path);
        }
        return d;
    }

    private static String nameOf(String path) {
        return path.substring(path.lastIndexOf('/') + 1);
    }

    private FileNode file(String path) throws IOException {
        return switch (lookup(path)) {
            case FileNode f -> f;
            case DirNode d -> throw new FileSystemException(path, null, "Is a directory");
        };
    }

    private static void ensureCapacity(FileNode f, int needed) {
        if (needed > f.data.length) {
            int cap = (int) Math.min(Integer.MAX_VALUE - 16L, Math.max(needed, 2L * f.data.length));
            f.data = Arrays.copyOf(f.data, cap);
        }
    }
}
