package org.legoos.node.config;

import java.io.IOException;
import java.io.Reader;
import java.io.StringReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import org.legoos.api.Sizes;
import org.legoos.manager.ManagerConfig;
import org.legoos.memory.MemoryConfig;
import org.legoos.processor.ProcessorConfig;
import org.legoos.processor.excache.ExCacheConfig;
import org.legoos.storage.StorageConfig;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;
import org.yaml.snakeyaml.error.MarkedYAMLException;
import org.yaml.snakeyaml.error.YAMLException;
import org.yaml.snakeyaml.nodes.MappingNode;
import org.yaml.snakeyaml.nodes.Node;
import org.yaml.snakeyaml.nodes.NodeTuple;
import org.yaml.snakeyaml.nodes.ScalarNode;
import org.yaml.snakeyaml.nodes.Tag;

/**
 * The configuration of a LegoOS/J deployment ({@code lego.yaml}): a value for every key of {@link ConfigKeys},
 * from its default, a YAML file, or a {@code key=value} override, in that order of precedence. It turns into each
 * monitor's own configuration ({@link #managerConfig()}, {@link #processorConfig()}, {@link #memoryConfig()},
 * {@link #storageConfig(Path)}).
 *
 * <p>The file has one mapping per section; every value is a scalar:
 * <pre>
 * manager:
 *   address: 127.0.0.1:7700
 *   heartbeatTimeout: 3s
 * memory:
 *   capacityBytes: 2GiB
 * </pre>
 * Unknown sections and keys, duplicate keys, missing or non-scalar values and bad values are refused with a
 * {@link ConfigException} naming the file, line and key. Values are checked one by one as they are set;
 * constraints between keys (the ExCache's geometry, report interval below heartbeat timeout) by
 * {@link #validate()}, which the loaders and the component-config getters call.
 *
 * <p>Immutable and thread-safe: {@code with...} methods return a new configuration.
 */
public final class LegoConfig {
    private static final LegoConfig DEFAULTS = new LegoConfig(defaultValues(), Set.of());

    private final Map<ConfigKey<?>, Object> values;
    private final Set<ConfigKey<?>> explicit;

    private LegoConfig(Map<ConfigKey<?>, Object> values, Set<ConfigKey<?>> explicit) {
        this.values = values;
        this.explicit = explicit;
    }

    private static Map<ConfigKey<?>, Object> defaultValues() {
        Map<ConfigKey<?>, Object> m = new HashMap<>();
        for (ConfigKey<?> k : ConfigKeys.ALL) {
            m.put(k, k.defaultValue());
        }
        return m;
    }

    /** Every key at its default. */
    public static LegoConfig defaults() {
        return DEFAULTS;
    }

    /**
     * Reads a YAML file over the defaults and validates the result.
     *
     * @throws ConfigException if the file is missing or unreadable, is not valid YAML, or has an unknown key or a
     *     bad value (the message names file, line and key)
     */
    public static LegoConfig load(Path file) {
        byte[] bytes;
        try {
            bytes = Files.readAllBytes(file);
        } catch (NoSuchFileException e) {
            throw new ConfigException(null, file + ": no such configuration file");
        } catch (IOException e) {
            throw new ConfigException(null, file + ": cannot read: " + e.getMessage());
        }
        return parse(bytes, file.toString()).validate();
    }

