package org.legoos.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.ConnectException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import org.junit.jupiter.api.Test;

class ReservedPortTest {
    private static final InetAddress LOOPBACK = InetAddress.getLoopbackAddress();

    @Test
    void connectionsToAReservedPortAreRefused() {
        try (ReservedPort p = ReservedPort.reserve()) {
            assertThat(p.port()).isPositive();
            assertThat(p.address()).isEqualTo(LOOPBACK.getHostAddress() + ":" + p.port());
            assertThatThrownBy(() -> {
                try (Socket s = new Socket()) {
                    s.connect(new InetSocketAddress(LOOPBACK, p.port()), 10_000);
                }
            }).isInstanceOf(ConnectException.class);
        }
    }

    @Test
    void aListenerCanBindTheReservedPortByNumber() throws Exception {
        try (ReservedPort p = ReservedPort.reserve(); ServerSocket server = new ServerSocket()) {
            server.setReuseAddress(true);
            server.bind(new InetSocketAddress(LOOPBACK, p.port()));
            try (Socket s = new Socket()) {
                s.connect(new InetSocketAddress(LOOPBACK, p.port()), 10_000);
                assertThat(s.isConnected()).isTrue();
            }
        }
    }
}
