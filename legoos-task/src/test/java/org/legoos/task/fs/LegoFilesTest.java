package org.legoos.task.fs;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.BufferedReader;
import java.io.BufferedWriter;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.AccessDeniedException;
import java.nio.file.AccessMode;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributeView;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFileAttributes;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The {@link Files} API a program uses, against the provider over the in-memory storage model. */
@Timeout(10)
class LegoFilesTest {
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

    private static byte[] pattern(int size) {
        byte[] b = new byte[size];
        for (int i = 0; i < size; i++) {
            b[i] = (byte) (i * 31 + (i >>> 8));
        }
        return b;
    }

    // ---------------------------------------------------------------- reading and writing

    @Test
    void writeThenReadAllBytesAndStrings() throws Exception {
        Files.write(p("/a.bin"), new byte[] {1, 2, 3});
        assertThat(Files.readAllBytes(p("/a.bin"))).containsExactly(1, 2, 3);
        Files.writeString(p("/s.txt"), "héllo wörld");
        assertThat(Files.readString(p("/s.txt"))).isEqualTo("héllo wörld");
        assertThat(storage.contentOf("/s.txt")).isEqualTo("héllo wörld".getBytes(UTF_8));
    }

    @Test
    void bufferedWriterThenBufferedReaderAndLines() throws Exception {
        Path file = p("/lines.txt");
        try (BufferedWriter w = Files.newBufferedWriter(file)) {
            for (int i = 0; i < 10_000; i++) {
                w.write("line " + i);
                w.newLine();
            }
        }
        try (BufferedReader r = Files.newBufferedReader(file)) {
            assertThat(r.readLine()).isEqualTo("line 0");
            assertThat(r.lines().count()).isEqualTo(9_999);
        }
        try (Stream<String> lines = Files.lines(file)) {
            assertThat(lines.skip(9_999).findFirst()).contains("line 9999");
        }
        assertThat(Files.readAllLines(file)).hasSize(10_000);
        assertThat(storage.closes("/lines.txt")).isPositive();
    }

    @Test
    void bufferedReaderOfABigFileAsksStorageInLargeRequests() throws Exception {
        int size = 1 << 20;
        String text = IntStream.range(0, size / 8).mapToObj(i -> String.format("%07d", i))
                .collect(Collectors.joining("\n", "", "\n"));
        Files.writeString(p("/big.txt"), text);
        storage.resetCounters();
        try (BufferedReader r = Files.newBufferedReader(p("/big.txt"))) {
            assertThat(r.lines().count()).isEqualTo(size / 8);
        }
        List<Integer> reads = storage.readRequests();
        assertThat(reads.size()).isLessThanOrEqualTo(size / 8192 + 2);
        assertThat(reads).allSatisfy(n -> assertThat(n).isGreaterThanOrEqualTo(8000));
    }

    @Test
    void readAllBytesReadsTheWholeFileInOneRequest() throws Exception {
        byte[] data = pattern(3 << 20);
        Files.write(p("/blob"), data);
        storage.resetCounters();
        assertThat(Files.readAllBytes(p("/blob"))).isEqualTo(data);
        assertThat(storage.readRequests().getFirst()).isEqualTo(data.length);
        assertThat(storage.calls("read")).isLessThanOrEqualTo(2); // the data, then the end-of-file probe
    }

    @Test
    void readingAMissingFileThrowsNoSuchFile() {
        assertThatThrownBy(() -> Files.readAllBytes(p("/missing"))).isInstanceOf(NoSuchFileException.class);
        assertThatThrownBy(() -> Files.newBufferedReader(p("/missing"))).isInstanceOf(NoSuchFileException.class);
        assertThatThrownBy(() -> Files.size(p("missing"))).isInstanceOf(NoSuchFileException.class);
        assertThatThrownBy(() -> Files.lines(p("/no/such/dir/f"))).isInstanceOf(NoSuchFileException.class);
        assertThatThrownBy(() -> Files.write(p("/no/such/dir/f"), new byte[1]))
                .isInstanceOf(NoSuchFileException.class);
    }

    @Test
    void readingADirectoryAsAFileFails() throws Exception {
        Files.createDirectory(p("/d"));
        assertThatThrownBy(() -> Files.readAllBytes(p("/d"))).isInstanceOf(FileSystemException.class)
                .hasMessageContaining("Is a directory");
        assertThatThrownBy(() -> Files.write(p("/d"), new byte[1])).isInstanceOf(FileSystemException.class);
        assertThatThrownBy(() -> Files.readAllBytes(p("/"))).isInstanceOf(FileSystemException.class);
    }