    /**
     * Reads the bytes of a YAML file (UTF-8) over the defaults, as {@link #load} does, without the cross-key checks.
     *
     * @throws ConfigException also if the bytes are not UTF-8, naming the line (reading the file as a string said
     *     only "Input length = 1")
     */
    static LegoConfig parse(byte[] utf8, String source) {
        var decoder = StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(java.nio.charset.CodingErrorAction.REPORT)
                .onUnmappableCharacter(java.nio.charset.CodingErrorAction.REPORT);
        java.nio.ByteBuffer in = java.nio.ByteBuffer.wrap(utf8);
        java.nio.CharBuffer out = java.nio.CharBuffer.allocate(utf8.length);
        java.nio.charset.CoderResult r = decoder.decode(in, out, true);
        if (!r.isError()) {
            r = decoder.flush(out);
        }
        if (r.isError()) {
            int at = in.position();
            int line = 1;
            for (int i = 0; i < at; i++) {
                line += utf8[i] == '\n' ? 1 : 0;
            }
            throw new ConfigException(null, String.format(java.util.Locale.ROOT, "not UTF-8 text (byte 0x%02x)",
                    utf8[at] & 0xFF)).at(source, line);
        }
        return parse(out.flip().toString(), source);
    }

    /**
     * Reads YAML text over the defaults without the cross-key checks (call {@link #validate()} after the last
     * override).
     *
     * @param source names the text in messages, e.g. the file name
     */
    public static LegoConfig parse(String yaml, String source) {
        return DEFAULTS.merge(new StringReader(yaml), source);
    }

    private LegoConfig merge(Reader yaml, String source) {
        LoaderOptions options = new LoaderOptions();
        options.setAllowDuplicateKeys(false);
        options.setMaxAliasesForCollections(10);
        options.setCodePointLimit(1 << 20);
        Node root;
        try {
            root = new Yaml(new SafeConstructor(options)).compose(yaml);
        } catch (MarkedYAMLException e) {
            int line = e.getProblemMark() == null ? 0 : e.getProblemMark().getLine() + 1;
            throw new ConfigException(null, "not valid YAML: " + oneLine(e.getProblem())).at(source, line);
        } catch (YAMLException e) {
            throw new ConfigException(null, "not valid YAML: " + oneLine(e.getMessage())).at(source, 0);
        } catch (RuntimeException e) {
            // SnakeYAML's own failures on some malformed text, e.g. a NumberFormatException for the escape "\Ue001F600"
            // (found by LegoConfigFuzzTest): the text is not YAML it can read, whatever the parser threw
            throw new ConfigException(null, "not valid YAML: " + oneLine(String.valueOf(e.getMessage()))
                    + " (" + e.getClass().getSimpleName() + ")").at(source, 0);
        }
        if (root == null) {
            return this; // empty file
        }
        if (!(root instanceof MappingNode top)) {
            throw new ConfigException(null, "expected sections (manager:, processor:, memory:, storage:, cluster:) at the top")
                    .at(source, line(root));
        }
        Map<ConfigKey<?>, Object> m = new HashMap<>(values);
        Set<ConfigKey<?>> ex = new HashSet<>(explicit);
        Set<String> seenSections = new HashSet<>();
        for (NodeTuple section : top.getValue()) {
            String sectionName = scalarText(section.getKeyNode(), "section name", source);
            ConfigSection s = ConfigSection.byYamlName(sectionName);
            if (s == null) {
                throw ConfigKeys.unknownSection(sectionName).at(source, line(section.getKeyNode()));
            }
            if (!seenSections.add(sectionName)) {
                throw new ConfigException(sectionName, "section given twice").at(source, line(section.getKeyNode()));
            }
            Node body = section.getValueNode();
            if (body instanceof ScalarNode sc && sc.getTag().equals(Tag.NULL)) {
                continue; // "memory:" with nothing under it
            }
            if (!(body instanceof MappingNode keys)) {
                throw new ConfigException(sectionName, "expected indented 'key: value' lines under '" + sectionName + ":' (e.g. "
                        + ConfigKeys.of(s).getFirst().name() + ": " + ConfigKeys.of(s).getFirst().defaultText() + ")").at(source, line(body));
            }
            Set<String> seenKeys = new HashSet<>();
            for (NodeTuple kv : keys.getValue()) {
                String keyName = scalarText(kv.getKeyNode(), "key", source);
                ConfigKey<?> key;
                try {
                    key = ConfigKeys.inSection(s, keyName);
                } catch (ConfigException e) {
                    throw e.at(source, line(kv.getKeyNode()));
                }
                if (!seenKeys.add(key.name())) {
                    throw new ConfigException(key.id(), "given twice").at(source, line(kv.getKeyNode()));
                }
                Node v = kv.getValueNode();
                if (!(v instanceof ScalarNode sv)) {
                    throw new ConfigException(key.id(), "expected a single value, e.g. " + key.id().substring(key.id().indexOf('.') + 1)
                            + ": " + key.defaultText()).at(source, line(v));
                }
                if (sv.getTag().equals(Tag.NULL) && key.type().label().equals("PATH")) {
                    m.put(key, parseAt(key, "", source, line(v)));
                } else if (sv.getTag().equals(Tag.NULL)) {
                    throw new ConfigException(key.id(), "no value given (default: " + key.defaultText() + ")").at(source, line(v));
                } else {
                    m.put(key, parseAt(key, sv.getValue(), source, line(v)));
                }
                ex.add(key);
            }
        }
        return new LegoConfig(m, ex);
    }

