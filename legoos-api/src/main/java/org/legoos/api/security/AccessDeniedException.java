package org.legoos.api.security;

import org.legoos.api.LegoException;

/**
 * The cluster refused who the caller is: its certificate was not accepted (foreign, expired, revoked, missing), or
 * its role or vNodes do not allow what it asked. The message names the identity and what was refused.
 */
public class AccessDeniedException extends LegoException {
    private static final long serialVersionUID = 1L;

    public AccessDeniedException(String message) {
        super("DENIED", message);
    }

    public AccessDeniedException(String message, Throwable cause) {
        super("DENIED", message, cause);
    }
}
