package org.legoos.net.protocol.pm;

import org.legoos.net.protocol.WireReader;
import org.legoos.net.protocol.WireWriter;

/** PM_LOGS: the end of a process's stderr, kept by its processor while it runs and for a while after it exits. */
public record ProcessLogs(long pid) implements org.legoos.net.protocol.Request<ProcessLog> {
    @Override
    public void encode(WireWriter out) {
        out.putLong(pid);
    }

    public static ProcessLogs decode(WireReader in) {
        return new ProcessLogs(in.getLong());
    }
}
