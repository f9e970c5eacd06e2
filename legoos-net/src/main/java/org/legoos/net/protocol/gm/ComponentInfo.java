package org.legoos.net.protocol.gm;

import org.legoos.net.protocol.WireReader;
import org.legoos.net.protocol.WireWriter;
import static org.legoos.net.protocol.Codecs.*;

/**
 * One row of the membership table.
 *
 * @param identity the name its certificate proved when it registered (TLS), empty in an insecure cluster or if the
 *     manager has not seen it since a restart: other components bind frames naming this node to that identity
 */
public record ComponentInfo(int nodeId, org.legoos.api.ComponentRole role, String address, org.legoos.api.ComponentState state,
                            long lastReportMillis, ComponentResources resources, String identity) implements org.legoos.net.protocol.Message {
    public ComponentInfo {
        java.util.Objects.requireNonNull(identity, "identity");
        java.util.Objects.requireNonNull(role, "role");
        java.util.Objects.requireNonNull(address, "address");
        java.util.Objects.requireNonNull(state, "state");
        java.util.Objects.requireNonNull(resources, "resources");
    }

    @Override
    public void encode(WireWriter out) {
        out.putInt(nodeId);
        out.putString(role.wireName());
        out.putString(address);
        out.putString(state.name());
        out.putLong(lastReportMillis);
        resources.encode(out);
        out.putString(identity);
    }

    public static ComponentInfo decode(WireReader in) {
        int nodeId = in.getInt();
        String roleName = in.getString();
        org.legoos.api.ComponentRole role = org.legoos.api.ComponentRole.byWireName(roleName);
        if (role == null) {
            throw new org.legoos.net.protocol.ProtocolException("bad component role '" + roleName + "'");
        }
        String address = in.getString();
        String state = in.getString();
        org.legoos.api.ComponentState s;
        try {
            s = org.legoos.api.ComponentState.valueOf(state);
        } catch (IllegalArgumentException e) {
            throw new org.legoos.net.protocol.ProtocolException("bad component state '" + state + "'");
        }
        return new ComponentInfo(nodeId, role, address, s, in.getLong(), ComponentResources.decode(in), in.getString());
    }
}
