package org.legoos.node.config;

import java.util.Locale;

/**
 * Sizes in bytes as people write them: {@code 4096}, {@code 512KiB}, {@code 64MiB}, {@code 1GiB}, {@code 2TiB}.
 * Units are binary (powers of 1024); {@code K}/{@code KB}, {@code M}/{@code MB}, {@code G}/{@code GB} and
 * {@code T}/{@code TB} are accepted as the same binary units, case-insensitively, with an optional space before
 * the unit. Stateless and thread-safe.
 */
public final class ByteSize {
    private static final String[] UNITS = {"B", "KiB", "MiB", "GiB", "TiB", "PiB"};

    private ByteSize() {
    }

    /**
     * Parses a non-negative size.
     *
     * @throws IllegalArgumentException "'12XB' is not a size (use e.g. 512MiB)", or "is too large"
     */
    public static long parse(String text) {
        String t = text == null ? "" : text.trim();
        int i = 0;
        while (i < t.length() && Character.isDigit(t.charAt(i))) {
            i++;
        }
        if (i == 0 || i > 19) {
            throw i > 19 ? tooLarge(text) : notASize(text);
        }
        long number;
        try {
            number = Long.parseLong(t.substring(0, i));
        } catch (NumberFormatException e) {
            throw tooLarge(text);
        }
        int shift = switch (t.substring(i).trim().toLowerCase(Locale.ROOT)) {
            case "", "b" -> 0;
            case "k", "kb", "kib" -> 10;
            case "m", "mb", "mib" -> 20;
            case "g", "gb", "gib" -> 30;
            case "t", "tb", "tib" -> 40;
            case "p", "pb", "pib" -> 50;
            default -> throw notASize(text);
        };
        if (number > (Long.MAX_VALUE >> shift)) {
            throw tooLarge(text);
        }
        return number << shift;
    }

    private static IllegalArgumentException notASize(String text) {
        return new IllegalArgumentException("'" + text + "' is not a size (use e.g. 512MiB)");
    }

    private static IllegalArgumentException tooLarge(String text) {
        return new IllegalArgumentException("'" + text + "' is too large");
    }

    /** The exact size in the largest unit that divides it: {@code 67108864} gives {@code 64MiB}. */
    public static String format(long bytes) {
        if (bytes == 0) {
            return "0";
        }
        int u = 0;
        long v = bytes;
        while (u < UNITS.length - 1 && v % 1024 == 0) {
            v /= 1024;
            u++;
        }
        return v + UNITS[u];
    }

    /** An approximate size for tables: {@code 1536} gives {@code 1.5KiB}, {@code 123} gives {@code 123B}. */
    public static String human(long bytes) {
        if (bytes < 1024) {
            return bytes + "B";
        }
        double v = bytes;
        int u = 0;
        while (u < UNITS.length - 1 && v >= 1024) {
            v /= 1024;
            u++;
        }
        return (v >= 100 ? String.format(Locale.ROOT, "%.0f", v) : String.format(Locale.ROOT, "%.1f", v)) + UNITS[u];
    }
}
