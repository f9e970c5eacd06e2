package org.legoos.task.fs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.net.URI;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.ClosedFileSystemException;
import java.nio.file.DirectoryIteratorException;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.DirectoryStream;
import java.nio.file.FileStore;
import java.nio.file.FileSystemNotFoundException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;
import java.nio.file.Path;
import java.nio.file.PathMatcher;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.BasicFileAttributeView;
import java.nio.file.attribute.PosixFileAttributeView;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.regex.PatternSyntaxException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The per-process file system: working directory, matchers, directory streams, lifecycle, URIs. */
@Timeout(10)
class LegoFileSystemTest {
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

    /** What a stat(2) emulation (a WASI runtime) reads: the "unix" view, stable per path, distinct across paths. */
    @Test
    void theUnixViewGivesWhatStatNeeds() throws Exception {
        Files.createDirectory(p("/d"));
        Files.write(p("/d/f"), new byte[1234]);
        Map<String, Object> f = Files.readAttributes(p("/d/f"), "unix:*");
        assertThat(f).containsEntry("size", 1234L).containsEntry("nlink", 1).containsEntry("mode", 0100644)
                .containsKeys("dev", "ino", "lastAccessTime", "lastModifiedTime", "ctime", "uid", "gid", "rdev");
        assertThat(Files.readAttributes(p("/d"), "unix:mode,ino")).containsEntry("mode", 0040755).hasSize(2);
        fs.changeWorkingDirectory(p("/d"));
        assertThat(Files.readAttributes(p("f"), "unix:ino")).as("the same file by another name").isEqualTo(
                Files.readAttributes(p("/d/f"), "unix:ino"));
        assertThat(Files.readAttributes(p("/d"), "unix:ino")).isNotEqualTo(Files.readAttributes(p("/d/f"), "unix:ino"));
        assertThatThrownBy(() -> Files.readAttributes(p("/d/f"), "unix:owner")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> Files.readAttributes(p("/d/f"), "posix:*")).isInstanceOf(UnsupportedOperationException.class);
        assertThatThrownBy(() -> Files.readAttributes(p("/nope"), "unix:*")).isInstanceOf(java.nio.file.NoSuchFileException.class);
    }

    @Test
    void describesItself() {
        assertThat(fs.provider()).isSameAs(provider);
        assertThat(provider.getScheme()).isEqualTo("lego");
        assertThat(fs.vnode()).isEqualTo("vn1");
        assertThat(fs.getSeparator()).isEqualTo("/");
        assertThat(fs.isOpen()).isTrue();
        assertThat(fs.isReadOnly()).isFalse();
        assertThat(fs.supportedFileAttributeViews()).containsExactlyInAnyOrder("basic", "unix");
        FileStore store = fs.getFileStores().iterator().next();
        assertThat(store.supportsFileAttributeView(BasicFileAttributeView.class)).isTrue();
        assertThat(store.supportsFileAttributeView(PosixFileAttributeView.class)).isFalse();
        assertThat(store.isReadOnly()).isFalse();
        assertThatThrownBy(fs::newWatchService).isInstanceOf(UnsupportedOperationException.class);
        assertThatThrownBy(fs::getUserPrincipalLookupService).isInstanceOf(UnsupportedOperationException.class);
    }

    @Test
    void workingDirectoryStartsAtTheRootAndChangesOnlyToDirectories() throws Exception {
        assertThat(fs.workingDirectory()).isEqualTo(p("/"));
        Files.createDirectories(p("/a/b"));
        Files.writeString(p("/a/file"), "f");
        fs.changeWorkingDirectory(p("a"));
        fs.changeWorkingDirectory(p("b/../b/."));
        assertThat(fs.workingDirectory()).isEqualTo(p("/a/b"));
        assertThatThrownBy(() -> fs.changeWorkingDirectory(p("/a/file"))).isInstanceOf(NotDirectoryException.class);
        assertThatThrownBy(() -> fs.changeWorkingDirectory(p("/none"))).isInstanceOf(NoSuchFileException.class);
        assertThatThrownBy(() -> fs.changeWorkingDirectory(Path.of("/tmp")))
                .isInstanceOf(java.nio.file.ProviderMismatchException.class);
        assertThat(fs.workingDirectory()).isEqualTo(p("/a/b"));
    }

