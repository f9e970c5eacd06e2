package org.legoos.cli;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * Runs {@code lego} command lines in this JVM with captured stdout and stderr, and interrupts (Ctrl-C / SIGTERM)
 * fired by hand instead of by the JVM. One instance per command run.
 */
final class Cli {
    /** What a command line did. */
    record Result(int code, String out, String err) {
        @Override
        public String toString() {
            return "exit " + code + "\n--- stdout\n" + out + "--- stderr\n" + err;
        }
    }

    private final ByteArrayOutputStream out = new ByteArrayOutputStream();
    private final ByteArrayOutputStream err = new ByteArrayOutputStream();
    private final List<Runnable> hooks = new CopyOnWriteArrayList<>();
    final Io io;

    Cli() {
        this(false);
    }

    Cli(boolean errIsTerminal) {
        this(java.io.InputStream.nullInputStream(), true, errIsTerminal);
    }

    /** With {@code in} as the command's stdin, a terminal or not (piped). */
    Cli(java.io.InputStream in, boolean inIsTerminal) {
        this(in, inIsTerminal, false);
    }

    private Cli(java.io.InputStream in, boolean inIsTerminal, boolean errIsTerminal) {
        io = new Io(in, inIsTerminal, new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8), errIsTerminal, false, action -> {
                    hooks.add(action);
                    return () -> hooks.remove(action);
                });
    }

    /** Runs one command line to completion. */
    static Result run(String... args) {
        return new Cli().exec(args);
    }

    Result exec(String... args) {
        int code = Lego.run(io, args);
        return new Result(code, out(), err());
    }

    /** Runs one command line on a daemon thread of its own (for commands that block until interrupted). */
    java.util.concurrent.CompletableFuture<Result> background(String... args) {
        java.util.concurrent.CompletableFuture<Result> result = new java.util.concurrent.CompletableFuture<>();
        Thread.ofPlatform().daemon().name("lego-" + args[0]).start(() -> {
            try {
                result.complete(exec(args));
            } catch (Throwable t) {
                result.completeExceptionally(t);
            }
        });
        return result;
    }

    String out() {
        return out.toString(StandardCharsets.UTF_8);
    }

    String err() {
        return err.toString(StandardCharsets.UTF_8);
    }

    /** Whether a command registered an interrupt action that is still active. */
    boolean hasInterruptHook() {
        return !hooks.isEmpty();
    }

    /** Fires the interrupt actions, as Ctrl-C or SIGTERM would. */
    void interrupt() {
        for (Runnable r : hooks) {
            r.run();
        }
    }
}
