package org.legoos.processor.task;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.channels.Channels;
import java.nio.channels.Pipe;
import java.nio.file.AccessDeniedException;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.legoos.api.ComponentUnavailableException;
import org.legoos.api.LegoException;
import org.legoos.api.NoMemoryException;
import org.legoos.api.QuotaExceededException;
import org.legoos.api.SegmentationFault;
import org.legoos.task.channel.Body;
import org.legoos.task.channel.ChannelProtocolException;
import org.legoos.task.channel.Frame;
import org.legoos.task.channel.Syscall;
import org.legoos.task.channel.SyscallClient;

/** The system-call channel over real pipes: calls, errors, concurrency, one-way messages and a hostile task. */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class TaskChannelTest {
    private InputStream monitorIn;   // what the task wrote
    private OutputStream taskOut;    // the task's stdout
    private InputStream taskIn;      // the task's stdin
    private OutputStream monitorOut; // what the monitor writes
    private final CompletableFuture<String> violation = new CompletableFuture<>();
    private TaskChannel channel;
    private SyscallClient client;

    @BeforeEach
    void pipes() throws IOException {
        Pipe up = Pipe.open();
        Pipe down = Pipe.open();
        taskOut = Channels.newOutputStream(up.sink());
        monitorIn = Channels.newInputStream(up.source());
        monitorOut = Channels.newOutputStream(down.sink());
        taskIn = Channels.newInputStream(down.source());
        channel = new TaskChannel("test", monitorIn, monitorOut, violation::complete);
        client = new SyscallClient(taskIn, taskOut);
    }

    @AfterEach
    void close() throws IOException {
        channel.close();
        client.close();
        taskOut.close();
    }

    private void startBoth() {
        channel.start();
        client.start((op, body) -> { }, why -> { });
    }

    @Test
    void callsGetTheirReply() throws Exception {
        channel.handle(Syscall.FS_STAT, body -> {
            Body.Reader r = Body.reader(body);
            String path = r.getString();
            long n = r.getLong();
            r.end();
            return Body.writer().putString(path + "!").putLong(n + 1).putBytes(new byte[] {1, 2, 3}).toByteArray();
        });
        startBoth();
        Body.Reader r = Body.reader(client.call(Syscall.FS_STAT, Body.writer().putString("/a").putLong(41).toByteArray()));
        assertThat(r.getString()).isEqualTo("/a!");
        assertThat(r.getLong()).isEqualTo(42);
        assertThat(r.getBytes()).containsExactly(1, 2, 3);
        r.end();
    }

    @Test
    void errorsBecomeTheRightExceptions() {
        List<Exception> thrown = List.of(new SegmentationFault("va 0x10"), new IllegalArgumentException("bad len"),
                new NoMemoryException("full"), new QuotaExceededException("quota"), new ComponentUnavailableException("gone"),
                new NoSuchFileException("/x", null, "no x"), new FileAlreadyExistsException("/y"), new DirectoryNotEmptyException("/d"),
                new NotDirectoryException("/f"), new AccessDeniedException("/r"), new IOException("disk"), new IllegalStateException("odd"));
        List<Exception> queue = new CopyOnWriteArrayList<>(thrown);
        channel.handle(Syscall.FS_READ, body -> {
            throw queue.removeFirst();
        });
        startBoth();
        List<Throwable> got = new ArrayList<>();
        for (int i = 0; i < thrown.size(); i++) {
            try {
                client.call(Syscall.FS_READ, Body.EMPTY);
            } catch (Throwable t) {
                got.add(t);
            }
        }
        assertThat(got).hasSize(thrown.size());
        for (int i = 0; i < thrown.size() - 1; i++) {
            assertThat(got.get(i)).isExactlyInstanceOf(thrown.get(i).getClass());
            assertThat(got.get(i).getMessage()).isEqualTo(thrown.get(i).getMessage());
        }
        assertThat(got.getLast()).isExactlyInstanceOf(LegoException.class).hasMessage("odd");
        assertThat(((NoSuchFileException) got.get(5)).getFile()).isEqualTo("/x");
        assertThat(violation).isNotDone();
    }

    @Test
    void eightThreadsCallAtOnceAndEachGetsItsOwnReply() throws Exception {
        channel.handle(Syscall.FS_STAT, body -> {
            Thread.sleep(ThreadLocalRandom.current().nextInt(3));
            long v = Body.reader(body).getLong();
            return Body.writer().putLong(v * 3).toByteArray();
        });
        startBoth();
        List<Thread> threads = new ArrayList<>();
        List<Throwable> failures = new CopyOnWriteArrayList<>();
        for (int t = 0; t < 8; t++) {
            int base = t * 1_000_000;
            threads.add(Thread.ofPlatform().start(() -> {
                try {
                    for (int i = 0; i < 300; i++) {
                        long v = base + i;
                        long r = Body.reader(client.call(Syscall.FS_STAT, Body.writer().putLong(v).toByteArray())).getLong();
                        if (r != v * 3) {
                            failures.add(new AssertionError(v + " -> " + r));
                        }
                    }
                } catch (Throwable e) {
                    failures.add(e);
                }
            }));
        }
        for (Thread t : threads) {
            t.join();
        }
        assertThat(failures).isEmpty();
    }

    @Test
    void aBlockedCallDoesNotBlockOthers() throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        channel.handle(Syscall.WAIT, body -> {
            release.await();
            return Body.writer().putInt(5).toByteArray();
        });
        channel.handle(Syscall.FS_STAT, body -> Body.EMPTY);
        startBoth();
        CompletableFuture<Integer> waiting = CompletableFuture.supplyAsync(() -> {
            try {
                return Body.reader(client.call(Syscall.WAIT, Body.EMPTY)).getInt();
            } catch (IOException e) {
                throw new RuntimeException(e);
            }
        });
        for (int i = 0; i < 50; i++) {
            client.call(Syscall.FS_STAT, Body.EMPTY);
        }
        assertThat(waiting).isNotDone();
        release.countDown();
        assertThat(waiting.get(10, TimeUnit.SECONDS)).isEqualTo(5);
    }

    @Test
    void messagesArriveInOrderBothWays() throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        CompletableFuture<Integer> exit = new CompletableFuture<>();
        channel.onMessage(Syscall.STDOUT, out::writeBytes);
        channel.onMessage(Syscall.EXIT, b -> exit.complete(Body.reader(b).getInt()));
        List<String> toTask = new CopyOnWriteArrayList<>();
        CountDownLatch got = new CountDownLatch(100);
        channel.start();
        client.start((op, body) -> {
            toTask.add(op + ":" + new String(body));
            got.countDown();
        }, why -> { });
        StringBuilder want = new StringBuilder();
        for (int i = 0; i < 1000; i++) {
            client.message(Syscall.STDOUT, ("line " + i + "\n").getBytes());
            want.append("line ").append(i).append('\n');
        }
        client.message(Syscall.EXIT, Body.writer().putInt(7).putString("").toByteArray());
        assertThat(exit.get(10, TimeUnit.SECONDS)).isEqualTo(7);
        assertThat(out.toString()).isEqualTo(want.toString());
        for (int i = 0; i < 100; i++) {
            assertThat(channel.send(Syscall.STDIN, ("in" + i).getBytes())).isTrue();
        }
        assertThat(got.await(10, TimeUnit.SECONDS)).isTrue();
        assertThat(toTask).hasSize(100).startsWith("STDIN:in0", "STDIN:in1").endsWith("STDIN:in99");
    }

    @Test
    void wrongDirectionsAreRefusedLocally() {
        assertThatThrownBy(() -> client.call(Syscall.STDOUT, Body.EMPTY)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> client.message(Syscall.FS_READ, Body.EMPTY)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> channel.send(Syscall.STDOUT, Body.EMPTY)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> channel.handle(Syscall.EXIT, b -> b)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void whenTheMonitorGoesAwayCallsFail() throws Exception {
        CountDownLatch never = new CountDownLatch(1);
        CompletableFuture<String> closed = new CompletableFuture<>();
        channel.handle(Syscall.WAIT, body -> {
            never.await();
            return Body.EMPTY;
        });
        channel.start();
        client.start((op, body) -> { }, closed::complete);
        CompletableFuture<Throwable> pending = CompletableFuture.supplyAsync(() -> {
            try {
                client.call(Syscall.WAIT, Body.EMPTY);
                return null;
            } catch (Throwable t) {
                return t;
            }
        });
        Thread.sleep(100);
        channel.close(); // the monitor's end of the task's stdin
        assertThat(closed.get(10, TimeUnit.SECONDS)).contains("closed");
        assertThat(pending.get(10, TimeUnit.SECONDS)).isInstanceOf(ComponentUnavailableException.class);
        assertThatThrownBy(() -> client.call(Syscall.WAIT, Body.EMPTY)).isInstanceOf(ComponentUnavailableException.class);
        never.countDown();
    }

    // ------------------------------------------------------------------ a hostile task

    private String violationAfter(byte[] raw) throws Exception {
        channel.handle(Syscall.FS_STAT, body -> {
            Body.Reader r = Body.reader(body);
            String p = r.getString();
            r.end();
            return p.getBytes();
        });
        channel.start();
        taskOut.write(raw);
        taskOut.flush();
        String why = violation.get(10, TimeUnit.SECONDS);
        assertThat(channel.ended().get(10, TimeUnit.SECONDS)).isNotNull();
        return why;
    }

    private static byte[] frame(int len, int kind, int id, int code, byte[] body) throws IOException {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        DataOutputStream d = new DataOutputStream(b);
        d.writeInt(len);
        d.writeByte(kind);
        d.writeInt(id);
        d.writeShort(code);
        d.write(body);
        return b.toByteArray();
    }

    @Test
    void garbageIsAViolation() throws Exception {
        assertThat(violationAfter("Hello from a stray println\n".getBytes())).contains("bad frame length");
    }

    @Test
    void anOversizedFrameIsAViolationWithoutAllocatingIt() throws Exception {
        assertThat(violationAfter(frame(Integer.MAX_VALUE, Frame.REQUEST, 1, Syscall.FS_STAT.number(), new byte[0])))
                .contains("bad frame length");
    }

    @Test
    void aNegativeLengthIsAViolation() throws Exception {
        assertThat(violationAfter(frame(-5, Frame.REQUEST, 1, 1, new byte[0]))).contains("bad frame length");
    }

    @Test
    void anUnknownKindIsAViolation() throws Exception {
        assertThat(violationAfter(frame(7, 9, 1, Syscall.FS_STAT.number(), new byte[0]))).contains("kind");
    }

    @Test
    void aReplyFromTheTaskIsAViolation() throws Exception {
        assertThat(violationAfter(frame(7, Frame.REPLY, 1, 0, new byte[0]))).contains("kind");
    }

    @Test
    void anUnknownSyscallIsAViolation() throws Exception {
        assertThat(violationAfter(frame(7, Frame.REQUEST, 1, 999, new byte[0]))).contains("unknown system call #999");
    }

    @Test
    void aMessageAsARequestIsAViolation() throws Exception {
        assertThat(violationAfter(frame(7, Frame.REQUEST, 1, Syscall.STDOUT.number(), new byte[0]))).contains("unknown system call");
    }

    @Test
    void aCallWithoutHandlerIsAViolation() throws Exception {
        assertThat(violationAfter(frame(7, Frame.REQUEST, 1, Syscall.MMAP.number(), new byte[0]))).contains("MMAP is not served");
    }

    @Test
    void aMalformedBodyIsAViolation() throws Exception {
        byte[] body = {0, 0, 0x7f, 0, 'x'}; // a string claiming 32512 bytes
        assertThat(violationAfter(frame(7 + body.length, Frame.REQUEST, 1, Syscall.FS_STAT.number(), body)))
                .contains("malformed FS_STAT");
    }

    @Test
    void aTruncatedFrameEndsTheChannelWithoutHanging() throws Exception {
        channel.start();
        taskOut.write(frame(100, Frame.REQUEST, 1, Syscall.FS_STAT.number(), new byte[10]));
        taskOut.close();
        assertThat(channel.ended().get(10, TimeUnit.SECONDS)).isNull();
    }

    @Test
    void bodyReaderChecksLengths() {
        assertThatThrownBy(() -> Body.reader(new byte[3]).getLong()).isInstanceOf(ChannelProtocolException.class);
        assertThatThrownBy(() -> Body.reader(new byte[] {(byte) 0xff, 0, 0, 0}).getBytes()).isInstanceOf(ChannelProtocolException.class);
        Body.Reader r = Body.reader(new byte[] {0, 0, 0, 0, 9});
        r.getBytes();
        assertThatThrownBy(r::end).isInstanceOf(ChannelProtocolException.class);
        assertThatThrownBy(() -> Body.reader(new byte[] {0x7f, 0, 0, 0}).getStrings()).isInstanceOf(ChannelProtocolException.class);
    }

    @Test
    void syscallNumbersAreUnique() {
        for (Syscall s : Syscall.values()) {
            assertThat(Syscall.of(s.number())).isSameAs(s);
        }
        assertThat(Syscall.of(0)).isNull();
        assertThat(Syscall.of(-1)).isNull();
        assertThat(Syscall.of(65535)).isNull();
    }
}
