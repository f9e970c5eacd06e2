package org.legoos.net.transport;

import static org.assertj.core.api.Assertions.fail;

import java.nio.ByteBuffer;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.BiConsumer;

/**
 * A {@link FrameSink} that keeps what arrives, for tests that read raw frames: the buffer as delivered (not a
 * copy, so later checks also prove the transport did not reuse it), the connection and the delivering thread.
 * An optional reaction runs on the delivery thread (e.g. echo the frame back).
 */
public final class Inbox implements FrameSink {
    public record Received(Connection from, ByteBuffer frame, Thread thread) {
        public byte[] bytes() {
            byte[] b = new byte[frame.remaining()];
            frame.duplicate().get(b);
            return b;
        }
    }

    private final LinkedBlockingQueue<Received> queue = new LinkedBlockingQueue<>();
    private final BiConsumer<Connection, ByteBuffer> reaction;

    public Inbox() {
        this((c, f) -> { });
    }

    public Inbox(BiConsumer<Connection, ByteBuffer> reaction) {
        this.reaction = reaction;
    }

    @Override
    public void onFrame(Connection from, ByteBuffer frame) {
        queue.add(new Received(from, frame, Thread.currentThread()));
        reaction.accept(from, frame);
    }

    /** The next frame, failing the test if none arrives within 5 s. */
    public Received take() {
        try {
            Received r = queue.poll(5, TimeUnit.SECONDS);
            if (r == null) {
                fail("no frame arrived within 5 s");
            }
            return r;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }

    /** The next frame if one arrives within {@code millis}, else null. */
    public Received poll(long millis) {
        try {
            return queue.poll(millis, TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }

    public int size() {
        return queue.size();
    }
}
