package org.legoos.api.security;

import java.util.Locale;

/** How a cluster's TCP links are protected ({@code security.mode}). */
public enum SecurityMode {
    /** Every link is mutual TLS 1.3 with the cluster's certificates; roles are enforced where requests land. */
    TLS,
    /** Plaintext and unauthenticated: anyone who reaches a port is trusted. Only for a trusted bench network. */
    INSECURE;

    /** The mode's name in {@code lego.yaml}: {@code tls}. */
    public String wireName() {
        return name().toLowerCase(Locale.ROOT);
    }
}
