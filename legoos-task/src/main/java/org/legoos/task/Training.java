package org.legoos.task;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.PrintStream;
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
        toTask.close();
        monitor.join(10_000);
        System.setOut(realOut);
        System.setErr(realErr);
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
