package org.legoos.node.config;

import java.util.Locale;

/** A section of {@code lego.yaml}: one per component kind, plus {@code cluster} for {@code lego up}. */
public enum ConfigSection {
    MANAGER("the global managers (GPM, GMM, GSM) and membership; also read by every component and client to find them"),
    PROCESSOR("a processor component (pComponent): runs processes, caches their memory in its ExCache"),
    MEMORY("a memory component (mComponent): holds processes' pages, homes address spaces, caches files"),
    STORAGE("a storage component (sComponent): stateless file service over a local directory"),
    SECURITY("who may connect: mutual TLS with the cluster's certificates ('lego certs'), read by every component and client"),
    METRICS("what each component exports for monitoring: counters and gauges in the Prometheus text format over HTTP"),
    DASHBOARD("the manager's read-only web dashboard (a browser view of components, vNodes and processes)"),
    CLUSTER("what 'lego up' starts on this machine");

    private final String description;

    ConfigSection(String description) {
        this.description = description;
    }

    /** The name in YAML and in key names: {@code manager}, {@code processor}... */
    public String yamlName() {
        return name().toLowerCase(Locale.ROOT);
    }

    public String description() {
        return description;
    }

    /** The section named {@code name} in YAML, or null. */
    public static ConfigSection byYamlName(String name) {
        for (ConfigSection s : values()) {
            if (s.yamlName().equals(name)) {
                return s;
            }
        }
        return null;
    }
}
