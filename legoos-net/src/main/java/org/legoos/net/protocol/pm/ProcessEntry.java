package org.legoos.net.protocol.pm;

import org.legoos.net.protocol.WireReader;
import org.legoos.net.protocol.WireWriter;
import static org.legoos.net.protocol.Codecs.*;

/** One running process; {@code misses} counts its ExCache misses (lines filled for it) since it started. */
public record ProcessEntry(long pid, int vnodeId, String program, String state, int threads, long startedMillis,
                           long misses) implements org.legoos.net.protocol.Message {
    public ProcessEntry {
        java.util.Objects.requireNonNull(program, "program");
        java.util.Objects.requireNonNull(state, "state");
    }

    @Override
    public void encode(WireWriter out) {
        out.putLong(pid);
        out.putInt(vnodeId);
        out.putString(program);
        out.putString(state);
        out.putInt(threads);
        out.putLong(startedMillis);
        out.putLong(misses);
    }

    public static ProcessEntry decode(WireReader in) {
        return new ProcessEntry(in.getLong(), in.getInt(), in.getString(), in.getString(), in.getInt(), in.getLong(),
                in.getLong());
    }
}
