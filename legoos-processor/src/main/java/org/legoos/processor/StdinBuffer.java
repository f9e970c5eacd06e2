package org.legoos.processor;

import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import org.legoos.net.protocol.pm.InputAccepted;
import org.legoos.net.protocol.pm.ProcessInput;

/**
 * The standard input of one process on this processor: a bounded ring of bytes the launching client fills with
 * {@code PM_INPUT} chunks ({@link #offer}) and the process drains ({@link #read}).
 *
 * <p>Backpressure: a full buffer takes nothing more; an offer waits a bounded time for room and then answers with how
 * much of the stream it holds, so the client sends the rest again (never an unbounded queue on the processor). Chunks
 * carry their stream offset: bytes before {@link #received()} are skipped, so a retried chunk is not taken twice; a gap
 * (an offset past what was received) is refused. After the end of input the reader gets EOF once the buffer is empty.
 * When the process exits (or closes its stdin) the buffer is {@link #close closed}: buffered bytes are dropped, readers
 * see EOF and offers are refused with the reason.
 *
 * <p>Thread-safe; readers block without polling.
 */
public final class StdinBuffer {
    /** Bytes of unread input a process may have waiting on its processor. */
    public static final int DEFAULT_CAPACITY = 256 * 1024;

    private final long pid;
    private final byte[] ring;
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition readable = lock.newCondition();
    private final Condition writable = lock.newCondition();
    private int head;
    private int count;
    private long received;
    private boolean eof;
    private String closed;

    /** A buffer; {@code hasInput} false means the client sends none: the input has already ended. */
    public StdinBuffer(long pid, int capacity, boolean hasInput) {
        if (capacity < 1) {
            throw new IllegalArgumentException("capacity " + capacity);
        }
        this.pid = pid;
        this.ring = new byte[capacity];
        this.eof = !hasInput;
    }

    /**
     * Takes a chunk of input starting at stream offset {@code offset}: the part not received yet, as much as fits. If
     * nothing fits, waits up to {@code maxWait} for the process to read. The end of input is taken only with (or after)
     * the last byte.
     *
     * @return how much of the stream the buffer has taken, whether it took the end, and why it takes nothing more
     * @throws IllegalArgumentException a negative offset, a chunk larger than {@link ProcessInput#MAX_CHUNK}, an offset
     *     past the bytes received (a gap), or bytes after the end of input; nothing is taken then
     */
    public InputAccepted offer(long offset, byte[] data, boolean end, long maxWait, TimeUnit unit) throws InterruptedException {
        if (offset < 0) {
            throw new IllegalArgumentException("pid " + pid + ": negative input offset " + offset);
        }
        if (data.length > ProcessInput.MAX_CHUNK) {
            throw new IllegalArgumentException("pid " + pid + ": input chunk of " + data.length + " bytes is larger than "
                    + ProcessInput.MAX_CHUNK);
        }
        long nanos = unit.toNanos(maxWait);
        lock.lock();
        try {
            if (closed != null) {
                return answer();
            }
            if (offset > received) {
                throw new IllegalArgumentException("pid " + pid + ": input offset " + offset + " is past the " + received
                        + " bytes received; send from " + received);
            }
            long last = offset + data.length;
            if (eof && last > received) {
                throw new IllegalArgumentException("pid " + pid + ": its input already ended at " + received + " bytes");
            }
            if (end && last < received) {
                throw new IllegalArgumentException("pid " + pid + ": input cannot end at " + last + " bytes, " + received
                        + " were received");
            }
            int skip = (int) Math.min(data.length, received - offset);
            int left = data.length - skip;
            while (left > 0 && count == ring.length && closed == null && nanos > 0) {
                nanos = writable.awaitNanos(nanos);
            }
            if (closed != null) {
                return answer();
            }
            int n = Math.min(left, ring.length - count);
            int tail = (head + count) % ring.length;
            int first = Math.min(n, ring.length - tail);
            System.arraycopy(data, skip, ring, tail, first);
            System.arraycopy(data, skip + first, ring, 0, n - first);
            count += n;
            received += n;
            if (end && n == left) {
                eof = true;
            }
            if (n > 0 || eof) {
                readable.signalAll();
            }
            return answer();
        } finally {
            lock.unlock();
        }
    }

    private InputAccepted answer() {
        return new InputAccepted(received, eof, closed == null ? "" : closed);
    }

    /**
     * Reads up to {@code len} bytes, blocking until at least one is there or the input ended (then -1).
     *
     * @throws InterruptedIOException if interrupted while waiting (nothing is taken)
     */
    public int read(byte[] b, int off, int len) throws InterruptedIOException {
        java.util.Objects.checkFromIndexSize(off, len, b.length);
        if (len == 0) {
            return 0;
        }
        lock.lock();
        try {
            while (count == 0 && !eof && closed == null) {
                try {
                    readable.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new InterruptedIOException("interrupted reading the standard input of pid " + pid);
                }
            }
            if (count == 0) {
                return -1;
            }
            int n = Math.min(len, count);
            int first = Math.min(n, ring.length - head);
            System.arraycopy(ring, head, b, off, first);
            System.arraycopy(ring, 0, b, off + first, n - first);
            head = (head + n) % ring.length;
            count -= n;
            writable.signalAll();
            return n;
        } finally {
            lock.unlock();
        }
    }

    /** Bytes waiting to be read. */
    public int available() {
        lock.lock();
        try {
            return count;
        } finally {
            lock.unlock();
        }
    }

    /** How many bytes of the stream have been taken (the offset the next chunk should start at). */
    public long received() {
        lock.lock();
        try {
            return received;
        } finally {
            lock.unlock();
        }
    }

    /**
     * No more input is read ({@code why}: the process exited, or closed its stdin): drops what is buffered, readers see
     * EOF, later offers are answered with {@code why}. Only the first reason is kept.
     */
    public void close(String why) {
        lock.lock();
        try {
            if (closed == null) {
                closed = why;
                count = 0;
                readable.signalAll();
                writable.signalAll();
            }
        } finally {
            lock.unlock();
        }
    }

    /** The process's view: a blocking stream; closing it closes the buffer (further input is refused). */
    public InputStream inputStream() {
        return new InputStream() {
            @Override
            public int read() throws IOException {
                byte[] one = new byte[1];
                return StdinBuffer.this.read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
            }

            @Override
            public int read(byte[] b, int off, int len) throws IOException {
                return StdinBuffer.this.read(b, off, len);
            }

            @Override
            public int available() {
                return StdinBuffer.this.available();
            }

            @Override
            public void close() {
                StdinBuffer.this.close("pid " + pid + " closed its standard input");
            }
        };
    }
}
