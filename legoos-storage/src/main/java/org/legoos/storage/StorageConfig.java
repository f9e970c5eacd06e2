package org.legoos.storage;

import java.nio.file.Path;
import java.util.Objects;

/**
 * Configuration of a {@link StorageMonitor} (an sComponent): where on the local disk the vNodes' files live,
 * how many files it keeps open at once, and how many threads serve requests.
 *
 * @param root         the storage component's directory on the local disk; each vNode served here gets one
 *                     directory {@code root/vnode-<id>} under it. Created by the monitor if missing.
 * @param maxOpenFiles bound of the open-file table (full path to open file); the least recently used file is
 *                     closed beyond it. At least 1.
 * @param workers      threads serving requests; 0 serves on the transport's delivery thread (for the in-JVM
 *                     transport: the caller's thread)
 */
public record StorageConfig(Path root, int maxOpenFiles, int workers) {
    /** Open-file table size used by {@link #of(Path)}. */
    public static final int DEFAULT_MAX_OPEN_FILES = 256;

    public StorageConfig {
        Objects.requireNonNull(root, "root");
        if (maxOpenFiles < 1) {
            throw new IllegalArgumentException("maxOpenFiles must be at least 1, got " + maxOpenFiles);
        }
        if (workers < 0) {
            throw new IllegalArgumentException("workers must be 0 (serve on the transport thread) or more, got " + workers);
        }
    }

    /** {@link #DEFAULT_MAX_OPEN_FILES} open files, served on the transport thread. */
    public static StorageConfig of(Path root) {
        return new StorageConfig(root, DEFAULT_MAX_OPEN_FILES, 0);
    }
}
