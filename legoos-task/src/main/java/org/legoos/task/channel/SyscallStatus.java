package org.legoos.task.channel;

import java.io.IOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;
import org.legoos.api.ComponentUnavailableException;
import org.legoos.api.LegoException;
import org.legoos.api.NoMemoryException;
import org.legoos.api.QuotaExceededException;
import org.legoos.api.SegmentationFault;

/**
 * How a system call ended, on the wire as a number: {@link #OK} or the error the task side throws again with the
 * monitor's message ({@link #exception}). {@link #of} sorts a monitor-side exception.
 */
public enum SyscallStatus {
    OK,
    SEGMENTATION_FAULT,
    ILLEGAL_ARGUMENT,
    NO_MEMORY,
    QUOTA_EXCEEDED,
    COMPONENT_UNAVAILABLE,
    NO_SUCH_FILE,
    FILE_EXISTS,
    DIRECTORY_NOT_EMPTY,
    NOT_DIRECTORY,
    ACCESS_DENIED,
    IO,
    /** Anything else: a {@link LegoException} with status {@code ERROR} on the task side. */
    ERROR;

    private static final SyscallStatus[] VALUES = values();

    /** The status numbered {@code n}, or null. */
    public static SyscallStatus of(int n) {
        return n >= 0 && n < VALUES.length ? VALUES[n] : null;
    }

    /** The status a handler's exception travels as. */
    public static SyscallStatus of(Throwable t) {
        return switch (t) {
            // an I/O error inside a call that cannot throw checked ones (mmap of a file): the task side wraps it again
            case java.io.UncheckedIOException e when e.getCause() != null -> of(e.getCause());
            case SegmentationFault e -> SEGMENTATION_FAULT;
            case IllegalArgumentException e -> ILLEGAL_ARGUMENT;
            case NoMemoryException e -> NO_MEMORY;
            case QuotaExceededException e -> QUOTA_EXCEEDED;
            case ComponentUnavailableException e -> COMPONENT_UNAVAILABLE;
            case NoSuchFileException e -> NO_SUCH_FILE;
            case FileAlreadyExistsException e -> FILE_EXISTS;
            case DirectoryNotEmptyException e -> DIRECTORY_NOT_EMPTY;
            case NotDirectoryException e -> NOT_DIRECTORY;
            case AccessDeniedException e -> ACCESS_DENIED;
            case IOException e -> IO;
            default -> ERROR;
        };
    }

    /**
     * The message that travels with a failure: for file-system exceptions the file is sent on its own ({@link #file})
     * so the task side can rebuild the same exception type with the same file.
     */
    public static String messageOf(Throwable t) {
        if (t instanceof java.io.UncheckedIOException u && u.getCause() != null) {
            return messageOf(u.getCause());
        }
        if (t instanceof FileSystemException f) {
            return f.getReason() == null ? "" : f.getReason();
        }
        return t.getMessage() == null ? t.toString() : t.getMessage();
    }

    /** The file a failure names (file-system exceptions), or empty. */
    public static String file(Throwable t) {
        if (t instanceof java.io.UncheckedIOException u && u.getCause() != null) {
            return file(u.getCause());
        }
        return t instanceof FileSystemException f && f.getFile() != null ? f.getFile() : "";
    }

    /** The exception the task side throws for this status (not for {@link #OK}). */
    public Exception exception(String file, String message) {
        String f = file == null || file.isEmpty() ? null : file;
        String reason = message == null || message.isEmpty() ? null : message;
        return switch (this) {
            case OK -> throw new IllegalStateException("OK is not an error");
            case SEGMENTATION_FAULT -> new SegmentationFault(message);
            case ILLEGAL_ARGUMENT -> new IllegalArgumentException(message);
            case NO_MEMORY -> new NoMemoryException(message);
            case QUOTA_EXCEEDED -> new QuotaExceededException(message);
            case COMPONENT_UNAVAILABLE -> new ComponentUnavailableException(message);
            case NO_SUCH_FILE -> new NoSuchFileException(f, null, reason);
            case FILE_EXISTS -> new FileAlreadyExistsException(f, null, reason);
            case DIRECTORY_NOT_EMPTY -> new DirectoryNotEmptyException(f);
            case NOT_DIRECTORY -> new NotDirectoryException(f);
            case ACCESS_DENIED -> new AccessDeniedException(f, null, reason);
            case IO -> f == null ? new IOException(message) : new FileSystemException(f, null, reason);
            case ERROR -> new LegoException("ERROR", message);
        };
    }
}
