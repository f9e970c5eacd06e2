package org.legoos.memory;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.legoos.memory.cache.BufferCache;
import org.legoos.net.protocol.p2m.FileClose;
import org.legoos.net.protocol.p2m.FileRead;
import org.legoos.net.protocol.p2m.FileSync;
import org.legoos.net.protocol.p2m.FileWrite;
import org.legoos.net.protocol.p2m.FileWriteBatch;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The buffer cache's per-page state inside chunks: fills only what is needed, writes back only dirty pages. */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class BufferCachePagesTest {
    static final int PAGE = BufferCache.PAGE_BYTES;
    static final int CHUNK = 4 * PAGE;
    static final int VN = TestCluster.VNODE;
    TestCluster cluster;
    int mem;

    @BeforeEach
    void start() {
        // 16 KiB chunks of four pages, room for 3 chunks
        cluster = new TestCluster(1, new MemoryConfig(1 << 20, 1 << 20, 2, 3 * CHUNK, CHUNK));
        mem = TestCluster.memoryNode(0);
    }

    @AfterEach
    void stop() {
        cluster.close();
    }

    private static byte[] bytes(int n, int seed) {
        byte[] b = new byte[n];
        for (int i = 0; i < n; i++) {
            b[i] = (byte) (seed + i * 31);
        }
        return b;
    }

    private byte[] read(String path, long offset, int length) {
        ByteBuffer d = cluster.call(mem, new FileRead(VN, path, offset, length)).data();
        byte[] out = new byte[d.remaining()];
        d.get(out);
        return out;
    }

    private void write(String path, long offset, byte[] data) {
        cluster.call(mem, new FileWrite(VN, path, offset, ByteBuffer.wrap(data)));
    }

    @Test
    void aWholePageWriteNeedsNoFillAndOnlyDirtyPagesAreWrittenBack() {
        byte[] file = bytes(CHUNK, 1);
        cluster.files.data.put("/a", file.clone());
        write("/a", PAGE, bytes(PAGE, 2)); // page 1 of chunk 0, whole
        assertThat(cluster.files.reads).as("a whole-page write reads nothing").hasValue(0);
        cluster.call(mem, new FileSync(VN, "/a", false));
        assertThat(cluster.files.writes).hasValue(1);
        assertThat(cluster.files.bytesWritten).as("only the dirty page goes back").hasValue(PAGE);
        byte[] expect = file.clone();
        System.arraycopy(bytes(PAGE, 2), 0, expect, PAGE, PAGE);
        assertThat(cluster.files.durable.get("/a")).isEqualTo(expect);
        // the other pages of the chunk were never valid: reading them fetches them now, one page each
        assertThat(read("/a", 0, 100)).isEqualTo(Arrays.copyOf(file, 100));
        assertThat(cluster.files.bytesRead).hasValue(PAGE);
        assertThat(read("/a", 0, CHUNK)).isEqualTo(expect);
    }

    @Test
    void aPartialPageWriteFillsOnlyThatPage() {
        byte[] file = bytes(CHUNK, 3);
        cluster.files.data.put("/b", file.clone());
        write("/b", 2 * PAGE + 10, new byte[] {7, 8, 9});
        assertThat(cluster.files.reads).hasValue(1);
        assertThat(cluster.files.bytesRead).hasValue(PAGE);
        byte[] expect = file.clone();
        expect[2 * PAGE + 10] = 7;
        expect[2 * PAGE + 11] = 8;
        expect[2 * PAGE + 12] = 9;
        assertThat(read("/b", 2 * PAGE, PAGE)).isEqualTo(Arrays.copyOfRange(expect, 2 * PAGE, 3 * PAGE));
        assertThat(cluster.files.reads).as("the page is valid now").hasValue(1);
        cluster.call(mem, new FileClose(VN, "/b"));
        assertThat(cluster.files.data.get("/b")).isEqualTo(expect);
        assertThat(cluster.files.bytesWritten).hasValue(PAGE);
    }

    @Test
    void aPartialWriteAtTheEndOfTheFileNeedsNoFillWhenItCoversTheFilesBytes() {
        cluster.files.data.put("/c", bytes(PAGE + 100, 4));
        write("/c", PAGE, bytes(200, 5)); // covers the 100 bytes the file has in page 1, and extends it
        assertThat(cluster.files.reads).hasValue(0);
        assertThat(read("/c", PAGE, 300)).isEqualTo(bytes(200, 5));
        assertThat(cluster.files.reads).hasValue(0);
    }

    @Test
    void aRandomReadFetchesOnePageNotTheChunk() {
        byte[] file = bytes(4 * CHUNK, 6);
        cluster.files.data.put("/d", file);
        assertThat(read("/d", 5 * PAGE + 7, 100)).isEqualTo(Arrays.copyOfRange(file, 5 * PAGE + 7, 5 * PAGE + 107));
        assertThat(cluster.files.bytesRead).hasValue(PAGE);
        // a read over valid and missing pages fetches each missing run once
        assertThat(read("/d", 4 * PAGE, 3 * PAGE)).isEqualTo(Arrays.copyOfRange(file, 4 * PAGE, 7 * PAGE));
        assertThat(cluster.files.reads).hasValue(3);
        assertThat(cluster.files.bytesRead).hasValue(3 * PAGE);
    }

    @Test
    void aSequentialStreamReadsAheadInOneRequest() {
        byte[] file = bytes(3 * CHUNK, 8);
        cluster.files.data.put("/e", file);
        assertThat(read("/e", 0, PAGE)).isEqualTo(Arrays.copyOf(file, PAGE));
        assertThat(read("/e", PAGE, PAGE)).isEqualTo(Arrays.copyOfRange(file, PAGE, 2 * PAGE));
        int reads = cluster.files.reads.get();
        assertThat(reads).isEqualTo(2);
        // the second read continued the first: it fetched ahead (an eighth of the 48 KiB cache = 6 KiB: one more page)
        assertThat(cluster.files.bytesRead.get()).isGreaterThan(2L * PAGE);
        assertThat(read("/e", 2 * PAGE, PAGE)).isEqualTo(Arrays.copyOfRange(file, 2 * PAGE, 3 * PAGE));
        assertThat(cluster.files.reads).as("served from the read-ahead").hasValue(reads);
    }

    @Test
    void aBatchAppliesItsWritesInOrder() {
        cluster.files.data.put("/f", new byte[0]);
        List<FileWriteBatch.Extent> extents = List.of(
                new FileWriteBatch.Extent(0, ByteBuffer.wrap(bytes(PAGE, 1))),
                new FileWriteBatch.Extent(3 * CHUNK, ByteBuffer.wrap(bytes(10, 2))),
                new FileWriteBatch.Extent(100, ByteBuffer.wrap(bytes(50, 3)))); // overwrites part of the first
        cluster.call(mem, new FileWriteBatch(VN, "/f", extents));
        byte[] expect = new byte[3 * CHUNK + 10];
        System.arraycopy(bytes(PAGE, 1), 0, expect, 0, PAGE);
        System.arraycopy(bytes(10, 2), 0, expect, 3 * CHUNK, 10);
        System.arraycopy(bytes(50, 3), 0, expect, 100, 50);
        assertThat(read("/f", 0, 1 << 20)).isEqualTo(expect);
        cluster.call(mem, new FileSync(VN, "/f", false));
        assertThat(cluster.files.durable.get("/f")).isEqualTo(expect);
    }

    /** Random reads, writes, batches, syncs and closes against a byte-array model, through evictions. */
    @Test
    void randomOperationsMatchAModel() {
        long seed = Long.getLong("legoos.seed", System.nanoTime());
        System.out.println("BufferCachePagesTest.randomOperationsMatchAModel seed=" + seed + " (rerun with -Dlegoos.seed=" + seed + ")");
        SplittableRandom rng = new SplittableRandom(seed);
        int max = 10 * CHUNK;
        byte[] model = bytes(rng.nextInt(max), 9);
        int size = model.length;
        model = Arrays.copyOf(model, max + 3 * PAGE);
        cluster.files.data.put("/m", Arrays.copyOf(model, size));
        cluster.files.durable.put("/m", Arrays.copyOf(model, size)); // durable as it starts
        for (int op = 0; op < 2000; op++) {
            int kind = rng.nextInt(10);
            if (kind < 4) {
                long off = rng.nextInt(max);
                int len = rng.nextBoolean() ? PAGE : 1 + rng.nextInt(3 * PAGE);
                if (rng.nextBoolean()) {
                    off = off / PAGE * PAGE;
                }
                byte[] got = read("/m", off, len);
                int expectLen = (int) Math.max(0, Math.min(len, size - off));
                assertThat(got).as("op %d read %d+%d (size %d)", op, off, len, size)
                        .isEqualTo(Arrays.copyOfRange(model, (int) Math.min(off, size), (int) Math.min(off, size) + expectLen));
            } else if (kind < 7) {
                int n = kind == 6 ? 1 + rng.nextInt(4) : 1;
                List<FileWriteBatch.Extent> extents = new ArrayList<>();
                for (int i = 0; i < n; i++) {
                    int off = rng.nextInt(max);
                    int len = rng.nextBoolean() ? PAGE : 1 + rng.nextInt(2 * PAGE);
                    if (rng.nextBoolean()) {
                        off = off / PAGE * PAGE;
                    }
                    byte[] data = bytes(len, rng.nextInt());
                    System.arraycopy(data, 0, model, off, len);
                    size = Math.max(size, off + len);
                    extents.add(new FileWriteBatch.Extent(off, ByteBuffer.wrap(data)));
                }
                if (n == 1) {
                    cluster.call(mem, new FileWrite(VN, "/m", extents.getFirst().offset(), extents.getFirst().data()));
                } else {
                    cluster.call(mem, new FileWriteBatch(VN, "/m", extents));
                }
            } else if (kind == 7) {
                cluster.call(mem, new FileSync(VN, "/m", false));
                assertThat(cluster.files.durable.get("/m")).as("op %d fsync", op).isEqualTo(Arrays.copyOf(model, size));
            } else if (kind == 8) {
                cluster.call(mem, new FileClose(VN, "/m"));
                assertThat(cluster.files.data.get("/m")).as("op %d close", op).isEqualTo(Arrays.copyOf(model, size));
            } else if (rng.nextInt(4) == 0) {
                cluster.call(mem, new FileSync(VN, "/m", true)); // forget it: the next access re-reads storage
            }
        }
        cluster.call(mem, new FileSync(VN, "/m", false));
        assertThat(cluster.files.durable.get("/m")).isEqualTo(Arrays.copyOf(model, size));
    }
}
