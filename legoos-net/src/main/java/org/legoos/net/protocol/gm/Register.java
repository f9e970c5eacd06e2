package org.legoos.net.protocol.gm;

import org.legoos.net.protocol.WireReader;
import org.legoos.net.protocol.WireWriter;
import static org.legoos.net.protocol.Codecs.*;

/** GM_REGISTER: a component joins the cluster; the manager assigns its node id. */
public record Register(String role, String address, ComponentResources resources) implements org.legoos.net.protocol.Request<Registered> {
    public Register {
        java.util.Objects.requireNonNull(role, "role");
        java.util.Objects.requireNonNull(address, "address");
        java.util.Objects.requireNonNull(resources, "resources");
    }

    @Override
    public void encode(WireWriter out) {
        out.putString(role);
        out.putString(address);
        resources.encode(out);
    }

    public static Register decode(WireReader in) {
        return new Register(in.getString(), in.getString(), ComponentResources.decode(in));
    }
}
