package org.legoos.net.rpc;

import org.legoos.net.protocol.OneWay;
import org.legoos.net.transport.Connection;

/**
 * Where a request came from: the source node id from its header and the connection it arrived on, over
 * which one-way messages can be streamed back to the caller (for example a process's stdout).
 */
public interface CallContext {
    int sourceNode();

    Connection connection();

    /** Sends a one-way message back to the caller over the connection the request came on. */
    void sendBack(OneWay message);
}
