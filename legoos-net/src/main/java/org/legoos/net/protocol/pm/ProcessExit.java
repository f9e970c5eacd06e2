package org.legoos.net.protocol.pm;

import org.legoos.net.protocol.WireReader;
import org.legoos.net.protocol.WireWriter;
import static org.legoos.net.protocol.Codecs.*;

/** PM_EXIT: a process ended; error is empty unless it died of an exception. */
public record ProcessExit(long pid, int exitCode, String error) implements org.legoos.net.protocol.OneWay {
    public ProcessExit {
        java.util.Objects.requireNonNull(error, "error");
    }

    @Override
    public void encode(WireWriter out) {
        out.putLong(pid);
        out.putInt(exitCode);
        out.putString(error);
    }

    public static ProcessExit decode(WireReader in) {
        return new ProcessExit(in.getLong(), in.getInt(), in.getString());
    }
}
