package org.legoos.manager;

import java.util.List;
import org.legoos.net.rpc.Status;

/**
 * GMM, the global memory manager: picks the memory component that owns a new vRegion ({@code M2MM_CONSULT}),
 * the home memory component of a new process, and the one hosting a vNode's storage buffer cache, by the
 * configured {@link GmmPolicy}. It keeps only approximate state: the members' status reports plus what it
 * granted since.
 *
 * <p>Not thread-safe: guarded by the {@link GlobalManager}'s lock. {@link #choose} has no side effects;
 * {@link #granted} records the decision once the caller commits it.
 */
final class Gmm {
    private final GmmPolicy policy;
    /** Round robin: the node id chosen last; the next choice is the first live id above it (wrapping). */
    private int lastChosen;
    /** Requests granted so far, for EVERY_4TH_LEAST_REQUESTED. */
    private long requests;

    Gmm(GmmPolicy policy) {
        this.policy = policy;
    }

    GmmPolicy policy() {
        return policy;
    }

    /**
     * The memory component for a new vRegion of {@code bytes}: by the policy among those with {@code bytes} free;
     * if none has, the one with the most free memory (a vRegion's pages arrive as the program writes them, and a
     * full owner moves vRegions away: see {@link #chooseFor}).
     *
     * @param live live memory components in node-id order
     * @throws org.legoos.api.LegoException UNAVAILABLE if there is none; NO_MEMORY if the policy is
     *     MOST_FREE_MEMORY and none has {@code bytes} free
     */
    Member choose(List<Member> live, long bytes, String what) {
        if (live.isEmpty()) {
            throw Status.UNAVAILABLE.toException("no live memory component to " + what);
        }
        if (policy == GmmPolicy.MOST_FREE_MEMORY) {
            return mostFree(live, bytes, what);
        }
        if (bytes > 0) {
            // whatever the policy, a component without room for the request is passed over while another has it
            List<Member> roomy = live.stream().filter(m -> m.freeMemoryBytes() >= bytes).toList();
            if (roomy.isEmpty()) {
                return mostFree(live, Long.MIN_VALUE, what);
            }
            live = roomy;
        }
        return switch (policy) {
            case ROUND_ROBIN -> roundRobin(live);
            case LEAST_REQUESTED -> leastRequested(live);
            case MOST_FREE_MEMORY -> throw new AssertionError("handled above");
            case EVERY_4TH_LEAST_REQUESTED -> (requests + 1) % 4 == 0 ? leastRequested(live) : roundRobin(live);
        };
    }

    /**
     * The memory component to take over a vRegion holding {@code bytes} from {@code avoid}, which has no room for
     * it: a live one other than {@code avoid} with {@code bytes} free, by the policy among those.
     *
     * @throws org.legoos.api.LegoException NO_MEMORY naming the free memory of the others if none has room
     */
    Member chooseFor(List<Member> live, long bytes, int avoid, String what) {
        List<Member> others = live.stream().filter(m -> m.id != avoid).toList();
        List<Member> roomy = others.stream().filter(m -> m.freeMemoryBytes() >= bytes).toList();
        if (roomy.isEmpty()) {
            long largest = others.stream().mapToLong(Member::freeMemoryBytes).max().orElse(0);
            throw Status.NO_MEMORY.toException("no live memory component other than " + avoid + " has " + bytes
                    + " bytes free to " + what + " (largest free: " + Math.max(0, largest) + " bytes on " + others.size()
                    + " other live memory components): the cluster is out of memory");
        }
        return choose(roomy, bytes, what);
    }

    /** Records that {@code m} was given {@code bytes} (0 for a process home or a buffer cache). */
    void granted(Member m, long bytes) {
        m.bytesGranted += bytes;
        m.bytesGrantedSinceReport += bytes;
        m.grants++;
        lastChosen = m.id;
        requests++;
    }

    private Member roundRobin(List<Member> live) {
        for (Member m : live) {
            if (m.id > lastChosen) {
                return m;
            }
        }
        return live.getFirst();
    }

    private static Member leastRequested(List<Member> live) {
        Member best = null;
        for (Member m : live) {
            if (best == null || m.bytesGranted < best.bytesGranted
                    || m.bytesGranted == best.bytesGranted && m.grants < best.grants) {
                best = m;
            }
        }
        return best;
    }

    private static Member mostFree(List<Member> live, long bytes, String what) {
        Member best = null;
        long mostFree = Long.MIN_VALUE;
        for (Member m : live) {
            long free = m.freeMemoryBytes();
            if (free >= bytes && free > mostFree) {
                best = m;
                mostFree = free;
            }
        }
        if (best == null) {
            long largest = live.stream().mapToLong(Member::freeMemoryBytes).max().orElse(0);
            throw Status.NO_MEMORY.toException("no live memory component has " + bytes + " bytes free to " + what
                    + " (largest free: " + Math.max(0, largest) + " bytes on " + live.size() + " live memory components)");
        }
        return best;
    }
}
