package org.legoos.net.protocol.gm;

import org.legoos.net.protocol.WireReader;
import org.legoos.net.protocol.WireWriter;
import static org.legoos.net.protocol.Codecs.*;

/** One row of the membership table. */
public record ComponentInfo(int nodeId, String role, String address, String state, long lastReportMillis, ComponentResources resources) implements org.legoos.net.protocol.Message {
    public ComponentInfo {
        java.util.Objects.requireNonNull(role, "role");
        java.util.Objects.requireNonNull(address, "address");
        java.util.Objects.requireNonNull(state, "state");
        java.util.Objects.requireNonNull(resources, "resources");
    }

    @Override
    public void encode(WireWriter out) {
        out.putInt(nodeId);
        out.putString(role);
        out.putString(address);
        out.putString(state);
        out.putLong(lastReportMillis);
        resources.encode(out);
    }

    public static ComponentInfo decode(WireReader in) {
        return new ComponentInfo(in.getInt(), in.getString(), in.getString(), in.getString(), in.getLong(), ComponentResources.decode(in));
    }
}
