package org.legoos.api;

/** A vNode quota (processes, memory) would be exceeded. */
public class QuotaExceededException extends LegoException {
    private static final long serialVersionUID = 1L;

    public QuotaExceededException(String message) {
        super("QUOTA", message);
    }
}
