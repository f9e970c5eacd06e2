package org.legoos.net.transport.tcp;

import org.junit.jupiter.api.AfterAll;
import org.legoos.net.transport.AbstractTransportTest;

/** The transport contract over loopback TCP (NIO event loops, the default). */
class TcpTransportTest extends AbstractTransportTest implements TcpTestNetwork.Get {
    @AfterAll
    static void noBufferLeaked() {
        LeakCheck.assertNoLeaks();
    }
}
