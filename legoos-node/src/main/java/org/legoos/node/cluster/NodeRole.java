package org.legoos.node.cluster;

import java.util.Locale;
import org.legoos.node.config.ConfigKey;
import org.legoos.node.config.ConfigKeys;
import org.legoos.node.config.ConfigSection;

/** What a LegoOS/J process runs: the global managers or one kind of monitor. */
public enum NodeRole {
    MANAGER(ConfigSection.MANAGER, ConfigKeys.MANAGER_ADDRESS),
    PROCESSOR(ConfigSection.PROCESSOR, ConfigKeys.PROCESSOR_LISTEN),
    MEMORY(ConfigSection.MEMORY, ConfigKeys.MEMORY_LISTEN),
    STORAGE(ConfigSection.STORAGE, ConfigKeys.STORAGE_LISTEN);

    private final ConfigSection section;
    private final ConfigKey<String> listenKey;

    NodeRole(ConfigSection section, ConfigKey<String> listenKey) {
        this.section = section;
        this.listenKey = listenKey;
    }

    /** The role's name on the wire (REGISTER, MEMBERS) and on the command line: {@code memory}. */
    public String wireName() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** The role as the manager's membership table has it, or null for {@link #MANAGER} (it does not register). */
    public org.legoos.api.ComponentRole component() {
        return this == MANAGER ? null : org.legoos.api.ComponentRole.valueOf(name());
    }

    /** The configuration section of this role. */
    public ConfigSection section() {
        return section;
    }

    /** The key holding the address this role listens on. */
    public ConfigKey<String> listenKey() {
        return listenKey;
    }

    /** The role with this wire name, or null. */
    public static NodeRole byWireName(String name) {
        for (NodeRole r : values()) {
            if (r.wireName().equals(name)) {
                return r;
            }
        }
        return null;
    }
}
