package org.legoos.processor.task;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.EnumMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Semaphore;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Consumer;
import org.legoos.task.channel.Body;
import org.legoos.task.channel.ChannelProtocolException;
import org.legoos.task.channel.Frame;
import org.legoos.task.channel.Syscall;
import org.legoos.task.channel.SyscallStatus;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The process monitor's side of one task's system-call channel: it reads the task's frames from the task's stdout,
 * runs each request's {@link Handler} on a virtual thread of its own (a blocked call never holds up another) and
 * writes the reply to the task's stdin; one-way messages (output, exit) go to their listeners in order, on the
 * reader thread.
 *
 * <p>Everything from the task is untrusted: a malformed or oversized frame, an unknown operation, a request for an
 * operation that has no handler or a body a handler cannot parse ({@link ChannelProtocolException}) is a protocol
 * violation: reading stops and {@code onViolation} gets the reason (the monitor kills the task). Handlers and
 * listeners must be registered before {@link #start}. Thread-safe.
 */
public final class TaskChannel implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(TaskChannel.class);
    /** Requests of one task served at once; more wait in the pipe (the task's callers block). */
    static final int MAX_IN_FLIGHT = 256;

    /** Serves one system call: the request's body in, the reply's body out; exceptions travel as a status. */
    @FunctionalInterface
    public interface Handler {
        byte[] apply(byte[] body) throws Exception;
    }

    private final String name;
    private final DataInputStream in;
    private final DataOutputStream out;
    private final Consumer<String> onViolation;
    private final Map<Syscall, Handler> handlers = new EnumMap<>(Syscall.class);
    private final Map<Syscall, Consumer<byte[]>> listeners = new EnumMap<>(Syscall.class);
    private final ReentrantLock writeLock = new ReentrantLock();
    private final Semaphore inFlight = new Semaphore(MAX_IN_FLIGHT);
    private final CompletableFuture<String> ended = new CompletableFuture<>();
    private volatile boolean started;
    private final java.util.concurrent.atomic.AtomicBoolean violated = new java.util.concurrent.atomic.AtomicBoolean();

    /**
     * @param name for logs, e.g. {@code pid 12}
     * @param fromTask the task's stdout
     * @param toTask the task's stdin
     * @param onViolation called once, on the reader thread, with the reason when the task breaks the protocol
     */
    public TaskChannel(String name, InputStream fromTask, OutputStream toTask, Consumer<String> onViolation) {
        this.name = name;
        this.in = new DataInputStream(new BufferedInputStream(fromTask, 64 * 1024));
        this.out = new DataOutputStream(new BufferedOutputStream(toTask, 64 * 1024));
        this.onViolation = onViolation;
    }

    /** Serves {@code op} (a {@link Syscall.Kind#CALL}) with {@code h}. */
    public synchronized void handle(Syscall op, Handler h) {
        if (op.kind() != Syscall.Kind.CALL) {
            throw new IllegalArgumentException(op + " is not a call");
        }
        checkNotStarted();
        handlers.put(op, h);
    }

    /** Passes the task's one-way messages {@code op} (a {@link Syscall.Kind#TO_MONITOR}) to {@code listener}. */
    public synchronized void onMessage(Syscall op, Consumer<byte[]> listener) {
        if (op.kind() != Syscall.Kind.TO_MONITOR) {
            throw new IllegalArgumentException(op + " is not a message from a task");
        }
        checkNotStarted();
        listeners.put(op, listener);
    }

    private void checkNotStarted() {
        if (started) {
            throw new IllegalStateException("channel already started");
        }
    }

    /** Starts reading the task's frames on a virtual thread. */
    public synchronized void start() {
        checkNotStarted();
        started = true;
        Thread.ofVirtual().name(name + "-channel").start(this::readLoop);
    }

    /**
     * Completes when reading ends: with null at the end of the task's stdout, or with the violation's reason.
     */
    public CompletableFuture<String> ended() {
        return ended;
    }

    private void readLoop() {
        String violation = null;
        try {
            Frame f;
            while (!violated.get() && (f = Frame.read(in)) != null) {
                violation = dispatch(f);
                if (violation != null) {
                    break;
                }
            }
        } catch (ChannelProtocolException e) {
            violation = e.getMessage();
        } catch (IOException e) {
            // the task died mid-frame or closed its stdout: its exit tells the rest
            log.debug("{}: channel ended: {}", name, e.toString());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (RuntimeException e) {
            violation = "listener failed: " + e;
        }
        if (violation != null) {
            violate(violation);
        }
        ended.complete(null);
    }

    /** Reports a violation once, stops reading and completes {@link #ended} with the reason. */
    private void violate(String why) {
        if (!violated.compareAndSet(false, true)) {
            return;
        }
        log.warn("{}: killing the task: system-call channel protocol violation: {}", name, why);
        ended.complete(why);
        try {
            onViolation.accept(why);
        } catch (RuntimeException e) {
            log.warn("{}: violation handler failed: {}", name, e.toString());
        }
        try {
            in.close();
        } catch (IOException ignored) {
            // closing anyway
        }
    }

    /** Handles one frame; returns a violation's reason or null. */
    private String dispatch(Frame f) throws InterruptedException {
        if (f.kind() == Frame.MESSAGE) {
            Syscall op = Syscall.of(f.code());
            if (op == null || op.kind() != Syscall.Kind.TO_MONITOR) {
                return "unexpected message " + (op == null ? "#" + f.code() : op);
            }
            Consumer<byte[]> l = listeners.get(op);
            if (l != null) {
                try {
                    l.accept(f.body());
                } catch (ChannelProtocolException e) {
                    return "malformed " + op + ": " + e.getMessage();
                }
            }
            return null;
        }
        if (f.kind() != Frame.REQUEST) {
            return "a task sends no frames of kind " + f.kind();
        }
        Syscall op = Syscall.of(f.code());
        if (op == null || op.kind() != Syscall.Kind.CALL) {
            return "unknown system call #" + f.code();
        }
        Handler h = handlers.get(op);
        if (h == null) {
            return "system call " + op + " is not served here";
        }
        inFlight.acquire();
        Thread.ofVirtual().name(name + "-" + op).start(() -> {
            try {
                serve(op, f.id(), h, f.body());
            } finally {
                inFlight.release();
            }
        });
        return null;
    }

    private void serve(Syscall op, int id, Handler h, byte[] body) {
        Frame reply;
        try {
            byte[] r = h.apply(body);
            if (r.length > Frame.MAX_BODY) {
                reply = error(id, SyscallStatus.ERROR, "", op + " reply of " + r.length + " bytes is too large");
            } else {
                reply = new Frame(Frame.REPLY, id, SyscallStatus.OK.ordinal(), r);
            }
        } catch (ChannelProtocolException e) {
            violate("malformed " + op + " request: " + e.getMessage());
            return;
        } catch (Throwable t) {
            if (t instanceof InterruptedException) {
                Thread.currentThread().interrupt();
            }
            reply = error(id, SyscallStatus.of(t), SyscallStatus.file(t), SyscallStatus.messageOf(t));
        }
        write(reply);
    }

    private static Frame error(int id, SyscallStatus s, String file, String message) {
        return new Frame(Frame.REPLY, id, s.ordinal(), Body.writer().putString(file).putString(message).toByteArray());
    }

    /** Sends a one-way message (a {@link Syscall.Kind#TO_TASK}) to the task; false if the task is gone. */
    public boolean send(Syscall op, byte[] body) {
        if (op.kind() != Syscall.Kind.TO_TASK) {
            throw new IllegalArgumentException(op + " is not a message to a task");
        }
        return write(new Frame(Frame.MESSAGE, 0, op.number(), body));
    }

    private boolean write(Frame f) {
        writeLock.lock();
        try {
            f.write(out);
            out.flush();
            return true;
        } catch (IOException e) {
            log.debug("{}: task gone, frame dropped: {}", name, e.toString());
            return false;
        } finally {
            writeLock.unlock();
        }
    }

    /** Closes the task's stdin (it sees the end of its channel). */
    @Override
    public void close() {
        writeLock.lock();
        try {
            out.close();
        } catch (IOException ignored) {
            // gone already
        } finally {
            writeLock.unlock();
        }
    }
}
