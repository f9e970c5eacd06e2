package org.legoos.node;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystem;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.legoos.api.LegoContext;
import org.legoos.api.LegoProgram;
import org.legoos.memory.MemoryConfig;
import org.legoos.node.cluster.ClusterClient;
import org.legoos.node.cluster.TcpCluster;
import org.legoos.node.config.LegoConfig;
import org.legoos.processor.ProcessorConfig;
import org.legoos.processor.client.ProcessClient;

/**
 * Model check of the {@code lego:} file system end to end: random programs of file operations (see {@link FsModel})
 * run inside a LegoOS/J process on a real cluster, through {@code ctx.fileSystem()}, the process monitor, the
 * memory component's buffer cache (small, so chunks are evicted) and the storage component, step by step against
 * a directory of the local file system. Every step must give the same outcome (value or exception class) and
 * leave the same files.
 *
 * <p>The seed is {@code -Dlegoos.seed} if given, else the clock; it is printed at the start and in a failure, which
 * also prints the failing program shrunk to the fewest operations that still fail the same way. A longer soak:
 * {@code -Dlegoos.soak=<operations>} or {@code -Dlegoos.soak=<seconds>s} (on the in-JVM cluster).
 */
class FsModelCheckTest {
    /** Programs run by {@link Driver}, by the token it is given as its argument. */
    static final Map<String, Job> JOBS = new ConcurrentHashMap<>();
    private static final AtomicInteger RUNS = new AtomicInteger();

    interface Job {
        void run(FileSystem fs) throws Exception;
    }

    /** The LegoOS program: runs the job named by args[0] on its own {@code ctx.fileSystem()}. */
    public static final class Driver implements LegoProgram {
        @Override
        public int main(LegoContext ctx, String[] args) throws Exception {
            JOBS.remove(args[0]).run(ctx.fileSystem());
            return 0;
        }
    }

    /** Starts the driver process for a token and waits for it. */
    interface Launcher {
        void launch(String token) throws Exception;
    }

    /** Runs and checks programs on one cluster; the local side lives under {@code localRoot}. */
    private record Checker(Launcher launcher, Path localRoot, String name) {
        FsModel.Mismatch run(List<FsModel.Op> ops) {
            String dir = "r" + RUNS.incrementAndGet();
            FsModel.Mismatch[] result = new FsModel.Mismatch[1];
            Throwable[] crash = new Throwable[1];
            String token = name + "-" + dir;
            JOBS.put(token, fs -> {
                try {
                    FsModel.execute(ops, fs, "/" + dir, localRoot.resolve(dir), 10);
                } catch (FsModel.Mismatch m) {
                    result[0] = m;
                } catch (Throwable t) {
                    crash[0] = t;
                }
            });
            try {
                launcher.launch(token);
            } catch (Exception e) {
                throw new AssertionError("the driver process failed on " + name, e);
            } finally {
                JOBS.remove(token);
            }
            if (crash[0] != null) {
                return new FsModel.Mismatch(0, "crash " + crash[0].getClass().getSimpleName(),
                        "the checker itself failed: " + crash[0], crash[0]);
            }
            return result[0];
        }

