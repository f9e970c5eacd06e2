package org.legoos.node.config;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.function.Function;
import org.legoos.api.Sizes;

/**
 * The type of a configuration value: how its text is parsed and validated, how a value is written back, and
 * what a user types ({@link #label()}, e.g. {@code SIZE}). Parse errors are {@link IllegalArgumentException}s
 * whose message says what is wrong with the text but not which key it belongs to (the {@link ConfigKey} adds
 * that). Implementations are immutable and thread-safe.
 *
 * @param <T> the Java type of the value
 */
public interface ValueType<T> {
    /** @throws IllegalArgumentException if {@code text} is not a valid value */
    T parse(String text);

    /** The text {@link #parse} turns back into {@code value}. */
    String format(T value);

    /** What the user types, for help texts: {@code SIZE}, {@code DURATION}, {@code N}, {@code HOST:PORT}... */
    String label();

    /** A size in bytes ({@link Sizes}) in {@code [min, max]}. */
    static ValueType<Long> size(long min, long max) {
        return new Simple<>("SIZE", text -> Sizes.parse(text, min, max), Sizes::format);
    }

    /** A duration ({@link DurationText}) in {@code [min, max]}. */
    static ValueType<Duration> duration(Duration min, Duration max) {
        return new Simple<>("DURATION", text -> {
            Duration d = DurationText.parse(text);
            if (d.compareTo(min) < 0 || d.compareTo(max) > 0) {
                throw new IllegalArgumentException("'" + text + "' must be between " + DurationText.format(min) + " and "
                        + DurationText.format(max));
            }
            return d;
        }, DurationText::format);
    }

    /** A whole number in {@code [min, max]}. */
    static ValueType<Integer> integer(int min, int max) {
        return new Simple<>("N", text -> {
            int v;
            try {
                v = Integer.parseInt(text.trim());
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("'" + text + "' is not a whole number");
            }
            if (v < min || v > max) {
                throw new IllegalArgumentException("'" + text + "' must be between " + min + " and " + max);
            }
            return v;
        }, String::valueOf);
    }

    /**
     * A TCP address {@code host:port} ({@code [v6]:port} for IPv6); port 0 asks for an ephemeral port.
     *
     * @param wildcardAllowed false for addresses a component registers (others must be able to reach it), so
     *     {@code 0.0.0.0} and {@code ::} are refused
     */
    static ValueType<String> address(boolean wildcardAllowed) {
        return new Simple<>("HOST:PORT", text -> {
            String t = text.trim();
            int colon = t.lastIndexOf(':');
            String host = colon > 0 ? t.substring(0, colon) : "";
            if (host.startsWith("[") && host.endsWith("]")) {
                host = host.substring(1, host.length() - 1);
            } else if (host.indexOf(':') >= 0) {
                host = ""; // a bare IPv6 address needs brackets
            }
            int port;
            try {
                port = Integer.parseInt(t.substring(colon + 1));
            } catch (NumberFormatException | StringIndexOutOfBoundsException e) {
                port = -1;
            }
            if (host.isEmpty() || host.chars().anyMatch(Character::isWhitespace) || port < 0 || port > 65_535) {
                throw new IllegalArgumentException("'" + text + "' is not host:port (use e.g. 127.0.0.1:7700)");
            }
            if (!wildcardAllowed && (host.equals("0.0.0.0") || host.equals("::") || host.equals("*"))) {
                throw new IllegalArgumentException("'" + text + "' is a wildcard address, but other components connect to"
                        + " the address given here: use an address of this host they can reach (e.g. 10.0.0.5:0)");
            }
            return t;
        }, Function.identity());
    }

    /** A file system path; the empty text means "none" (an empty {@link java.util.Optional}-like null). */
    static ValueType<Path> optionalPath() {
        return new Simple<>("PATH", text -> {
            String t = text.trim();
            if (t.isEmpty()) {
                return null;
            }
            try {
                return Path.of(t);
            } catch (java.nio.file.InvalidPathException e) {
                throw new IllegalArgumentException("'" + text + "' is not a usable path: " + e.getReason());
            }
        }, p -> p == null ? "" : p.toString());
    }

    /** A file system path that must be given. */
    static ValueType<Path> path() {
        ValueType<Path> optional = optionalPath();
        return new Simple<>("PATH", text -> {
            Path p = optional.parse(text);
            if (p == null) {
                throw new IllegalArgumentException("a path is required");
            }
            return p;
        }, Path::toString);
    }

    /** Free text, checked by {@code check} (which throws IllegalArgumentException). */
    static ValueType<String> text(String label, java.util.function.Consumer<String> check) {
        return new Simple<>(label, t -> {
            check.accept(t);
            return t;
        }, Function.identity());
    }

    /**
     * One of an enum's constants, written in lower case with dashes ({@code MOST_FREE_MEMORY} is
     * {@code most-free-memory}); underscores and upper case are accepted too.
     *
     * @param aliases extra names (e.g. {@code lru} for {@code CLOCK}), lower case
     */
    static <E extends Enum<E>> ValueType<E> choice(Class<E> type, java.util.Map<String, E> aliases) {
        List<String> names = java.util.Arrays.stream(type.getEnumConstants()).map(ValueType::dashed).toList();
        List<String> shown = new java.util.ArrayList<>(names);
        shown.addAll(aliases.keySet());
        return new Simple<>(String.join("|", shown), text -> {
            String t = text.trim().toLowerCase(Locale.ROOT).replace('_', '-');
            E alias = aliases.get(t);
            if (alias != null) {
                return alias;
            }
            for (E e : type.getEnumConstants()) {
                if (dashed(e).equals(t)) {
                    return e;
                }
            }
            throw new IllegalArgumentException("'" + text + "' is not one of " + String.join(", ", shown));
        }, ValueType::dashed);
    }

    private static String dashed(Enum<?> e) {
        return e.name().toLowerCase(Locale.ROOT).replace('_', '-');
    }

    /** A value type from a parser and a formatter. */
    record Simple<T>(String label, Function<String, T> parser, Function<T, String> formatter) implements ValueType<T> {
        public Simple {
            Objects.requireNonNull(label, "label");
            Objects.requireNonNull(parser, "parser");
            Objects.requireNonNull(formatter, "formatter");
        }

        @Override
        public T parse(String text) {
            return parser.apply(Objects.requireNonNull(text, "text"));
        }

        @Override
        public String format(T value) {
            return formatter.apply(value);
        }
    }
}
