package org.legoos.eval;

/**
 * Where the harness reports how far it got, so a command line can draw a progress bar. Called on the harness's
 * thread, synchronously, before the first step ({@code done == 0}) and after every finished step; an implementation
 * must return quickly and must not throw.
 */
@FunctionalInterface
public interface Progress {
    Progress NONE = (what, done, total) -> { };

    /** Step {@code done} of {@code total} (done < total: starting {@code what}; done == total: finished). */
    void step(String what, int done, int total);
}
