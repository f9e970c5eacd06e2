package org.legoos.net.transport.local;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.ByteBuffer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.legoos.api.ComponentUnavailableException;
import org.legoos.net.protocol.Frame;
import org.legoos.net.transport.Connection;
import org.legoos.net.transport.Inbox;
import org.legoos.net.transport.Transport;

/** What only the in-JVM transport promises: sender-thread delivery, names as addresses, one fabric per cluster. */
@Timeout(10)
class LocalFabricTest {
    private static ByteBuffer frame() {
        return Frame.encode(1, 0, 0, 0, 0, out -> out.putInt(1));
    }

    @Test
    void framesAreDeliveredOnTheSendersThreadBeforeSendReturns() {
        LocalFabric fabric = new LocalFabric();
        Inbox server = new Inbox();
        fabric.newTransport().listen("memory-1", server);
        Connection c = fabric.newTransport().connect("memory-1", new Inbox());

        c.send(frame());

        assertThat(server.size()).isEqualTo(1);
        assertThat(server.take().thread()).isSameAs(Thread.currentThread());
    }

    @Test
    void anAddressIsBoundOnceAndFreedWhenItsTransportCloses() {
        LocalFabric fabric = new LocalFabric();
        Transport first = fabric.newTransport();
        first.listen("storage-1", new Inbox());
        assertThatThrownBy(() -> fabric.newTransport().listen("storage-1", new Inbox()))
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("storage-1");

        first.close();

        Inbox again = new Inbox();
        fabric.newTransport().listen("storage-1", again);
        fabric.newTransport().connect("storage-1", new Inbox()).send(frame());
        assertThat(again.size()).isEqualTo(1);
    }

    @Test
    void fabricsAreSeparateNetworks() {
        LocalFabric a = new LocalFabric();
        LocalFabric b = new LocalFabric();
        a.newTransport().listen("manager", new Inbox());
        assertThatThrownBy(() -> b.newTransport().connect("manager", new Inbox()))
                .isInstanceOf(ComponentUnavailableException.class);
    }

    @Test
    void aBlankAddressGetsAFreshName() {
        LocalFabric fabric = new LocalFabric();
        Transport t = fabric.newTransport();
        String first = t.listen("", new Inbox());
        String second = t.listen(null, new Inbox());
        assertThat(first).isNotBlank().isNotEqualTo(second);
        fabric.newTransport().connect(first, new Inbox());
    }

    @Test
    void aClosedTransportRefusesToListenOrConnect() {
        LocalFabric fabric = new LocalFabric();
        fabric.newTransport().listen("gm", new Inbox());
        Transport t = fabric.newTransport();
        t.close();
        assertThatThrownBy(() -> t.listen("x", new Inbox())).isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(() -> t.connect("gm", new Inbox())).isInstanceOf(IllegalStateException.class);
    }
}
