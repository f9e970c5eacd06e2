package org.legoos.manager;

/**
 * The manager's persistent state (in {@link ManagerConfig#stateDir()}) cannot be used: the state file is
 * corrupt or truncated, the directory is held by another manager, or it cannot be read or written. The message
 * names the file.
 */
public final class ManagerStateException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public ManagerStateException(String message) {
        super(message);
    }

    public ManagerStateException(String message, Throwable cause) {
        super(message, cause);
    }
}
