package org.legoos.net.protocol.pm;

import org.legoos.net.protocol.WireReader;
import org.legoos.net.protocol.WireWriter;
import static org.legoos.net.protocol.Codecs.*;

/** PM_OUTPUT: a chunk of a process's stdout (1) or stderr (2). */
public record ProcessOutput(long pid, int stream, byte[] data) implements org.legoos.net.protocol.OneWay {
    public ProcessOutput {
        java.util.Objects.requireNonNull(data, "data");
    }

    @Override
    public int sizeHint() {
        return 64 + data.length;
    }

    @Override
    public void encode(WireWriter out) {
        out.putLong(pid);
        out.putInt(stream);
        out.putBytes(data);
    }

    public static ProcessOutput decode(WireReader in) {
        return new ProcessOutput(in.getLong(), in.getInt(), in.getBytes());
    }
}
