package org.legoos.net.protocol.gm;

import org.legoos.net.protocol.WireReader;
import org.legoos.net.protocol.WireWriter;
import static org.legoos.net.protocol.Codecs.*;

/** The membership table. */
public record MemberList(java.util.List<ComponentInfo> members) implements org.legoos.net.protocol.Message {
    public MemberList {
        java.util.Objects.requireNonNull(members, "members");
    }

    @Override
    public void encode(WireWriter out) {
        out.putInt(members.size()); for (ComponentInfo v : members) { v.encode(out); }
    }

    public static MemberList decode(WireReader in) {
        return new MemberList(readList(in, ComponentInfo::decode));
    }
}