    private static Object parseAt(ConfigKey<?> key, String text, String source, int line) {
        try {
            return key.parse(text);
        } catch (ConfigException e) {
            throw e.at(source, line);
        }
    }

    private static String scalarText(Node n, String what, String source) {
        if (!(n instanceof ScalarNode s)) {
            throw new ConfigException(null, "expected a " + what + ", found a " + n.getNodeId().name().toLowerCase(java.util.Locale.ROOT))
                    .at(source, line(n));
        }
        return s.getValue();
    }

    private static int line(Node n) {
        return n.getStartMark() == null ? 0 : n.getStartMark().getLine() + 1;
    }

    private static String oneLine(String s) {
        return s == null ? "" : s.replaceAll("\\s+", " ").trim();
    }

    // ------------------------------------------------------------------ overrides

    /**
     * This configuration with {@code key} (for example {@code memory.capacityBytes} or
     * {@code memory.capacity-bytes}) set from text.
     *
     * @throws ConfigException for an unknown key or a bad value
     */
    public LegoConfig with(String key, String value) {
        ConfigKey<?> k = ConfigKeys.byId(key);
        return put(k, k.parse(value));
    }

    /**
     * This configuration with one {@code key=value} assignment applied, as given to {@code --set}.
     *
     * @throws ConfigException if the text has no '=', names an unknown key, or has a bad value
     */
    public LegoConfig withAssignment(String assignment) {
        int eq = assignment.indexOf('=');
        if (eq <= 0) {
            throw new ConfigException(assignment, "expected key=value, e.g. memory.capacityBytes=2GiB");
        }
        return with(assignment.substring(0, eq), assignment.substring(eq + 1));
    }

    /** This configuration with {@code key} set to {@code value} (which must be a valid value of the key). */
    public <T> LegoConfig with(ConfigKey<T> key, T value) {
        String text = key.type().format(value);
        return put(key, key.parse(text));
    }

    private LegoConfig put(ConfigKey<?> key, Object value) {
        Map<ConfigKey<?>, Object> m = new HashMap<>(values);
        m.put(key, value);
        Set<ConfigKey<?>> ex = new HashSet<>(explicit);
        ex.add(key);
        return new LegoConfig(m, ex);
    }

    /** The value of {@code key}; null only for an optional path set to "none". */
    @SuppressWarnings("unchecked")
    public <T> T get(ConfigKey<T> key) {
        return (T) values.get(Objects.requireNonNull(key, "key"));
    }

    /** True if {@code key} was set by a file or an override (even to its default value). */
    public boolean isSet(ConfigKey<?> key) {
        return explicit.contains(key);
    }

    // ------------------------------------------------------------------ validation and monitor configs

