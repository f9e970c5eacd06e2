package org.legoos.processor;

import java.io.BufferedOutputStream;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystem;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import org.legoos.api.AddressSpace;
import org.legoos.api.LegoContext;
import org.legoos.net.protocol.gm.VNodeInfo;
import org.legoos.net.protocol.pm.ProcessOutput;
import org.legoos.processor.mm.RemoteAddressSpace;

/**
 * One process on this processor component: its address space (in the ExCache and on memory components),
 * its vNode's file system, its threads (all on this component, as LegoOS requires), and its streams.
 *
 * <p>Thread-safe: it is the {@link LegoContext} every thread of the process uses.
 */
final class LegoProcess implements LegoContext {
    final long pid;
    final VNodeInfo vnode;
    final String program;
    final long startedMillis = System.currentTimeMillis();
    final RemoteAddressSpace memory;
    final FileSystem fs;
    private final ProcessMonitor monitor;
    private final PrintStream out;
    private final PrintStream err;
    private final InputStream in;
    final Set<Thread> threads = ConcurrentHashMap.newKeySet();
    private final AtomicInteger threadSeq = new AtomicInteger();
    private volatile boolean killed;
    volatile String state = "RUNNING";

    LegoProcess(ProcessMonitor monitor, long pid, VNodeInfo vnode, String program, RemoteAddressSpace memory, FileSystem fs,
                Consumer<ProcessOutput> output, StdinBuffer stdin) {
        this.monitor = monitor;
        this.pid = pid;
        this.vnode = vnode;
        this.program = program;
        this.memory = memory;
        this.fs = fs;
        this.out = new PrintStream(new BufferedOutputStream(new StreamOutput(pid, 1, output), 8192), true, StandardCharsets.UTF_8);
        this.err = new PrintStream(new BufferedOutputStream(new StreamOutput(pid, 2, output), 8192), true, StandardCharsets.UTF_8);
        this.in = stdin.inputStream();
    }

    @Override
    public long pid() {
        return pid;
    }

    @Override
    public String vnode() {
        return vnode.name();
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
        return monitor.config().cores();
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
            Thread t = new Thread(() -> runCounted(body), "pid" + pid + "-" + namePrefix + "-" + threadSeq.incrementAndGet());
            t.setDaemon(true);
            return t;
        };
    }

    /** Runs a thread body counted against the component's cores. */
    void runCounted(Runnable body) {
        Thread self = Thread.currentThread();
        threads.add(self);
        monitor.threadStarted();
        try {
            body.run();
        } finally {
            monitor.threadEnded();
            threads.remove(self);
        }
    }

    @Override
    public ChildProcess spawn(String program, String... args) {
        var child = monitor.processClient().start(vnode.name(), program, List.of(args), out, err);
        return new ChildProcess() {
            @Override
            public long pid() {
                return child.pid();
            }

            @Override
            public int waitFor() throws InterruptedException {
                return child.waitFor();
            }
        };
    }

    @Override
    public boolean killed() {
        return killed;
    }

    void kill() {
        killed = true;
        state = "KILLED";
        threads.forEach(Thread::interrupt);
    }

    void flushStreams() {
        out.flush();
        err.flush();
    }
}
