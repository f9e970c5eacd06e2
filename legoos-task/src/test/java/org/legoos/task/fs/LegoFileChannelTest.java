package org.legoos.task.fs;

import static java.nio.charset.StandardCharsets.US_ASCII;
import static java.nio.file.StandardOpenOption.APPEND;
import static java.nio.file.StandardOpenOption.CREATE;
import static java.nio.file.StandardOpenOption.CREATE_NEW;
import static java.nio.file.StandardOpenOption.DELETE_ON_CLOSE;
import static java.nio.file.StandardOpenOption.READ;
import static java.nio.file.StandardOpenOption.SYNC;
import static java.nio.file.StandardOpenOption.TRUNCATE_EXISTING;
import static java.nio.file.StandardOpenOption.WRITE;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.FileChannel;
import java.nio.channels.NonReadableChannelException;
import java.nio.channels.NonWritableChannelException;
import java.nio.channels.SeekableByteChannel;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The process monitor's open files: positions, open options, close semantics, concurrency. */
@Timeout(20)
class LegoFileChannelTest {
    private final LegoFileSystemProvider provider = new LegoFileSystemProvider();
    private InMemoryFileService storage;
    private LegoFileSystem fs;

    @BeforeEach
    void setUp() {
        storage = new InMemoryFileService();
        fs = provider.newFileSystem("vn1", storage);
    }

    @AfterEach
    void tearDown() throws Exception {
        fs.close();
    }

    private Path p(String s) {
        return fs.getPath(s);
    }

    private FileChannel open(String path, java.nio.file.OpenOption... options) throws Exception {
        return FileChannel.open(p(path), options);
    }

    private static ByteBuffer ascii(String s) {
        return ByteBuffer.wrap(s.getBytes(US_ASCII));
    }

    private static String ascii(ByteBuffer b) {
        b.flip();
        return US_ASCII.decode(b).toString();
    }

    @Test
    void relativeReadsAndWritesMoveThePositionPositionalOnesDoNot() throws Exception {
        try (FileChannel ch = open("/f", CREATE, READ, WRITE)) {
            assertThat(ch.write(ascii("hello world"))).isEqualTo(11);
            assertThat(ch.position()).isEqualTo(11);
            assertThat(ch.write(ascii("HELLO"), 0)).isEqualTo(5);
            assertThat(ch.position()).isEqualTo(11);
            ch.position(6);
            ByteBuffer buf = ByteBuffer.allocate(100);
            assertThat(ch.read(buf)).isEqualTo(5);
            assertThat(ascii(buf)).isEqualTo("world");
            assertThat(ch.position()).isEqualTo(11);
            assertThat(ch.read(ByteBuffer.allocate(1))).isEqualTo(-1);
            ByteBuffer two = ByteBuffer.allocate(2);
            assertThat(ch.read(two, 3)).isEqualTo(2);
            assertThat(ascii(two)).isEqualTo("LO");
            assertThat(ch.read(ByteBuffer.allocate(0))).isZero();
            assertThat(ch.read(ByteBuffer.allocate(4), 100)).isEqualTo(-1);
        }
        assertThat(new String(storage.contentOf("/f"), US_ASCII)).isEqualTo("HELLO world");
    }

    @Test
    void readsIntoTheCallersBufferAtItsPosition() throws Exception {
        Files.writeString(p("/f"), "abcdef");
        try (FileChannel ch = open("/f")) {
            ByteBuffer buf = ByteBuffer.allocate(10);
            buf.put((byte) 'X').limit(4);
            assertThat(ch.read(buf)).isEqualTo(3);
            assertThat(buf.position()).isEqualTo(4);
            assertThat(new String(buf.array(), 0, 4, US_ASCII)).isEqualTo("Xabc");
            ByteBuffer direct = ByteBuffer.allocateDirect(8);
            assertThat(ch.read(direct)).isEqualTo(3);
            assertThat(ascii(direct)).isEqualTo("def");
            assertThatThrownBy(() -> ch.read(ByteBuffer.allocate(4).asReadOnlyBuffer()))
                    .isInstanceOf(IllegalArgumentException.class);
        }
    }

    @Test
    void writingPastTheEndLeavesAZeroFilledGap() throws Exception {
        try (FileChannel ch = open("/gap", CREATE_NEW, WRITE)) {
            ch.write(ascii("x"), 5);
            assertThat(ch.size()).isEqualTo(6);
        }
        assertThat(storage.contentOf("/gap")).containsExactly(0, 0, 0, 0, 0, 'x');
    }

