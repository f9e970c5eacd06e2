package org.legoos.eval;

/** Where the harness reports what it is doing, for a progress bar. Called from the harness's thread. */
@FunctionalInterface
public interface Progress {
    Progress NONE = (what, done, total) -> { };

    /** Step {@code done} of {@code total} (done < total: starting {@code what}; done == total: finished). */
    void step(String what, int done, int total);
}
