package org.legoos.eval.micro;

/**
 * Where a micro-benchmark driver reports how far it got, so a command line can draw a progress bar.
 *
 * <p>Called on the driver's thread, synchronously, before the first step ({@code done == 0}) and after every
 * finished step; an implementation must return quickly and must not throw.
 */
@FunctionalInterface
public interface Progress {
    /** Ignores every report. */
    Progress NONE = (what, done, total) -> { };

    /**
     * @param what the step just finished (or, when {@code done == 0}, the run about to start), e.g.
     *     {@code "seqload in-JVM workers=4 threads=2"}
     * @param done steps finished so far, in {@code [0, total]}
     * @param total steps of the whole run
     */
    void step(String what, int done, int total);
}
