package org.legoos.api;

/** The component that serves a request did not answer in time or is known to be dead. */
public class ComponentUnavailableException extends LegoException {
    private static final long serialVersionUID = 1L;

    public ComponentUnavailableException(String message) {
        super("UNAVAILABLE", message);
    }

    /** With a more precise status, e.g. {@code TIMEOUT}. */
    public ComponentUnavailableException(String status, String message) {
        super(status, message);
    }
}
