package org.legoos.net.protocol.pm;

import org.legoos.net.protocol.WireReader;
import org.legoos.net.protocol.WireWriter;

/**
 * PM_INPUT: a chunk of a process's standard input, from the client that started it with {@link StartProcess#stdin()}.
 * {@code offset} is the position of {@code data}'s first byte in the input stream, so a retried chunk is not taken twice;
 * {@code eof} says the input ends after {@code data} (data may be empty). At most {@link #MAX_CHUNK} bytes; the processor
 * answers with how much of the stream it holds ({@link InputAccepted}), which may be less than was sent when the
 * process's input buffer is full: the client sends the rest again from there.
 */
public record ProcessInput(long pid, long offset, byte[] data, boolean eof) implements org.legoos.net.protocol.Request<InputAccepted> {
    /** Largest chunk a processor takes in one request. */
    public static final int MAX_CHUNK = 64 * 1024;

    public ProcessInput {
        java.util.Objects.requireNonNull(data, "data");
    }

    @Override
    public int sizeHint() {
        return 64 + data.length;
    }

    @Override
    public void encode(WireWriter out) {
        out.putLong(pid);
        out.putLong(offset);
        out.putBytes(data);
        out.putBoolean(eof);
    }

    public static ProcessInput decode(WireReader in) {
        return new ProcessInput(in.getLong(), in.getLong(), in.getBytes(), in.getBoolean());
    }
}
