package org.legoos.api.security;

import java.util.Locale;
import org.legoos.api.ComponentRole;

/**
 * What an authenticated peer may be, as its certificate says: one of the four kinds of component, a cluster operator
 * or a vNode user. Every request is checked against the sender's role where it lands (see
 * {@code org.legoos.net.security.Access}). Travels, and is written into certificates, by {@link #wireName()}.
 */
public enum Role {
    /** The global managers (GPM, GMM, GSM) and membership. */
    MANAGER,
    /** A processor component. */
    PROCESSOR,
    /** A memory component. */
    MEMORY,
    /** A storage component. */
    STORAGE,
    /** A cluster administrator: manages vNodes and components, runs and copies anywhere. */
    OPERATOR,
    /** A vNode user: may run, list, kill and copy files only inside the vNodes its certificate names. */
    USER;

    /** True for the roles a component runs as (they serve and call the P2M/P2S/M2S/M2M links). */
    public boolean isComponent() {
        return this == MANAGER || this == PROCESSOR || this == MEMORY || this == STORAGE;
    }

    /** The membership table's kind for a registering component's role, or null (manager, operator, user). */
    public ComponentRole component() {
        return switch (this) {
            case PROCESSOR -> ComponentRole.PROCESSOR;
            case MEMORY -> ComponentRole.MEMORY;
            case STORAGE -> ComponentRole.STORAGE;
            case MANAGER, OPERATOR, USER -> null;
        };
    }

    /** The role's name in certificates, on the command line and in messages: {@code operator}. */
    public String wireName() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** The role with this wire name, or null. */
    public static Role byWireName(String name) {
        for (Role r : values()) {
            if (r.wireName().equals(name)) {
                return r;
            }
        }
        return null;
    }
}
