package org.legoos.net.protocol.pm;

import org.legoos.net.protocol.WireReader;
import org.legoos.net.protocol.WireWriter;
import static org.legoos.net.protocol.Codecs.*;

/** PM_PS: processes running on this processor component. */
public record ListProcesses() implements org.legoos.net.protocol.Request<ProcessList> {
    @Override
    public void encode(WireWriter out) {

    }

    public static ListProcesses decode(WireReader in) {
        return new ListProcesses();
    }
}