    @Test
    void sizeTruncateAndForce() throws Exception {
        try (FileChannel ch = open("/f", CREATE, READ, WRITE)) {
            ch.write(ascii("0123456789"));
            assertThat(ch.size()).isEqualTo(10);
            ch.truncate(20);
            assertThat(ch.size()).isEqualTo(10);
            assertThat(ch.position()).isEqualTo(10);
            ch.truncate(4);
            assertThat(ch.size()).isEqualTo(4);
            assertThat(ch.position()).isEqualTo(4);
            ch.force(true);
            assertThat(storage.calls("fsync")).isEqualTo(1);
            assertThatThrownBy(() -> ch.truncate(-1)).isInstanceOf(IllegalArgumentException.class);
            assertThatThrownBy(() -> ch.position(-1)).isInstanceOf(IllegalArgumentException.class);
        }
        assertThat(new String(storage.contentOf("/f"), US_ASCII)).isEqualTo("0123");
    }

    @Test
    void storageHearsCloseOnlyWhenTheLastHandleOfThePathCloses() throws Exception {
        Files.writeString(p("/f"), "x");
        storage.resetCounters();
        FileChannel a = open("/f");
        SeekableByteChannel b = Files.newByteChannel(p("f"), WRITE);
        a.close();
        assertThat(storage.closes("/f")).isZero();
        a.close(); // idempotent
        b.close();
        assertThat(storage.closes("/f")).isEqualTo(1);
        assertThat(fs.openFiles().openPaths()).isZero();
    }

    @Test
    void accessModesAreEnforced() throws Exception {
        Files.writeString(p("/f"), "data");
        try (FileChannel ro = open("/f")) {
            assertThatThrownBy(() -> ro.write(ascii("x"))).isInstanceOf(NonWritableChannelException.class);
            assertThatThrownBy(() -> ro.truncate(0)).isInstanceOf(NonWritableChannelException.class);
            assertThatThrownBy(() -> ro.transferFrom(Channels.newChannel(new ByteArrayInputStream(new byte[1])), 0, 1))
                    .isInstanceOf(NonWritableChannelException.class);
        }
        try (FileChannel wo = open("/f", WRITE)) {
            assertThatThrownBy(() -> wo.read(ByteBuffer.allocate(1))).isInstanceOf(NonReadableChannelException.class);
            assertThatThrownBy(() -> wo.transferTo(0, 1, Channels.newChannel(new ByteArrayOutputStream())))
                    .isInstanceOf(NonReadableChannelException.class);
        }
        assertThat(Files.readString(p("/f"))).isEqualTo("data");
    }

    @Test
    void openOptionsCreateCreateNewAndTruncate() throws Exception {
        assertThatThrownBy(() -> open("/absent")).isInstanceOf(NoSuchFileException.class);
        assertThatThrownBy(() -> open("/absent", WRITE)).isInstanceOf(NoSuchFileException.class);
        assertThatThrownBy(() -> open("/no/dir/f", CREATE, WRITE)).isInstanceOf(NoSuchFileException.class);
        assertThatThrownBy(() -> open("/absent", READ, CREATE)) // CREATE is ignored without WRITE
                .isInstanceOf(NoSuchFileException.class);
        assertThat(Files.exists(p("/absent"))).isFalse();
        open("/new", CREATE_NEW, WRITE).close();
        assertThatThrownBy(() -> open("/new", CREATE_NEW, WRITE)).isInstanceOf(FileAlreadyExistsException.class);
        Files.writeString(p("/new"), "content");
        open("/new", WRITE, CREATE).close();
        assertThat(Files.readString(p("/new"))).isEqualTo("content");
        open("/new", READ, TRUNCATE_EXISTING).close(); // ignored when only reading
        assertThat(Files.readString(p("/new"))).isEqualTo("content");
        open("/new", WRITE, TRUNCATE_EXISTING).close();
        assertThat(Files.size(p("/new"))).isZero();
        assertThat(fs.openFiles().openPaths()).isZero();
    }

    @Test
    void illegalOptionCombinationsAreRefusedBeforeAnyRequest() throws Exception {
        storage.resetCounters();
        assertThatThrownBy(() -> open("/f", READ, APPEND)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> open("/f", APPEND, TRUNCATE_EXISTING)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> open("/f", CREATE, WRITE, new java.nio.file.OpenOption() {}))
                .isInstanceOf(UnsupportedOperationException.class);
        assertThatThrownBy(() -> Files.createFile(p("/f"),
                java.nio.file.attribute.PosixFilePermissions.asFileAttribute(Set.of())))
                .isInstanceOf(UnsupportedOperationException.class);
        assertThat(storage.calls("create") + storage.calls("stat")).isZero();
    }

