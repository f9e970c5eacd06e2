package org.legoos.task;

import java.io.BufferedOutputStream;
import java.io.FileDescriptor;
import java.io.FileInputStream;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystem;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.legoos.api.AddressSpace;
import org.legoos.api.LegoProgram;
import org.legoos.api.SegmentationFault;
import org.legoos.task.channel.Body;
import org.legoos.task.channel.FileSyscalls;
import org.legoos.task.channel.Frame;
import org.legoos.task.channel.StartMessage;
import org.legoos.task.channel.Syscall;
import org.legoos.task.channel.SyscallClient;
import org.legoos.task.fs.LegoFileSystemProvider;
import org.legoos.task.loader.ProgramLoader;
import org.legoos.task.sys.Linux;
import org.legoos.task.sys.Native;
import org.legoos.task.sys.Sandbox;

/**
 * The main class of a task, the JVM of one process-mode LegoOS/J process. Its stdin and stdout are the system-call
 * channel to the processor component's process monitor (nothing else may write to fd 1: {@code System.out} is the
 * process's stdout as channel messages). In order: read the start message, die with the monitor, build the
 * process's {@link org.legoos.api.LegoContext}, enter the sandbox, load the program and run it; then report the exit
 * code, flush and halt. A {@code System.exit(n)} by the program ends the task with {@code n} (the monitor reads the
 * JVM's exit status).
 */
public final class TaskMain {
    /** System property: {@code optional} lets a task run without the sandbox when the native bindings are missing. */
    public static final String SANDBOX_PROPERTY = "legoos.task.sandbox";
    /**
     * System property: the OS pid of the processor component that started this task. The task binds its life to it
     * first thing, before it waits for its program: a JVM started ahead (a warm task) must die with its processor too.
     */
    public static final String MONITOR_PID_PROPERTY = "legoos.task.monitorPid";
    /** Exit code of a segmentation fault (128 + SIGSEGV). */
    public static final int EXIT_SEGFAULT = 139;
    /** Exit code of a memory access the monitor could not serve (128 + SIGBUS: a poisoned page). */
    public static final int EXIT_MEMORY_ERROR = 135;
    /** Exit code when the program cannot be loaded in the task. */
    public static final int EXIT_CANNOT_LOAD = 127;
    /** Exit code when the task itself cannot start (bad start message, sandbox refused). */
    public static final int EXIT_TASK_FAILED = 126;
    /** Argument for a training run (to make an AOT cache): the runtime runs a small program against a fake monitor. */
    public static final String TRAIN = "--train";

    private static volatile PrintStream diag = System.err;

    public static void main(String[] argv) throws Exception {
        if (argv.length == 1 && argv[0].equals(TRAIN)) {
            Training.run();
            return;
        }
        // fd 1 is the channel: nothing may print there but it
        PrintStream rawErr = new PrintStream(new FileOutputStream(FileDescriptor.err), true, StandardCharsets.UTF_8);
        String monitor = System.getProperty(MONITOR_PID_PROPERTY);
        if (monitor != null) {
            try {
                Sandbox.dieWithParent(Long.parseLong(monitor));
            } catch (UnsupportedOperationException | NumberFormatException e) {
                // checked again with the START message, where a failure ends the task unless the sandbox is optional
            }
        }
        diag = rawErr;
        System.setOut(rawErr);
        SyscallClient client = new SyscallClient(new FileInputStream(FileDescriptor.in), new FileOutputStream(FileDescriptor.out));
        StartMessage start;
        try {
            Frame f = client.readMessage();
            if (f.code() != Syscall.START.number()) {
                throw new IllegalStateException("first message is #" + f.code() + ", not START");
            }
            start = StartMessage.decode(f.body());
        } catch (IOException | RuntimeException e) {
            rawErr.println("legoos task: no start message: " + e);
            halt(EXIT_TASK_FAILED);
            return;
        }
        boolean sandboxOptional = "optional".equals(System.getProperty(SANDBOX_PROPERTY));
        try {
            Sandbox.dieWithParent(start.monitorPid());
        } catch (UnsupportedOperationException e) {
            if (!sandboxOptional) {
                rawErr.println("legoos task: cannot bind the task's life to the processor component: " + e.getMessage());
                halt(EXIT_TASK_FAILED);
            }
        }
        new TaskMain(false).run(client, start, sandboxOptional);
    }

    private final boolean training;
    private PrintStream out;
    private PrintStream err;
    private SyscallClient client;

    TaskMain(boolean training) {
        this.training = training;
    }

