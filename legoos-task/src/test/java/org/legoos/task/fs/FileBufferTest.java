package org.legoos.task.fs;

import static java.nio.file.StandardOpenOption.CREATE;
import static java.nio.file.StandardOpenOption.READ;
import static java.nio.file.StandardOpenOption.WRITE;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.SplittableRandom;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The per-open-file write-behind buffer and read-ahead window of a process ({@link FileBuffer}). */
@Timeout(20)
class FileBufferTest {
    private final LegoFileSystemProvider provider = new LegoFileSystemProvider();
    private InMemoryFileService storage;
    private LegoFileSystem fs;
    /** Another process on the same vNode. */
    private LegoFileSystem other;

    @BeforeEach
    void setUp() {
        storage = new InMemoryFileService();
        fs = provider.newFileSystem("vn1", storage);
        other = provider.newFileSystem("vn1", storage);
    }

    @AfterEach
    void tearDown() throws Exception {
        fs.close();
        other.close();
    }

    private Path p(String s) {
        return fs.getPath(s);
    }

    private static ByteBuffer block(int n, int seed) {
        byte[] b = new byte[n];
        for (int i = 0; i < n; i++) {
            b[i] = (byte) (seed * 7 + i);
        }
        return ByteBuffer.wrap(b);
    }

    private static byte[] read(FileChannel ch, long offset, int n) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(n);
        while (b.hasRemaining() && ch.read(b, offset + b.position()) >= 0) {
            // loop until full or end of file
        }
        return Arrays.copyOf(b.array(), b.position());
    }

    @Test
    void writesAreHeldBackThenBatchedAndVisibleAfterForceAndClose() throws Exception {
        FileChannel ch = FileChannel.open(p("/w"), CREATE, WRITE, READ);
        storage.resetCounters();
        for (int i = 0; i < 8; i++) {
            ch.write(block(4096, i), (long) i * 4096);
        }
        ch.write(block(100, 9), 100_000); // not contiguous: a second extent
        assertThat(storage.calls("write")).as("nothing sent yet").isZero();
        assertThat(storage.contentOf("/w")).isEmpty();
        ch.force(true);
        assertThat(storage.calls("fsync")).isEqualTo(1);
        byte[] stored = storage.contentOf("/w");
        assertThat(stored).hasSize(100_100);
        for (int i = 0; i < 8; i++) {
            assertThat(Arrays.copyOfRange(stored, i * 4096, (i + 1) * 4096)).isEqualTo(block(4096, i).array());
        }
        ch.write(block(10, 3), 5);
        assertThat(storage.contentOf("/w")[5]).isEqualTo(block(4096, 0).get(5));
        ch.close();
        assertThat(Arrays.copyOfRange(storage.contentOf("/w"), 5, 15)).isEqualTo(block(10, 3).array());
        assertThat(storage.closes("/w")).isEqualTo(1);
    }

    @Test
    void theBufferIsBoundedAndFlushesWhenFull() throws Exception {
        try (FileChannel ch = FileChannel.open(p("/full"), CREATE, WRITE)) {
            int blocks = FileBuffer.WRITE_BEHIND_BYTES / 4096 + 1;
            for (int i = 0; i < blocks; i++) {
                ch.write(block(4096, i), (long) i * 4096);
            }
            assertThat(storage.contentOf("/full")).hasSize(FileBuffer.WRITE_BEHIND_BYTES);
            SplittableRandom rng = new SplittableRandom(1);
            for (int i = 0; i < FileBuffer.MAX_EXTENTS + 1; i++) {
                ch.write(block(1, i), rng.nextLong(1 << 20) * 2); // never contiguous
            }
            assertThat(storage.contentOf("/full").length).isGreaterThan(FileBuffer.WRITE_BEHIND_BYTES);
        }
    }

    @Test
    void readAfterWriteThroughOneChannelAndThroughTwo() throws Exception {
        try (FileChannel a = FileChannel.open(p("/r"), CREATE, WRITE, READ);
             FileChannel b = FileChannel.open(p("/r"), READ)) {
            a.write(block(4096, 1), 0);
            a.write(block(4096, 2), 4096);
            assertThat(read(a, 0, 8192)).isEqualTo(concat(block(4096, 1), block(4096, 2)));
            a.write(block(50, 3), 4000);
            assertThat(read(b, 4000, 50)).as("another channel of the process").isEqualTo(block(50, 3).array());
            assertThat(a.size()).isEqualTo(8192);
            assertThat(Files.size(p("/r"))).isEqualTo(8192);
            a.write(block(10, 4), 10_000);
            assertThat(b.size()).isEqualTo(10_010);
        }
    }

    @Test
    void otherProcessesSeeWritesOnceFlushed() throws Exception {
        try (FileChannel ch = FileChannel.open(p("/o"), CREATE, WRITE)) {
            ch.write(block(4096, 5), 0);
            assertThat(Files.size(other.getPath("/o"))).as("held back").isZero();
            ch.force(false);
            assertThat(Files.readAllBytes(other.getPath("/o"))).isEqualTo(block(4096, 5).array());
            ch.write(block(4096, 6), 4096);
        }
        assertThat(Files.size(other.getPath("/o"))).as("close flushes").isEqualTo(8192);
    }

    @Test
    void aFailedWriteBehindIsReportedNotLost() throws Exception {
        FileChannel ch = FileChannel.open(p("/f"), CREATE, WRITE);
        ch.write(block(4096, 1), 0);
        storage.deny("/f");
        ch.write(block(4096, 2), 4096); // held back: no error yet
        assertThatThrownBy(() -> ch.force(true)).isInstanceOf(AccessDeniedException.class);
        assertThat(storage.contentOf("/f")).isEmpty();
        ch.write(block(4096, 3), 0);
        assertThatThrownBy(ch::close).as("reported at close").isInstanceOf(AccessDeniedException.class);
        assertThat(ch.isOpen()).isFalse();
    }

    @Test
    void aFailureTriggeredByAnotherOperationIsReportedThereAndAgainAtForce() throws Exception {
        try (FileChannel ch = FileChannel.open(p("/g"), CREATE, WRITE, READ)) {
            ch.write(block(4096, 1), 0);
            storage.deny("/g");
            assertThatThrownBy(() -> read(ch, 0, 10)).isInstanceOf(AccessDeniedException.class);
            assertThatThrownBy(() -> ch.force(true)).as("the program ignored it; fsync tells again")
                    .hasMessageContaining("earlier write-behind");
            ch.force(true); // reported once
        }
    }

    @Test
    void sequentialReadsAreServedFromAWindowInvalidatedByWrites() throws Exception {
        byte[] data = new byte[1 << 20];
        new SplittableRandom(2).nextBytes(data);
        Files.write(p("/s"), data);
        try (FileChannel ch = FileChannel.open(p("/s"), READ, WRITE)) {
            storage.resetCounters();
            ByteBuffer b = ByteBuffer.allocate(4096);
            for (int i = 0; i < 64; i++) {
                b.clear();
                assertThat(ch.read(b)).isEqualTo(4096);
                assertThat(b.array()).isEqualTo(Arrays.copyOfRange(data, i * 4096, (i + 1) * 4096));
            }
            assertThat(storage.calls("read")).as("read ahead in windows").isLessThan(10);
            // a write of this process drops the window: the next read sees it
            ch.write(block(4096, 7), 64 * 4096 + 4096);
            b.clear();
            ch.read(b);
            b.clear();
            ch.read(b);
            assertThat(b.array()).isEqualTo(block(4096, 7).array());
            // a write through another channel of the process too
            try (FileChannel w = FileChannel.open(p("/s"), WRITE)) {
                w.write(block(4096, 8), 66 * 4096);
            }
            b.clear();
            ch.read(b);
            assertThat(b.array()).isEqualTo(block(4096, 8).array());
        }
    }

    @Test
    void randomReadsMatchAModelAndAreOneRequestOfExactlyTheirSize() throws Exception {
        long seed = Long.getLong("legoos.seed", System.nanoTime());
        System.out.println("FileBufferTest.randomReadsMatchAModel seed=" + seed + " (rerun with -Dlegoos.seed=" + seed + ")");
        SplittableRandom rng = new SplittableRandom(seed);
        byte[] model = new byte[256 << 10];
        rng.nextBytes(model);
        Files.write(p("/m"), model);
        try (FileChannel ch = FileChannel.open(p("/m"), READ, WRITE)) {
            for (int op = 0; op < 2000; op++) {
                int off = rng.nextInt(model.length);
                int len = 1 + rng.nextInt(8192);
                if (rng.nextInt(4) == 0) {
                    byte[] w = new byte[len];
                    rng.nextBytes(w);
                    int n = Math.min(len, model.length - off);
                    ch.write(ByteBuffer.wrap(w, 0, n), off);
                    System.arraycopy(w, 0, model, off, n);
                    continue;
                }
                storage.resetCounters();
                byte[] got = read(ch, off, len);
                assertThat(got).as("op %d read %d+%d", op, off, len)
                        .isEqualTo(Arrays.copyOfRange(model, off, Math.min(model.length, off + len)));
                if (storage.calls("write") == 0 && off + len <= model.length) {
                    assertThat(storage.readRequests()).as("op %d", op).hasSizeLessThanOrEqualTo(1);
                }
            }
        }
        assertThat(storage.contentOf("/m")).isEqualTo(model);
    }

    @Test
    void truncateRenameAndDeleteAreNotOvertakenByHeldBackWrites() throws Exception {
        try (FileChannel ch = FileChannel.open(p("/t"), CREATE, WRITE)) {
            ch.write(block(8192, 1), 0);
            ch.truncate(100);
            assertThat(storage.contentOf("/t")).hasSize(100);
            ch.write(block(50, 2), 200);
            Files.move(p("/t"), p("/u"));
            assertThat(storage.contentOf("/u")).hasSize(250);
            ch.write(block(10, 3), 0);
        }
        assertThat(Arrays.copyOf(storage.contentOf("/u"), 10)).isEqualTo(block(10, 3).array());
        try (FileChannel ch = FileChannel.open(p("/u"), WRITE)) {
            ch.write(block(10, 4), 0);
            Files.delete(p("/u"));
        }
        assertThat(Files.exists(p("/u"))).isFalse();
    }

    private static byte[] concat(ByteBuffer a, ByteBuffer b) {
        byte[] out = Arrays.copyOf(a.array(), a.capacity() + b.capacity());
        System.arraycopy(b.array(), 0, out, a.capacity(), b.capacity());
        return out;
    }
}
