package org.legoos.manager;

/** The kind of a component, as sent in REGISTER. */
enum Role {
    PROCESSOR("processor"),
    MEMORY("memory"),
    STORAGE("storage");

    final String wire;

    Role(String wire) {
        this.wire = wire;
    }

    /** The role named {@code s}, or null. */
    static Role parse(String s) {
        for (Role r : values()) {
            if (r.wire.equals(s)) {
                return r;
            }
        }
        return null;
    }
}
