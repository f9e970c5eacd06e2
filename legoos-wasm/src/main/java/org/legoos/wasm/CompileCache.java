package org.legoos.wasm;

import com.dylibso.chicory.compiler.Cache;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.Properties;
import java.util.concurrent.ThreadLocalRandom;

/**
 * The cache of compiled wasm modules in a vNode's file system: Chicory's compiler turns a module into JVM classes (about
 * a second for a C program), and this keeps them, as the jar Chicory makes of them, in one file per module under
 * {@code <dir>/chicory-<version>/}, named after the module's digest (the key Chicory passes, e.g. {@code sha-256:...}).
 * The Chicory version is part of the path because the classes call into that version's runtime.
 *
 * <p>Entries are published atomically: written to a temporary file in the same directory, then moved over the final
 * name ({@link StandardCopyOption#ATOMIC_MOVE}), so a concurrent reader sees a whole jar or none. Two processes
 * compiling the same module publish the same bytes; whichever move lands last wins.
 *
 * <p>The cache never fails the program: if it cannot be read or written (a read-only or full vNode, storage
 * unavailable), it says so once on the process's stderr and acts as a cache that always misses and drops what it is
 * given. Not thread-safe: one instance serves one start-up of one process.
 */
final class CompileCache implements Cache {
    /**
     * The version of Chicory this module was built against (a resource of its own package, so it travels with the
     * classes wherever they are copied, as onto a task's class path); null if unknown.
     */
    static final String CHICORY_VERSION = chicoryVersion();

    private final Path dir;
    private final PrintStream err;
    private boolean disabled;
    private int hits;
    private int misses;
    private int stores;
    /** The entry the last {@link #get} returned, so a damaged one can be {@link #discard}ed; null after a miss. */
    private Path lastHit;

    /**
     * A cache in {@code root/chicory-<version>} of the file system {@code root} belongs to (created when first written).
     *
     * @param err where the one notice about an unusable cache goes
     * @throws IllegalStateException if the Chicory version cannot be determined (stale entries could not be told apart)
     */
    CompileCache(Path root, PrintStream err) {
        if (CHICORY_VERSION == null) {
            throw new IllegalStateException("the Chicory version is unknown (no org/legoos/wasm/chicory.properties)");
        }
        this.dir = root.resolve("chicory-" + CHICORY_VERSION);
        this.err = err;
    }

    private static String chicoryVersion() {
        try (InputStream in = CompileCache.class.getResourceAsStream("chicory.properties")) {
            if (in == null) {
                return null;
            }
            Properties p = new Properties();
            p.load(in);
            String v = p.getProperty("version");
            return v == null || v.isBlank() ? null : v.trim();
        } catch (IOException e) {
            return null;
        }
    }

    /** The directory of this Chicory version's entries. */
    Path directory() {
        return dir;
    }

    /** The file of the entry of {@code key}: the digest with the characters a file name cannot hold replaced. */
    Path entry(String key) {
        StringBuilder name = new StringBuilder(key.length() + 4);
        for (int i = 0; i < key.length(); i++) {
            char c = key.charAt(i);
            name.append(switch (c) {
                case ':' -> '-';
                case '/' -> '_';
                case '+' -> '-';
                case '=' -> "";
                default -> Character.isLetterOrDigit(c) || c == '-' || c == '_' || c == '.' ? c : '_';
            });
        }
        return dir.resolve(name.append(".jar").toString());
    }

    /** Lookups that found an entry. */
    int hits() {
        return hits;
    }

    /** Lookups that found none (or could not look). */
    int misses() {
        return misses;
    }

    /** Entries this cache published. */
    int stores() {
        return stores;
    }

    /** Whether the last lookup found an entry (which the compiler is now loading). */
    boolean lastLookupHit() {
        return lastHit != null;
    }

    @Override
    public byte[] get(String key) {
        lastHit = null;
        if (disabled) {
            misses++;
            return null;
        }
        Path file = entry(key);
        try {
            byte[] data = Files.readAllBytes(file);
            hits++;
            lastHit = file;
            return data;
        } catch (NoSuchFileException e) {
            misses++;
            return null;
        } catch (IOException | RuntimeException e) {
            misses++;
            unusable("cannot read " + file, e);
            return null;
        }
    }

    @Override
    public void putIfAbsent(String key, byte[] data) {
        if (disabled) {
            return;
        }
        Path file = entry(key);
        Path tmp = null;
        try {
            if (Files.exists(file)) {
                return;
            }
            Files.createDirectories(dir);
            tmp = dir.resolve(".tmp-" + Long.toHexString(ThreadLocalRandom.current().nextLong()) + "-"
                    + file.getFileName());
            Files.write(tmp, data, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
            try {
                Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, file); // a file system without atomic rename: readers may see it late, never torn
            }
            tmp = null;
            stores++;
        } catch (FileAlreadyExistsException e) {
            // another process published the same module meanwhile: same bytes
        } catch (IOException | RuntimeException e) {
            unusable("cannot write " + file, e);
        } finally {
            if (tmp != null) {
                try {
                    Files.deleteIfExists(tmp);
                } catch (IOException | RuntimeException ignored) {
                    // best effort: a stray temporary file is harmless
                }
            }
        }
    }

    /**
     * The entry the last lookup returned could not be loaded ({@code why}): deletes it (best effort) so the next start
     * compiles afresh, and says so once.
     */
    void discard(Throwable why) {
        Path file = lastHit;
        lastHit = null;
        if (file == null) {
            return;
        }
        err.println("wasm: ignoring the damaged compile cache entry " + file + " (" + describe(why) + ")");
        try {
            Files.deleteIfExists(file);
        } catch (IOException | RuntimeException e) {
            unusable("cannot delete " + file, e);
        }
    }

    private void unusable(String what, Throwable e) {
        if (!disabled) {
            disabled = true;
            err.println("wasm: compile cache unavailable (" + what + ": " + describe(e) + "); running without it");
        }
    }

    private static String describe(Throwable e) {
        String m = e.getMessage();
        return m == null || m.isBlank() ? e.getClass().getSimpleName() : e.getClass().getSimpleName() + ": " + m;
    }
}
