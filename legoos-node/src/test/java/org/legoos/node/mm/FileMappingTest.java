package org.legoos.node.mm;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.legoos.api.AddressSpace;
import org.legoos.api.LegoContext;
import org.legoos.api.LegoProgram;
import org.legoos.examples.MappedFileSum;
import org.legoos.node.LocalCluster;
import org.legoos.processor.RemoteFileService;

/**
 * File-backed mmap as programs see it, on a cluster whose ExCache is far smaller than the files (so file pages are
 * evicted, written back and filled again) and whose 3 memory components own small vRegions: private mappings
 * never change the file, shared ones reach it on msync, munmap and exit, pages past the end of the file fault, and
 * a large file is read through memory without being copied to the processor.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(value = 180, unit = TimeUnit.SECONDS)
public class FileMappingTest {
    private static final int PAGE = AddressSpace.PAGE_SIZE;
    private LocalCluster cluster;
    private RemoteFileService files;

    /** Scenario programs; each prints "ok" lines and exits 0, or fails with a message. */
    public static final class MapFile implements LegoProgram {
        private static void check(boolean ok, String what) {
            if (!ok) {
                throw new IllegalStateException("check failed: " + what);
            }
        }

        @Override
        public int main(LegoContext ctx, String[] args) throws Exception {
            AddressSpace m = ctx.memory();
            String file = args[1];
            long size = Long.parseLong(args[2]);
            switch (args[0]) {
                case "private" -> { // stores stay in the process; the file is unchanged
                    long va = m.mmap(0, size, AddressSpace.PROT_RW, AddressSpace.MAP_PRIVATE, file, 0);
                    for (long off = 0; off < size; off += PAGE) {
                        m.putByte(va + off, (byte) (m.getByte(va + off) + 1));
                    }
                    m.msync(va, size);
                    for (long off = 0; off < size; off += PAGE) {
                        m.getByte(va + off);
                    }
                    m.munmap(va, size);
                }
                case "shared" -> { // writes a marker into every page, msyncs half, munmaps, writes again and exits
                    long va = m.mmap(0, size, AddressSpace.PROT_RW, AddressSpace.MAP_SHARED, file, 0);
                    for (long off = 0; off < size; off += PAGE) {
                        m.putLong(va + off, 0x5EED0000L + off / PAGE);
                    }
                    m.msync(va, size / 2 / PAGE * PAGE);
                    m.munmap(va, size);
                    long again = m.mmap(0, size, AddressSpace.PROT_RW, AddressSpace.MAP_SHARED, file, 0);
                    check(m.getLong(again) == 0x5EED0000L, "a shared mapping sees what the last one wrote");
                    m.putInt(again + PAGE + 8, 0xC0FFEE); // reaches the file at exit
                }
                case "offset" -> { // a mapping from a file offset sees the file's bytes there
                    long off = Long.parseLong(args[3]);
                    long va = m.mmap(0, 2L * PAGE, AddressSpace.PROT_READ, AddressSpace.MAP_PRIVATE, file, off);
                    byte[] got = new byte[2 * PAGE];
                    m.read(va, got, 0, got.length);
                    ctx.out().println("bytes " + java.util.HexFormat.of().formatHex(got, 0, 16));
                }
                case "eof" -> { // the last page: zeros after EOF; pages wholly past EOF fault; no growth
                    long va = m.mmap(0, size + 4L * PAGE, AddressSpace.PROT_READ, AddressSpace.MAP_PRIVATE, file, 0);
                    long lastPage = (size - 1) / PAGE * PAGE;
                    for (long b = size; b < lastPage + PAGE; b++) {
                        check(m.getByte(va + b) == 0, "byte " + b + " after the end of the file reads zero");
                    }
                    check(TinyCluster.faults(() -> m.getByte(va + lastPage + PAGE)), "a page past the end of the file faults");
                    boolean refused;
                    try {
                        m.mremap(va, PAGE, 64L * PAGE, true);
                        refused = false;
                    } catch (IllegalArgumentException expected) {
                        refused = true;
                    }
                    check(refused, "a file mapping does not grow");
                    try {
                        m.mmap(0, PAGE, AddressSpace.PROT_READ, AddressSpace.MAP_PRIVATE, "/no/such/file", 0);
                        refused = false;
                    } catch (UncheckedIOException e) {
                        refused = e.getCause() instanceof NoSuchFileException;
                    }
                    check(refused, "mapping a missing file is NoSuchFileException");
                    try {
                        m.mmap(0, PAGE, AddressSpace.PROT_READ, AddressSpace.MAP_PRIVATE | AddressSpace.MAP_SHARED, file, 0);
                        refused = false;
                    } catch (IllegalArgumentException expected) {
                        refused = true;
                    }
                    check(refused, "private and shared at once is an illegal argument");
                    try {
                        m.mmap(0, PAGE, AddressSpace.PROT_READ, AddressSpace.MAP_PRIVATE, file, 100);
                        refused = false;
                    } catch (IllegalArgumentException expected) {
                        refused = true;
                    }
                    check(refused, "an unaligned file offset is an illegal argument");
                    long ro = m.mmap(0, PAGE, AddressSpace.PROT_READ, AddressSpace.MAP_SHARED, file, 0);
                    check(TinyCluster.faults(() -> m.putByte(ro, (byte) 1)), "a store to a read-only file mapping faults");
                }
                case "split" -> { // a file area split by mprotect stays two areas (as at the home): no mremap over both
                    long va = m.mmap(0, 8L * PAGE, AddressSpace.PROT_RW, AddressSpace.MAP_PRIVATE, file, 0);
                    m.mprotect(va, 4L * PAGE, AddressSpace.PROT_RW);
                    check(TinyCluster.faults(() -> m.mremap(va, 8L * PAGE, 16L * PAGE, true)), "growing across the split is not one area");
                    check(TinyCluster.faults(() -> m.mremap(va, 8L * PAGE, 8L * PAGE, true)), "remapping across the split is not one area");
                    check(TinyCluster.faults(() -> m.mremap(va, 8L * PAGE, 2L * PAGE, true)), "shrinking across the split is not one area");
                    long next = m.mmap(va + 8L * PAGE, PAGE, AddressSpace.PROT_RW, AddressSpace.MAP_PRIVATE, file, 0);
                    check(next == va + 8L * PAGE, "the hint after the mapping is free");
                    check(TinyCluster.faults(() -> m.mremap(va + 4L * PAGE, 5L * PAGE, 5L * PAGE, true)), "two file mappings are two areas");
                    check(m.mremap(va + 4L * PAGE, 4L * PAGE, 2L * PAGE, true) == va + 4L * PAGE, "one piece shrinks");
                    check(TinyCluster.faults(() -> m.getByte(va + 6L * PAGE)), "the shrunk piece's tail is unmapped");
                    m.getByte(va + 5L * PAGE); // and the rest still maps the file
                }
                default -> throw new IllegalArgumentException(args[0]);
            }
            ctx.out().println("ok " + args[0]);
            return 0;
        }
    }

    @BeforeAll
    void start() {
        cluster = TinyCluster.start(2, Map.of("mapfile", MapFile.class));
        cluster.createVNode("f");
        files = cluster.files("f");
    }

    @AfterAll
    void stop() {
        cluster.close();
    }

    private byte[] put(String path, int size, long seed) throws Exception {
        byte[] data = new byte[size];
        new Random(seed).nextBytes(data);
        for (int i = 0; i < size; i += 97) {
            data[i] = '\n';
        }
        files.create(path, false);
        files.truncate(path, 0);
        files.write(path, 0, ByteBuffer.wrap(data));
        files.close(path);
        return data;
    }

    private byte[] get(String path) throws Exception {
        ByteBuffer out = ByteBuffer.allocate((int) files.stat(path).size());
        long off = 0;
        while (out.hasRemaining()) {
            int n = files.read(path, off, out);
            assertThat(n).isPositive();
            off += n;
        }
        return out.array();
    }

    private LocalCluster.RunResult run(String program, String... args) throws Exception {
        LocalCluster.RunResult r = cluster.run("f", program, args);
        assertThat(r.exitCode()).as(r.stdout() + r.stderr() + r.error()).isZero();
        return r;
    }

    @Test
    void aLargeFileMappedAndReadThroughMemoryMatchesThePlainTwin(@TempDir Path tmp) throws Exception {
        byte[] data = put("/big.bin", (6 << 20) + 123, 1); // 6 MiB: ~100x the ExCache
        Path local = tmp.resolve("big.bin");
        Files.write(local, data);
        String expected = MappedFileSum.plain(local).toString();
        assertThat(run("mapsum", "/big.bin").stdout().trim()).isEqualTo(expected);
        assertThat(run("mapsum", "/big.bin", "--chunk", "4096").stdout().trim()).isEqualTo(expected);
    }

    @Test
    void twoProcessesMappingOneFileReadTheSameBytes() throws Exception {
        put("/shared-read.bin", 1 << 20, 2);
        LocalCluster.RunResult[] results = new LocalCluster.RunResult[2];
        Thread[] threads = new Thread[2];
        for (int i = 0; i < 2; i++) {
            int k = i;
            threads[i] = new Thread(() -> {
                try {
                    results[k] = run("mapsum", "/shared-read.bin");
                } catch (Exception e) {
                    throw new RuntimeException(e);
                }
            });
            threads[i].start();
        }
        for (Thread t : threads) {
            t.join();
        }
        assertThat(results[0]).isNotNull();
        assertThat(results[1]).isNotNull();
        assertThat(results[0].stdout()).isEqualTo(results[1].stdout()).startsWith("result bytes=1048576 ");
    }

    @Test
    void privateStoresNeverReachTheFile() throws Exception {
        byte[] data = put("/private.bin", 80 * PAGE, 3);
        run("mapfile", "private", "/private.bin", String.valueOf(data.length));
        assertThat(get("/private.bin")).isEqualTo(data);
    }

    @Test
    void sharedStoresReachTheFileOnMsyncMunmapAndExitButNeverGrowIt() throws Exception {
        int size = 80 * PAGE + 100;
        byte[] data = put("/shared.bin", size, 4);
        run("mapfile", "shared", "/shared.bin", String.valueOf(size));
        byte[] now = get("/shared.bin");
        assertThat(now).hasSize(size);
        ByteBuffer expected = ByteBuffer.wrap(data.clone()).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        for (int p = 0; p * PAGE < size; p++) {
            expected.putLong(p * PAGE, 0x5EED0000L + p);
        }
        expected.putInt(PAGE + 8, 0xC0FFEE);
        assertThat(now).isEqualTo(expected.array());
    }

    @Test
    void aMappingAtAnOffsetSeesTheFileThere() throws Exception {
        byte[] data = put("/offset.bin", 16 * PAGE, 5);
        String out = run("mapfile", "offset", "/offset.bin", "0", String.valueOf(8 * PAGE)).stdout();
        assertThat(out).contains("bytes " + java.util.HexFormat.of().formatHex(data, 8 * PAGE, 8 * PAGE + 16));
    }

    /** Found by the address-space model check: the processor merged the pieces the home keeps apart. */
    @Test
    void aFileAreaSplitByMprotectIsTwoAreasOnTheProcessorToo() throws Exception {
        put("/split.bin", 8 * PAGE + 5, 7);
        run("mapfile", "split", "/split.bin", String.valueOf(8 * PAGE + 5));
    }

    @Test
    void theEndOfTheFileIsLinuxs() throws Exception {
        put("/eof.bin", 3 * PAGE + 10, 6);
        run("mapfile", "eof", "/eof.bin", String.valueOf(3 * PAGE + 10));
    }
}