    @Test
    void twoProcessesOfOneVnodeShareFilesButNotWorkingDirectoriesOrHandles() throws Exception {
        LegoFileSystem other = provider.newFileSystem("vn1", storage);
        Files.createDirectories(p("/home/p1"));
        Files.createDirectories(p("/home/p2"));
        fs.changeWorkingDirectory(p("/home/p1"));
        other.changeWorkingDirectory(other.getPath("/home/p2"));
        Files.writeString(p("mine"), "1");
        assertThat(Files.readString(other.getPath("../p1/mine"))).isEqualTo("1");
        assertThat(Files.exists(other.getPath("mine"))).isFalse();
        try (var ch = Files.newByteChannel(p("mine"))) {
            other.close(); // another process exits: this one's handles stay open
            assertThat(ch.isOpen()).isTrue();
        }
    }

    @Test
    void globAndRegexMatchers() {
        PathMatcher txt = fs.getPathMatcher("glob:*.txt");
        assertThat(txt.matches(p("a.txt"))).isTrue();
        assertThat(txt.matches(p("d/a.txt"))).isFalse();
        assertThat(fs.getPathMatcher("glob:**/*.txt").matches(p("/d/e/a.txt"))).isTrue();
        assertThat(fs.getPathMatcher("glob:/d/*").matches(p("/d/e/a.txt"))).isFalse();
        PathMatcher alt = fs.getPathMatcher("glob:*.{java,class}");
        assertThat(alt.matches(p("A.java"))).isTrue();
        assertThat(alt.matches(p("A.class"))).isTrue();
        assertThat(alt.matches(p("A.jar"))).isFalse();
        assertThat(fs.getPathMatcher("glob:[!a-c]?").matches(p("dx"))).isTrue();
        assertThat(fs.getPathMatcher("glob:[!a-c]?").matches(p("bx"))).isFalse();
        assertThat(fs.getPathMatcher("glob:[a-c]").matches(p("/"))).isFalse();
        assertThat(fs.getPathMatcher("glob:a\\*b(c)+.x").matches(p("a*b(c)+.x"))).isTrue();
        assertThat(fs.getPathMatcher("glob:a\\*b").matches(p("aXb"))).isFalse();
        assertThat(fs.getPathMatcher("regex:.*\\d").matches(p("/x/y9"))).isTrue();
        assertThat(fs.getPathMatcher("GLOB:*").matches(p("x"))).isTrue();
        assertThatThrownBy(() -> fs.getPathMatcher("nocolon")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> fs.getPathMatcher("wild:*")).isInstanceOf(UnsupportedOperationException.class);
        assertThatThrownBy(() -> fs.getPathMatcher("glob:[]")).isInstanceOf(PatternSyntaxException.class);
        assertThatThrownBy(() -> fs.getPathMatcher("glob:[ab")).isInstanceOf(PatternSyntaxException.class);
        assertThatThrownBy(() -> fs.getPathMatcher("glob:{a,{b}}")).isInstanceOf(PatternSyntaxException.class);
        assertThatThrownBy(() -> fs.getPathMatcher("glob:{a")).isInstanceOf(PatternSyntaxException.class);
    }

    @Test
    void directoryStreamFiltersAndGivesOneIterator() throws Exception {
        Files.createDirectories(p("/d"));
        for (String name : List.of("a.txt", "b.txt", "c.bin")) {
            Files.writeString(p("/d/" + name), name);
        }
        try (DirectoryStream<Path> txt = Files.newDirectoryStream(p("/d"), "*.txt")) {
            List<Path> got = new ArrayList<>();
            txt.forEach(got::add);
            assertThat(got).containsExactlyInAnyOrder(p("/d/a.txt"), p("/d/b.txt"));
            assertThatThrownBy(txt::iterator).isInstanceOf(IllegalStateException.class);
        }
        try (DirectoryStream<Path> failing = Files.newDirectoryStream(p("/d"), e -> {
            throw new IOException("filter failed");
        })) {
            assertThatThrownBy(() -> failing.iterator().hasNext()).isInstanceOf(DirectoryIteratorException.class);
        }
        DirectoryStream<Path> closing = Files.newDirectoryStream(p("/d"));
        Iterator<Path> it = closing.iterator();
        assertThat(it.hasNext()).isTrue();
        it.next();
        closing.close();
        assertThat(it.hasNext()).isFalse();
        assertThatThrownBy(() -> Files.newDirectoryStream(p("/d/a.txt"))).isInstanceOf(NotDirectoryException.class);
    }

