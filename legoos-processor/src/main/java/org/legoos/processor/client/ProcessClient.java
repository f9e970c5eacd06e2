package org.legoos.processor.client;

import java.io.IOException;
import java.io.OutputStream;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.legoos.api.LegoException;
import org.legoos.net.protocol.gm.PlaceProcess;
import org.legoos.net.protocol.gm.Placement;
import org.legoos.net.protocol.gm.ProcessExited;
import org.legoos.net.protocol.gm.VNodeGet;
import org.legoos.net.protocol.gm.VNodeInfo;
import org.legoos.net.protocol.pm.KillProcess;
import org.legoos.net.protocol.pm.ProcessExit;
import org.legoos.net.protocol.pm.ProcessOutput;
import org.legoos.net.protocol.pm.StartProcess;
import org.legoos.net.rpc.RpcNode;

/**
 * Launches processes in a vNode the way LegoOS does: the GPM places the process on a processor component and
 * the GMM picks its home memory component ({@code GM_PLACE_PROCESS}), then the processor is asked to start it
 * ({@code PM_START}); stdout/stderr and the exit stream back as one-way messages. Used by clients (the CLI, the
 * demo) and by processes spawning children.
 *
 * <p>One per {@link RpcNode} (it registers the output and exit handlers). Thread-safe.
 */
public final class ProcessClient {
    private final RpcNode rpc;
    private final int managerNode;
    private final Map<Long, Running> running = new ConcurrentHashMap<>();

    public ProcessClient(RpcNode rpc, int managerNode) {
        this.rpc = rpc;
        this.managerNode = managerNode;
        rpc.onMessage(ProcessOutput.class, (m, ctx) -> {
            Running r = running.get(m.pid());
            if (r != null) {
                r.output(m.stream(), m.data());
            }
        });
        rpc.onMessage(ProcessExit.class, (m, ctx) -> {
            Running r = running.remove(m.pid());
            if (r != null) {
                r.exited(m.exitCode(), m.error());
            }
        });
    }

    /**
     * Places and starts {@code program} in {@code vnode}; output is written to {@code out} and {@code err} as it
     * arrives (from the transport's delivery thread).
     *
     * @throws LegoException if placement or start fails (unknown vNode, quota, no processor, unknown program...)
     */
    public Running start(String vnode, String program, List<String> args, OutputStream out, OutputStream err) {
        VNodeInfo info = rpc.call(managerNode, new VNodeGet(vnode));
        Placement p = rpc.call(managerNode, new PlaceProcess(info.id(), 1));
        Running r = new Running(p.pid(), p.processorNode(), program, out, err);
        running.put(p.pid(), r);
        try {
            rpc.call(p.processorNode(), new StartProcess(p.pid(), p.vnode(), p.homeMemoryNode(), program, args, false));
        } catch (LegoException e) {
            running.remove(p.pid());
            rpc.send(managerNode, new ProcessExited(p.pid(), info.id()));
            throw e;
        }
        return r;
    }

    /** Asks the processor running {@code pid} to kill it. */
    public void kill(int processorNode, long pid) {
        rpc.call(processorNode, new KillProcess(pid));
    }

    /**
     * Checks, every {@code period}, whether the manager has declared dead (missed heartbeats) a processor component
     * running one of this client's processes, and fails those processes with exit code {@link #EXIT_COMPONENT_DIED}.
     * Without it a client waits forever for the exit of a process whose processor was killed. Returns a handle to stop.
     */
    public AutoCloseable watchProcessors(java.time.Duration period) {
        var timer = java.util.concurrent.Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, rpc.name() + "-watch");
            t.setDaemon(true);
            return t;
        });
        timer.scheduleWithFixedDelay(() -> {
            if (running.isEmpty()) {
                return;
            }
            try {
                var members = rpc.call(managerNode, new org.legoos.net.protocol.gm.MembersRequest());
                for (var m : members.members()) {
                    if ("DEAD".equals(m.state())) {
                        processorFailed(m.nodeId(), "processor component node " + m.nodeId() + " (" + m.address()
                                + ") died: it stopped answering heartbeats");
                    }
                }
            } catch (LegoException e) {
                // manager unreachable: try again next period
            }
        }, period.toMillis(), period.toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS);
        return timer::shutdownNow;
    }

    /** Exit code reported for a process whose processor component died (the process's fate is unknown, so no signal code). */
    public static final int EXIT_COMPONENT_DIED = 255;

    /** Fails every process running on {@code processorNode} (it was declared dead). */
    public void processorFailed(int processorNode, String why) {
        running.values().removeIf(r -> {
            if (r.processorNode == processorNode) {
                r.exited(EXIT_COMPONENT_DIED, why);
                return true;
            }
            return false;
        });
    }

    /** A process started by this client. */
    public final class Running {
        private final long pid;
        private final int processorNode;
        private final String program;
        private final OutputStream out;
        private final OutputStream err;
        private final CompletableFuture<Integer> exit = new CompletableFuture<>();
        private volatile String error = "";

        Running(long pid, int processorNode, String program, OutputStream out, OutputStream err) {
            this.pid = pid;
            this.processorNode = processorNode;
            this.program = program;
            this.out = out;
            this.err = err;
        }

        public long pid() {
            return pid;
        }

        public int processorNode() {
            return processorNode;
        }

        public String program() {
            return program;
        }

        /** Empty unless the process died of an exception (or its processor failed). */
        public String error() {
            return error;
        }

        private void output(int stream, byte[] data) {
            OutputStream o = stream == 2 ? err : out;
            try {
                synchronized (o) {
                    o.write(data);
                    o.flush();
                }
            } catch (IOException ignored) {
                // the local reader went away; the process keeps running
            }
        }

        private void exited(int code, String why) {
            this.error = why;
            exit.complete(code);
        }

        /** Waits for the exit code. */
        public int waitFor() throws InterruptedException {
            try {
                return exit.get();
            } catch (ExecutionException e) {
                throw new IllegalStateException(e.getCause());
            }
        }

        /** Waits up to {@code timeout}; returns null if still running. */
        public Integer waitFor(Duration timeout) throws InterruptedException {
            try {
                return exit.get(timeout.toNanos(), TimeUnit.NANOSECONDS);
            } catch (TimeoutException e) {
                return null;
            } catch (ExecutionException e) {
                throw new IllegalStateException(e.getCause());
            }
        }

        public CompletableFuture<Integer> onExit() {
            return exit;
        }

        public void kill() {
            ProcessClient.this.kill(processorNode, pid);
        }
    }
}
