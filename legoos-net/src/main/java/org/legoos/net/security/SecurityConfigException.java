package org.legoos.net.security;

/** A security directory that cannot be used: a missing, malformed, foreign, expired or revoked file. The message says which and why. */
public final class SecurityConfigException extends RuntimeException {
    public SecurityConfigException(String message) {
        super(message);
    }

    public SecurityConfigException(String message, Throwable cause) {
        super(message, cause);
    }
}
