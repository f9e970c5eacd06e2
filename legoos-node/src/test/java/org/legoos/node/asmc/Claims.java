package org.legoos.node.asmc;

/**
 * Which thread's model holds which range, shared by the threads of one checked process: a mapping call of one
 * thread must never return memory another thread holds. A thread releases a range before the call that frees it
 * and claims a range after the call that maps it returned, so a conflict is always a real double mapping.
 */
final class Claims {
    private final Areas areas = new Areas();

    /** Claims [start, end) for {@code thread}; returns a description of a conflicting claim of another thread, or null. */
    synchronized String claim(long start, long end, int thread) {
        for (Areas.Area a : areas.overlapping(start, end)) {
            if (a.tag() != thread) {
                return String.format("[0x%x,0x%x) is held by thread %d", a.start(), a.end(), a.tag());
            }
        }
        areas.add(start, end, thread);
        return null;
    }

    synchronized void release(long start, long end, int thread) {
        for (Areas.Area a : areas.overlapping(start, end)) {
            if (a.tag() == thread) {
                areas.remove(a.start(), a.end());
            }
        }
    }
}
