package org.legoos.node.config;

import java.util.Objects;

/**
 * One configuration key: its section, its name in that section ({@code capacityBytes}), its type, default and
 * description. The full name ({@link #id()}) is {@code section.name}, e.g. {@code memory.capacityBytes}; the
 * command-line option is {@link #optionName()}, e.g. {@code --memory.capacity-bytes}. Immutable.
 *
 * @param <T> the value's Java type
 */
public final class ConfigKey<T> {
    private final ConfigSection section;
    private final String name;
    private final ValueType<T> type;
    private final T defaultValue;
    private final String description;

    ConfigKey(ConfigSection section, String name, ValueType<T> type, String defaultText, String description) {
        this.section = Objects.requireNonNull(section, "section");
        this.name = Objects.requireNonNull(name, "name");
        this.type = Objects.requireNonNull(type, "type");
        this.description = Objects.requireNonNull(description, "description");
        this.defaultValue = parse(defaultText); // a bad default is a bug: fail at class initialisation
    }

    public ConfigSection section() {
        return section;
    }

    /** The name within the section, as written in YAML: {@code capacityBytes}. */
    public String name() {
        return name;
    }

    /** {@code section.name}, e.g. {@code memory.capacityBytes}. */
    public String id() {
        return section.yamlName() + "." + name;
    }

    /** The generated command-line option: {@code --memory.capacity-bytes}. */
    public String optionName() {
        return "--" + section.yamlName() + "." + kebab(name);
    }

    public ValueType<T> type() {
        return type;
    }

    public T defaultValue() {
        return defaultValue;
    }

    /** The default as text, as it would be written in YAML. */
    public String defaultText() {
        return type.format(defaultValue);
    }

    public String description() {
        return description;
    }

    /**
     * Parses a value of this key.
     *
     * @throws ConfigException naming this key if the text is not a valid value
     */
    public T parse(String text) {
        try {
            return type.parse(text);
        } catch (IllegalArgumentException e) {
            throw new ConfigException(id(), e.getMessage());
        }
    }

    /** {@code capacityBytes} becomes {@code capacity-bytes}. */
    static String kebab(String camel) {
        StringBuilder b = new StringBuilder(camel.length() + 4);
        for (int i = 0; i < camel.length(); i++) {
            char c = camel.charAt(i);
            if (Character.isUpperCase(c)) {
                b.append('-').append(Character.toLowerCase(c));
            } else {
                b.append(c);
            }
        }
        return b.toString();
    }

    @Override
    public String toString() {
        return id();
    }
}
