package org.legoos.api.security;

import java.util.Objects;
import java.util.Set;

/**
 * Who sent a request: the identity its connection authenticated (the certificate's common name, role and, for a
 * vNode user, the vNodes it may act in), never what the frame header claims.
 *
 * <p>Over the in-JVM transport, and over TCP with {@code security.mode: insecure}, nothing is authenticated: the
 * peer is {@link #UNAUTHENTICATED}, which every check lets through (the trusted-network mode the operator chose).
 *
 * @param name the certificate's common name, e.g. {@code memory-1} or {@code alice}
 * @param role what the certificate allows
 * @param vnodes for {@link Role#USER}, the vNode names it may act in; empty for every other role
 * @param authenticated false only for {@link #UNAUTHENTICATED}
 */
public record Principal(String name, Role role, Set<String> vnodes, boolean authenticated) {
    /** The peer of a connection that authenticates nobody (in-JVM, or TCP in insecure mode): allowed everything. */
    public static final Principal UNAUTHENTICATED = new Principal("(unauthenticated)", Role.OPERATOR, Set.of(), false);

    public Principal {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(role, "role");
        vnodes = Set.copyOf(vnodes);
        if (role != Role.USER && !vnodes.isEmpty()) {
            throw new IllegalArgumentException("only a vNode user names vNodes, not a " + role.wireName());
        }
    }

    /** An authenticated identity. */
    public static Principal of(String name, Role role, Set<String> vnodes) {
        return new Principal(name, role, vnodes, true);
    }

    /** True if this principal may act inside the vNode named {@code vnode}: an operator or component anywhere, a user in its own. */
    public boolean mayActIn(String vnode) {
        return !authenticated || role != Role.USER || vnodes.contains(vnode);
    }

    @Override
    public String toString() {
        if (!authenticated) {
            return name;
        }
        return role.wireName() + " '" + name + "'" + (vnodes.isEmpty() ? "" : " of vNodes " + vnodes);
    }
}
