package org.legoos.net.transport.local;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;
import org.legoos.net.protocol.Protocol;
import org.legoos.net.protocol.ProtocolVersionException;
import org.legoos.net.transport.Inbox;

/** The in-JVM transport refuses a peer of another protocol version at connect, as TCP does. */
class LocalProtocolVersionTest {
    @Test
    void aTransportOfAnotherVersionIsRefusedNamingBothVersions() {
        LocalFabric fabric = new LocalFabric();
        LocalTransport server = fabric.newTransport();
        Inbox inbox = new Inbox();
        String address = server.listen("memory-1", inbox);
        LocalTransport other = fabric.newTransport(Protocol.VERSION + 1);
        assertThatThrownBy(() -> other.connect(address, new Inbox()))
                .isInstanceOf(ProtocolVersionException.class)
                .hasMessageStartingWith("peer memory-1 speaks LegoOS/J protocol version " + Protocol.VERSION
                        + ", this build speaks version " + (Protocol.VERSION + 1));
        assertThat(fabric.newTransport().connect(address, new Inbox()).isOpen()).isTrue();
        assertThat(inbox.poll(10)).isNull();
        other.close();
        server.close();
    }
}
