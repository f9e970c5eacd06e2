package org.legoos.cli;

import java.io.PrintStream;
import java.util.Locale;
import org.legoos.api.Sizes;

/**
 * A one-line progress bar for copies, redrawn in place on stderr ({@code \r}) at most ten times a second:
 * {@code [=========>          ]  45%  12.0MiB/26.7MiB  8.2MiB/s}. A disabled bar prints nothing. Used by one thread.
 */
final class Progress {
    /** Copies smaller than this show no bar unless asked for. */
    static final long LARGE_BYTES = 8L << 20;
    private static final int WIDTH = 30;

    private final PrintStream err;
    private final boolean enabled;
    private final String label;
    private final long total;
    private final long startNanos = System.nanoTime();
    private long lastDrawNanos;
    private long done;

    private Progress(PrintStream err, boolean enabled, String label, long total) {
        this.err = err;
        this.enabled = enabled;
        this.label = label;
        this.total = total;
    }

    /**
     * A bar for a copy of {@code total} bytes: shown when forced, or when stderr is a terminal and the copy is large.
     */
    static Progress of(Io io, boolean forced, String label, long total) {
        return new Progress(io.err(), forced || (io.errIsTerminal() && total >= LARGE_BYTES), label, total);
    }

    void advance(long bytes) {
        done += bytes;
        long now = System.nanoTime();
        if (enabled && now - lastDrawNanos >= 100_000_000L) {
            lastDrawNanos = now;
            draw(now);
        }
    }

    /** Draws the final state and ends the line. */
    void finish() {
        if (enabled) {
            draw(System.nanoTime());
            err.println();
            err.flush();
        }
    }

    private void draw(long now) {
        double fraction = total <= 0 ? 1 : Math.min(1, (double) done / total);
        int filled = (int) Math.round(fraction * WIDTH);
        String bar = "=".repeat(Math.max(0, filled - 1)) + (filled > 0 ? (filled == WIDTH ? "=" : ">") : "")
                + " ".repeat(WIDTH - filled);
        double seconds = Math.max(1e-3, (now - startNanos) / 1e9);
        err.print(String.format(Locale.ROOT, "\r%s [%s] %3d%%  %s/%s  %s/s", label, bar, Math.round(fraction * 100),
                Sizes.human(done), Sizes.human(total), Sizes.human((long) (done / seconds))));
        err.flush();
    }
}
