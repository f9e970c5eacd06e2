package org.legoos.node.cluster;

/**
 * The cluster's manager cannot be reached (nothing listens at its address, it does not answer, or it is not a
 * LegoOS/J manager). The operator's CLI exits with code 3 for it.
 */
public final class ClusterUnreachableException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public ClusterUnreachableException(String message, Throwable cause) {
        super(message, cause);
    }
}