    @Test
    void existsAndSize() throws Exception {
        assertThat(Files.exists(p("/f"))).isFalse();
        assertThat(Files.notExists(p("/f"))).isTrue();
        Files.write(p("/f"), new byte[1234]);
        assertThat(Files.exists(p("/f"))).isTrue();
        assertThat(Files.size(p("/f"))).isEqualTo(1234);
        assertThat(Files.isRegularFile(p("/f"))).isTrue();
        assertThat(Files.isDirectory(p("/"))).isTrue();
        assertThat(Files.exists(p("/f/under-a-file"))).isFalse();
    }

    @Test
    void createNewOnAnExistingFileThrowsFileAlreadyExists() throws Exception {
        Files.createFile(p("/once"));
        assertThatThrownBy(() -> Files.createFile(p("/once"))).isInstanceOf(FileAlreadyExistsException.class);
        assertThatThrownBy(() -> Files.newOutputStream(p("/once"), StandardOpenOption.CREATE_NEW))
                .isInstanceOf(FileAlreadyExistsException.class);
        assertThat(Files.size(p("/once"))).isZero();
    }

    @Test
    void newOutputStreamTruncatesByDefaultAndAppendsOnRequest() throws Exception {
        Files.writeString(p("/t"), "0123456789");
        Files.writeString(p("/t"), "ab");
        assertThat(Files.readString(p("/t"))).isEqualTo("ab");
        Files.writeString(p("/t"), "cd", StandardOpenOption.APPEND);
        assertThat(Files.readString(p("/t"))).isEqualTo("abcd");
        assertThatThrownBy(() -> Files.writeString(p("/absent"), "x", StandardOpenOption.APPEND))
                .isInstanceOf(NoSuchFileException.class);
    }

    @Test
    void storageRefusalReachesTheProgramAndLeavesTheFileAlone() throws Exception {
        Files.writeString(p("/locked"), "keep");
        storage.deny("/locked");
        assertThatThrownBy(() -> Files.writeString(p("/locked"), "x", StandardOpenOption.APPEND))
                .isInstanceOf(AccessDeniedException.class);
        assertThatThrownBy(() -> Files.delete(p("/locked"))).isInstanceOf(AccessDeniedException.class);
        assertThat(Files.readString(p("/locked"))).isEqualTo("keep");
    }

    // ---------------------------------------------------------------- paths and the working directory

    @Test
    void relativePathsResolveAgainstTheWorkingDirectory() throws Exception {
        Files.createDirectories(p("/home/user"));
        fs.changeWorkingDirectory(p("/home/user"));
        Files.writeString(p("notes.txt"), "hi");
        assertThat(storage.contentOf("/home/user/notes.txt")).isEqualTo("hi".getBytes(UTF_8));
        assertThat(Files.readString(p("../user/./notes.txt"))).isEqualTo("hi");
        try (Stream<Path> list = Files.list(p(""))) {
            assertThat(list).containsExactly(p("notes.txt"));
        }
        fs.changeWorkingDirectory(p(".."));
        assertThat(fs.workingDirectory()).isEqualTo(p("/home"));
        assertThat(Files.exists(p("user/notes.txt"))).isTrue();
    }

    @Test
    void dotDotAtTheRootStaysAtTheRoot() throws Exception {
        Files.writeString(p("a/../../b"), "escaped?");
        assertThat(storage.contentOf("/b")).isEqualTo("escaped?".getBytes(UTF_8));
        Files.createDirectories(p("/x"));
        fs.changeWorkingDirectory(p("/x"));
        assertThat(Files.readString(p("../../../../b"))).isEqualTo("escaped?");
        Files.writeString(p("/../../c"), "c");
        assertThat(storage.contentOf("/c")).isEqualTo("c".getBytes(UTF_8));
    }

    // ---------------------------------------------------------------- directories

    @Test
    void createDirectoriesMakesEveryMissingParent() throws Exception {
        Files.createDirectories(p("/a/b/c"));
        assertThat(Files.isDirectory(p("/a/b/c"))).isTrue();
        Files.createDirectories(p("/a/b/c")); // already there: fine
        Files.createDirectories(p("rel/one"));
        assertThat(Files.isDirectory(p("/rel/one"))).isTrue();
        Files.write(p("/a/file"), new byte[0]);
        assertThatThrownBy(() -> Files.createDirectories(p("/a/file")))
                .isInstanceOf(FileAlreadyExistsException.class);
        assertThatThrownBy(() -> Files.createDirectories(p("/a/file/sub"))).isInstanceOf(FileSystemException.class);
    }

