package org.legoos.task;

import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.io.OutputStream;
import java.util.Arrays;
import java.util.concurrent.LinkedBlockingQueue;
import org.legoos.task.channel.Syscall;
import org.legoos.task.channel.SyscallClient;

/** The process's standard streams inside a task: output as channel messages, input from the monitor's messages. */
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

    /** stdin: chunks from {@link Syscall#STDIN} messages until {@link Syscall#STDIN_EOF}. */
    static final class Input extends InputStream {
        private static final byte[] EOF = new byte[0];
        private final LinkedBlockingQueue<byte[]> chunks = new LinkedBlockingQueue<>();
        private byte[] current = new byte[0];
        private int pos;
        private boolean eof;

        void offer(byte[] data) {
            if (data.length > 0) {
                chunks.add(data);
            }
        }

        void end() {
            chunks.add(EOF);
        }

        @Override
        public synchronized int read() throws IOException {
            byte[] one = new byte[1];
            return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
        }

        @Override
        public synchronized int read(byte[] b, int off, int len) throws IOException {
            if (len == 0) {
                return 0;
            }
            while (pos == current.length) {
                if (eof) {
                    return -1;
                }
                try {
                    current = chunks.take();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new InterruptedIOException("interrupted reading stdin");
                }
                pos = 0;
                if (current == EOF) {
                    eof = true;
                }
            }
            int n = Math.min(len, current.length - pos);
            System.arraycopy(current, pos, b, off, n);
            pos += n;
            return n;
        }
    }
}
