package org.legoos.node.config;

import java.time.Duration;
import java.util.Locale;

/**
 * Durations as people write them: {@code 250us}, {@code 500ms}, {@code 3s}, {@code 2m}, {@code 1h}, or
 * {@code 0}. A unit is required for anything but zero, so {@code 500} is never silently milliseconds or
 * seconds. Stateless and thread-safe.
 */
public final class DurationText {
    private DurationText() {
    }

    /**
     * Parses a non-negative duration.
     *
     * @throws IllegalArgumentException "'5 parsecs' is not a duration (use e.g. 500ms or 3s)"
     */
    public static Duration parse(String text) {
        String t = text == null ? "" : text.trim().toLowerCase(Locale.ROOT);
        if (t.equals("0")) {
            return Duration.ZERO;
        }
        int i = 0;
        while (i < t.length() && Character.isDigit(t.charAt(i))) {
            i++;
        }
        if (i == 0 || i > 12) {
            throw new IllegalArgumentException("'" + text + "' is not a duration (use e.g. 500ms or 3s)");
        }
        long n = Long.parseLong(t.substring(0, i));
        return switch (t.substring(i).trim()) {
            case "us" -> Duration.ofNanos(n * 1_000);
            case "ms" -> Duration.ofMillis(n);
            case "s" -> Duration.ofSeconds(n);
            case "m", "min" -> Duration.ofMinutes(n);
            case "h" -> Duration.ofHours(n);
            default -> throw new IllegalArgumentException("'" + text + "' is not a duration (use e.g. 500ms or 3s)");
        };
    }

    /** The duration in the largest unit that divides it: {@code 3s}, {@code 500ms}, {@code 2m}. */
    public static String format(Duration d) {
        long nanos = d.toNanos();
        if (nanos == 0) {
            return "0";
        }
        if (nanos % 3_600_000_000_000L == 0) {
            return nanos / 3_600_000_000_000L + "h";
        }
        if (nanos % 60_000_000_000L == 0) {
            return nanos / 60_000_000_000L + "m";
        }
        if (nanos % 1_000_000_000L == 0) {
            return nanos / 1_000_000_000L + "s";
        }
        if (nanos % 1_000_000L == 0) {
            return nanos / 1_000_000L + "ms";
        }
        return nanos / 1_000 + "us";
    }

    /** Approximate, for tables: {@code 0.3s}, {@code 12s}, {@code 5m}, {@code 2h}. */
    public static String human(Duration d) {
        long ms = Math.max(0, d.toMillis());
        if (ms < 10_000) {
            return String.format(Locale.ROOT, "%.1fs", ms / 1000.0);
        }
        if (ms < 120_000) {
            return ms / 1000 + "s";
        }
        if (ms < 7_200_000) {
            return ms / 60_000 + "m";
        }
        if (ms < 172_800_000) {
            return ms / 3_600_000 + "h";
        }
        return ms / 86_400_000 + "d";
    }
}
