package org.legoos.net.rpc;

import org.legoos.api.security.Principal;
import org.legoos.net.protocol.OneWay;
import org.legoos.net.transport.Connection;

/**
 * Where a request came from: the source node id from its header and the connection it arrived on, over
 * which one-way messages can be streamed back to the caller (for example a process's stdout).
 */
public interface CallContext {
    int sourceNode();

    Connection connection();

    /**
     * Who sent the request, as its connection authenticated it ({@link Principal#UNAUTHENTICATED} in-JVM and in
     * insecure mode). Handlers check what depends on the request's content against it (a vNode user's vNodes).
     */
    default Principal principal() {
        return connection().peer();
    }

    /** Sends a one-way message back to the caller over the connection the request came on. */
    void sendBack(OneWay message);
}