    @Test
    void createDirectoryNeedsItsParentAndRefusesExisting() throws Exception {
        assertThatThrownBy(() -> Files.createDirectory(p("/x/y"))).isInstanceOf(NoSuchFileException.class);
        Files.createDirectory(p("/x"));
        assertThatThrownBy(() -> Files.createDirectory(p("/x"))).isInstanceOf(FileAlreadyExistsException.class);
        assertThatThrownBy(() -> Files.createDirectory(p("/"))).isInstanceOf(FileAlreadyExistsException.class);
    }

    @Test
    void listGivesTheEntriesOfADirectory() throws Exception {
        Files.createDirectories(p("/d/sub"));
        Files.write(p("/d/f1"), new byte[1]);
        Files.write(p("/d/f2"), new byte[2]);
        try (Stream<Path> list = Files.list(p("/d"))) {
            assertThat(list).containsExactlyInAnyOrder(p("/d/sub"), p("/d/f1"), p("/d/f2"));
        }
        try (Stream<Path> list = Files.list(p("d"))) {
            assertThat(list).containsExactlyInAnyOrder(p("d/sub"), p("d/f1"), p("d/f2"));
        }
        assertThatThrownBy(() -> Files.list(p("/d/f1"))).isInstanceOf(NotDirectoryException.class);
        assertThatThrownBy(() -> Files.list(p("/none"))).isInstanceOf(NoSuchFileException.class);
    }

    @Test
    void walkAndFindVisitTheWholeTree() throws Exception {
        Files.createDirectories(p("/w/a/b"));
        Files.createDirectories(p("/w/c"));
        Files.writeString(p("/w/a/b/x.txt"), "x");
        Files.writeString(p("/w/c/y.txt"), "y");
        Files.writeString(p("/w/z.dat"), "z");
        try (Stream<Path> all = Files.walk(p("/w"))) {
            assertThat(all).containsExactlyInAnyOrder(p("/w"), p("/w/a"), p("/w/a/b"), p("/w/a/b/x.txt"),
                    p("/w/c"), p("/w/c/y.txt"), p("/w/z.dat"));
        }
        try (Stream<Path> shallow = Files.walk(p("/w"), 1)) {
            assertThat(shallow).hasSize(4);
        }
        try (Stream<Path> txt = Files.find(p("/w"), 10, (f, a) -> a.isRegularFile() && f.toString().endsWith(".txt"))) {
            assertThat(txt).containsExactlyInAnyOrder(p("/w/a/b/x.txt"), p("/w/c/y.txt"));
        }
    }

    @Test
    void deleteRemovesFilesAndEmptyDirectoriesOnly() throws Exception {
        Files.createDirectories(p("/d/e"));
        Files.write(p("/d/e/f"), new byte[3]);
        assertThatThrownBy(() -> Files.delete(p("/d"))).isInstanceOf(DirectoryNotEmptyException.class);
        Files.delete(p("/d/e/f"));
        Files.delete(p("/d/e"));
        Files.delete(p("/d"));
        assertThat(Files.exists(p("/d"))).isFalse();
        assertThatThrownBy(() -> Files.delete(p("/d"))).isInstanceOf(NoSuchFileException.class);
        assertThat(Files.deleteIfExists(p("/d"))).isFalse();
        assertThatThrownBy(() -> Files.delete(p("/"))).isInstanceOf(FileSystemException.class);
        assertThatThrownBy(() -> Files.delete(p("/.."))).isInstanceOf(FileSystemException.class);
    }

    // ---------------------------------------------------------------- move and copy

    @Test
    void moveRenamesAndRefusesAnExistingTargetUnlessReplacing() throws Exception {
        Files.writeString(p("/a"), "A");
        Files.writeString(p("/b"), "B");
        Files.move(p("/a"), p("/c"));
        assertThat(Files.exists(p("/a"))).isFalse();
        assertThat(Files.readString(p("/c"))).isEqualTo("A");
        assertThatThrownBy(() -> Files.move(p("/c"), p("/b"))).isInstanceOf(FileAlreadyExistsException.class);
        assertThat(Files.readString(p("/b"))).isEqualTo("B");
        Files.move(p("/c"), p("/b"), StandardCopyOption.REPLACE_EXISTING);
        assertThat(Files.readString(p("/b"))).isEqualTo("A");
        Files.move(p("/b"), p("/b")); // same file: nothing happens
        Files.move(p("/b"), p("/d"), StandardCopyOption.ATOMIC_MOVE);
        assertThat(Files.readString(p("/d"))).isEqualTo("A");
        assertThatThrownBy(() -> Files.move(p("/nope"), p("/e"))).isInstanceOf(NoSuchFileException.class);
        assertThatThrownBy(() -> Files.move(p("/d"), p("/e"), StandardCopyOption.COPY_ATTRIBUTES))
                .isInstanceOf(UnsupportedOperationException.class);
    }

