package org.legoos.api;

import java.io.InputStream;
import java.io.PrintStream;
import java.nio.file.FileSystem;
import java.util.concurrent.ThreadFactory;

/**
 * What a running LegoOS/J process sees of the system: its disaggregated address space, its vNode's file
 * system, its standard streams, and the process monitor's thread and process calls.
 *
 * <p>Thread-safe: every thread of the process may use the same context.
 */
public interface LegoContext {
    /** Process id, unique within the cluster. */
    long pid();

    /** The vNode this process runs in. */
    String vnode();

    /** The process's virtual address space; every byte lives on memory components. */
    AddressSpace memory();

    /**
     * The vNode's file system: a standard {@code java.nio.file.FileSystem} backed by the vNode's storage
     * component, so {@code Files.newBufferedReader(fs.getPath("/in.txt"))} just works. Relative paths
     * resolve against the process's current directory ({@code /} unless changed).
     */
    FileSystem fileSystem();

    /** Standard output, streamed to the launching client. */
    PrintStream out();

    /** Standard error, streamed to the launching client. */
    PrintStream err();

    /**
     * Standard input, sent by the launching client: {@code lego run} forwards its own stdin when it is piped or
     * redirected ({@code -i} forces, {@code -n} never), {@code ProcessClient.start} takes an {@code InputStream}. Reads
     * block until at least one byte is there or the input has ended (-1); without input from the launcher (and for
     * processes started with {@link #spawn}) the input ends at once. Input not read yet waits in a bounded buffer on the
     * processor, so the launcher sends only as fast as the program reads. Closing it tells the launcher to stop sending
     * (thread mode; in process mode it only ends reading). Not meant for concurrent readers: the stream is thread-safe,
     * but which thread gets which bytes is not defined.
     */
    InputStream in();

    /**
     * Number of cores of the processor component this process may use for its threads. Threads beyond
     * that are still run, but share cores (the component is then over-committed).
     */
    int cores();

    /**
     * Starts a thread of this process on its processor component. Threads are counted against the
     * component's cores while they run; the process ends only after {@code main} returns, but threads
     * still running then are interrupted.
     */
    Thread startThread(String name, Runnable body);

    /** A thread factory for executors, equivalent to {@link #startThread} without starting. */
    ThreadFactory threadFactory(String namePrefix);

    /**
     * Starts a child process running {@code program} in the same vNode. The GPM may place it on another
     * processor component; it gets its own address space (no writable memory is shared across processes).
     */
    ChildProcess spawn(String program, String... args);

    /** True once the process has been asked to stop (kill); long loops should check it and exit. */
    boolean killed();

    /** A child started with {@link #spawn}. */
    interface ChildProcess {
        long pid();

        /** Waits for the child to exit and returns its exit code. */
        int waitFor() throws InterruptedException;
    }
}