    @Test
    void openingADirectoryFails() throws Exception {
        Files.createDirectory(p("/d"));
        assertThatThrownBy(() -> open("/d")).isInstanceOf(FileSystemException.class)
                .hasMessageContaining("Is a directory");
        assertThatThrownBy(() -> open("/d", CREATE_NEW, WRITE)).isInstanceOf(FileAlreadyExistsException.class);
        assertThat(fs.openFiles().openPaths()).isZero();
    }

    @Test
    void appendWritesGoToTheCurrentEnd() throws Exception {
        Files.writeString(p("/log"), "one;");
        try (FileChannel app = open("/log", APPEND); FileChannel other = open("/log", WRITE)) {
            assertThat(app.position()).isEqualTo(4);
            other.write(ascii("ONE;two;"));       // another handle extends the file
            app.write(ascii("three;"));
            assertThat(app.position()).isEqualTo(14);
            app.write(ascii("four;"), 0);          // O_APPEND wins over the position
            app.write(new ByteBuffer[] {ascii("a"), ascii("b")});
        }
        assertThat(Files.readString(p("/log"))).isEqualTo("ONE;two;three;four;ab");
    }

    @Test
    void deleteOnCloseRemovesTheFile() throws Exception {
        try (FileChannel tmp = open("/tmp", CREATE_NEW, WRITE, READ, DELETE_ON_CLOSE)) {
            tmp.write(ascii("scratch"));
            assertThat(Files.exists(p("/tmp"))).isTrue();
        }
        assertThat(Files.exists(p("/tmp"))).isFalse();
        FileChannel leftOpen = open("/tmp2", CREATE_NEW, WRITE, DELETE_ON_CLOSE);
        fs.close(); // the process exits with the channel open
        assertThat(leftOpen.isOpen()).isFalse();
        assertThatThrownBy(() -> storage.stat("/tmp2")).isInstanceOf(NoSuchFileException.class);
    }

    @Test
    void syncMakesEveryWriteDurable() throws Exception {
        storage.resetCounters();
        try (FileChannel ch = open("/s", CREATE, WRITE, SYNC)) {
            ch.write(ascii("a"));
            ch.write(ascii("b"), 1);
        }
        assertThat(storage.calls("fsync")).isEqualTo(2);
    }

    @Test
    void closedChannelRefusesEverything() throws Exception {
        FileChannel ch = open("/c", CREATE, READ, WRITE);
        ch.close();
        assertThat(ch.isOpen()).isFalse();
        assertThatThrownBy(() -> ch.read(ByteBuffer.allocate(1))).isInstanceOf(ClosedChannelException.class);
        assertThatThrownBy(() -> ch.write(ascii("x"))).isInstanceOf(ClosedChannelException.class);
        assertThatThrownBy(ch::position).isInstanceOf(ClosedChannelException.class);
        assertThatThrownBy(ch::size).isInstanceOf(ClosedChannelException.class);
        assertThatThrownBy(() -> ch.force(false)).isInstanceOf(ClosedChannelException.class);
    }

    @Test
    void scatterReadAndGatherWrite() throws Exception {
        try (FileChannel ch = open("/sg", CREATE, READ, WRITE)) {
            assertThat(ch.write(new ByteBuffer[] {ascii("abc"), ascii(""), ascii("defg")})).isEqualTo(7);
            ch.position(0);
            ByteBuffer a = ByteBuffer.allocate(2);
            ByteBuffer b = ByteBuffer.allocate(10);
            assertThat(ch.read(new ByteBuffer[] {a, b})).isEqualTo(7);
            assertThat(ascii(a)).isEqualTo("ab");
            assertThat(ascii(b)).isEqualTo("cdefg");
            assertThat(ch.read(new ByteBuffer[] {ByteBuffer.allocate(1)})).isEqualTo(-1);
        }
    }

