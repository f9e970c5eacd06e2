package org.legoos.api;

/**
 * How a processor component runs its processes (see docs on process mode): each in its own JVM, or as threads of the
 * component's JVM. {@link #AUTO} is only a configured choice; a running processor is in {@link #PROCESS} or
 * {@link #THREAD} mode. The ordinal travels on the wire: append new values only.
 */
public enum ProcessorMode {
    /** Each process is a child JVM (a "task"), sandboxed, its memory real virtual memory served through userfaultfd. */
    PROCESS,
    /** Each process is a set of threads of the processor component's JVM, memory through the in-JVM ExCache. */
    THREAD,
    /** {@link #PROCESS} where the host supports it (userfaultfd, Landlock ABI 4+), else {@link #THREAD}. */
    AUTO
}