    /**
     * Checks the constraints between keys and returns this configuration.
     *
     * @throws ConfigException naming the key at fault
     */
    public LegoConfig validate() {
        if (get(ConfigKeys.MANAGER_REPORT_INTERVAL).compareTo(get(ConfigKeys.MANAGER_HEARTBEAT_TIMEOUT)) >= 0) {
            throw new ConfigException(ConfigKeys.MANAGER_REPORT_INTERVAL.id(), DurationText.format(get(ConfigKeys.MANAGER_REPORT_INTERVAL))
                    + " must be shorter than " + ConfigKeys.MANAGER_HEARTBEAT_TIMEOUT.id() + " ("
                    + DurationText.format(get(ConfigKeys.MANAGER_HEARTBEAT_TIMEOUT))
                    + "), or live components would be declared dead");
        }
        long excache = get(ConfigKeys.PROCESSOR_EXCACHE_BYTES);
        int ways = get(ConfigKeys.PROCESSOR_EXCACHE_WAYS);
        long setBytes = (long) ways * ExCacheConfig.LINE_SIZE;
        if (excache % setBytes != 0 || Long.bitCount(excache / setBytes) != 1) {
            throw new ConfigException(ConfigKeys.PROCESSOR_EXCACHE_BYTES.id(), Sizes.format(excache) + " with "
                    + ConfigKeys.PROCESSOR_EXCACHE_WAYS.id() + " " + ways + " does not make a power-of-two number of sets of "
                    + ways + " 4KiB lines; use a power of two times " + Sizes.format(setBytes) + " (e.g. "
                    + Sizes.format(Math.max(1, Long.highestOneBit(excache / setBytes)) * setBytes) + ")");
        }
        long capacity = get(ConfigKeys.MEMORY_CAPACITY_BYTES);
        if (capacity % 4096 != 0) {
            throw new ConfigException(ConfigKeys.MEMORY_CAPACITY_BYTES.id(), Sizes.format(capacity) + " is not a multiple of 4KiB");
        }
        if (Long.bitCount(get(ConfigKeys.MEMORY_VREGION_BYTES)) != 1) {
            throw new ConfigException(ConfigKeys.MEMORY_VREGION_BYTES.id(), Sizes.format(get(ConfigKeys.MEMORY_VREGION_BYTES))
                    + " is not a power of two (e.g. 1GiB or 64MiB)");
        }
        long chunk = get(ConfigKeys.MEMORY_BUFFER_CHUNK_BYTES);
        if (Long.bitCount(chunk) != 1) {
            throw new ConfigException(ConfigKeys.MEMORY_BUFFER_CHUNK_BYTES.id(), Sizes.format(chunk) + " is not a power of two");
        }
        if (get(ConfigKeys.MEMORY_BUFFER_CACHE_BYTES) < chunk) {
            throw new ConfigException(ConfigKeys.MEMORY_BUFFER_CACHE_BYTES.id(), Sizes.format(get(ConfigKeys.MEMORY_BUFFER_CACHE_BYTES))
                    + " cannot hold one " + ConfigKeys.MEMORY_BUFFER_CHUNK_BYTES.id() + " of " + Sizes.format(chunk));
        }
        // the monitors' own checks, in case they are stricter than the ones above
        build(ConfigKeys.MANAGER_ADDRESS.section(), this::buildManagerConfig);
        build(ConfigKeys.PROCESSOR_LISTEN.section(), this::buildProcessorConfig);
        build(ConfigKeys.MEMORY_LISTEN.section(), this::buildMemoryConfig);
        return this;
    }

    private static <T> T build(ConfigSection section, java.util.function.Supplier<T> builder) {
        try {
            return builder.get();
        } catch (IllegalArgumentException e) {
            throw new ConfigException(section.yamlName(), e.getMessage());
        }
    }

    /** The global manager's configuration. @throws ConfigException if the configuration is inconsistent */
    public ManagerConfig managerConfig() {
        validate();
        return buildManagerConfig();
    }

