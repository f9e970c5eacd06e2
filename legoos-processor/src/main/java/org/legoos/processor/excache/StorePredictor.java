package org.legoos.processor.excache;

/**
 * Guesses, per task, whether a page that a load misses will soon be stored to, so that process mode can install it
 * writable at once instead of write-protected: a load-then-store page (a hash table slot, a counter, a heap object)
 * then costs one fault instead of two (the miss and the write-protect fault of its first store, each two context
 * switches and a system call in the monitor). A wrong guess costs only a write-back of a page nobody changed.
 *
 * <p>A saturating score per task, as a branch predictor's: a page installed clean that takes its first store counts
 * up, one that leaves the cache never stored counts down; at {@link #ON} or above the task's loaded pages are
 * installed writable, except every {@link #PROBE_EVERY}-th, which is installed clean so the score keeps learning
 * (a task that stops storing turns the guess off again after a few probes).
 *
 * <p>Updated by the fault handler threads without locks: two handlers of one task may lose an update of each other,
 * which only delays the guess by a page. Pages are never wrong because of it: whether a page may be installed
 * writable at all is the backend's decision ({@link LineBackend#writableAnonymous}).
 */
final class StorePredictor {
    /** Highest score. */
    static final int MAX = 15;
    /** Score from which loaded pages are installed writable. */
    static final int ON = 8;
    /** While on, one loaded page in this many is installed clean, to learn whether stores still follow. */
    static final int PROBE_EVERY = 16;

    private final int[] score;
    private final int[] predicted;

    StorePredictor(int maxAsids) {
        score = new int[maxAsids];
        predicted = new int[maxAsids];
    }

    /** A page of the task installed clean took its first store. */
    void stored(int asid) {
        score[asid] = Math.min(MAX, score[asid] + 1);
    }

    /** A page of the task installed clean left the cache without a store. */
    void unstored(int asid) {
        score[asid] = Math.max(0, score[asid] - 1);
    }

    /** Whether the page a load of the task missed should be installed writable (if the backend allows it). */
    boolean expectStore(int asid) {
        return score[asid] >= ON && ++predicted[asid] % PROBE_EVERY != 0;
    }

    /** A new task has the asid: it starts with no guess. */
    void reset(int asid) {
        score[asid] = 0;
        predicted[asid] = 0;
    }
}
