package org.legoos.net.rpc;

import java.nio.ByteBuffer;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import org.legoos.net.transport.Connection;

/**
 * Named fault-injection points on a node's outbound path, switched on from tests: drop every frame to a
 * node, delay frames to a node, or cut the node off entirely (partition). Off by default and free when off.
 * Replies and messages streamed back to a caller count as frames to the caller's node.
 *
 * <p>A delayed frame is sent later from this node's fault thread, in the order it was sent, as a slow link
 * would deliver it: the sender does not wait, so a call whose request or reply is delayed past its timeout
 * times out.
 *
 * <p>Synchronous calls (the blocking request path, {@code RpcNode.Config.syncCalls}) consult the same faults
 * ({@link #verdict}): a dropped request is never written and the call waits out its timeout, a delayed one is held
 * by the calling thread before it is written.
 *
 * <p>Thread-safe.
 */
public final class FaultInjector {
    /** {@link #verdict}: the frame is dropped. */
    static final long DROPPED = -1;

    private final Set<Integer> dropTo = ConcurrentHashMap.newKeySet();
    private final ConcurrentHashMap<Integer, Long> delayNanosTo = new ConcurrentHashMap<>();
    private volatile boolean partitioned;
    private volatile boolean active;
    private volatile boolean closed;
    private ScheduledExecutorService delayer;

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

    /** Removes every fault. Frames already delayed are still sent when their delay ends. */
    public void heal() {
        dropTo.clear();
        delayNanosTo.clear();
        partitioned = false;
        active = false;
    }

    /** What happens to a frame for {@code node} now: {@link #DROPPED}, 0 (sent at once) or the nanoseconds it is held. */
    long verdict(int node) {
        if (!active) {
            return 0;
        }
        if (partitioned || dropTo.contains(node)) {
            return DROPPED;
        }
        Long delay = delayNanosTo.get(node);
        return delay == null ? 0 : delay;
    }

    /** Sends {@code frame} for node {@code node} on {@code c}, unless a fault drops or delays it. */
    void send(int node, Connection c, ByteBuffer frame) {
        long delay = verdict(node);
        if (delay == 0) {
            c.send(frame);
            return;
        }
        if (delay == DROPPED) {
            return;
        }
        try {
            delayer().schedule(() -> c.send(frame), delay, TimeUnit.NANOSECONDS);
        } catch (RejectedExecutionException nodeClosed) {
            // the node is closed: the frame is lost, as on a closed connection
        }
    }

    private synchronized ScheduledExecutorService delayer() {
        if (closed) {
            throw new RejectedExecutionException("closed");
        }
        if (delayer == null) {
            ScheduledThreadPoolExecutor s = new ScheduledThreadPoolExecutor(1, r -> {
                Thread t = new Thread(r, "legoos-fault-delay");
                t.setDaemon(true);
                return t;
            });
            s.setRemoveOnCancelPolicy(true);
            delayer = s;
        }
        return delayer;
    }

    /** Stops the fault thread; frames still delayed are dropped. Called when the node closes. */
    synchronized void close() {
        closed = true;
        if (delayer != null) {
            delayer.shutdownNow();
        }
    }
}
