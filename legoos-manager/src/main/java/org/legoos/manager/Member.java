package org.legoos.manager;

import org.legoos.api.ComponentRole;
import org.legoos.api.ComponentState;
import org.legoos.net.protocol.gm.ComponentInfo;
import org.legoos.net.protocol.gm.ComponentResources;

/**
 * One row of the membership table: a registered component, its liveness and the manager's approximate view of
 * its resources (the latest status report plus what the managers handed it since).
 *
 * <p>Not thread-safe: guarded by the {@link GlobalManager}'s lock.
 */
final class Member {
    static final ComponentResources NOTHING_REPORTED = new ComponentResources(0, 0, 0, 0, 0, 0, 0);

    final int id;
    final ComponentRole role;
    final String address;
    boolean alive;
    /**
     * Whether the component has sent a status report since it (re)registered: it registers before its monitor is up
     * (it needs the node id first), so until its first report nothing may be placed on it.
     */
    boolean serving;
    /** A memory component whose vRegions and processes were failed over while it was declared dead. */
    boolean failedOver;
    /**
     * It came back after a failover and must first drop what it held (GM_MEMORY_FAILED about itself): not serving
     * until it acknowledged. {@link #fenceSent} while that message is in flight.
     */
    boolean fencing;
    boolean fenceSent;
    long lastReportMillis;
    /** When it was last marked DEAD (or restored DEAD at a manager restart); see {@link ManagerConfig#deadRetentionMillis()}. */
    long deadSinceMillis;
    ComponentResources resources = NOTHING_REPORTED;
    /**
     * The name its certificate proved when it registered (TLS), or null: insecure, or not seen since the manager
     * restarted (not persisted; the first authenticated frame of the member's role names it then).
     */
    String identity;
    /** GPM: threads placed here since the last report (so a burst of launches spreads). */
    int threadsPlacedSinceReport;
    /** GMM: bytes granted since the last report (MOST_FREE_MEMORY). */
    long bytesGrantedSinceReport;
    /** GMM: bytes granted in total (LEAST_REQUESTED). */
    long bytesGranted;
    /** GMM: grants in total, homes and buffer caches included (LEAST_REQUESTED tie-break). */
    long grants;

    Member(int id, ComponentRole role, String address) {
        this.id = id;
        this.role = role;
        this.address = address;
    }

    /** Records a REGISTER received at {@code now}: alive, but not serving until its first report; true if it was DEAD. */
    boolean registered(ComponentResources r, long now) {
        return registered(r, now, false);
    }

    /**
     * As {@link #registered(ComponentResources, long)}; {@code fence}: a new incarnation at the address of this one,
     * whose memory failed over (or fails over now), must acknowledge GM_MEMORY_FAILED about itself before it serves.
     */
    boolean registered(ComponentResources r, long now, boolean fence) {
        boolean wasDead = reported(r, now);
        serving = false;
        failedOver = fence;
        fencing = fence;
        fenceSent = false;
        return wasDead;
    }

    /** Records a STATUS_REPORT received at {@code now}; returns true if it was DEAD. */
    boolean reported(ComponentResources r, long now) {
        boolean wasDead = !alive;
        serving = !fencing;
        resources = r;
        lastReportMillis = now;
        alive = true;
        threadsPlacedSinceReport = 0;
        bytesGrantedSinceReport = 0;
        return wasDead;
    }

    /** Whether this component may be chosen at {@code now}. */
    boolean live(long now, long timeoutMillis) {
        return alive && serving && now - lastReportMillis <= timeoutMillis;
    }

    /** Reported capacity minus reported use minus what was granted since. */
    long freeMemoryBytes() {
        return resources.memoryCapacityBytes() - resources.memoryUsedBytes() - bytesGrantedSinceReport;
    }

    ComponentInfo info() {
        return new ComponentInfo(id, role, address, !alive ? ComponentState.DEAD : serving ? ComponentState.ALIVE : ComponentState.JOINING,
                lastReportMillis, resources, identity == null ? "" : identity);
    }

    @Override
    public String toString() {
        return role.wireName() + " node " + id + " (" + address + ")";
    }
}
