package org.legoos.net;

/**
 * A monotonic clock in nanoseconds, as {@link System#nanoTime()}: only differences between two readings mean
 * anything. Whatever waits out a delay measured on it (reconnect backoffs, for one) takes it as a parameter, so
 * that production runs on {@link #SYSTEM} and tests on a clock they move by hand, instead of on the scheduler's
 * timing.
 */
@FunctionalInterface
public interface Ticker {
    /** {@link System#nanoTime()}. */
    Ticker SYSTEM = System::nanoTime;

    /** The current reading, in nanoseconds from an arbitrary origin. */
    long nanoTime();
}
