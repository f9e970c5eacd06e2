package org.legoos.node.cluster;

import java.nio.ByteBuffer;
import java.util.Objects;
import java.util.Queue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import org.legoos.net.protocol.Frame;
import org.legoos.net.transport.Connection;
import org.legoos.net.transport.FrameSink;
import org.legoos.net.transport.Transport;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A transport that takes inbound requests and one-way messages off the wrapped transport's I/O thread: each
 * connection gets its own lane, a queue drained in arrival order by a virtual thread, so the sink may block (call
 * other components, write to a slow terminal) without stalling the event loop that must deliver the replies it
 * waits for. Replies are still delivered inline: completing a waiting call never blocks, and it keeps the ExCache
 * miss path free of a thread hand-off.
 *
 * <p>Why it exists: a client streams a program's output to its terminal from the one-way handlers; a slow
 * terminal must not block the I/O thread that also delivers the replies the client waits for.
 *
 * <p>Order: frames of one connection reach the sink in the order they arrived, except that a reply may overtake
 * requests and one-way messages queued before it (the RPC layer correlates replies by id, so that is harmless).
 * Thread-safe.
 */
final class OrderedDeliveryTransport implements Transport {
    private static final Logger log = LoggerFactory.getLogger(OrderedDeliveryTransport.class);

    private final Transport inner;
    private final String name;

    OrderedDeliveryTransport(Transport inner, String name) {
        this.inner = Objects.requireNonNull(inner, "inner");
        this.name = Objects.requireNonNull(name, "name");
    }

    @Override
    public String listen(String address, FrameSink inbound) {
        return inner.listen(address, new Lanes(inbound));
    }

    @Override
    public Connection connect(String address, FrameSink inbound) {
        return inner.connect(address, new Lanes(inbound));
    }

    @Override
    public void close() {
        inner.close();
    }

    @Override
    public String toString() {
        return "OrderedDelivery[" + inner + "]";
    }

    static boolean isReply(ByteBuffer frame) {
        return frame.remaining() >= Frame.HEADER_BYTES && (frame.get(frame.position() + 6) & Frame.FLAG_REPLY) != 0;
    }

    /** The lanes of one sink: one per connection that has frames queued or being delivered. */
    private final class Lanes implements FrameSink {
        private final FrameSink sink;
        private final ConcurrentHashMap<Connection, Queue<ByteBuffer>> lanes = new ConcurrentHashMap<>();

        Lanes(FrameSink sink) {
            this.sink = Objects.requireNonNull(sink, "sink");
        }

        @Override
        public void onFrame(Connection from, ByteBuffer frame) {
            if (isReply(frame)) {
                sink.onFrame(from, frame);
                return;
            }
            boolean[] started = {false};
            lanes.compute(from, (c, q) -> {
                if (q == null) {
                    q = new ConcurrentLinkedQueue<>();
                    started[0] = true;
                }
                q.add(frame);
                return q;
            });
            if (started[0]) {
                Thread.ofVirtual().name(name + "-lane").start(() -> drain(from));
            }
        }

        /** Delivers the connection's frames until its queue is empty, then retires the lane (atomically with adds). */
        private void drain(Connection from) {
            Queue<ByteBuffer> q = lanes.get(from);
            while (q != null) {
                ByteBuffer f;
                while ((f = q.poll()) != null) {
                    try {
                        sink.onFrame(from, f);
                    } catch (Throwable t) {
                        log.error("{}: frame from {} failed in its sink", name, from.remoteAddress(), t);
                    }
                }
                q = lanes.computeIfPresent(from, (c, cur) -> cur.isEmpty() ? null : cur);
            }
        }
    }
}
