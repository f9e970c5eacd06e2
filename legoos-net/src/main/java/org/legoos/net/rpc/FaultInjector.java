package org.legoos.net.rpc;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Named fault-injection points on a node's outbound path, switched on from tests: drop every frame to a
 * node, delay frames to a node, or cut the node off entirely (partition). Off by default and free when off.
 *
 * <p>Thread-safe.
 */
public final class FaultInjector {
    private final Set<Integer> dropTo = ConcurrentHashMap.newKeySet();
    private final ConcurrentHashMap<Integer, Long> delayNanosTo = new ConcurrentHashMap<>();
    private volatile boolean partitioned;
    private volatile boolean active;

    /** Silently drops every frame this node sends to {@code node}. */
    public void dropTo(int node) {
        dropTo.add(node);
        active = true;
    }

    /** Delays every frame this node sends to {@code node} by {@code millis}. */
    public void delayTo(int node, long millis) {
        delayNanosTo.put(node, millis * 1_000_000L);
        active = true;
    }

    /** Drops every frame this node sends, replies included: as if its cable were pulled. */
    public void partition() {
        partitioned = true;
        active = true;
    }

    /** Removes every fault. */
    public void heal() {
        dropTo.clear();
        delayNanosTo.clear();
        partitioned = false;
        active = false;
    }

    /** Applies the faults for a frame to {@code node}; returns false if it must be dropped. */
    boolean beforeSend(int node) {
        if (!active) {
            return true;
        }
        if (partitioned || dropTo.contains(node)) {
            return false;
        }
        Long delay = delayNanosTo.get(node);
        if (delay != null) {
            java.util.concurrent.locks.LockSupport.parkNanos(delay);
        }
        return true;
    }
}
