package org.legoos.task;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.channels.Channels;
import java.nio.channels.Pipe;
import java.nio.file.Files;
import java.util.List;
import org.legoos.api.LegoContext;
import org.legoos.api.LegoProgram;
import org.legoos.task.channel.Body;
import org.legoos.task.channel.Frame;
import org.legoos.task.channel.StartMessage;
import org.legoos.task.channel.Syscall;
import org.legoos.task.channel.SyscallClient;
import org.legoos.task.channel.SyscallStatus;
import org.legoos.task.sys.Linux;
import org.legoos.task.sys.Native;
import org.legoos.task.sys.Sandbox;

/**
 * A training run of the task runtime for its AOT cache: the real start-up path (channel, streams, file system, program
 * loading, exit report) against a fake monitor in the same JVM that answers every file call with "no such file".
 */
final class Training {
    private Training() {
    }

    /** What the training run runs: output both ways, a file lookup, a thread. */
    public static final class Hello implements LegoProgram {
        @Override
        public int main(LegoContext ctx, String[] args) throws Exception {
            ctx.out().println("hello from pid " + ctx.pid() + " " + List.of(args));
            System.out.println("System.out works too");
            ctx.err().printf("%s=%d%n", "cores", ctx.cores());
            boolean exists = Files.exists(ctx.fileSystem().getPath("/etc/hello.txt"));
            Thread t = ctx.startThread("worker", () -> ctx.out().println("exists=" + exists));
            t.join();
            return 0;
        }
    }

    static void run() throws Exception {
        PrintStream realOut = System.out;
        PrintStream realErr = System.err;
        Pipe up = Pipe.open();
        Pipe down = Pipe.open();
        DataOutputStream toTask = new DataOutputStream(Channels.newOutputStream(down.sink()));
        DataInputStream fromTask = new DataInputStream(Channels.newInputStream(up.source()));
        SyscallClient client = new SyscallClient(Channels.newInputStream(down.source()), Channels.newOutputStream(up.sink()));
        Thread monitor = Thread.ofPlatform().start(() -> fakeMonitor(fromTask, toTask));
        new Frame(Frame.MESSAGE, 0, Syscall.START.number(), new StartMessage(1, ProcessHandle.current().pid(), "train", "hello",
                List.of("a"), 1, Hello.class.getName()).encode()).write(toTask);
        toTask.flush();
        Frame start = client.readMessage();
        new TaskMain(true).run(client, StartMessage.decode(start.body()), true);
        exerciseNative();
        toTask.close();
        monitor.join(10_000);
        System.setOut(realOut);
        System.setErr(realErr);
    }

    /**
     * The native layer a real task uses before its program runs (the training run attaches no memory and enters no
     * sandbox): the FFM linker, the one {@code syscall} downcall, native segments and the sandbox's ABI query, so that
     * their classes are in the cache, loaded and linked, instead of read and verified at every task's start (about
     * 0.1 s). Harmless calls only: a memory file of one page mapped, written and dropped.
     */
    private static void exerciseNative() {
        if (!Native.SUPPORTED) {
            return;
        }
        Linux.getpid();
        Linux.getppid();
        int fd = Linux.memfdCreate("legoos-training", Linux.MFD_CLOEXEC);
        try {
            Linux.ftruncate(fd, 4096);
            long at = Linux.mmap(0, 4096, Linux.PROT_READ | Linux.PROT_WRITE, Linux.MAP_SHARED, fd, 0);
            MemorySegment page = MemorySegment.ofAddress(at).reinterpret(4096);
            page.set(ValueLayout.JAVA_LONG, 0, page.get(ValueLayout.JAVA_LONG, 8) + 1);
            Linux.seekData(fd, 0);
            Linux.fallocate(fd, Linux.FALLOC_FL_PUNCH_HOLE | Linux.FALLOC_FL_KEEP_SIZE, 0, 4096);
            Linux.munmap(at, 4096);
        } finally {
            Linux.close(fd);
        }
        Sandbox.landlockAbi();
    }

    private static void fakeMonitor(DataInputStream in, DataOutputStream out) {
        try {
            Frame f;
            while ((f = Frame.read(in)) != null) {
                if (f.kind() == Frame.REQUEST) {
                    Frame reply = new Frame(Frame.REPLY, f.id(), SyscallStatus.NO_SUCH_FILE.ordinal(),
                            Body.writer().putString("/").putString("training").toByteArray());
                    synchronized (out) {
                        reply.write(out);
                        out.flush();
                    }
                } else if (f.code() == Syscall.EXIT.number()) {
                    return;
                }
            }
        } catch (IOException e) {
            // training over
        }
    }
}
