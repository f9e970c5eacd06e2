package org.legoos.processor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.io.InterruptedIOException;
import java.util.Arrays;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.legoos.net.protocol.pm.InputAccepted;
import org.legoos.net.protocol.pm.ProcessInput;

/** The processor's per-process stdin buffer on its own: the ring, offsets, backpressure, end of input and closing. */
@Timeout(20)
class StdinBufferTest {
    private static final long NO_WAIT = 0;

    @Test
    void randomChunksRetriesAndReadsAroundTheRingKeepEveryByteInOrder() throws Exception {
        Random rnd = new Random(42);
        byte[] data = new byte[200_000];
        rnd.nextBytes(data);
        StdinBuffer b = new StdinBuffer(1, 1000, true); // small: the ring wraps hundreds of times
        ByteArrayOutputStream got = new ByteArrayOutputStream();
        long sent = 0;
        while (got.size() < data.length) {
            if (sent < data.length && rnd.nextBoolean()) {
                // resend from somewhat before what the buffer holds (a retry), up to a few hundred bytes more
                long from = Math.max(0, sent - rnd.nextInt(50));
                int len = (int) Math.min(data.length - from, rnd.nextInt(700));
                InputAccepted a = b.offer(from, Arrays.copyOfRange(data, (int) from, (int) from + len), false, NO_WAIT,
                        TimeUnit.MILLISECONDS);
                assertThat(a.received()).isBetween(sent, Math.max(sent, from + len));
                sent = a.received();
                assertThat(a.refused()).isEmpty();
            } else if (b.available() > 0) {
                byte[] buf = new byte[1 + rnd.nextInt(600)];
                int n = b.read(buf, 0, buf.length);
                assertThat(n).isPositive();
                got.write(buf, 0, n);
            }
            assertThat(b.available()).isBetween(0, 1000);
        }
        assertThat(got.toByteArray()).isEqualTo(data);
        assertThat(b.offer(sent, new byte[0], true, NO_WAIT, TimeUnit.MILLISECONDS).eof()).isTrue();
        assertThat(b.read(new byte[10], 0, 10)).isEqualTo(-1);
        assertThat(b.read(new byte[10], 0, 10)).as("EOF stays").isEqualTo(-1);
    }

