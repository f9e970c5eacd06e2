package org.legoos.node.task;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;
import org.legoos.api.AddressSpace;
import org.legoos.api.LegoContext;
import org.legoos.api.LegoProgram;
import org.legoos.api.ProcessorMode;
import org.legoos.node.LocalCluster;
import org.legoos.processor.ProcessMonitor;
import org.legoos.processor.ProcessorConfig;
import org.legoos.processor.RemoteFileService;
import org.legoos.processor.client.ProcessClient;
import org.legoos.processor.excache.ExCacheConfig;
import org.legoos.testkit.Await;

/**
 * Process mode end to end: every process is a JVM of its own, started by the processor component; programs that do not
 * use memory yet (the process-mode address space is not there).
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class ProcessModeTest {
    private LocalCluster cluster;

    public static final class Hello implements LegoProgram {
        @Override
        public int main(LegoContext ctx, String[] args) {
            ctx.out().println("hello from ctx.out " + String.join(",", args));
            System.out.println("hello from System.out");
            System.err.println("and System.err");
            return 0;
        }
    }

    public static final class Cat implements LegoProgram {
        @Override
        public int main(LegoContext ctx, String[] args) throws Exception {
            ctx.out().print(Files.readString(ctx.fileSystem().getPath(args[0])));
            Files.writeString(ctx.fileSystem().getPath("/out.txt"), "written by pid " + ctx.pid());
            return 0;
        }
    }

    public static final class Exit7 implements LegoProgram {
        @Override
        public int main(LegoContext ctx, String[] args) {
            ctx.out().println("before exit");
            System.exit(7);
            return 0;
        }
    }

    public static final class Throws implements LegoProgram {
        @Override
        public int main(LegoContext ctx, String[] args) {
            throw new IllegalStateException("boom");
        }
    }

    public static final class Spin implements LegoProgram {
        @Override
        public int main(LegoContext ctx, String[] args) {
            ctx.out().println("spinning");
            long x = 0;
            while (true) {
                x++;
                if (x == Long.MIN_VALUE) {
                    return (int) x;
                }
            }
        }
    }

    public static final class Hog implements LegoProgram {
        @Override
        public int main(LegoContext ctx, String[] args) {
            List<byte[]> keep = new ArrayList<>();
            while (true) {
                keep.add(new byte[1 << 20]);
            }
        }
    }

    public static final class ManyThreads implements LegoProgram {
        @Override
        public int main(LegoContext ctx, String[] args) throws Exception {
            int n = Integer.parseInt(args[0]);
            CountDownLatch go = new CountDownLatch(1);
            List<Thread> threads = new ArrayList<>();
            int started = 0;
            try {
                for (int i = 0; i < n; i++) {
                    threads.add(ctx.startThread("t", () -> {
                        try {
                            go.await();
                        } catch (InterruptedException ignored) {
                            // end
                        }
                    }));
                    started++;
                }
            } catch (OutOfMemoryError e) {
                ctx.out().println("could not start more: " + e.getMessage());
            }
            go.countDown();
            for (Thread t : threads) {
                t.join();
            }
            ctx.out().println("started " + started);
            return 0;
        }
    }

    public static final class Parent implements LegoProgram {
        @Override
        public int main(LegoContext ctx, String[] args) throws Exception {
            LegoContext.ChildProcess child = ctx.spawn("pm-hello", "child");
            return child.waitFor() + 40;
        }
    }

    public static final class TouchesMemory implements LegoProgram {
        @Override
        public int main(LegoContext ctx, String[] args) {
            AddressSpace m = ctx.memory();
            int pages = 256; // four times the ExCache: pages are evicted, written back and fetched again
            long a = m.mmap((long) pages * AddressSpace.PAGE_SIZE);
            for (long off = 0; off < (long) pages * AddressSpace.PAGE_SIZE; off += 8) {
                m.putLong(a + off, off);
            }
            long sum = 0;
            for (long off = 0; off < (long) pages * AddressSpace.PAGE_SIZE; off += 8) {
                sum += m.getLong(a + off);
            }
            java.lang.foreign.MemorySegment seg = m.segment(a, 4096);
            ctx.out().println("sum " + sum + " segment " + (seg.address() == a) + " " + seg.get(
                    java.lang.foreign.ValueLayout.JAVA_LONG_UNALIGNED, 8));
            return 0;
        }
    }

    @BeforeAll
    void start() {
        ExCacheConfig cache = new ExCacheConfig(64 * AddressSpace.PAGE_SIZE, 4, ExCacheConfig.Policy.FIFO, 3);
        cluster = LocalCluster.start(LocalCluster.Spec.defaults().withCounts(1, 1, 1)
                        .withProcessor(new ProcessorConfig(2, cache, 16, 2000, ProcessorMode.PROCESS, 64L << 20)),
                Map.of("pm-hello", Hello.class, "pm-cat", Cat.class, "pm-exit7", Exit7.class, "pm-throw", Throws.class,
                        "pm-spin", Spin.class, "pm-hog", Hog.class, "pm-threads", ManyThreads.class, "pm-parent", Parent.class,
                        "pm-memory", TouchesMemory.class));
        cluster.createVNode("pm");
    }

    @AfterAll
    void stop() {
        if (cluster != null) {
            cluster.close();
        }
    }

    private ProcessMonitor processor() {
        return cluster.processors().getFirst();
    }

    @Test
    void theProcessorRunsInProcessMode() {
        assertThat(processor().mode()).isEqualTo(ProcessorMode.PROCESS);
        assertThat(processor().resources().processorMode()).isEqualTo(ProcessorMode.PROCESS);
        assertThat(processor().modeReason()).startsWith("configured");
    }

    @Test
    void helloReachesTheLauncherThroughBothStreams() throws Exception {
        var r = cluster.run("pm", "pm-hello", "a", "b");
        assertThat(r.exitCode()).as(r.toString()).isZero();
        assertThat(r.stdout()).contains("hello from ctx.out a,b", "hello from System.out");
        assertThat(r.stderr()).contains("and System.err");
        assertThat(r.error()).isEmpty();
    }

    @Test
    void readsAndWritesTheVNodesFiles() throws Exception {
        RemoteFileService files = cluster.files("pm");
        files.create("/in.txt", false);
        files.write("/in.txt", 0, ByteBuffer.wrap("line one\nline two\n".getBytes(StandardCharsets.UTF_8)));
        files.close("/in.txt");
        var r = cluster.run("pm", "pm-cat", "/in.txt");
        assertThat(r.exitCode()).as(r.toString()).isZero();
        assertThat(r.stdout()).isEqualTo("line one\nline two\n");
        ByteBuffer back = ByteBuffer.allocate(100);
        int n = files.read("/out.txt", 0, back);
        assertThat(new String(back.array(), 0, n, StandardCharsets.UTF_8)).isEqualTo("written by pid " + r.pid());
        var missing = cluster.run("pm", "pm-cat", "/nope.txt");
        assertThat(missing.exitCode()).isEqualTo(1);
        assertThat(missing.stderr()).contains("NoSuchFileException", "/nope.txt");
    }

    @Test
    void systemExitPassesItsCodeAndTheProcessorKeepsServing() throws Exception {
        var r = cluster.run("pm", "pm-exit7");
        assertThat(r.exitCode()).as(r.toString()).isEqualTo(7);
        assertThat(r.stdout()).contains("before exit");
        assertThat(cluster.run("pm", "pm-hello").exitCode()).isZero();
    }

    @Test
    void anUncaughtExceptionExitsOneWithItsStackTrace() throws Exception {
        var r = cluster.run("pm", "pm-throw");
        assertThat(r.exitCode()).isEqualTo(1);
        assertThat(r.stderr()).contains("IllegalStateException: boom", "at org.legoos.node.task.ProcessModeTest$Throws.main");
        assertThat(r.error()).contains("boom");
    }

    @Test
    void aSpinningProcessIsKilledWith137() throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ProcessClient.Running p = cluster.processes().start("pm", "pm-spin", List.of(), out, new ByteArrayOutputStream());
        Await.until("spinning printed", Duration.ofSeconds(60), () -> out.toString().contains("spinning"));
        assertThat(processor().ps().processes()).anySatisfy(e -> {
            assertThat(e.pid()).isEqualTo(p.pid());
            assertThat(e.threads()).isGreaterThan(1);
        });
        long t0 = System.nanoTime();
        p.kill();
        Integer code = p.waitFor(Duration.ofMillis(processor().config().killGraceMillis()));
        assertThat(code).isEqualTo(ProcessMonitor.EXIT_KILLED);
        assertThat(Duration.ofNanos(System.nanoTime() - t0)).isLessThan(Duration.ofSeconds(2));
        Await.until("task gone", Duration.ofSeconds(10), () -> processor().processCount() == 0);
    }

    @Test
    void heapExhaustionEndsThatProcessOnly() throws Exception {
        var r = cluster.run("pm", "pm-hog");
        assertThat(r.exitCode()).as(r.toString()).isNotZero();
        assertThat(r.error()).contains("out of memory");
        assertThat(cluster.run("pm", "pm-hello").exitCode()).isZero();
    }

    @Test
    void fiveThousandThreadsAreContained() throws Exception {
        var r = cluster.run("pm", "pm-threads", "5000");
        assertThat(r.exitCode()).as(r.toString()).isZero();
        assertThat(r.stdout()).contains("started ");
        assertThat(cluster.run("pm", "pm-hello").exitCode()).isZero();
    }

    @Test
    void aProcessSpawnsAndWaitsForAChild() throws Exception {
        var r = cluster.run("pm", "pm-parent");
        assertThat(r.exitCode()).as(r.toString()).isEqualTo(40);
        assertThat(r.stdout()).contains("hello from ctx.out child");
    }

    @Test
    void aProgramsMemoryIsItsOwnJvmsFaultingToItsProcessor() throws Exception {
        var r = cluster.run("pm", "pm-memory");
        assertThat(r.exitCode()).as(r.stderr()).isZero();
        long n = 256L * 4096 / 8;
        assertThat(r.stdout()).contains("sum " + (8 * n * (n - 1) / 2) + " segment true 8");
    }

    @Test
    void anUnknownProgramIsNotFound() {
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> cluster.run("pm", "/bin/nope.jar"))
                .hasMessageContaining("not found");
    }
}
