package org.legoos.node;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.legoos.api.ProcessorMode;
import org.legoos.manager.ManagerConfig;
import org.legoos.memory.MemoryConfig;
import org.legoos.net.protocol.gm.VNodeInfo;
import org.legoos.processor.ProcessorConfig;
import org.legoos.processor.RemoteFileService;
import org.legoos.processor.client.ProcessClient;
import org.legoos.processor.excache.ExCacheConfig;

/**
 * A vNode's files outlive the memory component that caches them: when the manager declares it dead, it names another
 * one, and the vNode's file service (the one processes use) goes on there. What the dead cache held that storage had
 * not is reported, once, at the next fsync or close of each file it belonged to, never read back as if it were there.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class FileCacheFailoverTest {
    private static final ExCacheConfig EXCACHE = new ExCacheConfig(4 << 20, 8, ExCacheConfig.Policy.FIFO, 7);

    private static LocalCluster.Spec spec(ProcessorMode mode) {
        return LocalCluster.Spec.defaults()
                .withCounts(1, 3, 1)
                .withMemory(MemoryConfig.of(256L << 20).withVregionBytes(1 << 20))
                .withProcessor(new ProcessorConfig(2, EXCACHE, 64, 2000).withMode(mode))
                .withManager(ManagerConfig.defaults().withHeartbeatTimeoutMillis(1_500).withTickPeriodMillis(100));
    }

    private static byte[] text(String line, int copies) {
        return line.repeat(copies).getBytes(StandardCharsets.UTF_8);
    }

    private static byte[] readAll(RemoteFileService fs, String path, int length) throws IOException {
        ByteBuffer out = ByteBuffer.allocate(length + 1);
        while (out.hasRemaining() && fs.read(path, out.position(), out) > 0) {
            // until the end of the file
        }
        return java.util.Arrays.copyOf(out.array(), out.position());
    }

    /** Skips a process-mode case on a host without process mode; thread mode runs everywhere. */
    private static void assumeModeRuns(ProcessorMode mode) {
        org.junit.jupiter.api.Assumptions.assumeTrue(mode == ProcessorMode.THREAD
                || org.legoos.processor.task.HostSupport.decide(ProcessorMode.AUTO).mode() == ProcessorMode.PROCESS,
                "no process mode on this host");
    }

    @ParameterizedTest
    @EnumSource(value = ProcessorMode.class, names = {"THREAD", "PROCESS"})
    void theFilesOfAVNodeOutliveItsCacheAndWhatTheCacheTookIsReportedOnce(ProcessorMode mode) throws Exception {
        assumeModeRuns(mode);
        try (LocalCluster c = LocalCluster.start(spec(mode))) {
            VNodeInfo v = c.createVNode("v");
            int dead = v.cacheMemoryNode();
            RemoteFileService fs = c.files("v");
            byte[] a = text("alpha beta alpha gamma\n", 20_000); // 460 KB: written back at close
            byte[] b = text("synced\n", 10_000);
            byte[] bLater = text("LATER!\n", 10_000); // same length: overwrites b in the cache only
            fs.create("/a", false);
            fs.write("/a", 0, ByteBuffer.wrap(a));
            fs.close("/a");
            fs.create("/b", false);
            fs.write("/b", 0, ByteBuffer.wrap(b));
            fs.fsync("/b");
            fs.write("/b", 0, ByteBuffer.wrap(bLater));

            c.crashMemory(c.memoryNodeIds().indexOf(dead));

            // the next call waits for the manager to name another cache, then goes on there
            assertThat(readAll(fs, "/a", a.length)).isEqualTo(a);
            int now = c.vnode("v").cacheMemoryNode();
            assertThat(now).as("the manager's new cache").isNotEqualTo(dead).isIn(c.memoryNodeIds());
            assertThat(fs.cacheNode()).isEqualTo(now);
            // the write the dead cache took: reported at the next fsync, once, naming the dead component
            assertThatThrownBy(() -> fs.fsync("/b")).isInstanceOf(IOException.class)
                    .hasMessageContaining("/b").hasMessageContaining("lost")
                    .hasMessageContaining("memory component " + dead);
            fs.fsync("/b");
            assertThat(readAll(fs, "/b", b.length)).as("what storage had").isEqualTo(b);
            fs.close("/a"); // nothing of /a was lost: no error

            // a program started now reads the vNode's files through the new cache
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            ProcessClient.Running p = c.processes().start("v", "wordcount", java.util.List.of("/a", "--top", "2"), null,
                    out, new ByteArrayOutputStream());
            assertThat(p.waitFor(java.time.Duration.ofSeconds(60))).as(p.error()).isZero();
            assertThat(out.toString(StandardCharsets.UTF_8)).contains("alpha").contains("40000");
        }
    }

    /**
     * Reads a file of its vNode again and again until its stdin ends, printing each pass's CRC-32; exits 2 when a
     * pass reads other bytes than the first.
     */
    public static final class Rereader implements org.legoos.api.LegoProgram {
        @Override
        public int main(org.legoos.api.LegoContext ctx, String[] args) throws Exception {
            java.util.concurrent.atomic.AtomicBoolean stop = new java.util.concurrent.atomic.AtomicBoolean();
            ctx.startThread("stdin", () -> {
                try {
                    ctx.in().readAllBytes();
                } catch (IOException e) {
                    // ended
                }
                stop.set(true);
            });
            long first = -1;
            for (int pass = 1; !stop.get(); pass++) {
                java.util.zip.CRC32 crc = new java.util.zip.CRC32();
                crc.update(java.nio.file.Files.readAllBytes(ctx.fileSystem().getPath(args[0])));
                if (first < 0) {
                    first = crc.getValue();
                } else if (crc.getValue() != first) {
                    ctx.err().println("pass " + pass + " read crc " + Long.toHexString(crc.getValue()));
                    return 2;
                }
                ctx.out().println("pass " + pass + " crc " + Long.toHexString(crc.getValue()));
                ctx.out().flush();
            }
            return 0;
        }
    }

    /**
     * The vNode's cache component hangs (nothing it sends arrives, nothing sent to it is answered, no connection
     * breaks) while a program reads a file through it: the manager declares it dead at the heartbeat timeout, names
     * another cache and tells the processor, whose file calls to the hung one fail at once and go to the new one, so
     * the program reads on within seconds, never waiting out the 30 s call timeout, and reads the same bytes.
     */
    @ParameterizedTest
    @EnumSource(value = ProcessorMode.class, names = {"THREAD", "PROCESS"})
    void aProgramReadsOnThroughACacheComponentThatHangs(ProcessorMode mode) throws Exception {
        assumeModeRuns(mode);
        try (LocalCluster c = LocalCluster.start(spec(mode), java.util.Map.of("rereader", Rereader.class))) {
            VNodeInfo v = c.createVNode("v");
            int hung = v.cacheMemoryNode();
            RemoteFileService fs = c.files("v");
            byte[] a = text("alpha beta alpha gamma\n", 20_000);
            fs.create("/a", false);
            fs.write("/a", 0, ByteBuffer.wrap(a));
            fs.close("/a");
            java.util.zip.CRC32 crc = new java.util.zip.CRC32();
            crc.update(a);
            String want = "crc " + Long.toHexString(crc.getValue());

            ByteArrayOutputStream out = new ByteArrayOutputStream();
            ByteArrayOutputStream err = new ByteArrayOutputStream();
            java.io.PipedOutputStream stop = new java.io.PipedOutputStream();
            ProcessClient.Running p = c.processes().start("v", "rereader", java.util.List.of("/a"),
                    new java.io.PipedInputStream(stop), out, err);
            org.legoos.testkit.Await.until("a first pass", java.time.Duration.ofSeconds(60),
                    () -> out.toString(StandardCharsets.UTF_8).contains("pass 1 ") || p.onExit().isDone());
            c.hang(hung, true);
            long t0 = System.nanoTime();
            int passes = out.toString(StandardCharsets.UTF_8).split("\n").length;
            org.legoos.testkit.Await.until("two more passes", java.time.Duration.ofSeconds(60),
                    () -> out.toString(StandardCharsets.UTF_8).split("\n").length >= passes + 2 || p.onExit().isDone());
            long waited = (System.nanoTime() - t0) / 1_000_000;
            assertThat(p.onExit().isDone()).as("the program ended: " + err.toString(StandardCharsets.UTF_8)).isFalse();
            assertThat(waited).as("ms from the hang to two more passes").isLessThan(20_000);
            assertThat(c.vnode("v").cacheMemoryNode()).as("the manager's new cache").isNotEqualTo(hung);
            stop.close();
            assertThat(p.waitFor(java.time.Duration.ofSeconds(60))).as(err.toString(StandardCharsets.UTF_8)).isZero();
            assertThat(out.toString(StandardCharsets.UTF_8).lines()).allSatisfy(l -> assertThat(l).endsWith(want));
            c.hang(hung, false);
        }
    }
}