    @Test
    void moveOfADirectoryMovesItsSubtree() throws Exception {
        Files.createDirectories(p("/src/inner"));
        Files.writeString(p("/src/inner/f"), "deep");
        Files.move(p("/src"), p("/dst"));
        assertThat(Files.readString(p("/dst/inner/f"))).isEqualTo("deep");
        assertThat(Files.exists(p("/src"))).isFalse();
        assertThatThrownBy(() -> Files.move(p("/dst"), p("/dst/inner/x"))).isInstanceOf(FileSystemException.class);
        assertThatThrownBy(() -> Files.move(p("/"), p("/r"))).isInstanceOf(FileSystemException.class);
    }

    /** Found by the model check (FsModelCheckTest): the JDK checks for an existing target first. */
    @Test
    void moveIntoItselfOntoAnExistingTargetIsFileAlreadyExistsUnlessReplacing() throws Exception {
        Files.createDirectories(p("/d/sub"));
        assertThatThrownBy(() -> Files.move(p("/d"), p("/d/sub"))).isExactlyInstanceOf(FileAlreadyExistsException.class);
        assertThatThrownBy(() -> Files.move(p("/d"), p("/"))).isExactlyInstanceOf(FileAlreadyExistsException.class);
        // replacing: refused as a move into itself, and nothing is deleted
        assertThatThrownBy(() -> Files.move(p("/d"), p("/d/sub"), StandardCopyOption.REPLACE_EXISTING))
                .isExactlyInstanceOf(FileSystemException.class);
        assertThat(Files.isDirectory(p("/d/sub"))).isTrue();
        assertThatThrownBy(() -> Files.move(p("/d"), p("/d/new"))).isExactlyInstanceOf(FileSystemException.class);
        // a missing parent of the target is reported first, as rename(2) does
        assertThatThrownBy(() -> Files.move(p("/d"), p("/d/none/x"))).isExactlyInstanceOf(NoSuchFileException.class);
        assertThatThrownBy(() -> Files.move(p("/d"), p("/d/none/x"), StandardCopyOption.REPLACE_EXISTING))
                .isExactlyInstanceOf(NoSuchFileException.class);
    }

    @Test
    void moveReplacesAnEmptyDirectoryButNotAFullOne() throws Exception {
        Files.writeString(p("/f"), "F");
        Files.createDirectories(p("/empty"));
        Files.createDirectories(p("/full/x"));
        assertThatThrownBy(() -> Files.move(p("/f"), p("/full"), StandardCopyOption.REPLACE_EXISTING))
                .isInstanceOf(DirectoryNotEmptyException.class);
        Files.move(p("/f"), p("/empty"), StandardCopyOption.REPLACE_EXISTING);
        assertThat(Files.readString(p("/empty"))).isEqualTo("F");
        Files.createDirectories(p("/dir"));
        Files.move(p("/dir"), p("/empty"), StandardCopyOption.REPLACE_EXISTING); // directory over a file
        assertThat(Files.isDirectory(p("/empty"))).isTrue();
    }

    @Test
    void copyCopiesTheBytesInLargeRequests() throws Exception {
        byte[] data = pattern((5 << 19) + 17);
        Files.write(p("/orig"), data);
        storage.resetCounters();
        Files.copy(p("/orig"), p("/copy"));
        assertThat(storage.contentOf("/copy")).isEqualTo(data);
        assertThat(storage.calls("read")).isEqualTo(7); // six chunks of 512 KiB (the last short), then EOF
        assertThat(storage.calls("write")).isEqualTo(6);
        assertThat(storage.closes("/copy")).isEqualTo(1);
        assertThatThrownBy(() -> Files.copy(p("/orig"), p("/copy"))).isInstanceOf(FileAlreadyExistsException.class);
        Files.writeString(p("/small"), "s");
        Files.copy(p("/small"), p("/copy"), StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.COPY_ATTRIBUTES);
        assertThat(Files.readString(p("/copy"))).isEqualTo("s");
        Files.copy(p("/small"), p("/small")); // same file: nothing happens
        assertThatThrownBy(() -> Files.copy(p("/small"), p("/x"), StandardCopyOption.ATOMIC_MOVE))
                .isInstanceOf(UnsupportedOperationException.class);
        assertThatThrownBy(() -> Files.copy(p("/missing"), p("/x"))).isInstanceOf(NoSuchFileException.class);
    }

