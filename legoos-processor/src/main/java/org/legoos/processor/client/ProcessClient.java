package org.legoos.processor.client;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.legoos.api.ComponentUnavailableException;
import org.legoos.api.LegoException;
import org.legoos.net.protocol.gm.PlaceProcess;
import org.legoos.net.protocol.gm.Placement;
import org.legoos.net.protocol.gm.ProcessExited;
import org.legoos.net.protocol.gm.VNodeGet;
import org.legoos.net.protocol.gm.VNodeInfo;
import org.legoos.net.protocol.pm.InputAccepted;
import org.legoos.net.protocol.pm.KillProcess;
import org.legoos.net.protocol.pm.ProcessExit;
import org.legoos.net.protocol.pm.ProcessInput;
import org.legoos.net.protocol.pm.ProcessOutput;
import org.legoos.net.protocol.pm.StartProcess;
import org.legoos.net.rpc.RpcNode;

/**
 * Launches processes in a vNode the way LegoOS does: the GPM places the process on a processor component and
 * the GMM picks its home memory component ({@code GM_PLACE_PROCESS}), then the processor is asked to start it
 * ({@code PM_START}); stdout/stderr and the exit stream back as one-way messages. Standard input, if given, is sent to
 * the processor in chunks ({@code PM_INPUT}) by a thread of its own, which waits when the process's input buffer is full
 * and stops when the process exits. Used by clients (the CLI, the demo) and by processes spawning children.
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
     * Places and starts {@code program} in {@code vnode} without standard input (it reads EOF at once); output is written
     * to {@code out} and {@code err} as it arrives (from the transport's delivery thread).
     *
     * @throws LegoException if placement or start fails (unknown vNode, quota, no processor, unknown program...)
     */
    public Running start(String vnode, String program, List<String> args, OutputStream out, OutputStream err) {
        return start(vnode, program, args, null, out, err);
    }

    /**
     * Places and starts {@code program} in {@code vnode}, sending {@code stdin} (null: none, the program reads EOF at
     * once) as its standard input and writing its output to {@code out} and {@code err} as it arrives (from the
     * transport's delivery thread).
     *
     * <p>{@code stdin} is read by a daemon thread of this client until its end, which the program then sees as its end of
     * input; the thread waits while the program's input buffer on the processor is full. It stops early when the program
     * exits (unsent input is dropped; {@code stdin} is not closed, so the thread may stay blocked in a read of a stream
     * that never ends). {@link Running#inputDone()} completes with the number of bytes the processor took.
     *
     * @throws LegoException if placement or start fails (unknown vNode, quota, no processor, unknown program...)
     */
    public Running start(String vnode, String program, List<String> args, InputStream stdin, OutputStream out, OutputStream err) {
        VNodeInfo info = rpc.call(managerNode, new VNodeGet(vnode));
        Placement p = rpc.call(managerNode, new PlaceProcess(info.id(), 1));
        Running r = new Running(p.pid(), p.processorNode(), program, out, err);
        running.put(p.pid(), r);
        try {
            rpc.call(p.processorNode(), new StartProcess(p.pid(), p.vnode(), p.homeMemoryNode(), program, args, stdin != null));
        } catch (LegoException e) {
            running.remove(p.pid());
            rpc.send(managerNode, new ProcessExited(p.pid(), info.id()));
            throw e;
        }
        if (stdin == null) {
            r.inputDone.complete(0L);
        } else {
            Thread.ofPlatform().daemon().name(rpc.name() + "-pid" + p.pid() + "-stdin").start(() -> pumpInput(r, stdin));
        }
        return r;
    }

    /** How long the input thread waits before sending a chunk again after its processor was briefly unreachable. */
    private static final long INPUT_RETRY_MILLIS = 100;

    /**
     * Sends {@code stdin} to the process in chunks of at most {@link ProcessInput#MAX_CHUNK}, each from where the
     * processor says it holds the stream up to (so a partly taken chunk is sent again from there, and a retried one is
     * not taken twice), then the end of input. The processor answers a full buffer after a bounded wait, so this thread
     * waits there rather than polling. Stops when the process exits or refuses input.
     */
    private void pumpInput(Running r, InputStream stdin) {
        byte[] buf = new byte[ProcessInput.MAX_CHUNK];
        long offset = 0;
        try {
            while (!r.exit.isDone()) {
                int n;
                try {
                    n = stdin.read(buf);
                } catch (IOException e) {
                    r.inputError = "reading standard input failed: " + e.getMessage();
                    n = -1; // the program sees the end of its input
                }
                boolean end = n < 0;
                byte[] chunk = end ? new byte[0] : java.util.Arrays.copyOf(buf, n);
                long last = offset + chunk.length;
                while (true) {
                    if (r.exit.isDone()) {
                        return;
                    }
                    InputAccepted a;
                    try {
                        a = rpc.call(r.processorNode, new ProcessInput(r.pid, offset, chunk, end));
                    } catch (ComponentUnavailableException e) {
                        Thread.sleep(INPUT_RETRY_MILLIS); // a retry is harmless: offsets make it idempotent
                        continue;
                    }
                    if (!a.refused().isEmpty()) {
                        r.inputError = a.refused();
                        return;
                    }
                    if (a.received() > offset) {
                        chunk = java.util.Arrays.copyOfRange(chunk, (int) Math.min(chunk.length, a.received() - offset),
                                chunk.length);
                        offset = Math.min(a.received(), last);
                    }
                    if (offset == last && (!end || a.eof())) {
                        break;
                    }
                }
                if (end) {
                    return;
                }
            }
        } catch (LegoException e) {
            // NOT_FOUND: the process is gone (its exit is on the way); anything else is a bug worth reporting
            if (!r.exit.isDone()) {
                r.inputError = "standard input not delivered: " + e.getMessage();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            r.inputDone.complete(offset);
        }
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
                    if (m.state() == org.legoos.api.ComponentState.DEAD) {
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
        private final CompletableFuture<Long> inputDone = new CompletableFuture<>();
        private volatile String error = "";
        private volatile String inputError = "";

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

        /**
         * Completes when this client stops sending the process's standard input (all of it sent, the process exited or
         * refused it), with the number of bytes the processor took; at once (with 0) for a process without stdin.
         */
        public CompletableFuture<Long> inputDone() {
            return inputDone;
        }

        /** Why not all of the standard input was delivered (e.g. "pid 5 exited"); empty if it was, or is still going. */
        public String inputError() {
            return inputError;
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
