package org.legoos.task.fs;

import java.io.IOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.InvalidPathException;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.ProviderMismatchException;
import java.nio.file.WatchEvent;
import java.nio.file.WatchKey;
import java.nio.file.WatchService;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * A path in a vNode's file system, as a program names it: absolute ("/data/in.txt") or relative to the
 * process's working directory ("in.txt"). Purely syntactic, like a Unix path: '/' separates names,
 * repeated and trailing separators are dropped, "." and ".." are kept until {@link #normalize()}. Only
 * when a path is handed to storage does the process monitor make it absolute against the working
 * directory and normalise it (a ".." at the root stays at the root), so storage only ever sees
 * {@code /a/b} forms.
 *
 * <p>Immutable and thread-safe. {@link #toAbsolutePath()} reads the file system's working directory at
 * the time of the call.
 */
public final class LegoPath implements Path {
    private static final int[] NO_OFFSETS = new int[0];
    private static final int[] EMPTY_PATH_OFFSETS = {0};

    private final LegoFileSystem fs;
    /** Canonical text: no repeated '/', no trailing '/' except the root itself. */
    private final String path;
    /** Start index of each name in {@link #path}; empty for the root, {0} for the empty path. */
    private final int[] offsets;

    /** Parses {@code input} (any text without NUL) into a path of {@code fs}. */
    LegoPath(LegoFileSystem fs, String input) {
        this(fs, canonical(input), true);
    }

    private LegoPath(LegoFileSystem fs, String canonical, boolean trusted) {
        assert trusted;
        this.fs = fs;
        this.path = canonical;
        this.offsets = offsetsOf(canonical);
    }

    private static String canonical(String input) {
        Objects.requireNonNull(input, "path");
        int n = input.length();
        boolean clean = true;
        for (int i = 0; i < n; i++) {
            char c = input.charAt(i);
            if (c == '\u0000') {
                throw new InvalidPathException(input, "Nul character not allowed", i);
            }
            if (c == '/' && (i == n - 1 ? n > 1 : input.charAt(i + 1) == '/')) {
                clean = false;
            }
        }
        if (clean) {
            return input;
        }
        StringBuilder sb = new StringBuilder(n);
        for (int i = 0; i < n; i++) {
            char c = input.charAt(i);
            if (c == '/' && !sb.isEmpty() && sb.charAt(sb.length() - 1) == '/') {
                continue;
            }
            sb.append(c);
        }
        if (sb.length() > 1 && sb.charAt(sb.length() - 1) == '/') {
            sb.setLength(sb.length() - 1);
        }
        return sb.toString();
    }

    private static int[] offsetsOf(String p) {
        if (p.isEmpty()) {
            return EMPTY_PATH_OFFSETS;
        }
        if (p.equals("/")) {
            return NO_OFFSETS;
        }
        int count = 0;
        int start = p.charAt(0) == '/' ? 1 : 0;
        for (int i = start; i < p.length(); i++) {
            if (i == start || p.charAt(i - 1) == '/') {
                count++;
            }
        }
        int[] result = new int[count];
        int k = 0;
        for (int i = start; i < p.length(); i++) {
            if (i == start || p.charAt(i - 1) == '/') {
                result[k++] = i;
            }
        }
        return result;
    }

    // ---------------------------------------------------------------- syntax

    @Override
    public LegoFileSystem getFileSystem() {
        return fs;
    }

    @Override
    public boolean isAbsolute() {
        return !path.isEmpty() && path.charAt(0) == '/';
    }

    @Override
    public LegoPath getRoot() {
        return isAbsolute() ? fs.root() : null;
    }

    @Override
    public LegoPath getFileName() {
        int count = offsets.length;
        if (count == 0) {
            return null; // the root
        }
        if (count == 1 && !isAbsolute()) {
            return this;
        }
        return new LegoPath(fs, path.substring(offsets[count - 1]), true);
    }

    @Override
    public LegoPath getParent() {
        int count = offsets.length;
        if (count == 0 || path.isEmpty()) {
            return null;
        }
        if (count == 1) {
            return isAbsolute() ? fs.root() : null;
        }
        return new LegoPath(fs, path.substring(0, offsets[count - 1] - 1), true);
    }

    @Override
    public int getNameCount() {
        return offsets.length;
    }

    @Override
    public LegoPath getName(int index) {
        if (index < 0 || index >= offsets.length) {
            throw new IllegalArgumentException("name index " + index + " out of range for " + offsets.length
                    + " names in '" + path + "'");
        }
        return new LegoPath(fs, nameAt(index), true);
    }

    @Override
    public LegoPath subpath(int beginIndex, int endIndex) {
        if (beginIndex < 0 || beginIndex >= offsets.length || endIndex > offsets.length || beginIndex >= endIndex) {
            throw new IllegalArgumentException("subpath(" + beginIndex + ", " + endIndex + ") out of range for "
                    + offsets.length + " names in '" + path + "'");
        }
        int begin = offsets[beginIndex];
        int end = endIndex == offsets.length ? path.length() : offsets[endIndex] - 1;
        return new LegoPath(fs, path.substring(begin, end), true);
    }

    @Override
    public boolean startsWith(Path other) {
        if (!(Objects.requireNonNull(other, "other") instanceof LegoPath that) || that.fs != fs) {
            return false;
        }
        if (that.isAbsolute() != isAbsolute()) {
            return false;
        }
        if (that.path.isEmpty() || path.isEmpty()) {
            return that.path.isEmpty() && path.isEmpty();
        }
        int n = that.offsets.length;
        if (n > offsets.length) {
            return false;
        }
        for (int i = 0; i < n; i++) {
            if (!nameEquals(i, that, i)) {
                return false;
            }
        }
        return true;
    }

    @Override
    public boolean endsWith(Path other) {
        if (!(Objects.requireNonNull(other, "other") instanceof LegoPath that) || that.fs != fs) {
            return false;
        }
        if (that.isAbsolute()) {
            return that.path.equals(path);
        }
        if (that.path.isEmpty() || path.isEmpty()) {
            return that.path.isEmpty() && path.isEmpty();
        }
        int n = that.offsets.length;
        int shift = offsets.length - n;
        if (shift < 0) {
            return false;
        }
        for (int i = 0; i < n; i++) {
            if (!nameEquals(shift + i, that, i)) {
                return false;
            }
        }
        return true;
    }

    @Override
    public LegoPath normalize() {
        if (path.isEmpty() || offsets.length == 0) {
            return this;
        }
        boolean absolute = isAbsolute();
        String[] kept = new String[offsets.length];
        int size = 0;
        boolean changed = false;
        for (int i = 0; i < offsets.length; i++) {
            String name = nameAt(i);
            if (name.equals(".")) {
                changed = true;
            } else if (name.equals("..")) {
                if (size > 0 && !kept[size - 1].equals("..")) {
                    size--;
                    changed = true;
                } else if (absolute) {
                    changed = true; // ".." at the root stays at the root
                } else {
                    kept[size++] = name;
                }
            } else {
                kept[size++] = name;
            }
        }
        if (!changed) {
            return this;
        }
        return new LegoPath(fs, join(absolute, kept, 0, size), true);
    }

    @Override
    public LegoPath resolve(Path other) {
        LegoPath that = checkPath(other);
        if (that.isAbsolute()) {
            return that.fs == fs ? that : new LegoPath(fs, that.path, true);
        }
        if (that.path.isEmpty()) {
            return this;
        }
        if (path.isEmpty()) {
            return that.fs == fs ? that : new LegoPath(fs, that.path, true);
        }
        String joined = path.equals("/") ? "/" + that.path : path + "/" + that.path;
        return new LegoPath(fs, joined, true);
    }

    @Override
    public LegoPath resolve(String other) {
        return resolve(fs.getPath(other));
    }

    @Override
    public LegoPath relativize(Path other) {
        LegoPath that = checkPath(other);
        if (that.path.equals(path)) {
            return fs.emptyPath();
        }
        if (that.isAbsolute() != isAbsolute()) {
            throw new IllegalArgumentException("cannot relativize '" + that + "' against '" + this
                    + "': one is absolute and the other relative");
        }
        if (path.isEmpty()) {
            return that.fs == fs ? that : new LegoPath(fs, that.path, true);
        }
        List<String> base = this.normalize().names();
        List<String> child = that.normalize().names();
        int common = 0;
        while (common < base.size() && common < child.size() && base.get(common).equals(child.get(common))) {
            common++;
        }
        for (int i = common; i < base.size(); i++) {
            if (base.get(i).equals("..")) {
                throw new IllegalArgumentException("cannot relativize '" + that + "' against '" + this
                        + "': '..' in the base cannot be undone");
            }
        }
        List<String> result = new ArrayList<>();
        for (int i = common; i < base.size(); i++) {
            result.add("..");
        }
        result.addAll(child.subList(common, child.size()));
        return new LegoPath(fs, join(false, result.toArray(String[]::new), 0, result.size()), true);
    }

    /** "lego://vnode/a/b" for the absolute, normalised form of this path. */
    @Override
    public URI toUri() {
        try {
            return new URI(LegoFileSystemProvider.SCHEME, fs.vnode(), toAbsolutePath().normalize().path, null, null);
        } catch (URISyntaxException e) {
            // the vNode name was checked to form a URI when the file system was created
            throw new IllegalStateException("cannot form a URI for '" + this + "' in vNode " + fs.vnode(), e);
        }
    }

    /** This path if absolute, else this path resolved against the file system's working directory. */
    @Override
    public LegoPath toAbsolutePath() {
        return isAbsolute() ? this : fs.workingDirectory().resolve(this);
    }

    /** The absolute, normalised path, after checking that the file exists (there are no links). */
    @Override
    public LegoPath toRealPath(LinkOption... options) throws IOException {
        LegoPath real = toAbsolutePath().normalize();
        fs.stat(real); // NoSuchFileException if absent
        return real;
    }

    @Override
    public WatchKey register(WatchService watcher, WatchEvent.Kind<?>[] events, WatchEvent.Modifier... modifiers) {
        Objects.requireNonNull(watcher, "watcher");
        throw new UnsupportedOperationException("lego: file systems have no watch service");
    }

    @Override
    public int compareTo(Path other) {
        return path.compareTo(((LegoPath) other).path);
    }

    /** Equal when of the same file system and textually equal (no normalisation, like Unix paths). */
    @Override
    public boolean equals(Object o) {
        return o instanceof LegoPath that && that.fs == fs && that.path.equals(path);
    }

    @Override
    public int hashCode() {
        return path.hashCode();
    }

    @Override
    public String toString() {
        return path;
    }

    // ---------------------------------------------------------------- package-private

    /** The absolute, normalised form that storage is asked about ("/a/b"); reads the working directory. */
    String storageKey() {
        return toAbsolutePath().normalize().path;
    }

    /** True for the empty path "". */
    boolean isEmpty() {
        return path.isEmpty();
    }

    /** Root of a file system; only {@link LegoFileSystem} makes it. */
    static LegoPath rootOf(LegoFileSystem fs) {
        return new LegoPath(fs, "/", true);
    }

    static LegoPath emptyOf(LegoFileSystem fs) {
        return new LegoPath(fs, "", true);
    }

    static LegoPath checkPath(Path p) {
        if (!(Objects.requireNonNull(p, "path") instanceof LegoPath lp)) {
            throw new ProviderMismatchException("not a lego: path: " + p + " (" + p.getClass().getName() + ")");
        }
        return lp;
    }

    // ---------------------------------------------------------------- helpers

    private String nameAt(int i) {
        int end = i + 1 < offsets.length ? offsets[i + 1] - 1 : path.length();
        return path.substring(offsets[i], end);
    }

    private boolean nameEquals(int i, LegoPath that, int j) {
        int end = i + 1 < offsets.length ? offsets[i + 1] - 1 : path.length();
        int thatEnd = j + 1 < that.offsets.length ? that.offsets[j + 1] - 1 : that.path.length();
        int len = end - offsets[i];
        return len == thatEnd - that.offsets[j] && path.regionMatches(offsets[i], that.path, that.offsets[j], len);
    }

    /** Names as strings; the empty path has none. */
    private List<String> names() {
        if (path.isEmpty()) {
            return List.of();
        }
        List<String> result = new ArrayList<>(offsets.length);
        for (int i = 0; i < offsets.length; i++) {
            result.add(nameAt(i));
        }
        return result;
    }

    private static String join(boolean absolute, String[] names, int from, int to) {
        StringBuilder sb = new StringBuilder();
        if (absolute) {
            sb.append('/');
        }
        for (int i = from; i < to; i++) {
            if (i > from) {
                sb.append('/');
            }
            sb.append(names[i]);
        }
        return sb.toString();
    }
}
