package org.legoos.memory.pagestore;

/**
 * Frames taken from a {@link PageStore} ahead of a multi-page write, so the write either has every frame it
 * needs or fails before changing anything (a PCACHE_FLUSH refused with NO_MEMORY leaves all pages intact).
 * Frames not used are given back by {@link #close()}.
 *
 * <p>Not thread-safe: one reservation belongs to one request.
 */
public final class Reservation implements AutoCloseable {
    private final PageStore store;
    private final int[] frames;
    private int next;

    Reservation(PageStore store, int[] frames) {
        this.store = store;
        this.frames = frames;
    }

    /** A reserved frame, or -1 when all were used. */
    int take() {
        return next < frames.length ? frames[next++] : -1;
    }

    /** Frames reserved and not used yet. */
    public int remaining() {
        return frames.length - next;
    }

    /** Returns the unused frames to the store. */
    @Override
    public void close() {
        if (next < frames.length) {
            store.free(frames, next, frames.length);
            next = frames.length;
        }
    }
}
