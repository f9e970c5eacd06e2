package org.legoos.net.transport.tcp;

import org.junit.jupiter.api.AfterAll;
import org.legoos.net.transport.AbstractTransportTest;

/** The transport contract over loopback TCP with native epoll event loops (NIO where epoll is unavailable). */
class EpollTcpTransportTest extends AbstractTransportTest implements TcpTestNetwork.GetEpoll {
    @AfterAll
    static void noBufferLeaked() {
        LeakCheck.assertNoLeaks();
    }
}
