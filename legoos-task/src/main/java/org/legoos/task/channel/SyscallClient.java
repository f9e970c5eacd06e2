package org.legoos.task.channel;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.BiConsumer;
import org.legoos.api.ComponentUnavailableException;

/**
 * The task side of the system-call channel: calls to the process monitor over the task's stdout (requests) and
 * stdin (replies and messages). Many threads may call at once: each request carries an id and its caller waits for
 * the reply with that id, which a single reader thread hands over. If the channel breaks (the monitor went away),
 * every waiting and later call fails with {@link ComponentUnavailableException}.
 *
 * <p>Thread-safe.
 */
public final class SyscallClient implements AutoCloseable {
    private final DataInputStream in;
    private final DataOutputStream out;
    private final ReentrantLock writeLock = new ReentrantLock();
    private final Map<Integer, CompletableFuture<Frame>> pending = new ConcurrentHashMap<>();
    private final AtomicInteger ids = new AtomicInteger();
    private volatile String broken;
    private Thread reader;

    public SyscallClient(InputStream fromMonitor, OutputStream toMonitor) {
        this.in = new DataInputStream(new BufferedInputStream(fromMonitor, 64 * 1024));
        this.out = new DataOutputStream(new BufferedOutputStream(toMonitor, 64 * 1024));
    }

    /**
     * Reads the next frame directly, before {@link #start}: the task's start message.
     *
     * @throws ChannelProtocolException if it is not a one-way message from the monitor
     */
    public Frame readMessage() throws IOException {
        Frame f = Frame.read(in);
        if (f == null) {
            throw new java.io.EOFException("channel closed before the start message");
        }
        if (f.kind() != Frame.MESSAGE) {
            throw new ChannelProtocolException("expected a message, got frame kind " + f.kind());
        }
        return f;
    }

    /**
     * Starts the reader thread: replies go to their callers, one-way messages to {@code messages} (on the reader
     * thread, in order), and {@code onClose} runs once when the channel ends (with the reason).
     */
    public synchronized void start(BiConsumer<Syscall, byte[]> messages, java.util.function.Consumer<String> onClose) {
        if (reader != null) {
            throw new IllegalStateException("already started");
        }
        reader = Thread.ofPlatform().daemon().name("syscall-reader").start(() -> {
            String why = "channel closed by the processor component";
            try {
                Frame f;
                while ((f = Frame.read(in)) != null) {
                    if (f.kind() == Frame.REPLY) {
                        CompletableFuture<Frame> w = pending.remove(f.id());
                        if (w != null) {
                            w.complete(f);
                        }
                    } else if (f.kind() == Frame.MESSAGE) {
                        Syscall op = Syscall.of(f.code());
                        if (op != null && op.kind() == Syscall.Kind.TO_TASK) {
                            messages.accept(op, f.body());
                        }
                    }
                }
            } catch (IOException | RuntimeException e) {
                why = "channel to the processor component failed: " + e;
            }
            fail(why);
            onClose.accept(why);
        });
    }

    private void fail(String why) {
        broken = why;
        for (var e : pending.entrySet()) {
            if (pending.remove(e.getKey(), e.getValue())) {
                e.getValue().completeExceptionally(new ComponentUnavailableException(why));
            }
        }
    }

    /**
     * Makes a system call and waits for its answer (not interruptibly).
     *
     * @return the reply body
     * @throws IOException the file-system errors the monitor reported (NoSuchFileException, ...)
     * @throws RuntimeException the other errors (SegmentationFault, IllegalArgumentException, NoMemoryException,
     *     QuotaExceededException, ComponentUnavailableException, or a LegoException with status ERROR)
     */
    public byte[] call(Syscall op, byte[] body) throws IOException {
        CompletableFuture<Frame> w = send(op, body);
        boolean interrupted = false;
        try {
            while (true) {
                try {
                    return unwrap(w.get());
                } catch (InterruptedException e) {
                    interrupted = true;
                } catch (ExecutionException e) {
                    throw rethrow(e.getCause());
                }
            }
        } finally {
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /** Like {@link #call}, but gives up waiting if the caller is interrupted (the request itself still runs). */
    public byte[] callInterruptibly(Syscall op, byte[] body) throws IOException, InterruptedException {
        CompletableFuture<Frame> w = send(op, body);
        try {
            return unwrap(w.get());
        } catch (ExecutionException e) {
            throw rethrow(e.getCause());
        }
    }

    private static RuntimeException rethrow(Throwable t) throws IOException {
        if (t instanceof IOException io) {
            throw io;
        }
        if (t instanceof RuntimeException r) {
            throw r;
        }
        throw new IllegalStateException(t);
    }

    private CompletableFuture<Frame> send(Syscall op, byte[] body) {
        if (op.kind() != Syscall.Kind.CALL) {
            throw new IllegalArgumentException(op + " is not a call");
        }
        String b = broken;
        if (b != null) {
            throw new ComponentUnavailableException(b);
        }
        int id = ids.incrementAndGet();
        CompletableFuture<Frame> w = new CompletableFuture<>();
        pending.put(id, w);
        try {
            write(new Frame(Frame.REQUEST, id, op.number(), body));
        } catch (IOException e) {
            pending.remove(id);
            throw new ComponentUnavailableException("channel to the processor component failed: " + e);
        }
        if (broken != null && pending.remove(id, w)) {
            throw new ComponentUnavailableException(broken);
        }
        return w;
    }

    private static byte[] unwrap(Frame reply) throws IOException {
        SyscallStatus status = SyscallStatus.of(reply.code());
        if (status == SyscallStatus.OK) {
            return reply.body();
        }
        if (status == null) {
            throw new org.legoos.api.LegoException("ERROR", "unknown system call status " + reply.code());
        }
        Body.Reader r = Body.reader(reply.body());
        Exception e = status.exception(r.getString(), r.getString());
        if (e instanceof IOException io) {
            throw io;
        }
        throw (RuntimeException) e;
    }

    /** Sends a one-way message to the monitor (output, exit). */
    public void message(Syscall op, byte[] body) throws IOException {
        if (op.kind() != Syscall.Kind.TO_MONITOR) {
            throw new IllegalArgumentException(op + " is not a message to the monitor");
        }
        write(new Frame(Frame.MESSAGE, 0, op.number(), body));
    }

    private void write(Frame f) throws IOException {
        writeLock.lock();
        try {
            f.write(out);
            out.flush();
        } finally {
            writeLock.unlock();
        }
    }

    /** Stops using the channel: waiting calls fail. The streams are the process's; they are not closed. */
    @Override
    public void close() {
        fail("channel closed");
    }
}
