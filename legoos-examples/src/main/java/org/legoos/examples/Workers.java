package org.legoos.examples;

import org.legoos.api.LegoContext;

/**
 * Runs a fork-join phase on threads of the calling process (started with {@link LegoContext#startThread}, so
 * they run on the process's processor component, as every thread of a LegoOS process must).
 *
 * <p>Called from the program's main thread. A failure in any worker is rethrown from {@link #run} after
 * all workers have ended, with the failures of the others attached as suppressed exceptions.
 */
final class Workers {
    /** One worker's body; {@code index} is in [0, n). */
    @FunctionalInterface
    interface Task {
        void run(int index) throws Exception;
    }

    private Workers() {
    }

    /** Start of part {@code part} of {@code total} items split into {@code parts} near-equal contiguous ranges (overflow-free). */
    static long split(long total, int part, int parts) {
        return (total / parts) * part + (total % parts) * part / parts;
    }

    static void run(LegoContext ctx, String name, int n, Task task) throws Exception {
        Throwable[] failures = new Throwable[n];
        Thread[] threads = new Thread[n];
        for (int i = 0; i < n; i++) {
            int index = i;
            threads[i] = ctx.startThread(name + "-" + i, () -> {
                try {
                    task.run(index);
                } catch (Throwable t) {
                    failures[index] = t;
                }
            });
        }
        try {
            for (Thread t : threads) {
                t.join();
            }
        } catch (InterruptedException e) {
            for (Thread t : threads) {
                t.interrupt();
            }
            for (Thread t : threads) {
                t.join(1000);
            }
            throw e;
        }
        Throwable first = null;
        for (Throwable t : failures) {
            if (t == null) {
                continue;
            }
            if (first == null) {
                first = t;
            } else if (t != first) {
                first.addSuppressed(t);
            }
        }
        if (first instanceof Exception e) {
            throw e;
        }
        if (first instanceof Error e) {
            throw e;
        }
        if (first != null) {
            throw new RuntimeException(first);
        }
    }
}