    /** Runs the process; halts at the end (a training run returns instead). */
    void run(SyscallClient client, StartMessage start, boolean sandboxOptional) {
        this.client = client;
        TaskStreams.Input stdin = new TaskStreams.Input(client);
        client.start((op, body) -> {
            // no one-way messages to a task after START: stdin is read with STDIN_READ calls
        }, why -> {
            if (training) {
                return;
            }
            // the monitor is gone: so is this process (PR_SET_PDEATHSIG does the same when the bindings are there)
            diag.println("legoos task pid " + start.pid() + ": " + why + "; exiting");
            halt(EXIT_TASK_FAILED);
        });
        out = new PrintStream(new BufferedOutputStream(new TaskStreams.Output(client, Syscall.STDOUT), 8192), true, StandardCharsets.UTF_8);
        err = new PrintStream(new BufferedOutputStream(new TaskStreams.Output(client, Syscall.STDERR), 8192), true, StandardCharsets.UTF_8);
        System.setOut(out);
        System.setErr(err);
        System.setIn(stdin);
        Runtime.getRuntime().addShutdownHook(new Thread(this::flush, "flush-streams")); // System.exit(n) by the program
        int code;
        String error = "";
        try {
            FileSystem fs = new LegoFileSystemProvider().newFileSystem(start.vnode(), FileSyscalls.client(client));
            TaskAddressSpace space = training ? null : TaskAddressSpace.attach(client);
            memory = space;
            TaskContext ctx = new TaskContext(start.pid(), start.vnode(), start.cores(), client, fs, space, out, err, stdin);
            if (!training) {
                enterSandbox(sandboxOptional);
            }
            LegoProgram program;
            try {
                program = load(start, fs);
            } catch (IOException | RuntimeException | LinkageError e) {
                error = "cannot load program " + start.program() + ": " + e.getMessage();
                err.println(error);
                exit(EXIT_CANNOT_LOAD, error);
                return;
            }
            try {
                code = program.main(ctx, start.args().toArray(String[]::new));
            } catch (SegmentationFault e) {
                code = EXIT_SEGFAULT;
                error = "Segmentation fault: " + e.getMessage();
                err.println(error);
            } catch (InternalError e) {
                code = EXIT_MEMORY_ERROR;
                error = "memory error: " + describeMemoryError(e, client);
                err.println(error);
                printStackTrace(e);
            } catch (Throwable t) {
                code = 1;
                error = String.valueOf(t);
                printStackTrace(t);
            }
            try {
                fs.close();
            } catch (IOException | RuntimeException e) {
                err.println("closing files failed: " + e);
            }
        } catch (Throwable t) {
            code = EXIT_TASK_FAILED;
            error = "task failed: " + t;
            printStackTrace(t);
        }
        exit(code, error);
    }

    private void printStackTrace(Throwable t) {
        StringWriter sw = new StringWriter();
        t.printStackTrace(new PrintWriter(sw));
        err.print(sw);
    }

    /**
     * What the process's error says of an {@link InternalError} a memory access raised (a page the monitor poisoned
     * because it could not serve it): the memory side fills this in, asking the monitor with {@link Syscall#FAULT}
     * which address failed and why. Until then the error's own message.
     */
    /** The process's address space, for {@link #describeMemoryError}; null before it is attached. */
    private static volatile TaskAddressSpace memory;

    static String describeMemoryError(InternalError e, SyscallClient client) {
        String why = memory == null ? null : memory.explainLastFault();
        return why != null ? why : String.valueOf(e.getMessage());
    }

    /**
     * Enters the sandbox: only the JDK, the random devices and this task's class path may be read. Without native
     * bindings the sandbox is skipped only when the monitor said so ({@code -Dlegoos.task.sandbox=optional}); otherwise
     * the task fails.
     */
    private static void enterSandbox(boolean optional) {
        try {
            Sandbox.enter(sandboxPolicy());
        } catch (UnsupportedOperationException e) {
            if (!optional) {
                throw new IllegalStateException("sandbox unavailable: " + e.getMessage(), e);
            }
        }
    }

    /**
     * Read-only: {@link Sandbox.Policy#jvm} of this JVM's class path entries, i.e. the JDK home, {@code /dev/random} and
     * {@code /dev/urandom} (without them the first {@code SecureRandom}, behind {@code File.createTempFile} and
     * {@code UUID.randomUUID()}, seeds itself from thread timing: seconds) and the class path.
     */
    static Sandbox.Policy sandboxPolicy() {
        List<Path> classPath = new ArrayList<>();
        for (String e : System.getProperty("java.class.path", "").split(java.io.File.pathSeparator)) {
            if (!e.isEmpty()) {
                classPath.add(Path.of(e).toAbsolutePath());
            }
        }
        return Sandbox.Policy.jvm(classPath);
    }

    private static LegoProgram load(StartMessage start, FileSystem fs) throws IOException, ClassNotFoundException {
        Map<String, Class<? extends LegoProgram>> bundled = Map.of();
        if (!start.bundledClass().isEmpty()) {
            Class<?> c = Class.forName(start.bundledClass(), false, TaskMain.class.getClassLoader());
            if (!LegoProgram.class.isAssignableFrom(c)) {
                throw new IllegalArgumentException(c.getName() + " does not implement " + LegoProgram.class.getName());
            }
            bundled = Map.of(ProgramLoader.bundledName(start.program()), c.asSubclass(LegoProgram.class));
        }
        return new ProgramLoader(bundled).load(start.program(), fs);
    }

    private void flush() {
        out.flush();
        err.flush();
    }

    /** Reports the exit to the monitor, then halts (no shutdown hooks: the streams are flushed here). */
    private void exit(int code, String error) {
        flush();
        try {
            client.message(Syscall.EXIT, Body.writer().putInt(code).putString(error).toByteArray());
        } catch (IOException | RuntimeException e) {
            diag.println("legoos task: exit report failed: " + e);
        }
        if (!training) {
            halt(code);
        }
    }

    /**
     * Ends the task with {@code code} after its exit was reported: {@code exit_group} where the bindings are there
     * ({@link Linux#exitGroup}: {@code Runtime.halt} would spend up to 300 ms in the JVM's final safepoint waiting for
     * this task's threads blocked in native reads and polls, a third of a short program's run), else {@code halt}.
     */
    private static void halt(int code) {
        if (Native.SUPPORTED) {
            Linux.exitGroup(code);
        }
        Runtime.getRuntime().halt(code);
    }
}
