package org.legoos.task;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.Arrays;
import org.legoos.task.channel.Body;
import org.legoos.task.channel.Syscall;
import org.legoos.task.channel.SyscallClient;

/** The process's standard streams inside a task: output as channel messages, input from the monitor with blocking calls. */
final class TaskStreams {
    /** Largest output message. */
    static final int MAX_CHUNK = 64 * 1024;

    private TaskStreams() {
    }

    /** stdout ({@link Syscall#STDOUT}) or stderr ({@link Syscall#STDERR}) as messages; callers buffer in front. */
    static final class Output extends OutputStream {
        private final SyscallClient client;
        private final Syscall stream;

        Output(SyscallClient client, Syscall stream) {
            this.client = client;
            this.stream = stream;
        }

        @Override
        public void write(int b) throws IOException {
            write(new byte[] {(byte) b}, 0, 1);
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            while (len > 0) {
                int n = Math.min(len, MAX_CHUNK);
                client.message(stream, Arrays.copyOfRange(b, off, off + n));
                off += n;
                len -= n;
            }
        }
    }

    /**
     * stdin: read from the monitor with {@link Syscall#STDIN_READ}, a blocking call that answers at least one byte or the
     * end of input (no polling). Reads of up to {@link #MAX_CHUNK} bytes go straight into the caller's array; smaller ones
     * fill a buffer of that size first, so a byte-at-a-time reader does not make a call per byte. Not interruptible (like
     * a JVM's own {@code System.in}): a read in flight on the monitor is never abandoned, so no input is lost.
     */
    static final class Input extends InputStream {
        private final SyscallClient client;
        private final byte[] buf = new byte[MAX_CHUNK];
        private int pos;
        private int limit;
        private boolean eof;

        Input(SyscallClient client) {
            this.client = client;
        }

        @Override
        public synchronized int read() throws IOException {
            if (pos == limit && !fill()) {
                return -1;
            }
            return buf[pos++] & 0xff;
        }

        @Override
        public synchronized int read(byte[] b, int off, int len) throws IOException {
            java.util.Objects.checkFromIndexSize(off, len, b.length);
            if (len == 0) {
                return 0;
            }
            if (pos < limit) {
                int n = Math.min(len, limit - pos);
                System.arraycopy(buf, pos, b, off, n);
                pos += n;
                return n;
            }
            if (eof) {
                return -1;
            }
            if (len >= MAX_CHUNK) {
                byte[] got = call(MAX_CHUNK);
                if (got.length == 0) {
                    eof = true;
                    return -1;
                }
                System.arraycopy(got, 0, b, off, got.length);
                return got.length;
            }
            if (!fill()) {
                return -1;
            }
            int n = Math.min(len, limit - pos);
            System.arraycopy(buf, pos, b, off, n);
            pos += n;
            return n;
        }

        @Override
        public synchronized int available() {
            return limit - pos;
        }

        /** Refills the empty buffer; false at the end of input. */
        private boolean fill() throws IOException {
            if (eof) {
                return false;
            }
            byte[] got = call(MAX_CHUNK);
            if (got.length == 0) {
                eof = true;
                return false;
            }
            System.arraycopy(got, 0, buf, 0, got.length);
            pos = 0;
            limit = got.length;
            return true;
        }

        private byte[] call(int max) throws IOException {
            byte[] got = client.call(Syscall.STDIN_READ, Body.writer().putInt(max).toByteArray());
            if (got.length > max) {
                throw new IOException("STDIN_READ answered " + got.length + " bytes, more than the " + max + " asked for");
            }
            return got;
        }
    }
}
