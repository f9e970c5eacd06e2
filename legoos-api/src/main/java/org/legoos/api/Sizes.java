package org.legoos.api;

import java.util.Locale;

/**
 * The one parser and formatter of sizes in bytes, as people write them: {@code 4096}, {@code 512KiB},
 * {@code 64MiB}, {@code 1GiB}, {@code 2TiB}. Used by {@code lego.yaml}, the {@code lego} command's options and
 * the bundled programs' arguments alike, so a size written one way works everywhere.
 *
 * <p>Units are binary (powers of 1024); {@code K}/{@code KB}, {@code M}/{@code MB}, {@code G}/{@code GB},
 * {@code T}/{@code TB} and {@code P}/{@code PB} are accepted as the same binary units, case-insensitively, with an
 * optional space before the unit. Stateless and thread-safe.
 */
public final class Sizes {
    private static final String[] UNITS = {"B", "KiB", "MiB", "GiB", "TiB", "PiB"};

    /** What a size looks like, for error messages. */
    private static final String ACCEPTED = "write a whole number of bytes, optionally followed by B, KiB, MiB, GiB, TiB"
            + " or PiB; e.g. 512MiB";

    private Sizes() {
    }

    /**
     * Parses a non-negative size.
     *
     * @throws IllegalArgumentException "'12XB' is not a size: unknown unit 'XB' (write a whole number of bytes,
     *     optionally followed by B, KiB, MiB, GiB, TiB or PiB; e.g. 512MiB)", or "'9000000PiB' is too large (...)"
     *     when it does not fit in a {@code long}
     */
    public static long parse(String text) {
        String t = text == null ? "" : text.trim();
        int i = 0;
        while (i < t.length() && t.charAt(i) >= '0' && t.charAt(i) <= '9') {
            i++;
        }
        if (i == 0) {
            throw notASize(text, t.isEmpty() ? "it is empty" : "it does not start with a whole number");
        }
        String unit = t.substring(i).trim();
        if (unit.startsWith(".") || unit.startsWith(",")) {
            throw notASize(text, "it is not a whole number");
        }
        int shift = switch (unit.toLowerCase(Locale.ROOT)) {
            case "", "b" -> 0;
            case "k", "kb", "kib" -> 10;
            case "m", "mb", "mib" -> 20;
            case "g", "gb", "gib" -> 30;
            case "t", "tb", "tib" -> 40;
            case "p", "pb", "pib" -> 50;
            default -> throw notASize(text, "unknown unit '" + unit + "'");
        };
        long number;
        try {
            number = Long.parseLong(t.substring(0, i));
        } catch (NumberFormatException e) { // only digits, so: more than 19 of them
            throw tooLarge(text);
        }
        if (number > (Long.MAX_VALUE >> shift)) {
            throw tooLarge(text);
        }
        return number << shift;
    }

    /**
     * Parses a size in {@code [min, max]}.
     *
     * @throws IllegalArgumentException as {@link #parse}, or "'8GiB' must be between 4KiB and 4GiB"
     */
    public static long parse(String text, long min, long max) {
        long v = parse(text);
        if (v < min || v > max) {
            throw new IllegalArgumentException("'" + text + "' must be between " + format(min) + " and " + format(max));
        }
        return v;
    }

    private static IllegalArgumentException notASize(String text, String why) {
        return new IllegalArgumentException("'" + text + "' is not a size: " + why + " (" + ACCEPTED + ")");
    }

    private static IllegalArgumentException tooLarge(String text) {
        return new IllegalArgumentException("'" + text + "' is too large (at most " + Long.MAX_VALUE
                + " bytes, just under 8192PiB)");
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