    private ManagerConfig buildManagerConfig() {
        return new ManagerConfig(get(ConfigKeys.MANAGER_MEMORY_POLICY), get(ConfigKeys.MANAGER_HEARTBEAT_TIMEOUT).toMillis(),
                Math.max(1, get(ConfigKeys.MANAGER_HEARTBEAT_CHECK_INTERVAL).toMillis()), get(ConfigKeys.MANAGER_STATE_DIR),
                get(ConfigKeys.MANAGER_VNODE_IP_POOL).trim(), get(ConfigKeys.MANAGER_DEFAULT_MEMORY_QUOTA_BYTES),
                get(ConfigKeys.MANAGER_DEFAULT_MAX_PROCESSES), get(ConfigKeys.MANAGER_STORAGE_CALL_TIMEOUT).toMillis(),
                get(ConfigKeys.MANAGER_DEAD_RETENTION).toMillis(), get(ConfigKeys.MANAGER_DEFAULT_STORAGE_QUOTA_BYTES));
    }

    /** A processor component's configuration ({@code cores} 0 becomes this machine's core count). */
    public ProcessorConfig processorConfig() {
        validate();
        return buildProcessorConfig();
    }

    private ProcessorConfig buildProcessorConfig() {
        int cores = get(ConfigKeys.PROCESSOR_CORES);
        ExCacheConfig excache = new ExCacheConfig(get(ConfigKeys.PROCESSOR_EXCACHE_BYTES), get(ConfigKeys.PROCESSOR_EXCACHE_WAYS),
                get(ConfigKeys.PROCESSOR_EVICTION_POLICY), 0L, get(ConfigKeys.PROCESSOR_EXCACHE_PREFETCH_PAGES),
                get(ConfigKeys.PROCESSOR_EXCACHE_PIGGYBACK));
        return new ProcessorConfig(cores == 0 ? Runtime.getRuntime().availableProcessors() : cores, excache,
                get(ConfigKeys.PROCESSOR_MAX_PROCESSES), get(ConfigKeys.PROCESSOR_KILL_GRACE).toMillis(), get(ConfigKeys.PROCESSOR_MODE),
                get(ConfigKeys.PROCESSOR_TASK_HEAP_BYTES), get(ConfigKeys.PROCESSOR_WARM_TASKS));
    }

    /** A memory component's configuration. */
    public MemoryConfig memoryConfig() {
        validate();
        return buildMemoryConfig();
    }

    private MemoryConfig buildMemoryConfig() {
        return new MemoryConfig(get(ConfigKeys.MEMORY_CAPACITY_BYTES), get(ConfigKeys.MEMORY_VREGION_BYTES),
                get(ConfigKeys.MEMORY_WORKERS), get(ConfigKeys.MEMORY_BUFFER_CACHE_BYTES),
                Math.toIntExact(get(ConfigKeys.MEMORY_BUFFER_CHUNK_BYTES)), get(ConfigKeys.MEMORY_REPLICAS),
                get(ConfigKeys.MEMORY_RE_REPLICATION_BYTES_PER_SECOND));
    }

    /** A storage component's configuration, keeping its files under {@code root}. */
    public StorageConfig storageConfig(Path root) {
        validate();
        return new StorageConfig(root, get(ConfigKeys.STORAGE_MAX_OPEN_FILES), get(ConfigKeys.STORAGE_WORKERS));
    }

    /** A storage component's configuration with {@code storage.root} as its directory. */
    public StorageConfig storageConfig() {
        return storageConfig(get(ConfigKeys.STORAGE_ROOT));
    }

    /** How often components send status reports. */
    public Duration reportInterval() {
        return get(ConfigKeys.MANAGER_REPORT_INTERVAL);
    }

    // ------------------------------------------------------------------ writing