        /** Runs programs from {@code seed} until {@code ops} operations (or {@code millis}) are done; shrinks a failure. */
        void check(long seed, long ops, long millis, int programLength) {
            SplittableRandom master = new SplittableRandom(seed);
            long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(millis);
            long done = 0;
            int programs = 0;
            long start = System.nanoTime();
            while (done < ops && System.nanoTime() < deadline) {
                List<FsModel.Op> program = FsModel.generate(master.split(), programLength);
                programs++;
                FsModel.Mismatch m = run(program);
                if (m != null) {
                    List<FsModel.Op> failing = program.subList(0, Math.min(program.size(), Math.max(m.step, 1)));
                    long t0 = System.nanoTime();
                    List<FsModel.Op> shrunk = FsModel.shrink(failing, m.signature, this::run, 400);
                    FsModel.Mismatch again = run(shrunk);
                    throw new AssertionError(name + ": the lego: file system differs from the local file system"
                            + " [seed=" + seed + ", program " + programs + "; rerun with -Dlegoos.seed=" + seed + "]\n"
                            + m.getMessage() + "\n\nshrunk in " + TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0)
                            + " ms from " + m.step + " to " + shrunk.size() + " operations, which fail with:\n"
                            + (again == null ? "(no longer fails?)" : again.getMessage()) + "\n\n" + FsModel.show(shrunk),
                            again != null ? again : m);
                }
                done += program.size();
            }
            System.out.println(name + ": " + programs + " programs, " + done + " operations match the model in "
                    + TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start) + " ms");
        }
    }

    static long seed(String test) {
        long seed = Long.getLong("legoos.seed", System.nanoTime());
        System.out.println("FsModelCheckTest." + test + " seed=" + seed + " (rerun with -Dlegoos.seed=" + seed + ")");
        return seed;
    }

    /** A small buffer cache (16 chunks of 16 KiB) so that the model's files are evicted and re-read. */
    private static LocalCluster localCluster() {
        MemoryConfig mem = MemoryConfig.of(64L << 20).withVregionBytes(1 << 20).withWorkers(0)
                .withBufferCache(256 << 10, 16 << 10);
        return LocalCluster.start(LocalCluster.Spec.defaults().withMemory(mem).withCounts(1, 1, 1)
                // Thread mode: the driver takes its job from this JVM's memory (a token in a map), by design.
                .withProcessor(ProcessorConfig.of(2, 4L << 20).withMode(org.legoos.api.ProcessorMode.THREAD)),
                Map.of("fsmc", Driver.class));
    }

    private static Launcher launcher(LocalCluster cluster, String vnode) {
        return token -> {
            LocalCluster.RunResult r = cluster.run(vnode, "fsmc", token);
            if (r.exitCode() != 0) {
                throw new AssertionError("driver exited " + r.exitCode() + ": " + r.error() + "\n" + r.stderr());
            }
        };
    }

    @Test
    @Timeout(value = 180, unit = TimeUnit.SECONDS)
    void inJvmClusterMatchesTheLocalFileSystem(@TempDir Path local) throws Exception {
        long seed = seed("inJvmClusterMatchesTheLocalFileSystem");
        try (LocalCluster cluster = localCluster()) {
            cluster.createVNode("mc");
            new Checker(launcher(cluster, "mc"), local, "in-JVM cluster").check(seed, 10_000, 18_000, 120);
        }
    }

    /** Small and tolerant of a loaded 2-core build machine (as TcpClusterTest's), with a small buffer cache. */
    private static LegoConfig tcpConfig() {
        return LegoConfig.defaults()
                .with("manager.heartbeatTimeout", "10s").with("manager.reportInterval", "100ms")
                .with("manager.joinTimeout", "10s")
                .with("processor.excacheBytes", "1MiB").with("processor.excacheWays", "16").with("processor.cores", "2")
                .with("memory.capacityBytes", "64MiB").with("memory.vregionBytes", "1MiB").with("memory.workers", "2")
                .with("memory.bufferCacheBytes", "256KiB").with("memory.bufferChunkBytes", "16KiB");
    }

    @Test
    @Timeout(value = 180, unit = TimeUnit.SECONDS)
    void tcpClusterMatchesTheLocalFileSystem(@TempDir Path local) throws Exception {
        long seed = seed("tcpClusterMatchesTheLocalFileSystem");
        try (TcpCluster cluster = TcpCluster.start(tcpConfig(), 1, 1, 1, Map.of("fsmc", Driver.class));
             ClusterClient client = cluster.client()) {
            client.createVNode("mc", 0, 0);
            Launcher launcher = token -> {
                ByteArrayOutputStream err = new ByteArrayOutputStream();
                ProcessClient.Running r = client.processes().start("mc", "fsmc", List.of(token),
                        new ByteArrayOutputStream(), err);
                Integer code = r.waitFor(Duration.ofSeconds(120));
                assertThat(code).as("exit of the driver (" + r.error() + ") " + err.toString(StandardCharsets.UTF_8))
                        .isEqualTo(0);
            };
            new Checker(launcher, local, "TCP cluster").check(seed, 3000, 10_000, 100);
        }
    }

    /** {@code -Dlegoos.soak=<operations>} or {@code <seconds>s}: a long run on the in-JVM cluster. */
    @Test
    void soak(@TempDir Path local) throws Exception {
        String soak = System.getProperty("legoos.soak");
        org.junit.jupiter.api.Assumptions.assumeTrue(soak != null && !soak.isBlank(), "-Dlegoos.soak not set");
        long seed = seed("soak");
        long ops = soak.endsWith("s") ? Long.MAX_VALUE : Long.parseLong(soak);
        long millis = soak.endsWith("s") ? Long.parseLong(soak.substring(0, soak.length() - 1)) * 1000 : TimeUnit.DAYS.toMillis(30);
        try (LocalCluster cluster = localCluster()) {
            cluster.createVNode("mc");
            new Checker(launcher(cluster, "mc"), local, "soak").check(seed, ops, millis, 200);
        }
    }
}
