package org.legoos.node;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.legoos.api.LegoContext;
import org.legoos.api.LegoProgram;
import org.legoos.api.ProcessorMode;
import org.legoos.node.cluster.ClusterClient;
import org.legoos.node.cluster.TcpCluster;
import org.legoos.node.config.LegoConfig;
import org.legoos.processor.client.ProcessClient;
import org.legoos.processor.ProcessorConfig;
import org.legoos.task.fs.FileService;

/**
 * A vNode's storage quota as its programs see it, in-JVM (thread and process mode) and over TCP with TLS: a program
 * that writes past the quota gets "disk quota exceeded" naming the quota, every byte written before stays readable,
 * the other vNode is not affected, and removing a file gives the room back. The buffer cache is write-back, so the
 * refusal must come when the program writes, not later when nobody is left to hear it.
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class VNodeStorageQuotaTest {
    private static final int KiB = 1024;
    private static final long QUOTA = 1024 * KiB;
    private static final int BLOCK = 64 * KiB;

    /**
     * Writes {@code args[1]} KiB of a known pattern to {@code args[0]} in 64 KiB blocks; prints "wrote N"; on a refusal
     * prints "refused after N: why" to stderr and exits 3.
     */
    public static final class Filler implements LegoProgram {
        @Override
        public int main(LegoContext ctx, String[] args) {
            long want = Long.parseLong(args[1]) * KiB;
            long written = 0;
            try (OutputStream out = Files.newOutputStream(ctx.fileSystem().getPath(args[0]))) {
                while (written < want) {
                    out.write(pattern(written, BLOCK));
                    written += BLOCK;
                }
            } catch (IOException e) {
                ctx.err().println("refused after " + written + ": " + e.getMessage());
                return 3;
            }
            ctx.out().println("wrote " + written);
            return 0;
        }
    }

    /** The bytes the filler writes at file offset {@code from}. */
    static byte[] pattern(long from, int length) {
        byte[] b = new byte[length];
        for (int i = 0; i < length; i++) {
            long at = from + i;
            b[i] = (byte) (at * 131 + (at >>> 9));
        }
        return b;
    }

    /** What a program run says: exit code, stdout, stderr. */
    record Run(int exit, String out, String err) {
    }

    /** The parts of a cluster the scenario needs, for any deployment. */
    interface Cluster {
        Run run(String vnode, String... args) throws Exception;

        FileService files(String vnode);
    }

    private static byte[] readAll(FileService fs, String path) throws IOException {
        long size = fs.stat(path).size();
        ByteBuffer buf = ByteBuffer.allocate((int) size);
        while (buf.hasRemaining() && fs.read(path, buf.position(), buf) > 0) {
            // read on
        }
        return buf.array();
    }

    /** The scenario, on vNodes "small" (1 MiB of files) and "big" (the default quota). */
    static void scenario(Cluster c) throws Exception {
        Run first = c.run("small", "/a", "768");
        assertThat(first.exit()).as(first.err()).isZero();

        Run over = c.run("small", "/b", "512");
        assertThat(over.exit()).as(over.out() + over.err()).isEqualTo(3);
        assertThat(over.err()).contains("disk quota exceeded").contains("storage quota of 1.0MiB");

        FileService small = c.files("small");
        assertThat(readAll(small, "/a")).as("the file written before the refusal").isEqualTo(pattern(0, 768 * KiB));
        byte[] b = readAll(small, "/b");
        assertThat(b.length).as("what was accepted of /b fits the quota").isLessThanOrEqualTo(256 * KiB);
        assertThat(b).as("every accepted byte of /b arrived").isEqualTo(pattern(0, b.length));

        Run other = c.run("big", "/c", "2048");
        assertThat(other.exit()).as("the other vNode: " + other.err()).isZero();

        small.unlink("/a");
        Run again = c.run("small", "/b", "512");
        assertThat(again.exit()).as("after removing /a: " + again.err()).isZero();
        assertThat(readAll(small, "/b")).isEqualTo(pattern(0, 512 * KiB));
    }

    @ParameterizedTest
    @EnumSource(value = ProcessorMode.class, names = {"THREAD", "PROCESS"})
    void inJvm(ProcessorMode mode) throws Exception {
        // a buffer cache smaller than the files, so dirty data is written back while the programs write
        try (LocalCluster lc = LocalCluster.start(LocalCluster.Spec.defaults().withCounts(1, 1, 1)
                .withMemory(org.legoos.memory.MemoryConfig.of(64L << 20).withBufferCache(256 << 10, 16 << 10))
                .withProcessor(ProcessorConfig.of(2, 4L << 20).withMode(mode)), Map.of("filler", Filler.class))) {
            lc.createVNode("small", 0, QUOTA, 0);
            lc.createVNode("big");
            scenario(new Cluster() {
                @Override
                public Run run(String vnode, String... args) throws Exception {
                    String[] all = new String[args.length];
                    System.arraycopy(args, 0, all, 0, args.length);
                    LocalCluster.RunResult r = lc.run(vnode, "filler", all);
                    return new Run(r.exitCode(), r.stdout(), r.stderr() + (r.error() == null ? "" : r.error()));
                }

                @Override
                public FileService files(String vnode) {
                    return lc.files(vnode);
                }
            });
        }
    }

    @Test
    void overTcpWithTls() throws Exception {
        LegoConfig cfg = LegoConfig.defaults()
                .with("manager.heartbeatTimeout", "10s").with("manager.reportInterval", "100ms")
                .with("manager.joinTimeout", "10s").with("processor.cores", "2")
                .with("memory.capacityBytes", "64MiB").with("memory.vregionBytes", "1MiB").with("memory.workers", "2")
                .with("memory.bufferCacheBytes", "256KiB").with("memory.bufferChunkBytes", "16KiB");
        try (TcpCluster tc = TcpCluster.start(cfg, 1, 1, 1, Map.of("filler", Filler.class));
             ClusterClient client = tc.client()) {
            client.createVNode("small", 0, QUOTA, 0);
            client.createVNode("big", 0, 0);
            scenario(new Cluster() {
                @Override
                public Run run(String vnode, String... args) throws Exception {
                    ByteArrayOutputStream out = new ByteArrayOutputStream();
                    ByteArrayOutputStream err = new ByteArrayOutputStream();
                    ProcessClient.Running r = client.processes().start(vnode, "filler", List.of(args), out, err);
                    Integer code = r.waitFor(Duration.ofSeconds(60));
                    return new Run(code == null ? -1 : code, out.toString(StandardCharsets.UTF_8),
                            err.toString(StandardCharsets.UTF_8) + (r.error() == null ? "" : r.error()));
                }

                @Override
                public FileService files(String vnode) {
                    return client.files(vnode);
                }
            });
        }
    }
}
