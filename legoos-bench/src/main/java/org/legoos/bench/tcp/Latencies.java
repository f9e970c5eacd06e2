package org.legoos.bench.tcp;

import java.util.Arrays;

/**
 * Round-trip times of one scenario, recorded as raw nanoseconds in a preallocated array (no histogram
 * library, no allocation while measuring), summarised by sorting; plus what the round trips cost the machine
 * (CPU time, context switches), added batch by batch.
 *
 * <p>Not thread-safe: one measuring thread.
 */
public final class Latencies {
    private final String name;
    private final long[] nanos;
    private int count;
    private long cpuNanos;
    private long contextSwitches;
    private boolean costUnknown;

    public Latencies(String name, int capacity) {
        this.name = name;
        this.nanos = new long[capacity];
    }

    /** Adds what a batch of round trips cost: CPU nanoseconds and context switches (negative: unknown). */
    public void addCost(long cpu, long switches) {
        if (cpu < 0 || switches < 0) {
            costUnknown = true;
        }
        cpuNanos += cpu;
        contextSwitches += switches;
    }

    /** CPU time per round trip in microseconds (both ends), NaN if unknown. */
    public double cpuMicrosPerOp() {
        return costUnknown || count == 0 ? Double.NaN : cpuNanos / 1_000.0 / count;
    }

    /** Context switches per round trip (both ends), NaN if unknown. */
    public double switchesPerOp() {
        return costUnknown || count == 0 ? Double.NaN : (double) contextSwitches / count;
    }

    public void record(long elapsedNanos) {
        if (count < nanos.length) {
            nanos[count++] = elapsedNanos;
        }
    }

    public String name() {
        return name;
    }

    public int count() {
        return count;
    }

    /** The {@code q}-quantile in microseconds (nearest rank), NaN if nothing was recorded. */
    public double quantileMicros(double q) {
        if (count == 0) {
            return Double.NaN;
        }
        long[] sorted = Arrays.copyOf(nanos, count);
        Arrays.sort(sorted);
        int rank = (int) Math.ceil(q * count) - 1;
        return sorted[Math.clamp(rank, 0, count - 1)] / 1_000.0;
    }

    public double meanMicros() {
        if (count == 0) {
            return Double.NaN;
        }
        long sum = 0;
        for (int i = 0; i < count; i++) {
            sum += nanos[i];
        }
        return sum / 1_000.0 / count;
    }
}
