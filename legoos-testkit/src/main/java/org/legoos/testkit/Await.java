package org.legoos.testkit;

import java.time.Duration;
import java.util.Objects;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

/**
 * Waiting in tests for something another thread, process or transport does, instead of sleeping a fixed time and
 * hoping it has happened. The condition is polled (every millisecond at first, then every 10 ms) until it holds; the
 * timeout only bounds how long a broken test hangs, so it is generous and never a statement about speed.
 *
 * <p>A timeout fails with an {@link AssertionError} that names what was awaited, e.g. {@code timed out after
 * 10000 ms waiting for: the client sees the peer go}. An interrupt fails the same way (with the flag kept set).
 */
public final class Await {
    /** How long {@link #until(String, BooleanSupplier)} and {@link #value(String, Supplier)} wait. */
    public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(10);

    private Await() {
    }

    /** Waits until {@code condition} holds, at most {@link #DEFAULT_TIMEOUT}; {@code what} describes the condition. */
    public static void until(String what, BooleanSupplier condition) {
        until(what, DEFAULT_TIMEOUT, condition);
    }

    /** Waits until {@code condition} holds, at most {@code timeout}; {@code what} describes the condition. */
    public static void until(String what, Duration timeout, BooleanSupplier condition) {
        Objects.requireNonNull(condition, "condition");
        value(what, timeout, () -> condition.getAsBoolean() ? Boolean.TRUE : null);
    }

    /**
     * Waits until {@code probe} returns a non-null value and returns it, at most {@link #DEFAULT_TIMEOUT}; {@code what}
     * describes the value.
     */
    public static <T> T value(String what, Supplier<? extends T> probe) {
        return value(what, DEFAULT_TIMEOUT, probe);
    }

    /**
     * Waits until {@code probe} returns a non-null value and returns it, at most {@code timeout}; {@code what}
     * describes the value.
     */
    public static <T> T value(String what, Duration timeout, Supplier<? extends T> probe) {
        Objects.requireNonNull(what, "what");
        Objects.requireNonNull(probe, "probe");
        long deadline = System.nanoTime() + timeout.toNanos();
        long pauseMillis = 1;
        for (T v = probe.get(); ; v = probe.get()) {
            if (v != null) {
                return v;
            }
            if (System.nanoTime() - deadline > 0) {
                throw new AssertionError("timed out after " + timeout.toMillis() + " ms waiting for: " + what);
            }
            try {
                Thread.sleep(pauseMillis);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError("interrupted waiting for: " + what, e);
            }
            pauseMillis = Math.min(10, pauseMillis * 2);
        }
    }
}
