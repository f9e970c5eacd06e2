package org.legoos.processor.mm;

import java.io.IOException;

/**
 * How an address space finds a file of its process's vNode to map: which vNode, which memory component caches
 * its files, and the file's size now. The process monitor supplies it from the vNode's file service.
 */
@FunctionalInterface
public interface FileMapper {
    /** A file to map. */
    record Target(int vnodeId, int cacheNode, String path, long size) {
    }

    /**
     * @param path an absolute path in the vNode's file system
     * @throws java.nio.file.NoSuchFileException if there is no such regular file
     */
    Target open(String path) throws IOException;

    /** For address spaces that may map no file. */
    FileMapper NONE = path -> {
        throw new java.nio.file.NoSuchFileException(path, null, "this process has no file system to map files from");
    };
}