    @Test
    void transferToAndFromOtherChannels() throws Exception {
        byte[] data = new byte[(3 << 19) + 5];
        for (int i = 0; i < data.length; i++) {
            data[i] = (byte) i;
        }
        try (FileChannel ch = open("/t", CREATE, WRITE)) {
            assertThat(ch.transferFrom(Channels.newChannel(new ByteArrayInputStream(data)), 0, Long.MAX_VALUE))
                    .isEqualTo(data.length);
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (FileChannel ch = open("/t")) {
            assertThat(ch.transferTo(5, Long.MAX_VALUE, Channels.newChannel(out))).isEqualTo(data.length - 5);
            assertThat(ch.position()).isZero();
            assertThat(ch.transferTo(data.length, 10, Channels.newChannel(out))).isZero();
        }
        assertThat(out.toByteArray()).isEqualTo(java.util.Arrays.copyOfRange(data, 5, data.length));
        try (FileChannel src = open("/t"); FileChannel dst = open("/t2", CREATE_NEW, WRITE)) {
            assertThat(src.transferTo(0, 100, dst)).isEqualTo(100);
            assertThat(dst.position()).isEqualTo(100);
        }
        assertThat(Files.size(p("/t2"))).isEqualTo(100);
    }

    /**
     * Found by the model check (FsModelCheckTest): a position past the end transferred nothing, as FileChannel's
     * javadoc said before Java 21; now the file grows to take the bytes.
     */
    @Test
    void transferFromPastTheEndGrowsTheFile() throws Exception {
        try (FileChannel ch = open("/g", CREATE, READ, WRITE)) {
            ch.write(ascii("ab"));
            assertThat(ch.transferFrom(Channels.newChannel(new ByteArrayInputStream(new byte[] {7, 8, 9})), 5, 10))
                    .isEqualTo(3);
            assertThat(ch.position()).isEqualTo(2);
            assertThat(ch.size()).isEqualTo(8);
        }
        assertThat(Files.readAllBytes(p("/g"))).containsExactly('a', 'b', 0, 0, 0, 7, 8, 9);
    }

    /** Found by the model check (FsModelCheckTest): past the end these returned 0 instead. */
    @Test
    void transfersBetweenLegoChannelsCheckBothAccessModesAlsoPastTheEnd() throws Exception {
        try (FileChannel src = open("/s", CREATE, WRITE); FileChannel dst = open("/d", CREATE, WRITE)) {
            src.write(ascii("abc"));
            assertThatThrownBy(() -> dst.transferFrom(src, 0, 3)).isInstanceOf(NonReadableChannelException.class);
            assertThatThrownBy(() -> dst.transferFrom(src, 100, 3)).isInstanceOf(NonReadableChannelException.class);
        }
        try (FileChannel src = open("/s", WRITE); FileChannel dst = open("/d", READ)) {
            // both wrong: the source is checked first
            assertThatThrownBy(() -> dst.transferFrom(src, 0, 3)).isInstanceOf(NonReadableChannelException.class);
        }
        try (FileChannel src = open("/s", READ); FileChannel dst = open("/d", READ)) {
            // transferTo a read-only lego: channel, also from the end of the source
            assertThatThrownBy(() -> src.transferTo(0, 3, dst)).isInstanceOf(NonWritableChannelException.class);
            assertThatThrownBy(() -> src.transferTo(100, 3, dst)).isInstanceOf(NonWritableChannelException.class);
        }
    }

    /** Found by the model check (FsModelCheckTest): the source's bytes were consumed, then the write failed. */
    @Test
    void transferFromIntoADeletedFileFailsBeforeReadingTheSource() throws Exception {
        try (FileChannel src = open("/s", CREATE, READ, WRITE); FileChannel dst = open("/d", CREATE, WRITE)) {
            src.write(ascii("abc"));
            src.position(0);
            Files.delete(p("/d"));
            assertThatThrownBy(() -> dst.transferFrom(src, 0, 3)).isInstanceOf(NoSuchFileException.class);
            assertThat(src.position()).isZero();
        }
    }

    @Test
    void openHandlesFollowARenameByThisProcess() throws Exception {
        Files.createDirectories(p("/dir"));
        try (FileChannel ch = open("/dir/f", CREATE_NEW, WRITE)) {
            ch.write(ascii("before;"));
            Files.move(p("/dir"), p("/moved"));
            ch.write(ascii("after"));
        }
        assertThat(storage.closes("/moved/f")).isEqualTo(1);
        assertThat(storage.closes("/dir/f")).isZero();
        assertThat(Files.readString(p("/moved/f"))).isEqualTo("before;after");
    }

    @Test
    void handlesOfAFileThisProcessDeletedFailWithNoSuchFile() throws Exception {
        Files.writeString(p("/gone"), "x");
        FileChannel ch = open("/gone", READ, WRITE);
        Files.delete(p("/gone"));
        Files.writeString(p("/gone"), "a new file");
        assertThatThrownBy(() -> ch.read(ByteBuffer.allocate(4))).isInstanceOf(NoSuchFileException.class);
        long closes = storage.closes("/gone");
        ch.close(); // the deleted file has nothing to write back
        assertThat(storage.closes("/gone")).isEqualTo(closes);
        assertThat(Files.readString(p("/gone"))).isEqualTo("a new file");
    }

    @Test
    void closingTheFileSystemClosesItsChannels() throws Exception {
        FileChannel ch = open("/open", CREATE, WRITE);
        var stream = Files.newDirectoryStream(p("/"));
        fs.close();
        assertThat(ch.isOpen()).isFalse();
        assertThat(storage.closes("/open")).isEqualTo(1);
        assertThatThrownBy(stream::iterator).isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(() -> Files.readAllBytes(p("/open")))
                .isInstanceOf(java.nio.file.ClosedFileSystemException.class);
    }

    // ---------------------------------------------------------------- concurrency

    @Test
    void concurrentChannelsWriteDisjointRegionsOfOneFile() throws Exception {
        int threads = 8;
        int region = 64 * 1024;
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        try {
            List<Future<?>> done = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                int id = t;
                done.add(pool.submit((Callable<Void>) () -> {
                    try (FileChannel ch = open("/shared", CREATE, WRITE)) {
                        ByteBuffer chunk = ByteBuffer.allocate(1024);
                        for (int off = 0; off < region; off += chunk.capacity()) {
                            chunk.clear();
                            while (chunk.hasRemaining()) {
                                chunk.put((byte) id);
                            }
                            chunk.flip();
                            ch.write(chunk, (long) id * region + off);
                        }
                    }
                    return null;
                }));
            }
            for (Future<?> f : done) {
                f.get(10, TimeUnit.SECONDS);
            }
        } finally {
            pool.shutdownNow();
        }
        byte[] content = storage.contentOf("/shared");
        assertThat(content).hasSize(threads * region);
        for (int i = 0; i < content.length; i++) {
            assertThat(content[i]).as("byte %d", i).isEqualTo((byte) (i / region));
        }
        assertThat(storage.closes("/shared")).isBetween(1L, (long) threads);
        assertThat(fs.openFiles().openPaths()).isZero();
    }

