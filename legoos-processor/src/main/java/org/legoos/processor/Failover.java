package org.legoos.processor;

/**
 * How long a processor waits out a memory component's failover before it gives up: the manager's heartbeat timeout
 * (3 s by default) plus the failover itself, with room to spare. Misses and flushes wait this long for a dead owner's
 * vRegion to move to its replica, VM calls for a dead home's replica to adopt the process, and file calls for the
 * manager to name another buffer cache. One figure for all three: each is the same wait for the same manager decision.
 */
public final class Failover {
    /** The longest wait, in milliseconds. */
    public static final long WAIT_MILLIS = 15_000;

    private Failover() {
    }
}
