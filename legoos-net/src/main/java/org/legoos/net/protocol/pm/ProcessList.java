package org.legoos.net.protocol.pm;

import org.legoos.net.protocol.WireReader;
import org.legoos.net.protocol.WireWriter;
import static org.legoos.net.protocol.Codecs.*;

/** Processes of a processor component. */
public record ProcessList(java.util.List<ProcessEntry> processes) implements org.legoos.net.protocol.Message {
    public ProcessList {
        java.util.Objects.requireNonNull(processes, "processes");
    }

    @Override
    public void encode(WireWriter out) {
        out.putInt(processes.size()); for (ProcessEntry v : processes) { v.encode(out); }
    }

    public static ProcessList decode(WireReader in) {
        return new ProcessList(readList(in, ProcessEntry::decode));
    }
}
