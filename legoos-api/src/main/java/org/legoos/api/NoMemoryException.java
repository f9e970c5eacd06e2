package org.legoos.api;

/** The memory components' capacity or the vNode's memory quota is exhausted. */
public class NoMemoryException extends LegoException {
    private static final long serialVersionUID = 1L;

    public NoMemoryException(String message) {
        super("NO_MEMORY", message);
    }
}
