package org.legoos.cli;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.legoos.node.config.ConfigKey;
import org.legoos.node.config.ConfigKeys;
import org.legoos.node.config.LegoConfig;
import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.Option;

/**
 * The configuration options of a command that runs cluster components: {@code --config FILE}, any number of
 * {@code --set section.key=value}, and one generated option per key of the sections the command uses (e.g.
 * {@code --memory.capacity-bytes 2GiB}, see {@link #addKeyOptions}). Precedence, lowest first: defaults, the file,
 * {@code --set}, the named options.
 *
 * <p>Without {@code --config}, {@code ./lego.yaml} is read if it exists. Not thread-safe (one parse, one thread).
 */
final class ConfigOptions {
    /** Read when no {@code --config} is given and it exists. */
    static final Path DEFAULT_FILE = Path.of("lego.yaml");

    @Option(names = "--config", paramLabel = "FILE",
            description = "Configuration file (default: ./lego.yaml if it exists). See 'lego config' for every key.")
    Path config;

    @Option(names = "--set", paramLabel = "KEY=VALUE",
            description = "Sets one configuration key, e.g. --set memory.capacityBytes=2GiB (repeatable).")
    List<String> assignments = new ArrayList<>();

    /** Values of the generated options, by key, in the order given (last one wins). */
    private final Map<ConfigKey<?>, String> named = new LinkedHashMap<>();

    /**
     * The effective configuration, validated.
     *
     * @throws org.legoos.node.config.ConfigException for a bad file, key or value
     */
    LegoConfig resolve() {
        LegoConfig c;
        if (config != null) {
            c = LegoConfig.load(config);
        } else if (Files.isRegularFile(DEFAULT_FILE)) {
            c = LegoConfig.load(DEFAULT_FILE);
        } else {
            c = LegoConfig.defaults();
        }
        for (String a : assignments) {
            c = c.withAssignment(a);
        }
        for (Map.Entry<ConfigKey<?>, String> e : named.entrySet()) {
            c = c.with(e.getKey().id(), e.getValue());
        }
        return c.validate();
    }

    /**
     * Adds {@code --section.key-name VALUE} options for {@code keys} to {@code spec}; their values go to
     * {@code target}.
     */
    static void addKeyOptions(CommandSpec spec, ConfigOptions target, List<ConfigKey<?>> keys) {
        for (ConfigKey<?> k : keys) {
            spec.addOption(OptionSpec.builder(k.optionName())
                    .type(String.class)
                    .paramLabel(k.type().label().contains("|") ? "<" + k.type().label() + ">" : k.type().label())
                    .description(k.description() + " (default: " + (k.defaultText().isEmpty() ? "none" : k.defaultText()) + ")")
                    .hasInitialValue(false)
                    .setter(new CommandLine.Model.ISetter() {
                        @Override
                        public <T> T set(T value) {
                            if (value != null) {
                                target.named.remove(k);
                                target.named.put(k, (String) value);
                            }
                            return null;
                        }
                    })
                    .build());
        }
    }

    /** The keys a component command offers as options: its own section and what it needs of the manager's. */
    static List<ConfigKey<?>> componentKeys(org.legoos.node.cluster.NodeRole role) {
        List<ConfigKey<?>> keys = new ArrayList<>();
        if (role == org.legoos.node.cluster.NodeRole.MANAGER) {
            keys.addAll(ConfigKeys.of(role.section()));
        } else {
            keys.addAll(List.of(ConfigKeys.MANAGER_ADDRESS, ConfigKeys.MANAGER_REPORT_INTERVAL, ConfigKeys.MANAGER_JOIN_TIMEOUT));
            keys.addAll(ConfigKeys.of(role.section()));
        }
        keys.addAll(ConfigKeys.of(org.legoos.node.config.ConfigSection.SECURITY)); // every component presents its certificate
        keys.addAll(ConfigKeys.of(org.legoos.node.config.ConfigSection.METRICS));
        return keys;
    }
}
