package org.legoos.net.protocol.gm;

import org.legoos.net.protocol.WireReader;
import org.legoos.net.protocol.WireWriter;
import static org.legoos.net.protocol.Codecs.*;

/** GM_MEMBERS: the membership table (components, roles, addresses, states). */
public record MembersRequest() implements org.legoos.net.protocol.Request<MemberList> {
    @Override
    public void encode(WireWriter out) {

    }

    public static MembersRequest decode(WireReader in) {
        return new MembersRequest();
    }
}