    @Test
    void closedFileSystemRefusesOperationsButClosingTwiceIsFine() throws Exception {
        Files.writeString(p("/f"), "x");
        fs.close();
        fs.close();
        assertThat(fs.isOpen()).isFalse();
        assertThat(fs.toString()).contains("closed");
        assertThatThrownBy(() -> Files.readString(p("/f"))).isInstanceOf(ClosedFileSystemException.class);
        assertThatThrownBy(() -> Files.createDirectory(p("/d"))).isInstanceOf(ClosedFileSystemException.class);
        assertThatThrownBy(() -> Files.delete(p("/f"))).isInstanceOf(ClosedFileSystemException.class);
        assertThatThrownBy(() -> Files.list(p("/"))).isInstanceOf(ClosedFileSystemException.class);
        assertThat(storage.contentOf("/f")).containsExactly('x');
    }

    @Test
    void providerFindsAnOpenFileSystemByUri() throws Exception {
        Files.writeString(p("/u"), "by uri");
        URI uri = p("/u").toUri();
        assertThat(provider.getFileSystem(uri)).isSameAs(fs);
        assertThat(Files.readString(provider.getPath(uri))).isEqualTo("by uri");
        assertThat(provider.getPath(URI.create("lego://vn1"))).isEqualTo(p("/"));
        assertThatThrownBy(() -> provider.getPath(URI.create("lego://other/u")))
                .isInstanceOf(FileSystemNotFoundException.class);
        assertThatThrownBy(() -> provider.getPath(URI.create("file:///u"))).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> provider.getPath(URI.create("lego://vn1/u?q")))
                .isInstanceOf(IllegalArgumentException.class);
        fs.close();
        assertThatThrownBy(() -> provider.getFileSystem(uri)).isInstanceOf(FileSystemNotFoundException.class);
    }

    @Test
    void newFileSystemFromUriAndEnvironment() throws Exception {
        try (LegoFileSystem viaUri = provider.newFileSystem(URI.create("lego://vn2"),
                Map.of(LegoFileSystemProvider.ENV_FILE_SERVICE, new InMemoryFileService()))) {
            assertThat(viaUri.vnode()).isEqualTo("vn2");
            assertThat(provider.getFileSystem(URI.create("lego://vn2/x"))).isSameAs(viaUri);
        }
        assertThatThrownBy(() -> provider.newFileSystem(URI.create("lego://vn2"), Map.of()))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> provider.newFileSystem("", storage)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> provider.newFileSystem("a/b", storage)).isInstanceOf(IllegalArgumentException.class);
        try (LegoFileSystem odd = provider.newFileSystem("team space", storage)) {
            assertThat(provider.getPath(odd.getPath("/x").toUri())).isEqualTo(odd.getPath("/x"));
        }
    }

    @Test
    void copyAndMoveAcrossVnodesCopyTheBytes() throws Exception {
        InMemoryFileService otherStorage = new InMemoryFileService();
        try (LegoFileSystem vn2 = provider.newFileSystem("vn2", otherStorage)) {
            Files.writeString(p("/src"), "payload");
            Files.copy(p("/src"), vn2.getPath("/copy"));
            assertThat(Files.readString(vn2.getPath("/copy"))).isEqualTo("payload");
            Files.move(p("/src"), vn2.getPath("/moved"));
            assertThat(Files.exists(p("/src"))).isFalse();
            assertThat(Files.readString(vn2.getPath("/moved"))).isEqualTo("payload");
            Files.writeString(p("/again"), "x");
            assertThatThrownBy(() -> Files.move(p("/again"), vn2.getPath("/y"), StandardCopyOption.ATOMIC_MOVE))
                    .isInstanceOf(AtomicMoveNotSupportedException.class);
            Files.createDirectories(p("/full/sub"));
            assertThatThrownBy(() -> Files.move(p("/full"), vn2.getPath("/full")))
                    .isInstanceOf(DirectoryNotEmptyException.class);
            assertThat(Files.isSameFile(p("/again"), vn2.getPath("/moved"))).isFalse();
        }
    }
}