    /**
     * The whole configuration as YAML that {@link #parse} reads back to the same values.
     *
     * @param comments precede each section and key with its description and default
     */
    public String toYaml(boolean comments) {
        StringBuilder b = new StringBuilder();
        if (comments) {
            b.append("# LegoOS/J configuration (lego.yaml). Sizes: 4096, 512KiB, 64MiB, 1GiB. Durations: 500ms, 3s, 2m.\n");
            b.append("# Every key can also be given on the command line: --set section.key=value or --section.key-name value.\n");
        }
        for (ConfigSection s : ConfigSection.values()) {
            if (comments) {
                b.append('\n').append("# ").append(s.description()).append('\n');
            }
            b.append(s.yamlName()).append(":\n");
            for (ConfigKey<?> k : ConfigKeys.of(s)) {
                if (comments) {
                    b.append("  # ").append(k.description()).append(" (default: ").append(quoteIfNeeded(k.defaultText()))
                            .append(")\n");
                }
                b.append("  ").append(k.name()).append(": ").append(quoteIfNeeded(text(k))).append('\n');
            }
        }
        return b.toString();
    }

    /** The current value of {@code key} as text. */
    public <T> String text(ConfigKey<T> key) {
        return key.type().format(get(key));
    }

    /** Every key with its value as text, in {@link ConfigKeys#ALL} order. */
    public Map<String, String> asMap() {
        Map<String, String> m = new LinkedHashMap<>();
        for (ConfigKey<?> k : ConfigKeys.ALL) {
            m.put(k.id(), text(k));
        }
        return Collections.unmodifiableMap(m);
    }

    private static String quoteIfNeeded(String s) {
        boolean plain = s.matches("[A-Za-z0-9_./+\\-][A-Za-z0-9_./:+\\-= ]*") && !s.contains(": ") && !s.startsWith("- ") && !s.endsWith(":")
                && !s.endsWith(" ");
        if (plain) {
            return s;
        }
        if (s.codePoints().allMatch(LegoConfig::keptInSingleQuotes)) {
            return "'" + s.replace("'", "''") + "'";
        }
        // A line break inside single quotes is read back folded into a space, and YAML refuses control characters
        // written as they are: such a value is written double-quoted, with escapes (found by LegoConfigFuzzTest)
        StringBuilder b = new StringBuilder(s.length() + 8).append('"');
        s.codePoints().forEach(cp -> {
            switch (cp) {
                case '"' -> b.append("\\\"");
                case '\\' -> b.append("\\\\");
                case '\n' -> b.append("\\n");
                case '\r' -> b.append("\\r");
                case '\t' -> b.append("\\t");
                default -> {
                    if (keptInSingleQuotes(cp)) {
                        b.appendCodePoint(cp);
                    } else if (cp <= 0xFF) {
                        b.append(String.format(java.util.Locale.ROOT, "\\x%02x", cp));
                    } else if (cp <= 0xFFFF) {
                        b.append(String.format(java.util.Locale.ROOT, "\\u%04x", cp));
                    } else {
                        b.append(String.format(java.util.Locale.ROOT, "\\U%08x", cp));
                    }
                }
            }
        });
        return b.append('"').toString();
    }

    /**
     * Whether {@code cp} reads back as itself inside a single-quoted YAML scalar: printable (YAML 1.1) and not a line
     * break (which YAML folds) nor a byte order mark.
     */
    private static boolean keptInSingleQuotes(int cp) {
        return cp == '\t' || (cp >= 0x20 && cp <= 0x7E) || (cp >= 0xA0 && cp <= 0xD7FF)
                || (cp >= 0xE000 && cp <= 0xFFFD && cp != 0xFEFF) || (cp >= 0x10000 && cp <= 0x10FFFF);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof LegoConfig c && c.values.equals(values);
    }

    @Override
    public int hashCode() {
        return values.hashCode();
    }

    @Override
    public String toString() {
        return "LegoConfig" + asMap();
    }

    /** For tests: the keys set explicitly. */
    List<String> explicitKeys() {
        return explicit.stream().map(ConfigKey::id).sorted().toList();
    }
}
