package org.legoos.net.protocol.gm;

import org.legoos.net.protocol.WireReader;
import org.legoos.net.protocol.WireWriter;
import static org.legoos.net.protocol.Codecs.*;

/** GM_STATUS_REPORT: periodic status and heartbeat from a monitor. */
public record StatusReport(int nodeId, ComponentResources resources) implements org.legoos.net.protocol.OneWay {
    public StatusReport {
        java.util.Objects.requireNonNull(resources, "resources");
    }

    @Override
    public void encode(WireWriter out) {
        out.putInt(nodeId);
        resources.encode(out);
    }

    public static StatusReport decode(WireReader in) {
        return new StatusReport(in.getInt(), ComponentResources.decode(in));
    }
}