    @Test
    void aFullBufferTakesNothingAfterABoundedWaitAndWakesWhenRead() throws Exception {
        StdinBuffer b = new StdinBuffer(2, 100, true);
        assertThat(b.offer(0, new byte[150], false, NO_WAIT, TimeUnit.MILLISECONDS).received()).isEqualTo(100);
        long t0 = System.nanoTime();
        assertThat(b.offer(100, new byte[50], false, 100, TimeUnit.MILLISECONDS).received()).isEqualTo(100);
        assertThat(System.nanoTime() - t0).isGreaterThanOrEqualTo(TimeUnit.MILLISECONDS.toNanos(90));
        CompletableFuture<InputAccepted> waiting = CompletableFuture.supplyAsync(() -> {
            try {
                return b.offer(100, new byte[50], true, 10, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                throw new IllegalStateException(e);
            }
        });
        Thread.sleep(50);
        assertThat(waiting).isNotDone();
        assertThat(b.read(new byte[30], 0, 30)).isEqualTo(30);
        InputAccepted a = waiting.get(5, TimeUnit.SECONDS);
        assertThat(a.received()).as("what fitted").isEqualTo(130);
        assertThat(a.eof()).as("the end is taken only with the last byte").isFalse();
    }

    @Test
    void noInputEndsAtOnceAndAReaderBlocksUntilDataOrEnd() throws Exception {
        assertThat(new StdinBuffer(3, 10, false).read(new byte[4], 0, 4)).isEqualTo(-1);
        StdinBuffer b = new StdinBuffer(3, 10, true);
        CompletableFuture<Integer> reader = CompletableFuture.supplyAsync(() -> {
            try {
                return b.read(new byte[4], 0, 4);
            } catch (InterruptedIOException e) {
                throw new IllegalStateException(e);
            }
        });
        Thread.sleep(50);
        assertThat(reader).isNotDone();
        b.offer(0, new byte[] {7}, false, NO_WAIT, TimeUnit.MILLISECONDS);
        assertThat(reader.get(5, TimeUnit.SECONDS)).isEqualTo(1);
    }

    @Test
    void badChunksAreRefusedAndTakeNothing() throws Exception {
        StdinBuffer b = new StdinBuffer(4, 1000, true);
        b.offer(0, new byte[10], false, NO_WAIT, TimeUnit.MILLISECONDS);
        assertThatThrownBy(() -> b.offer(-1, new byte[1], false, NO_WAIT, TimeUnit.MILLISECONDS))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("negative input offset");
        assertThatThrownBy(() -> b.offer(10, new byte[ProcessInput.MAX_CHUNK + 1], false, NO_WAIT, TimeUnit.MILLISECONDS))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("larger than");
        assertThatThrownBy(() -> b.offer(11, new byte[1], false, NO_WAIT, TimeUnit.MILLISECONDS))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("send from 10");
        assertThatThrownBy(() -> b.offer(0, new byte[5], true, NO_WAIT, TimeUnit.MILLISECONDS))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("cannot end at 5");
        assertThat(b.received()).isEqualTo(10);
        assertThat(b.available()).isEqualTo(10);
        assertThat(b.offer(10, new byte[0], true, NO_WAIT, TimeUnit.MILLISECONDS).eof()).isTrue();
        assertThat(b.offer(10, new byte[0], true, NO_WAIT, TimeUnit.MILLISECONDS).eof()).as("the end, retried").isTrue();
        assertThat(b.offer(5, new byte[5], false, NO_WAIT, TimeUnit.MILLISECONDS).received()).as("an old chunk, retried")
                .isEqualTo(10);
        assertThatThrownBy(() -> b.offer(10, new byte[1], false, NO_WAIT, TimeUnit.MILLISECONDS))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("already ended at 10");
    }

    @Test
    void closingDropsInputWakesEveryoneAndRefusesMore() throws Exception {
        StdinBuffer b = new StdinBuffer(5, 10, true);
        b.offer(0, new byte[10], false, NO_WAIT, TimeUnit.MILLISECONDS);
        CompletableFuture<InputAccepted> writer = CompletableFuture.supplyAsync(() -> {
            try {
                return b.offer(10, new byte[5], false, 10, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                throw new IllegalStateException(e);
            }
        });
        Thread.sleep(50);
        b.close("pid 5 exited");
        assertThat(writer.get(5, TimeUnit.SECONDS).refused()).isEqualTo("pid 5 exited");
        assertThat(b.read(new byte[4], 0, 4)).isEqualTo(-1);
        assertThat(b.offer(10, new byte[1], false, NO_WAIT, TimeUnit.MILLISECONDS).refused()).isEqualTo("pid 5 exited");
        b.close("again");
        assertThat(b.offer(10, new byte[1], false, NO_WAIT, TimeUnit.MILLISECONDS).refused()).isEqualTo("pid 5 exited");
        StdinBuffer c = new StdinBuffer(6, 10, true);
        c.inputStream().close();
        assertThat(c.offer(0, new byte[1], false, NO_WAIT, TimeUnit.MILLISECONDS).refused()).isEqualTo("pid 6 closed its standard input");
    }

    @Test
    void anInterruptedReaderTakesNothing() throws Exception {
        StdinBuffer b = new StdinBuffer(7, 10, true);
        Thread.currentThread().interrupt();
        assertThatThrownBy(() -> b.read(new byte[1], 0, 1)).isInstanceOf(InterruptedIOException.class);
        assertThat(Thread.interrupted()).isTrue();
        b.offer(0, new byte[] {9}, false, NO_WAIT, TimeUnit.MILLISECONDS);
        byte[] one = new byte[1];
        assertThat(b.read(one, 0, 1)).isEqualTo(1);
        assertThat(one[0]).isEqualTo((byte) 9);
    }
}
