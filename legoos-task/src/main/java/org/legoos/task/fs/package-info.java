/**
 * The process monitor's file API: the {@code lego:} {@link java.nio.file.spi.FileSystemProvider} that a
 * LegoOS/J program sees as {@code ctx.fileSystem()}.
 *
 * <p>In LegoOS the process monitor keeps the stateful part of the Linux file API (the fd table, the
 * current directory, file positions) so that storage can stay stateless. Here that state lives in
 * {@link org.legoos.task.fs.LegoFileSystem} (one per process and vNode: working directory and the
 * table of open files) and in its channels (positions); every request that leaves the process monitor
 * goes through {@link org.legoos.task.fs.FileService} with a full path, an absolute offset and a
 * length.
 *
 * <p>Entry point: {@link org.legoos.task.fs.LegoFileSystemProvider#newFileSystem(String, FileService)}.
 */
package org.legoos.task.fs;
