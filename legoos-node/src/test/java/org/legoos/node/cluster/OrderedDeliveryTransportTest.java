package org.legoos.node.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.legoos.net.protocol.Frame;
import org.legoos.net.protocol.gm.MembersRequest;
import org.legoos.net.transport.Connection;
import org.legoos.net.transport.Transport;
import org.legoos.net.transport.local.LocalFabric;

@Timeout(value = 30, unit = TimeUnit.SECONDS)
class OrderedDeliveryTransportTest {
    private static ByteBuffer frame(int flags, long id) {
        return Frame.encode(0x0103, flags, 0, 7, id, new MembersRequest());
    }

    @Test
    void requestsOfOneConnectionArriveInOrderOffTheSendersThread() throws Exception {
        LocalFabric fabric = new LocalFabric();
        List<Long> seen = new CopyOnWriteArrayList<>();
        List<Boolean> virtual = new CopyOnWriteArrayList<>();
        CountDownLatch all = new CountDownLatch(500);
        try (Transport server = new OrderedDeliveryTransport(fabric.newTransport(), "test");
             Transport client = fabric.newTransport()) {
            server.listen("server", (from, f) -> {
                seen.add(Frame.decode(f, 1 << 20).requestId());
                virtual.add(Thread.currentThread().isVirtual());
                all.countDown();
            });
            Connection c = client.connect("server", (from, f) -> { });
            for (long i = 0; i < 500; i++) {
                c.send(frame(i % 3 == 0 ? Frame.FLAG_ONE_WAY : 0, i));
                if (i % 100 == 0) {
                    Thread.sleep(5); // let the lane drain and retire, so new lanes are started too
                }
            }
            assertThat(all.await(10, TimeUnit.SECONDS)).isTrue();
        }
        assertThat(seen).hasSize(500).isSorted();
        assertThat(virtual).containsOnly(true);
    }

    @Test
    void repliesAreDeliveredInlineWhileARequestBlocksItsLane() throws Exception {
        LocalFabric fabric = new LocalFabric();
        CountDownLatch requestEntered = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        List<String> replyThreads = new CopyOnWriteArrayList<>();
        try (Transport server = new OrderedDeliveryTransport(fabric.newTransport(), "test");
             Transport client = fabric.newTransport()) {
            server.listen("server", (from, f) -> {
                if (Frame.decode(f, 1 << 20).isReply()) {
                    replyThreads.add(Thread.currentThread().getName());
                    return;
                }
                requestEntered.countDown();
                try {
                    release.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            });
            Connection c = client.connect("server", (from, f) -> { });
            c.send(frame(0, 1)); // blocks its lane
            assertThat(requestEntered.await(5, TimeUnit.SECONDS)).isTrue();
            c.send(frame(Frame.FLAG_REPLY, 2)); // the in-JVM transport delivers on this (the sender's) thread
            assertThat(replyThreads).containsExactly(Thread.currentThread().getName());
            release.countDown();
        }
    }
}
