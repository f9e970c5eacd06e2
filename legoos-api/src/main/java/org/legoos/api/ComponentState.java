package org.legoos.api;

/**
 * A component's state in the global manager's membership table, as {@code lego status} shows it. Travels by name.
 */
public enum ComponentState {
    /** Registered, not reported yet (its monitor is starting): nothing is placed on it. */
    JOINING,
    /** Reports in time: it may be chosen. */
    ALIVE,
    /** Missed its heartbeat timeout (or left): nothing is placed on it until it reports again. */
    DEAD
}
