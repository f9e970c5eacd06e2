package org.legoos.net.transport.tcp;

import org.junit.jupiter.api.AfterAll;
import org.legoos.net.rpc.AbstractRpcNodeTest;

/** RPC over loopback TCP: the same suite as over the in-JVM transport. */
class TcpRpcNodeTest extends AbstractRpcNodeTest implements TcpTestNetwork.Get {
    @AfterAll
    static void noBufferLeaked() {
        LeakCheck.assertNoLeaks();
    }
}
