package org.legoos.node.config;

/**
 * A configuration problem: a bad value, an unknown key or section, or an unreadable file. The message is one
 * line that names where the problem is ({@code file:line}, when known) and the key, e.g.
 * {@code lego.yaml:7: memory.capacityBytes: '12XB' is not a size: unknown unit 'XB' (...)}. What the user wrote is
 * quoted in it as it was, except that line breaks and other control characters are escaped as in Java ({@code \n}
 * for a line break) and a message over {@value #MAX_LENGTH} characters is cut in the middle: a value of many lines
 * or of a megabyte echoed whole made messages of as many lines and that size (found by LegoConfigFuzzTest).
 */
public final class ConfigException extends RuntimeException {
    private static final long serialVersionUID = 1L;
    /** Longest message (before the location is prefixed); longer ones keep their start and end. */
    static final int MAX_LENGTH = 600;
    private static final int KEEP_END = 160;
    private final String key;

    /**
     * @param key the key or section at fault (for example {@code memory.capacityBytes}), or null for the file as
     *     a whole
     * @param message what is wrong, without the key (it is prefixed)
     */
    public ConfigException(String key, String message) {
        super(shorten(oneLine(key == null ? message : key + ": " + message)));
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
        return new ConfigException(key, oneLine(where) + ": " + getMessage(), this);
    }

    /** {@code s} with line breaks and other control characters escaped, so that it is one line. */
    static String oneLine(String s) {
        if (s == null || s.codePoints().noneMatch(ConfigException::escaped)) {
            return s;
        }
        StringBuilder b = new StringBuilder(s.length() + 16);
        s.codePoints().forEach(cp -> {
            if (!escaped(cp)) {
                b.appendCodePoint(cp);
            } else if (cp == '\n') {
                b.append("\\n");
            } else if (cp == '\r') {
                b.append("\\r");
            } else {
                b.append(String.format(java.util.Locale.ROOT, "\\u%04x", cp));
            }
        });
        return b.toString();
    }

    /** Control characters (but the tab) and the line and paragraph separators. */
    private static boolean escaped(int cp) {
        return (Character.isISOControl(cp) && cp != '\t') || cp == '\u2028' || cp == '\u2029';
    }

    private static String shorten(String s) {
        if (s == null || s.length() <= MAX_LENGTH) {
            return s;
        }
        int head = MAX_LENGTH - KEEP_END - 5;
        if (Character.isHighSurrogate(s.charAt(head - 1))) {
            head--;
        }
        int tail = s.length() - KEEP_END;
        if (Character.isLowSurrogate(s.charAt(tail))) {
            tail++;
        }
        return s.substring(0, head) + " ... " + s.substring(tail);
    }
}
