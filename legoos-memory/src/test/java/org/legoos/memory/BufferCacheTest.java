package org.legoos.memory;

import static org.assertj.core.api.Assertions.assertThat;
import static org.legoos.memory.AddressSpaceCallsTest.assertStatus;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.concurrent.TimeUnit;
import org.legoos.net.protocol.p2m.FileClose;
import org.legoos.net.protocol.p2m.FileRead;
import org.legoos.net.protocol.p2m.FileSync;
import org.legoos.net.protocol.p2m.FileWrite;
import org.legoos.net.rpc.Status;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The storage buffer cache: fills, write-back on fsync/close/eviction, file size tracking. */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class BufferCacheTest {
    static final int CHUNK = 4096;
    static final int VN = TestCluster.VNODE;
    TestCluster cluster;
    int mem;

    @BeforeEach
    void start() {
        // room for 3 chunks of 4 KiB
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

    private void fsync(String path, boolean invalidate) {
        cluster.call(mem, new FileSync(VN, path, invalidate));
    }

    @Test
    void readFillsChunksFromStorageOnceAndThenHits() {
        byte[] file = bytes(10_000, 1);
        cluster.files.data.put("/a", file);
        assertThat(read("/a", 5000, 100)).isEqualTo(Arrays.copyOfRange(file, 5000, 5100));
        assertThat(read("/a", 5100, 100)).isEqualTo(Arrays.copyOfRange(file, 5100, 5200));
        assertThat(cluster.files.reads).hasValue(1);
        assertThat(cluster.files.stats).hasValue(1);
        assertThat(read("/a", 0, 10_000)).isEqualTo(file); // spans three chunks
        assertThat(cluster.files.reads).hasValue(3);
        MemoryStats s = cluster.monitors.get(0).stats();
        assertThat(s.bufferCacheHits()).isPositive();
        assertThat(s.bufferCacheBytes()).isEqualTo(3 * CHUNK);
        assertThat(cluster.vnodeGets).as("the storage node is looked up once").hasValue(1);
    }

    @Test
    void readsPastTheEndReturnFewerBytesAndNoneAtTheEnd() {
        cluster.files.data.put("/b", bytes(5000, 2));
        assertThat(read("/b", 4990, 100)).hasSize(10);
        assertThat(read("/b", 5000, 100)).isEmpty();
        assertThat(read("/b", 1 << 30, 100)).isEmpty();
        assertThat(read("/b", 0, 0)).isEmpty();
        assertStatus(() -> read("/b", -1, 10), Status.INVALID_ARGUMENT);
        assertStatus(() -> read("/b", 0, -10), Status.INVALID_ARGUMENT);
        assertStatus(() -> read("", 0, 10), Status.INVALID_ARGUMENT);
    }

    @Test
    void writesStayInTheCacheUntilFsyncWhichMakesThemDurable() {
        byte[] file = bytes(6000, 3);
        cluster.files.data.put("/c", file.clone());
        write("/c", 100, "hello".getBytes(StandardCharsets.UTF_8));
        assertThat(cluster.files.writes).hasValue(0);
        assertThat(new String(read("/c", 100, 5), StandardCharsets.UTF_8)).isEqualTo("hello");
        assertThat(read("/c", 95, 5)).isEqualTo(Arrays.copyOfRange(file, 95, 100)); // the rest of the chunk was filled
        fsync("/c", false);
        assertThat(cluster.files.writes).hasValue(1);
        assertThat(cluster.files.syncs).hasValue(1);
        byte[] expect = file.clone();
        System.arraycopy("hello".getBytes(StandardCharsets.UTF_8), 0, expect, 100, 5);
        assertThat(cluster.files.durable.get("/c")).isEqualTo(expect);
        fsync("/c", false); // nothing dirty, nothing unsynced
        assertThat(cluster.files.writes).hasValue(1);
        assertThat(cluster.files.syncs).hasValue(1);
    }

    @Test
    void closeWritesBackWithoutSyncing() {
        cluster.files.data.put("/d", new byte[0]);
        write("/d", 0, bytes(3000, 4));
        cluster.call(mem, new FileClose(VN, "/d"));
        assertThat(cluster.files.data.get("/d")).isEqualTo(bytes(3000, 4));
        assertThat(cluster.files.syncs).hasValue(0);
        assertThat(read("/d", 0, 3000)).isEqualTo(bytes(3000, 4)); // still cached
        assertThat(cluster.files.reads).hasValue(0);
        cluster.call(mem, new FileClose(VN, "/never-opened"));
    }

    @Test
    void writesExtendTheFileAndHolesReadAsZeros() {
        cluster.files.data.put("/e", bytes(100, 5));
        write("/e", 10_000, bytes(50, 6));
        assertThat(read("/e", 0, 20_000)).hasSize(10_050);
        assertThat(read("/e", 100, 9900)).containsOnly(0);
        assertThat(read("/e", 10_000, 100)).isEqualTo(bytes(50, 6));
        fsync("/e", false);
        byte[] stored = cluster.files.durable.get("/e");
        assertThat(stored).hasSize(10_050);
        assertThat(Arrays.copyOfRange(stored, 0, 100)).isEqualTo(bytes(100, 5));
        assertThat(Arrays.copyOfRange(stored, 100, 10_000)).containsOnly(0);
    }

    @Test
    void evictionWritesBackDirtyChunks() {
        cluster.files.data.put("/f", new byte[0]);
        for (int i = 0; i < 5; i++) {
            write("/f", (long) i * CHUNK, bytes(CHUNK, i));
        }
        // three chunks fit: the first two were evicted and had to be written back
        assertThat(cluster.files.writes).hasValue(2);
        assertThat(cluster.files.data.get("/f")).hasSize(2 * CHUNK);
        assertThat(cluster.monitors.get(0).stats().bufferCacheEvictions()).isEqualTo(2);
        assertThat(cluster.files.reads).as("whole-chunk writes need no fill").hasValue(0);
        for (int i = 0; i < 5; i++) {
            assertThat(read("/f", (long) i * CHUNK, CHUNK)).as("chunk %d", i).isEqualTo(bytes(CHUNK, i));
        }
        fsync("/f", false);
        byte[] all = cluster.files.durable.get("/f");
        for (int i = 0; i < 5; i++) {
            assertThat(Arrays.copyOfRange(all, i * CHUNK, (i + 1) * CHUNK)).isEqualTo(bytes(CHUNK, i));
        }
        assertThat(cluster.monitors.get(0).stats().bufferCacheDirtyChunks()).isZero();
    }

    @Test
    void fsyncWithInvalidateForgetsTheFile() {
        cluster.files.data.put("/g", bytes(1000, 7));
        assertThat(read("/g", 0, 10)).isEqualTo(bytes(10, 7));
        write("/g", 0, new byte[] {42});
        fsync("/g", true);
        assertThat(cluster.files.durable.get("/g")[0]).isEqualTo((byte) 42);
        // the processor truncates behind the cache; the next read sees storage again
        cluster.files.data.put("/g", bytes(10, 8));
        assertThat(read("/g", 0, 1000)).isEqualTo(bytes(10, 8));
        assertThat(cluster.files.stats).hasValue(2);
        fsync("/unknown", true); // nothing cached: nothing to do
    }

    /**
     * Found by the model check of the file system (FsModelCheckTest): a directory renamed behind the cache left the
     * entries of the files under it, so a new file at an old path read the moved file's data (and dirty data went
     * back to whatever was at the old path).
     */
    @Test
    void fsyncWithInvalidateOfADirectoryWritesBackAndForgetsTheFilesUnderIt() {
        cluster.files.directories.add("/d");
        cluster.files.data.put("/d/f", new byte[0]);
        cluster.files.data.put("/dx", bytes(100, 2));
        write("/d/f", 0, bytes(548, 5));
        assertThat(read("/dx", 0, 100)).isEqualTo(bytes(100, 2));
        fsync("/d", true); // the processor's drop before renaming /d
        assertThat(cluster.files.durable.get("/d/f")).isEqualTo(bytes(548, 5));
        // renamed away and replaced by a new empty file at the old path: storage is read again
        cluster.files.data.put("/d/f", new byte[0]);
        assertThat(read("/d/f", 0, 1000)).isEmpty();
        cluster.files.data.put("/dx", bytes(100, 3)); // "/dx" is not under "/d": still cached
        assertThat(read("/dx", 0, 100)).isEqualTo(bytes(100, 2));
    }

    @Test
    void missingFilesAndDirectoriesAreRefused() {
        assertStatus(() -> read("/missing", 0, 10), Status.NOT_FOUND);
        assertStatus(() -> write("/missing", 0, new byte[1]), Status.NOT_FOUND);
        cluster.files.directories.add("/dir");
        assertStatus(() -> read("/dir", 0, 10), Status.IS_DIRECTORY);
        assertStatus(() -> cluster.call(mem, new FileRead(99, "/a", 0, 1)), Status.NOT_FOUND);
    }

    @Test
    void closingTheMonitorWritesBackDirtyData() {
        cluster.files.data.put("/h", new byte[0]);
        write("/h", 0, bytes(100, 9));
        cluster.monitors.get(0).close();
        assertThat(cluster.files.durable.get("/h")).isEqualTo(bytes(100, 9));
    }

    // ------------------------------------------------------------------ several vNodes at once

    private byte[] read(int vnode, String path, long offset, int length) {
        ByteBuffer d = cluster.call(mem, new FileRead(vnode, path, offset, length)).data();
        byte[] out = new byte[d.remaining()];
        d.get(out);
        return out;
    }

    private void write(int vnode, String path, long offset, byte[] data) {
        cluster.call(mem, new FileWrite(vnode, path, offset, ByteBuffer.wrap(data)));
    }

    /**
     * A storage component that does not answer stalls the vNode it serves, not the others: one vNode's read waits
     * for storage while another vNode's cached read is served and its writes evict around the stalled vNode's dirty
     * chunk. (With one lock over the cache and its storage round trips, everything waited.)
     */
    @Test
    void aStorageRoundTripThatDoesNotEndStallsOnlyItsOwnVNode() throws Exception {
        TestCluster.FakeStorage storage = cluster.files;
        storage.data.put("/fast", bytes(1000, 1));
        assertThat(read(TestCluster.VNODE2, "/fast", 0, 1000)).isEqualTo(bytes(1000, 1)); // cached now
        storage.data.put("/slow-dirty", new byte[0]);
        write(VN, "/slow-dirty", 0, bytes(CHUNK, 2)); // a dirty chunk of the stalled vNode, least recently used
        storage.data.put("/slow", bytes(1000, 3));
        storage.data.put("/f8", new byte[0]);
        java.util.concurrent.CountDownLatch release = new java.util.concurrent.CountDownLatch(1);
        storage.release = release;
        storage.stalledReads = new java.util.concurrent.CountDownLatch(1);
        storage.stallPath = "/slow";
        java.util.concurrent.CompletableFuture<byte[]> slow = java.util.concurrent.CompletableFuture.supplyAsync(
                () -> read(VN, "/slow", 0, 1000));
        try {
            assertThat(storage.stalledReads.await(10, TimeUnit.SECONDS)).as("the slow read reached storage").isTrue();
            byte[] fast = java.util.concurrent.CompletableFuture.supplyAsync(
                    () -> read(TestCluster.VNODE2, "/fast", 0, 1000)).get(5, TimeUnit.SECONDS);
            assertThat(fast).isEqualTo(bytes(1000, 1));
            // three new chunks in a cache of three: evicts around the stalled vNode's dirty chunk
            java.util.concurrent.CompletableFuture.runAsync(() -> {
                for (int i = 0; i < 3; i++) {
                    write(TestCluster.VNODE2, "/f8", (long) i * CHUNK, bytes(CHUNK, 10 + i));
                }
            }).get(5, TimeUnit.SECONDS);
            assertThat(slow).as("still waiting for its storage").isNotDone();
        } finally {
            release.countDown();
        }
        assertThat(slow.get(10, TimeUnit.SECONDS)).isEqualTo(bytes(1000, 3));
        cluster.call(mem, new FileSync(VN, "/slow-dirty", false));
        cluster.call(mem, new FileSync(TestCluster.VNODE2, "/f8", false));
        assertThat(storage.durable.get("/slow-dirty")).isEqualTo(bytes(CHUNK, 2));
        byte[] f8 = new byte[3 * CHUNK];
        for (int i = 0; i < 3; i++) {
            System.arraycopy(bytes(CHUNK, 10 + i), 0, f8, i * CHUNK, CHUNK);
        }
        assertThat(storage.durable.get("/f8")).isEqualTo(f8);
    }

    /**
     * Four threads, two vNodes, a cache of three chunks: random writes, reads, closes and syncs (some forgetting the
     * file) of each thread's own file, every read checked against the thread's model of its file, and every file's
     * durable bytes at the end. Evictions constantly take chunks of the other vNode, under its lock.
     */
    @Test
    void concurrentVNodesSeeTheirOwnFilesThroughATinyCache() throws Exception {
        int threads = 4;
        long seed = System.nanoTime();
        java.util.List<java.util.concurrent.Future<byte[]>> done = new java.util.ArrayList<>();
        java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(threads);
        try {
            for (int t = 0; t < threads; t++) {
                int vnode = t % 2 == 0 ? VN : TestCluster.VNODE2;
                String path = "/model-" + t;
                java.util.Random rnd = new java.util.Random(seed + t);
                cluster.files.data.put(path, new byte[0]);
                done.add(pool.submit(() -> {
                    byte[] model = new byte[0];
                    for (int op = 0; op < 300; op++) {
                        int kind = rnd.nextInt(10);
                        if (kind < 5) {
                            int off = rnd.nextInt(6 * CHUNK);
                            byte[] data = bytes(1 + rnd.nextInt(2 * CHUNK), rnd.nextInt());
                            write(vnode, path, off, data);
                            if (off + data.length > model.length) {
                                model = Arrays.copyOf(model, off + data.length);
                            }
                            System.arraycopy(data, 0, model, off, data.length);
                        } else if (kind < 9) {
                            int off = rnd.nextInt(7 * CHUNK);
                            int len = rnd.nextInt(3 * CHUNK);
                            byte[] want = off >= model.length ? new byte[0]
                                    : Arrays.copyOfRange(model, off, Math.min(model.length, off + len));
                            assertThat(read(vnode, path, off, len)).as("%s of vNode %d at %d+%d (seed %d)", path,
                                    vnode, off, len, seed).isEqualTo(want);
                        } else {
                            cluster.call(mem, new FileSync(vnode, path, rnd.nextBoolean()));
                        }
                    }
                    cluster.call(mem, new FileSync(vnode, path, false));
                    return model;
                }));
            }
            for (int t = 0; t < threads; t++) {
                byte[] model = done.get(t).get(60, TimeUnit.SECONDS);
                assertThat(cluster.files.durable.get("/model-" + t)).as("durable /model-%d (seed %d)", t, seed)
                        .isEqualTo(model);
            }
        } finally {
            pool.shutdownNow();
        }
        assertThat(cluster.monitors.get(0).stats().bufferCacheEvictions()).as("the cache was too small for the files")
                .isPositive();
    }
}
