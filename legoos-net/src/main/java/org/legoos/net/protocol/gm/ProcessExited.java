package org.legoos.net.protocol.gm;

import org.legoos.net.protocol.WireReader;
import org.legoos.net.protocol.WireWriter;
import static org.legoos.net.protocol.Codecs.*;

/** GM_PROCESS_EXIT: a process ended (P2PM_EXIT_PROC): release its GPM accounting. */
public record ProcessExited(long pid, int vnodeId) implements org.legoos.net.protocol.OneWay {
    @Override
    public void encode(WireWriter out) {
        out.putLong(pid);
        out.putInt(vnodeId);
    }

    public static ProcessExited decode(WireReader in) {
        return new ProcessExited(in.getLong(), in.getInt());
    }
}
