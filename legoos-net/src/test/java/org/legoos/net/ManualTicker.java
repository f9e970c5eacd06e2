package org.legoos.net;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A {@link Ticker} that moves only when a test says so: backoffs measured on it expire exactly when the test advances
 * it past them, never because the machine was slow. Starts an hour before the {@code long} wraps, so code that
 * compares readings other than by subtraction fails.
 */
public final class ManualTicker implements Ticker {
    private final AtomicLong now = new AtomicLong(Long.MAX_VALUE - Duration.ofHours(1).toNanos());

    @Override
    public long nanoTime() {
        return now.get();
    }

    public void advance(Duration by) {
        if (by.isNegative()) {
            throw new IllegalArgumentException("a monotonic clock does not go back: " + by);
        }
        now.addAndGet(by.toNanos());
    }
}
