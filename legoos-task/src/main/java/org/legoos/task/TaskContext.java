package org.legoos.task;

import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.file.FileSystem;
import java.util.List;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.atomic.AtomicInteger;
import org.legoos.api.AddressSpace;
import org.legoos.api.LegoContext;
import org.legoos.task.channel.Body;
import org.legoos.task.channel.Syscall;
import org.legoos.task.channel.SyscallClient;

/**
 * The {@link LegoContext} of a process running in its own JVM: files, memory, spawn and wait are system calls to the
 * process monitor; threads are plain Java threads of this JVM; kill is SIGKILL, so {@link #killed()} is always false.
 * Thread-safe.
 */
final class TaskContext implements LegoContext {
    private final long pid;
    private final String vnode;
    private final int cores;
    private final SyscallClient client;
    private final FileSystem fs;
    private final AddressSpace memory;
    private final PrintStream out;
    private final PrintStream err;
    private final InputStream in;
    private final AtomicInteger threadSeq = new AtomicInteger();

    TaskContext(long pid, String vnode, int cores, SyscallClient client, FileSystem fs, AddressSpace memory, PrintStream out,
                PrintStream err, InputStream in) {
        this.pid = pid;
        this.vnode = vnode;
        this.cores = cores;
        this.client = client;
        this.fs = fs;
        this.memory = memory;
        this.out = out;
        this.err = err;
        this.in = in;
    }

    @Override
    public long pid() {
        return pid;
    }

    @Override
    public String vnode() {
        return vnode;
    }

    @Override
    public AddressSpace memory() {
        return memory;
    }

    @Override
    public FileSystem fileSystem() {
        return fs;
    }

    @Override
    public PrintStream out() {
        return out;
    }

    @Override
    public PrintStream err() {
        return err;
    }

    @Override
    public InputStream in() {
        return in;
    }

    @Override
    public int cores() {
        return cores;
    }

    @Override
    public Thread startThread(String name, Runnable body) {
        Thread t = threadFactory(name).newThread(body);
        t.start();
        return t;
    }

    @Override
    public ThreadFactory threadFactory(String namePrefix) {
        return body -> {
            Thread t = new Thread(body, "pid" + pid + "-" + namePrefix + "-" + threadSeq.incrementAndGet());
            t.setDaemon(true);
            return t;
        };
    }

    @Override
    public ChildProcess spawn(String program, String... args) {
        long child;
        try {
            child = Body.reader(client.call(Syscall.SPAWN, Body.writer().putString(program).putStrings(List.of(args)).toByteArray()))
                    .getLong();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return new ChildProcess() {
            @Override
            public long pid() {
                return child;
            }

            @Override
            public int waitFor() throws InterruptedException {
                try {
                    return Body.reader(client.callInterruptibly(Syscall.WAIT, Body.writer().putLong(child).toByteArray())).getInt();
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            }
        };
    }

    @Override
    public boolean killed() {
        return false;
    }
}
