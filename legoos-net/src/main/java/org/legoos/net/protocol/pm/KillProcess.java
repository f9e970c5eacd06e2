package org.legoos.net.protocol.pm;

import org.legoos.net.protocol.WireReader;
import org.legoos.net.protocol.WireWriter;
import static org.legoos.net.protocol.Codecs.*;

/** PM_KILL: stop a process. */
public record KillProcess(long pid) implements org.legoos.net.protocol.Request<org.legoos.net.protocol.Ack> {
    @Override
    public void encode(WireWriter out) {
        out.putLong(pid);
    }

    public static KillProcess decode(WireReader in) {
        return new KillProcess(in.getLong());
    }
}
