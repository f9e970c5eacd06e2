package org.legoos.net.rpc;

import org.legoos.net.protocol.Message;
import org.legoos.net.protocol.WireReader;
import org.legoos.net.protocol.WireWriter;

/** Body of an error reply: a human-readable message. The status itself is in the header. */
record ErrorBody(String message) implements Message {
    @Override
    public void encode(WireWriter out) {
        out.putString(message);
    }

    static ErrorBody decode(WireReader in) {
        return new ErrorBody(in.getString());
    }
}