    @Test
    void concurrentAppendsOfThisProcessNeverOverlap() throws Exception {
        int threads = 6;
        int records = 200;
        Files.createFile(p("/app.log"));
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        try {
            List<Future<?>> done = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                int id = t;
                done.add(pool.submit((Callable<Void>) () -> {
                    try (FileChannel ch = open("/app.log", APPEND)) {
                        for (int i = 0; i < records; i++) {
                            ch.write(ascii(String.format("T%d-%05d\n", id, i)));
                        }
                    }
                    return null;
                }));
            }
            for (Future<?> f : done) {
                f.get(10, TimeUnit.SECONDS);
            }
        } finally {
            pool.shutdownNow();
        }
        List<String> lines = Files.readAllLines(p("/app.log"));
        assertThat(lines).hasSize(threads * records);
        Set<String> unique = new HashSet<>(lines);
        assertThat(unique).hasSize(threads * records);
        assertThat(lines).allMatch(l -> l.matches("T\\d-\\d{5}"));
    }

    @Test
    void threadsSharingOneChannelReadEveryByteExactlyOnce() throws Exception {
        int ints = 64 * 1024;
        ByteBuffer data = ByteBuffer.allocate(ints * 4);
        for (int i = 0; i < ints; i++) {
            data.putInt(i);
        }
        Files.write(p("/ints"), data.array());
        int threads = 4;
        BitSet seen = new BitSet(ints);
        try (FileChannel ch = open("/ints")) {
            ExecutorService pool = Executors.newFixedThreadPool(threads);
            try {
                List<Future<List<Integer>>> done = new ArrayList<>();
                for (int t = 0; t < threads; t++) {
                    done.add(pool.submit(() -> {
                        List<Integer> got = new ArrayList<>();
                        ByteBuffer buf = ByteBuffer.allocate(4096);
                        while (ch.read(buf.clear()) > 0) {
                            buf.flip();
                            while (buf.remaining() >= 4) {
                                got.add(buf.getInt());
                            }
                        }
                        return got;
                    }));
                }
                for (Future<List<Integer>> f : done) {
                    for (int v : f.get(10, TimeUnit.SECONDS)) {
                        assertThat(seen.get(v)).as("value %d read twice", v).isFalse();
                        seen.set(v);
                    }
                }
            } finally {
                pool.shutdownNow();
            }
        }
        assertThat(seen.cardinality()).isEqualTo(ints);
    }
}
