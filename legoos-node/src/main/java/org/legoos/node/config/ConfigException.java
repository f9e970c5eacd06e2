package org.legoos.node.config;

/**
 * A configuration problem: a bad value, an unknown key or section, or an unreadable file. The message is one
 * line that names where the problem is ({@code file:line}, when known) and the key, e.g.
 * {@code lego.yaml:7: memory.capacityBytes: '12XB' is not a size: unknown unit 'XB' (...)}.
 */
public final class ConfigException extends RuntimeException {
    private static final long serialVersionUID = 1L;
    private final String key;

    /**
     * @param key the key or section at fault (for example {@code memory.capacityBytes}), or null for the file as
     *     a whole
     * @param message what is wrong, without the key (it is prefixed)
     */
    public ConfigException(String key, String message) {
        super(key == null ? message : key + ": " + message);
        this.key = key;
    }

    private ConfigException(String key, String fullMessage, Throwable cause) {
        super(fullMessage, cause);
        this.key = key;
    }

    /** The key or section at fault, or null. */
    public String key() {
        return key;
    }

    /** The same problem, located: {@code source[:line]: message}. */
    public ConfigException at(String source, int line) {
        String where = line > 0 ? source + ":" + line : source;
        return new ConfigException(key, where + ": " + getMessage(), this);
    }
}
