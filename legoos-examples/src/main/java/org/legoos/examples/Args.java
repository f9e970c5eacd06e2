package org.legoos.examples;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.legoos.api.Sizes;

/**
 * A small command-line parser shared by the bundled programs: positional arguments plus {@code --name value},
 * {@code --name=value} and value-less flags. Typed getters check ranges, and {@link #finish()} rejects
 * options nobody asked for, so a typo is a clear error instead of a silently ignored setting.
 *
 * <p>Every problem is an {@link IllegalArgumentException} whose message names the option; programs turn
 * it into a usage message and exit code 2. Not thread-safe (used by a program's main thread only).
 */
final class Args {
    private final List<String> positional = new ArrayList<>();
    private final Map<String, String> options = new HashMap<>();
    private final Set<String> flags;

    private Args(Set<String> flags) {
        this.flags = flags;
    }

    /**
     * Parses {@code argv}.
     *
     * @param flags names (without {@code --}) of options that take no value
     */
    static Args parse(String[] argv, Set<String> flags) {
        Args a = new Args(flags);
        boolean onlyPositional = false;
        for (int i = 0; i < argv.length; i++) {
            String s = argv[i];
            if (s == null) {
                throw new IllegalArgumentException("null argument at position " + i);
            }
            if (onlyPositional || !s.startsWith("--") || s.length() == 2) {
                if (s.equals("--") && !onlyPositional) {
                    onlyPositional = true;
                    continue;
                }
                a.positional.add(s);
                continue;
            }
            String name = s.substring(2);
            String value;
            int eq = name.indexOf('=');
            if (eq >= 0) {
                value = name.substring(eq + 1);
                name = name.substring(0, eq);
                if (flags.contains(name)) {
                    throw new IllegalArgumentException("option --" + name + " takes no value");
                }
            } else if (flags.contains(name)) {
                value = "true";
            } else {
                if (i + 1 >= argv.length) {
                    throw new IllegalArgumentException("option --" + name + " needs a value");
                }
                value = argv[++i];
            }
            if (a.options.put(name, value) != null) {
                throw new IllegalArgumentException("option --" + name + " given twice");
            }
        }
        return a;
    }

    List<String> positional() {
        return positional;
    }

    boolean flag(String name) {
        if (!flags.contains(name)) {
            throw new IllegalStateException("--" + name + " is not a declared flag");
        }
        return options.remove(name) != null;
    }

    String string(String name, String defaultValue) {
        String v = options.remove(name);
        return v == null ? defaultValue : v;
    }

    long longValue(String name, long defaultValue, long min, long max) {
        String v = options.remove(name);
        if (v == null) {
            return defaultValue;
        }
        long x;
        try {
            x = Long.parseLong(v.strip().replace("_", ""));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("--" + name + " must be an integer, got '" + v + "'");
        }
        if (x < min || x > max) {
            throw new IllegalArgumentException("--" + name + " must be in [" + min + ", " + max + "], got " + x);
        }
        return x;
    }

    /**
     * A size in bytes ({@link Sizes}: {@code 4096}, {@code 64KiB}, {@code 256MiB}, {@code 1g}), as in {@code lego.yaml}.
     *
     * @throws IllegalArgumentException "--generate: '256XB' is not a size: unknown unit 'XB' (use ...)" or
     *     "--generate: '2TiB' must be between 0 and 1TiB"
     */
    long size(String name, long defaultValue, long min, long max) {
        String v = options.remove(name);
        if (v == null) {
            return defaultValue;
        }
        try {
            return Sizes.parse(v, min, max);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("--" + name + ": " + e.getMessage(), e);
        }
    }

    int intValue(String name, int defaultValue, int min, int max) {
        return (int) longValue(name, defaultValue, min, max);
    }

    double doubleValue(String name, double defaultValue, double min, double max) {
        String v = options.remove(name);
        if (v == null) {
            return defaultValue;
        }
        double x;
        try {
            x = Double.parseDouble(v);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("--" + name + " must be a number, got '" + v + "'");
        }
        if (!(x >= min && x <= max)) {
            throw new IllegalArgumentException("--" + name + " must be in [" + min + ", " + max + "], got " + v);
        }
        return x;
    }

    /** Throws if an option was given that no getter consumed. */
    void finish() {
        if (!options.isEmpty()) {
            throw new IllegalArgumentException("unknown option --" + options.keySet().stream().sorted().findFirst().orElseThrow());
        }
    }
}
