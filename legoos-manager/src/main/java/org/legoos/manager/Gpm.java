package org.legoos.manager;

import java.util.List;

/**
 * GPM, the global process manager: picks the processor component for a new process. The least-loaded live
 * processor wins, load being running threads (from its last status report, plus the threads placed there since
 * that report, so a burst of launches spreads) relative to its cores. Ties go to the
 * component with more cores, then to the lowest node id.
 *
 * <p>Stateless; callers hold the {@link GlobalManager}'s lock while they read and update the members.
 */
final class Gpm {
    private Gpm() {
    }

    /** The processor to place on, or null if {@code live} is empty. */
    static Member choose(List<Member> live) {
        Member best = null;
        for (Member m : live) {
            if (best == null || lessLoaded(m, best)) {
                best = m;
            }
        }
        return best;
    }

    /** Records that {@code threads} threads were placed on {@code m}. */
    static void placed(Member m, int threads) {
        m.threadsPlacedSinceReport += threads;
    }

    private static boolean lessLoaded(Member a, Member b) {
        long la = threads(a);
        long lb = threads(b);
        // la / ca < lb / cb without rounding
        long lhs = la * cores(b);
        long rhs = lb * cores(a);
        if (lhs != rhs) {
            return lhs < rhs;
        }
        if (cores(a) != cores(b)) {
            return cores(a) > cores(b);
        }
        return a.id < b.id;
    }

    private static long threads(Member m) {
        return Math.max(0, m.resources.threadsRunning()) + (long) m.threadsPlacedSinceReport;
    }

    private static long cores(Member m) {
        return Math.max(1, m.resources.cores());
    }
}
