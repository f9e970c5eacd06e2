package org.legoos.processor;

import java.io.OutputStream;
import java.util.Arrays;
import java.util.function.Consumer;
import org.legoos.net.protocol.pm.ProcessOutput;

/**
 * A process's stdout or stderr: bytes are sent to the launching client as {@code PM_OUTPUT} messages, at most
 * {@link #MAX_CHUNK} bytes each. Callers buffer in front of it (a PrintStream with a BufferedOutputStream).
 */
final class StreamOutput extends OutputStream {
    static final int MAX_CHUNK = 64 * 1024;
    private final long pid;
    private final int stream;
    private final Consumer<ProcessOutput> sink;

    StreamOutput(long pid, int stream, Consumer<ProcessOutput> sink) {
        this.pid = pid;
        this.stream = stream;
        this.sink = sink;
    }

    @Override
    public void write(int b) {
        write(new byte[] {(byte) b}, 0, 1);
    }

    @Override
    public void write(byte[] b, int off, int len) {
        while (len > 0) {
            int n = Math.min(len, MAX_CHUNK);
            sink.accept(new ProcessOutput(pid, stream, Arrays.copyOfRange(b, off, off + n)));
            off += n;
            len -= n;
        }
    }
}
