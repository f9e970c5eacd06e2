package org.legoos.net.protocol.pm;

import org.legoos.net.protocol.WireReader;
import org.legoos.net.protocol.WireWriter;

/**
 * Reply to PM_LOGS: the last bytes of a process's stderr ({@code truncated} if earlier ones were dropped), whether it
 * still runs, and how it ended (exit code and error) if it does not.
 */
public record ProcessLog(long pid, boolean running, int exitCode, boolean truncated, byte[] stderr)
        implements org.legoos.net.protocol.Message {
    public ProcessLog {
        java.util.Objects.requireNonNull(stderr, "stderr");
    }

    @Override
    public int sizeHint() {
        return 64 + stderr.length;
    }

    @Override
    public void encode(WireWriter out) {
        out.putLong(pid);
        out.putBoolean(running);
        out.putInt(exitCode);
        out.putBoolean(truncated);
        out.putBytes(stderr);
    }

    public static ProcessLog decode(WireReader in) {
        return new ProcessLog(in.getLong(), in.getBoolean(), in.getInt(), in.getBoolean(), in.getBytes());
    }
}
