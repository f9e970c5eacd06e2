package org.legoos.node;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.BufferedReader;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.PipedInputStream;
import java.io.PipedOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.time.Duration;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.zip.CRC32;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.legoos.api.AddressSpace;
import org.legoos.api.LegoContext;
import org.legoos.api.LegoException;
import org.legoos.api.LegoProgram;
import org.legoos.api.ProcessorMode;
import org.legoos.net.protocol.pm.InputAccepted;
import org.legoos.net.protocol.pm.ProcessInput;
import org.legoos.processor.ProcessorConfig;
import org.legoos.processor.StdinBuffer;
import org.legoos.processor.client.ProcessClient;
import org.legoos.processor.excache.ExCacheConfig;
import org.legoos.testkit.Await;

/**
 * Standard input end to end, in both processor modes (a thread of the processor's JVM, and a task JVM of its own reading
 * through {@code STDIN_READ}): the client's {@code PM_INPUT} chunks reach {@link LegoContext#in()} complete and in order,
 * through the processor's bounded buffer (a stalled reader holds the client back), with EOF after the last byte; no stdin
 * is an immediate EOF; a program that stops reading early does not hang its launcher; bad chunks are refused cleanly.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class StdinTest {
    private final Map<ProcessorMode, LocalCluster> clusters = new EnumMap<>(ProcessorMode.class);

    /** Counts stdin: {@code bytes N lines L crc C}. Reads with {@code read(byte[])} of args[0] bytes, or byte by byte for 1. */
    public static final class Sum implements LegoProgram {
        @Override
        public int main(LegoContext ctx, String[] args) throws Exception {
            int size = args.length > 0 ? Integer.parseInt(args[0]) : 8192;
            InputStream in = ctx.in();
            CRC32 crc = new CRC32();
            long bytes = 0;
            long lines = 0;
            if (size == 1) {
                int b;
                while ((b = in.read()) >= 0) {
                    crc.update(b);
                    bytes++;
                    lines += b == '\n' ? 1 : 0;
                }
            } else {
                byte[] buf = new byte[size];
                int n;
                while ((n = in.read(buf)) >= 0) {
                    if (n == 0) {
                        throw new IllegalStateException("a blocking read returned 0 bytes");
                    }
                    crc.update(buf, 0, n);
                    bytes += n;
                    for (int i = 0; i < n; i++) {
                        lines += buf[i] == '\n' ? 1 : 0;
                    }
                }
            }
            if (in.read() != -1) {
                throw new IllegalStateException("input went on after its end");
            }
            ctx.out().printf("bytes %d lines %d crc %08x%n", bytes, lines, crc.getValue());
            return 0;
        }
    }

    /** Uppercasing cat, line by line. */
    public static final class Upper implements LegoProgram {
        @Override
        public int main(LegoContext ctx, String[] args) throws Exception {
            BufferedReader r = new BufferedReader(new InputStreamReader(ctx.in(), StandardCharsets.UTF_8));
            String line;
            while ((line = r.readLine()) != null) {
                ctx.out().println(line.toUpperCase(java.util.Locale.ROOT));
            }
            return 0;
        }
    }

    /** Reads args[0] bytes (or to the end), prints how many, exits without reading the rest. */
    public static final class Head implements LegoProgram {
        @Override
        public int main(LegoContext ctx, String[] args) throws Exception {
            byte[] got = ctx.in().readNBytes(Integer.parseInt(args[0]));
            ctx.out().println("read " + got.length);
            return 3;
        }
    }

    /**
     * A stalled reader: reads one byte, says so, waits until the file {@code /go} exists in its vNode, then reads the rest
     * slowly (a pause every 64 KiB) and prints what {@link Sum} prints for the whole input.
     */
    public static final class Gated implements LegoProgram {
        @Override
        public int main(LegoContext ctx, String[] args) throws Exception {
            InputStream in = ctx.in();
            int first = in.read();
            ctx.out().println("got first");
            ctx.out().flush();
            while (!Files.exists(ctx.fileSystem().getPath("/go"))) {
                Thread.sleep(20);
            }
            CRC32 crc = new CRC32();
            crc.update(first);
            long bytes = 1;
            long lines = first == '\n' ? 1 : 0;
            byte[] buf = new byte[4096];
            int n;
            long sincePause = 0;
            while ((n = in.read(buf)) > 0) {
                crc.update(buf, 0, n);
                bytes += n;
                for (int i = 0; i < n; i++) {
                    lines += buf[i] == '\n' ? 1 : 0;
                }
                sincePause += n;
                if (sincePause >= 64 * 1024) {
                    sincePause = 0;
                    Thread.sleep(5);
                }
            }
            ctx.out().printf("bytes %d lines %d crc %08x%n", bytes, lines, crc.getValue());
            return 0;
        }
    }

    @BeforeAll
    void start() {
        Map<String, Class<? extends LegoProgram>> programs = Map.of("stdin-sum", Sum.class, "stdin-upper", Upper.class,
                "stdin-head", Head.class, "stdin-gated", Gated.class);
        ExCacheConfig cache = new ExCacheConfig(64 * AddressSpace.PAGE_SIZE, 4, ExCacheConfig.Policy.FIFO, 3);
        for (ProcessorMode mode : List.of(ProcessorMode.THREAD, ProcessorMode.PROCESS)) {
            LocalCluster c = LocalCluster.start(LocalCluster.Spec.defaults().withCounts(1, 1, 1)
                    .withProcessor(new ProcessorConfig(2, cache, 16, 2000, mode, 64L << 20)), programs);
            clusters.put(mode, c);
            c.createVNode("io");
            assertThat(c.processors().getFirst().mode()).isEqualTo(mode);
        }
    }

    @AfterAll
    void stop() {
        clusters.values().forEach(LocalCluster::close);
    }

    private static byte[] data(int size, long seed) {
        // text-like: random letters and newlines, so line counts mean something
        Random r = new Random(seed);
        byte[] b = new byte[size];
        for (int i = 0; i < size; i++) {
            b[i] = r.nextInt(40) == 0 ? (byte) '\n' : (byte) ('a' + r.nextInt(26));
        }
        return b;
    }

    private static String sum(byte[] data) {
        CRC32 crc = new CRC32();
        crc.update(data);
        long lines = 0;
        for (byte x : data) {
            lines += x == '\n' ? 1 : 0;
        }
        return String.format("bytes %d lines %d crc %08x%n", data.length, lines, crc.getValue());
    }

    @ParameterizedTest
    @EnumSource(value = ProcessorMode.class, names = {"THREAD", "PROCESS"})
    void emptyStdinAndNoStdinAreBothAnImmediateEnd(ProcessorMode mode) throws Exception {
        LocalCluster c = clusters.get(mode);
        var empty = c.run("io", new ByteArrayInputStream(new byte[0]), "stdin-sum");
        assertThat(empty.exitCode()).as(empty.toString()).isZero();
        assertThat(empty.stdout()).isEqualTo("bytes 0 lines 0 crc 00000000\n");
        // no stdin at all: the program must not wait for input that never comes
        var none = c.run("io", "stdin-sum", "1");
        assertThat(none.exitCode()).as(none.toString()).isZero();
        assertThat(none.stdout()).isEqualTo("bytes 0 lines 0 crc 00000000\n");
        var upper = c.run("io", new ByteArrayInputStream("hello\nstdin wörld\nno newline".getBytes(StandardCharsets.UTF_8)),
                "stdin-upper");
        assertThat(upper.stdout()).isEqualTo("HELLO\nSTDIN WÖRLD\nNO NEWLINE\n");
    }

    @ParameterizedTest
    @EnumSource(value = ProcessorMode.class, names = {"THREAD", "PROCESS"})
    void inputManyTimesTheBufferArrivesWholeAndInOrder(ProcessorMode mode) throws Exception {
        LocalCluster c = clusters.get(mode);
        byte[] big = data(3 << 20, 11);
        assertThat(big.length).isGreaterThan(8 * StdinBuffer.DEFAULT_CAPACITY);
        var r = c.run("io", new ByteArrayInputStream(big), "stdin-sum", "8192");
        assertThat(r.exitCode()).as(r.toString()).isZero();
        assertThat(r.stdout()).isEqualTo(sum(big));
        // byte at a time, across chunk boundaries (process mode: the task's read-ahead buffer)
        byte[] small = data(300_000, 12);
        var bytewise = c.run("io", new ByteArrayInputStream(small), "stdin-sum", "1");
        assertThat(bytewise.stdout()).isEqualTo(sum(small));
    }

    /** Counts what the client has taken from its stdin. */
    private static final class Counting extends InputStream {
        private final InputStream in;
        final AtomicLong taken = new AtomicLong();

        Counting(InputStream in) {
            this.in = in;
        }

        @Override
        public int read() throws java.io.IOException {
            int b = in.read();
            if (b >= 0) {
                taken.incrementAndGet();
            }
            return b;
        }

        @Override
        public int read(byte[] b, int off, int len) throws java.io.IOException {
            int n = in.read(b, off, len);
            if (n > 0) {
                taken.addAndGet(n);
            }
            return n;
        }
    }

    @ParameterizedTest
    @EnumSource(value = ProcessorMode.class, names = {"THREAD", "PROCESS"})
    void aStalledReaderHoldsTheClientBackAndASlowOneStillGetsEverything(ProcessorMode mode) throws Exception {
        LocalCluster c = clusters.get(mode);
        byte[] data = data(2 << 20, 13);
        Counting in = new Counting(new ByteArrayInputStream(data));
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ProcessClient.Running r = c.processes().start("io", "stdin-gated", List.of(), in, out, new ByteArrayOutputStream());
        Await.until("the program read its first byte", Duration.ofSeconds(20), () -> out.toString().contains("got first"));
        // the client fills the processor's buffer, then waits: it takes no more than the buffer, one chunk in flight and
        // (process mode) the task's read-ahead
        long bound = StdinBuffer.DEFAULT_CAPACITY + 3L * ProcessInput.MAX_CHUNK;
        Await.until("the client fills the buffer", Duration.ofSeconds(10), () -> in.taken.get() >= StdinBuffer.DEFAULT_CAPACITY);
        Thread.sleep(300);
        long taken = in.taken.get();
        assertThat(taken).as("bytes taken from the client's stdin while the program reads nothing").isLessThanOrEqualTo(bound);
        assertThat(r.inputDone()).isNotDone();
        c.files("io").create("/go", false);
        assertThat(r.waitFor(Duration.ofSeconds(30))).as(out::toString).isZero();
        assertThat(out.toString()).isEqualTo("got first\n" + sum(data));
        assertThat(r.inputDone().get(5, TimeUnit.SECONDS)).isEqualTo(data.length);
        assertThat(r.inputError()).isEmpty();
    }

    @ParameterizedTest
    @EnumSource(value = ProcessorMode.class, names = {"THREAD", "PROCESS"})
    void aProgramThatStopsReadingEarlyDoesNotHangItsLauncher(ProcessorMode mode) throws Exception {
        LocalCluster c = clusters.get(mode);
        // an endless stdin: only the program's exit can stop the client
        InputStream endless = new InputStream() {
            @Override
            public int read() {
                return 'y';
            }

            @Override
            public int read(byte[] b, int off, int len) {
                java.util.Arrays.fill(b, off, off + len, (byte) 'y');
                return len;
            }
        };
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ProcessClient.Running r = c.processes().start("io", "stdin-head", List.of("100000"), endless, out, new ByteArrayOutputStream());
        assertThat(r.waitFor(Duration.ofSeconds(30))).isEqualTo(3);
        assertThat(out.toString()).isEqualTo("read 100000\n");
        long sent = r.inputDone().get(10, TimeUnit.SECONDS);
        assertThat(sent).isGreaterThanOrEqualTo(100_000);
        assertThat(r.inputError()).isIn("", "pid " + r.pid() + " exited");
    }

    @ParameterizedTest
    @EnumSource(value = ProcessorMode.class, names = {"THREAD", "PROCESS"})
    void badChunksAreRefusedAndRetriesAreNotTakenTwice(ProcessorMode mode) throws Exception {
        LocalCluster c = clusters.get(mode);
        PipedOutputStream feed = new PipedOutputStream();
        PipedInputStream stdin = new PipedInputStream(feed, 1 << 16);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ProcessClient.Running r = c.processes().start("io", "stdin-upper", List.of(), stdin, out, new ByteArrayOutputStream());
        int node = r.processorNode();
        long pid = r.pid();
        var rpc = c.client();
        // the client's own input thread waits on the empty pipe: these chunks are the first the processor sees
        byte[] hello = "hello ".getBytes(StandardCharsets.UTF_8);
        assertThat(rpc.call(node, new ProcessInput(pid, 0, hello, false))).isEqualTo(new InputAccepted(6, false, ""));
        assertThat(rpc.call(node, new ProcessInput(pid, 0, hello, false))).as("a retry").isEqualTo(new InputAccepted(6, false, ""));
        assertThat(rpc.call(node, new ProcessInput(pid, 3, "lo world".getBytes(StandardCharsets.UTF_8), false)))
                .as("overlapping the bytes received").isEqualTo(new InputAccepted(11, false, ""));
        assertThatThrownBy(() -> rpc.call(node, new ProcessInput(pid, -1, hello, false))).isInstanceOf(LegoException.class)
                .hasMessageContaining("negative input offset -1")
                .satisfies(e -> assertThat(((LegoException) e).status()).isEqualTo("INVALID_ARGUMENT"));
        assertThatThrownBy(() -> rpc.call(node, new ProcessInput(pid, 11, new byte[ProcessInput.MAX_CHUNK + 1], false)))
                .isInstanceOf(LegoException.class).hasMessageContaining("larger than " + ProcessInput.MAX_CHUNK)
                .satisfies(e -> assertThat(((LegoException) e).status()).isEqualTo("INVALID_ARGUMENT"));
        assertThatThrownBy(() -> rpc.call(node, new ProcessInput(pid, 12, hello, false))).isInstanceOf(LegoException.class)
                .hasMessageContaining("past the 11 bytes received; send from 11");
        assertThatThrownBy(() -> rpc.call(node, new ProcessInput(pid, 0, hello, true))).isInstanceOf(LegoException.class)
                .hasMessageContaining("cannot end at 6 bytes");
        assertThatThrownBy(() -> rpc.call(node, new ProcessInput(pid + 1_000_000, 0, hello, false)))
                .isInstanceOf(LegoException.class).hasMessageContaining("no process " + (pid + 1_000_000))
                .satisfies(e -> assertThat(((LegoException) e).status()).isEqualTo("NOT_FOUND"));
        // nothing of the refused chunks was taken; the client's thread starts at offset 0 and only its new bytes count
        feed.write("hello world\nsecond line\n".getBytes(StandardCharsets.UTF_8));
        feed.close();
        assertThat(r.waitFor(Duration.ofSeconds(30))).as(out::toString).isZero();
        assertThat(out.toString()).isEqualTo("HELLO WORLD\nSECOND LINE\n");
        assertThat(r.inputDone().get(5, TimeUnit.SECONDS)).isEqualTo(24);
        // after the exit input is refused with a reason, not taken
        InputAccepted late = rpc.call(node, new ProcessInput(pid, 24, hello, false));
        assertThat(late.refused()).isEqualTo("pid " + pid + " exited");
    }
}
