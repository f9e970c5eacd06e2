package org.legoos.net.transport.local;

import org.legoos.net.transport.AbstractTransportTest;

/** The transport contract over the in-JVM transport. */
class LocalTransportTest extends AbstractTransportTest implements LocalTestNetwork.Get {
}
