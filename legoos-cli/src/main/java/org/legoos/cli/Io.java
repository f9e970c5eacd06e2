package org.legoos.cli;

import java.io.InputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Objects;
import java.util.function.Function;

/**
 * Where a command's input comes from and its output goes, and how it hears about Ctrl-C / SIGTERM: the real terminal
 * for {@code lego}, given and captured streams and a hand-fired hook in tests.
 *
 * <p>{@code out} carries results (tables, file contents, a program's stdout), {@code err} diagnostics, progress
 * and a program's stderr. Thread-safe (the streams are {@link PrintStream}s).
 */
final class Io {
    private final PrintStream out;
    private final PrintStream err;
    private final InputStream in;
    private final boolean inIsTerminal;
    private final boolean errIsTerminal;
    private final boolean system;
    private final Function<Runnable, AutoCloseable> interruptHooks;
    private final ClusterConnector connector;
    /** The terminal's width for usage help when the caller knows it (the client agent's launcher), else 0. */
    private final int helpColumns;

    /** Without input: stdin reads as an empty terminal (so {@code lego run} sends none unless told to). */
    Io(PrintStream out, PrintStream err, boolean errIsTerminal, boolean system, Function<Runnable, AutoCloseable> interruptHooks) {
        this(InputStream.nullInputStream(), true, out, err, errIsTerminal, system, interruptHooks);
    }

    Io(InputStream in, boolean inIsTerminal, PrintStream out, PrintStream err, boolean errIsTerminal, boolean system,
       Function<Runnable, AutoCloseable> interruptHooks) {
        this(in, inIsTerminal, out, err, errIsTerminal, system, interruptHooks, ClusterConnector.DIRECT);
    }

    Io(InputStream in, boolean inIsTerminal, PrintStream out, PrintStream err, boolean errIsTerminal, boolean system,
       Function<Runnable, AutoCloseable> interruptHooks, ClusterConnector connector) {
        this(in, inIsTerminal, out, err, errIsTerminal, system, interruptHooks, connector, 0);
    }

    private Io(InputStream in, boolean inIsTerminal, PrintStream out, PrintStream err, boolean errIsTerminal,
               boolean system, Function<Runnable, AutoCloseable> interruptHooks, ClusterConnector connector,
               int helpColumns) {
        if (helpColumns < 0) {
            throw new IllegalArgumentException("columns must be >= 0, got " + helpColumns);
        }
        this.helpColumns = helpColumns;
        this.connector = Objects.requireNonNull(connector, "connector");
        this.in = Objects.requireNonNull(in, "in");
        this.inIsTerminal = inIsTerminal;
        this.out = Objects.requireNonNull(out, "out");
        this.err = Objects.requireNonNull(err, "err");
        this.errIsTerminal = errIsTerminal;
        this.system = system;
        this.interruptHooks = Objects.requireNonNull(interruptHooks, "interruptHooks");
    }

    /** The process's own streams; interrupts are JVM shutdown hooks (SIGINT, SIGTERM). */
    static Io system() {
        return new Io(System.in, stdinIsTerminal(), System.out, System.err, stderrIsTerminal(), true, Io::shutdownHook);
    }

    private static AutoCloseable shutdownHook(Runnable action) {
        Thread hook = new Thread(action, "lego-interrupt");
        Runtime.getRuntime().addShutdownHook(hook);
        return () -> {
            try {
                Runtime.getRuntime().removeShutdownHook(hook);
            } catch (IllegalStateException shuttingDown) {
                // the hook is running or has run: nothing to undo
            }
        };
    }

    /**
     * Whether stderr is a terminal: on Linux from {@code /proc/self/fd/2}, elsewhere from the JVM's console (which
     * looks at stdin and stdout).
     */
    static boolean stderrIsTerminal() {
        Path fd2 = Path.of("/proc/self/fd/2");
        try {
            if (Files.isSymbolicLink(fd2)) {
                String target = Files.readSymbolicLink(fd2).toString();
                return target.startsWith("/dev/pts/") || target.startsWith("/dev/tty");
            }
        } catch (java.io.IOException | UnsupportedOperationException | SecurityException e) {
            // fall through
        }
        java.io.Console c = System.console();
        return c != null && c.isTerminal();
    }

    /**
     * Whether stdin is a terminal: on Linux from {@code /proc/self/fd/0} (a pipe, a file or {@code /dev/null} is not),
     * elsewhere from the JVM's console.
     */
    static boolean stdinIsTerminal() {
        Path fd0 = Path.of("/proc/self/fd/0");
        try {
            if (Files.isSymbolicLink(fd0)) {
                String target = Files.readSymbolicLink(fd0).toString();
                return target.startsWith("/dev/pts/") || target.startsWith("/dev/tty");
            }
        } catch (java.io.IOException | UnsupportedOperationException | SecurityException e) {
            // fall through
        }
        java.io.Console c = System.console();
        return c != null && c.isTerminal();
    }

    /**
     * This Io with usage help {@code columns} wide (0: picocli finds the terminal's width itself, which only works in
     * the terminal's own process).
     */
    Io withHelpColumns(int columns) {
        return new Io(in, inIsTerminal, out, err, errIsTerminal, system, interruptHooks, connector, columns);
    }

    /** See {@link #withHelpColumns}. */
    int helpColumns() {
        return helpColumns;
    }

    /** Input for the command ({@code lego run} forwards it to the program). */
    InputStream in() {
        return in;
    }

    /** Whether {@link #in()} is a terminal (then {@code lego run} forwards it only when asked). */
    boolean inIsTerminal() {
        return inIsTerminal;
    }

    PrintStream out() {
        return out;
    }

    PrintStream err() {
        return err;
    }

    boolean errIsTerminal() {
        return errIsTerminal;
    }

    /** How client commands connect to the cluster: a new connection, or the client agent's warm one. */
    ClusterConnector connector() {
        return connector;
    }

    /** True for the real process (not a test): commands may configure logging for the whole JVM. */
    boolean isSystem() {
        return system;
    }

    /**
     * Runs {@code action} when the user interrupts (Ctrl-C) or the process is told to stop (SIGTERM), until the
     * returned handle is closed.
     */
    AutoCloseable onInterrupt(Runnable action) {
        return interruptHooks.apply(action);
    }
}
