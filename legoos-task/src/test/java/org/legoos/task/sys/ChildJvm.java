package org.legoos.task.sys;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * A JVM the test starts running one of the test's {@code main} classes, talked to by lines: commands on its stdin,
 * answers on its stdout. Its stderr is copied to the test's (prefixed), not inherited: a grandchild writing to the
 * surefire fork's own descriptors would corrupt its channel. {@link #close} kills it (SIGKILL) and waits.
 */
final class ChildJvm implements AutoCloseable {
    private static final String EOF = "\u0000EOF";

    final Process process;
    private final PrintWriter in;
    private final BlockingQueue<String> out = new LinkedBlockingQueue<>();

    private ChildJvm(Process process) {
        this.process = process;
        this.in = new PrintWriter(process.getOutputStream(), true, StandardCharsets.UTF_8);
        pump(process.getInputStream(), line -> out.add(line), () -> out.add(EOF), "out");
        String name = "child " + process.pid();
        pump(process.getErrorStream(), line -> System.err.println("[" + name + "] " + line), () -> { }, "err");
    }

    /** The command line of a JVM like this one (same java, same class path) running {@code mainClass} with {@code args}. */
    static List<String> command(Class<?> mainClass, List<String> jvmOptions, String... args) {
        List<String> command = new ArrayList<>();
        command.add(ProcessHandle.current().info().command().orElseThrow());
        command.add("-cp");
        command.add(classPath());
        command.add("--enable-native-access=ALL-UNNAMED");
        command.add("-XX:-UsePerfData");
        command.add("-Xshare:auto");
        command.addAll(jvmOptions);
        command.add(mainClass.getName());
        command.addAll(List.of(args));
        return command;
    }

    static String classPath() {
        return System.getProperty("java.class.path");
    }

    static ChildJvm start(Class<?> mainClass, List<String> jvmOptions, String... args) throws IOException {
        return start(command(mainClass, jvmOptions, args));
    }

    static ChildJvm start(List<String> command) throws IOException {
        return new ChildJvm(new ProcessBuilder(command).start());
    }

    private static void pump(InputStream stream, java.util.function.Consumer<String> line, Runnable atEnd, String what) {
        Thread t = new Thread(() -> {
            try (BufferedReader r = new BufferedReader(new InputStreamReader(stream, StandardCharsets.UTF_8))) {
                for (String l; (l = r.readLine()) != null; ) {
                    line.accept(l);
                }
            } catch (IOException e) {
                // the child is gone
            } finally {
                atEnd.run();
            }
        }, "child-" + what);
        t.setDaemon(true);
        t.start();
    }

    long pid() {
        return process.pid();
    }

    /** The child's next stdout line, failing after {@code seconds}. */
    String line(int seconds) throws InterruptedException {
        String l = out.poll(seconds, TimeUnit.SECONDS);
        if (l == null) {
            throw new AssertionError("child " + pid() + " said nothing for " + seconds + " s");
        }
        if (l.equals(EOF)) {
            out.add(EOF);
            throw new AssertionError("child " + pid() + " closed its stdout (exit " + exitValueOrNull() + ")");
        }
        return l;
    }

    /** Sends {@code command} and returns the answer line. */
    String ask(String command, int seconds) throws InterruptedException {
        in.println(command);
        return line(seconds);
    }

    private Integer exitValueOrNull() {
        try {
            process.waitFor(1, TimeUnit.SECONDS);
            return process.isAlive() ? null : process.exitValue();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return null;
        }
    }

    @Override
    public void close() {
        process.destroyForcibly();
        try {
            process.waitFor(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** True if process {@code pid} is gone or a zombie (dead, not yet reaped: nobody may reap an orphan here). */
    static boolean deadOrZombie(long pid) {
        try {
            String stat = java.nio.file.Files.readString(java.nio.file.Path.of("/proc/" + pid + "/stat"));
            char state = stat.charAt(stat.lastIndexOf(')') + 2);
            return state == 'Z' || state == 'X';
        } catch (IOException e) {
            return true;
        }
    }
}
