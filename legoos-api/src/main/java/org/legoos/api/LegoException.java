package org.legoos.api;

/**
 * Base of the errors a LegoOS/J component reports to a program or client. Each carries the wire status
 * name it came from (for example {@code NO_MEMORY}), so scripts and logs can match on it.
 */
public class LegoException extends RuntimeException {
    private static final long serialVersionUID = 1L;
    private final String status;

    public LegoException(String status, String message) {
        super(message);
        this.status = status;
    }

    public LegoException(String status, String message, Throwable cause) {
        super(message, cause);
        this.status = status;
    }

    /** The wire status name, e.g. {@code BAD_ADDRESS}. */
    public String status() {
        return status;
    }
}
