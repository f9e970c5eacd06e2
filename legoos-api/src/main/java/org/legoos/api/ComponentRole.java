package org.legoos.api;

import java.util.Locale;

/**
 * The kind of a component that registers with the global manager: what it monitors. Travels by {@link #wireName()}.
 */
public enum ComponentRole {
    PROCESSOR,
    MEMORY,
    STORAGE;

    /** The role's name on the wire (REGISTER, MEMBERS), in state files and on the command line: {@code memory}. */
    public String wireName() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** The role with this wire name, or null. */
    public static ComponentRole byWireName(String name) {
        for (ComponentRole r : values()) {
            if (r.wireName().equals(name)) {
                return r;
            }
        }
        return null;
    }
}