    @Test
    void copyOfADirectoryMakesAnEmptyDirectory() throws Exception {
        Files.createDirectories(p("/d/sub"));
        Files.copy(p("/d"), p("/e"));
        assertThat(Files.isDirectory(p("/e"))).isTrue();
        try (Stream<Path> list = Files.list(p("/e"))) {
            assertThat(list).isEmpty();
        }
    }

    @Test
    void copyFromAndToStreams() throws Exception {
        byte[] data = pattern(100_000);
        assertThat(Files.copy(new ByteArrayInputStream(data), p("/in"))).isEqualTo(data.length);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        assertThat(Files.copy(p("/in"), out)).isEqualTo(data.length);
        assertThat(out.toByteArray()).isEqualTo(data);
        try (InputStream in = Files.newInputStream(p("/in")); OutputStream o = Files.newOutputStream(p("/out"))) {
            assertThat(in.skip(10)).isEqualTo(10);
            assertThat(in.available()).isEqualTo(data.length - 10);
            in.transferTo(o);
        }
        assertThat(Files.readAllBytes(p("/out"))).isEqualTo(java.util.Arrays.copyOfRange(data, 10, data.length));
    }

    // ---------------------------------------------------------------- attributes

    @Test
    void basicAttributesComeFromStorage() throws Exception {
        long before = System.currentTimeMillis();
        Files.write(p("/f"), new byte[42]);
        BasicFileAttributes a = Files.readAttributes(p("/f"), BasicFileAttributes.class);
        assertThat(a.size()).isEqualTo(42);
        assertThat(a.isRegularFile()).isTrue();
        assertThat(a.isDirectory()).isFalse();
        assertThat(a.isSymbolicLink()).isFalse();
        assertThat(a.lastModifiedTime().toMillis()).isGreaterThanOrEqualTo(before);
        assertThat(Files.getLastModifiedTime(p("/f"))).isEqualTo(a.lastModifiedTime());
        Map<String, Object> all = Files.readAttributes(p("/f"), "*");
        assertThat(all).containsEntry("size", 42L).containsEntry("isRegularFile", true).containsKey("fileKey");
        assertThat(Files.readAttributes(p("/f"), "basic:size,isDirectory")).hasSize(2);
        assertThat(Files.getAttribute(p("/f"), "size")).isEqualTo(42L);
        assertThat(Files.getFileAttributeView(p("/f"), BasicFileAttributeView.class).readAttributes().size())
                .isEqualTo(42);
        assertThatThrownBy(() -> Files.readAttributes(p("/f"), "basic:bogus"))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> Files.readAttributes(p("/f"), "posix:*"))
                .isInstanceOf(UnsupportedOperationException.class);
        assertThatThrownBy(() -> Files.readAttributes(p("/f"), PosixFileAttributes.class))
                .isInstanceOf(UnsupportedOperationException.class);
        assertThat(Files.getFileAttributeView(p("/f"), PosixFileAttributeView.class)).isNull();
        assertThatThrownBy(() -> Files.setLastModifiedTime(p("/f"), FileTime.fromMillis(0)))
                .isInstanceOf(UnsupportedOperationException.class);
        assertThatThrownBy(() -> Files.readAttributes(p("/g"), BasicFileAttributes.class))
                .isInstanceOf(NoSuchFileException.class);
    }

    @Test
    void accessSameFileHiddenAndStore() throws Exception {
        Files.write(p("/f"), new byte[1]);
        assertThat(Files.isReadable(p("/f"))).isTrue();
        assertThat(Files.isWritable(p("/f"))).isTrue();
        assertThat(Files.isReadable(p("/g"))).isFalse();
        provider.checkAccess(p("/f"), AccessMode.READ, AccessMode.WRITE);
        assertThatThrownBy(() -> provider.checkAccess(p("/g"))).isInstanceOf(NoSuchFileException.class);
        assertThat(Files.isSameFile(p("/f"), p("f"))).isTrue();
        assertThat(Files.isSameFile(p("/f"), p("/x/../f"))).isTrue();
        Files.write(p("/h"), new byte[1]);
        assertThat(Files.isSameFile(p("/f"), p("/h"))).isFalse();
        assertThat(Files.isSameFile(p("/f"), Path.of("/f"))).isFalse();
        assertThat(Files.isHidden(p("/.dot"))).isFalse();
        assertThat(Files.getFileStore(p("/f")).name()).isEqualTo("vn1");
        assertThat(Files.getFileStore(p("/f")).type()).isEqualTo("lego");
        assertThatThrownBy(() -> Files.getFileStore(p("/g"))).isInstanceOf(NoSuchFileException.class);
    }
}
