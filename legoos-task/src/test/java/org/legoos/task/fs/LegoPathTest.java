package org.legoos.task.fs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.URI;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.ProviderMismatchException;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(10)
class LegoPathTest {
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

    private LegoPath p(String s) {
        return fs.getPath(s);
    }

    @Test
    void redundantAndTrailingSeparatorsAreDropped() {
        assertThat(p("/a//b/").toString()).isEqualTo("/a/b");
        assertThat(p("a/").toString()).isEqualTo("a");
        assertThat(p("//").toString()).isEqualTo("/");
        assertThat(p("///a///").toString()).isEqualTo("/a");
        assertThat(p("a//b")).isEqualTo(p("a/b"));
    }

    @Test
    void nulCharacterIsRejected() {
        assertThatThrownBy(() -> p("a\u0000b")).isInstanceOf(InvalidPathException.class);
    }

    @Test
    void getPathJoinsTheNonEmptyParts() {
        assertThat(fs.getPath("a", "", "b").toString()).isEqualTo("a/b");
        assertThat(fs.getPath("", "a").toString()).isEqualTo("a");
        assertThat(fs.getPath("/", "a", "b/").toString()).isEqualTo("/a/b");
        assertThat(fs.getPath("").toString()).isEmpty();
    }

    @Test
    void rootHasNoNamesNoParentAndNoFileName() {
        LegoPath root = p("/");
        assertThat(root.isAbsolute()).isTrue();
        assertThat(root.getNameCount()).isZero();
        assertThat(root.getParent()).isNull();
        assertThat(root.getFileName()).isNull();
        assertThat(root.getRoot()).isEqualTo(root);
        assertThat(fs.getRootDirectories()).containsExactly(root);
    }

    @Test
    void namesParentsAndFileNames() {
        LegoPath abs = p("/a/b/c");
        assertThat(abs.getNameCount()).isEqualTo(3);
        assertThat(abs.getName(0)).isEqualTo(p("a"));
        assertThat(abs.getName(2)).isEqualTo(p("c"));
        assertThat(abs.getFileName()).isEqualTo(p("c"));
        assertThat(abs.getParent()).isEqualTo(p("/a/b"));
        assertThat(p("/a").getParent()).isEqualTo(p("/"));
        assertThat(abs.getRoot()).isEqualTo(p("/"));

        LegoPath rel = p("x/y");
        assertThat(rel.isAbsolute()).isFalse();
        assertThat(rel.getRoot()).isNull();
        assertThat(rel.getParent()).isEqualTo(p("x"));
        assertThat(p("x").getParent()).isNull();
        LegoPath x = p("x");
        assertThat(x.getFileName()).isSameAs(x);

        LegoPath empty = p("");
        assertThat(empty.getNameCount()).isEqualTo(1);
        assertThat(empty.getFileName()).isEqualTo(empty);
        assertThat(empty.getParent()).isNull();
    }

    @Test
    void subpathAndGetNameCheckTheirRange() {
        LegoPath abs = p("/a/b/c/d");
        assertThat(abs.subpath(1, 3)).isEqualTo(p("b/c"));
        assertThat(abs.subpath(0, 4)).isEqualTo(p("a/b/c/d"));
        assertThatThrownBy(() -> abs.subpath(2, 2)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> abs.subpath(0, 5)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> abs.subpath(-1, 1)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> abs.getName(4)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> p("/").getName(0)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void normalizeDropsDotsAndNeverClimbsAboveTheRoot() {
        assertThat(p("/a/../../b").normalize()).isEqualTo(p("/b"));
        assertThat(p("/../..").normalize()).isEqualTo(p("/"));
        assertThat(p("a/../../b").normalize()).isEqualTo(p("../b"));
        assertThat(p("./a/./b/..").normalize()).isEqualTo(p("a"));
        assertThat(p("a/..").normalize()).isEqualTo(p(""));
        assertThat(p("../../a").normalize()).isEqualTo(p("../../a"));
        LegoPath clean = p("/x/y");
        assertThat(clean.normalize()).isSameAs(clean);
    }

    @Test
    void relativeDotDotResolvedAgainstTheWorkingDirectoryStaysAtTheRoot() throws Exception {
        assertThat(p("a/../../b").toAbsolutePath().normalize()).isEqualTo(p("/b"));
        Files.createDirectories(p("/x/y"));
        fs.changeWorkingDirectory(p("/x/y"));
        assertThat(p("a/../../b").toAbsolutePath().normalize()).isEqualTo(p("/x/b"));
        assertThat(p("../../../../b").toAbsolutePath().normalize()).isEqualTo(p("/b"));
    }

    @Test
    void toAbsolutePathUsesTheCurrentWorkingDirectory() throws Exception {
        LegoPath rel = p("f.txt");
        assertThat(rel.toAbsolutePath()).isEqualTo(p("/f.txt"));
        Files.createDirectories(p("/home/u"));
        fs.changeWorkingDirectory(p("/home/u"));
        assertThat(rel.toAbsolutePath()).isEqualTo(p("/home/u/f.txt"));
        assertThat(p("").toAbsolutePath()).isEqualTo(p("/home/u"));
        assertThat(p("/abs").toAbsolutePath()).isEqualTo(p("/abs"));
    }

    @Test
    void resolveAndResolveSibling() {
        assertThat(p("/a").resolve("b/c")).isEqualTo(p("/a/b/c"));
        assertThat(p("/").resolve("b")).isEqualTo(p("/b"));
        assertThat(p("a").resolve("/b")).isEqualTo(p("/b"));
        assertThat(p("a").resolve("")).isEqualTo(p("a"));
        assertThat(p("").resolve("b")).isEqualTo(p("b"));
        assertThat(p("/a/b").resolveSibling("c")).isEqualTo(p("/a/c"));
        assertThat(p("a").resolveSibling("c")).isEqualTo(p("c"));
        assertThat(p("/a").resolve(p("x"))).isEqualTo(p("/a/x"));
    }

    @Test
    void relativizeIsTheInverseOfResolve() {
        assertThat(p("/a/b").relativize(p("/a/b/c/d"))).isEqualTo(p("c/d"));
        assertThat(p("/a/b").relativize(p("/a/x"))).isEqualTo(p("../x"));
        assertThat(p("/a/b").relativize(p("/"))).isEqualTo(p("../.."));
        assertThat(p("/").relativize(p("/a/b"))).isEqualTo(p("a/b"));
        assertThat(p("/a").relativize(p("/a"))).isEqualTo(p(""));
        assertThat(p("a/./b").relativize(p("a/c"))).isEqualTo(p("../c"));
        assertThat(p("").relativize(p("a/b"))).isEqualTo(p("a/b"));
        assertThatThrownBy(() -> p("a").relativize(p("/b"))).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> p("../a").relativize(p("b"))).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void randomRelativizeResolveRoundTrips() {
        long seed = System.nanoTime();
        System.out.println("randomRelativizeResolveRoundTrips seed=" + seed);
        Random rnd = new Random(seed);
        for (int i = 0; i < 2000; i++) {
            LegoPath base = randomPath(rnd, true, true);
            LegoPath other = randomPath(rnd, true, true);
            LegoPath rel = base.relativize(other);
            assertThat(base.resolve(rel).normalize()).as("seed %d: %s -> %s", seed, base, other)
                    .isEqualTo(other.normalize());

            LegoPath q = randomPath(rnd, false, false).normalize();
            LegoPath b = base.normalize();
            assertThat(b.relativize(b.resolve(q))).as("seed %d: %s / %s", seed, b, q).isEqualTo(q);
            assertThat(base.normalize().normalize()).isEqualTo(base.normalize());
        }
    }

    private LegoPath randomPath(Random rnd, boolean absolute, boolean dots) {
        String[] names = dots ? new String[] {"a", "b", "c", ".", ".."} : new String[] {"a", "b", "c", "dd"};
        int n = rnd.nextInt(5);
        List<String> parts = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            parts.add(names[rnd.nextInt(names.length)]);
        }
        return p((absolute ? "/" : "") + String.join("/", parts));
    }

    @Test
    void startsWithAndEndsWithCompareWholeNames() {
        LegoPath abs = p("/foo/bar/baz");
        assertThat(abs.startsWith(p("/foo"))).isTrue();
        assertThat(abs.startsWith(p("/"))).isTrue();
        assertThat(abs.startsWith(p("/fo"))).isFalse();
        assertThat(abs.startsWith(p("foo"))).isFalse();
        assertThat(abs.startsWith("/foo/bar/baz")).isTrue();
        assertThat(abs.endsWith(p("bar/baz"))).isTrue();
        assertThat(abs.endsWith(p("az"))).isFalse();
        assertThat(abs.endsWith(p("/foo/bar/baz"))).isTrue();
        assertThat(abs.endsWith(p("/bar/baz"))).isFalse();
        assertThat(p("a/b").endsWith(p("/a/b"))).isFalse();
        assertThat(p("a/b").startsWith(p("a"))).isTrue();
        assertThat(p("a").startsWith(p(""))).isFalse();
        assertThat(p("").startsWith(p(""))).isTrue();
    }

    @Test
    void toUriNamesTheVnodeAndTheAbsolutePath() throws Exception {
        assertThat(p("/a/b").toUri()).isEqualTo(URI.create("lego://vn1/a/b"));
        assertThat(p("/").toUri()).isEqualTo(URI.create("lego://vn1/"));
        assertThat(p("/with space").toUri().toString()).isEqualTo("lego://vn1/with%20space");
        Files.createDirectories(p("/w"));
        fs.changeWorkingDirectory(p("/w"));
        assertThat(p("x/../y").toUri()).isEqualTo(URI.create("lego://vn1/w/y"));
        assertThat(provider.getPath(p("/with space/q").toUri())).isEqualTo(p("/with space/q"));
    }

    @Test
    void equalityIsTextualAndPerFileSystem() throws Exception {
        assertThat(p("/a/b")).isEqualTo(p("/a/b")).hasSameHashCodeAs(p("/a/b"));
        assertThat(p("/a/b")).isNotEqualTo(p("/a/./b")).isNotEqualTo(p("a/b"));
        try (LegoFileSystem other = provider.newFileSystem("vn1", storage)) {
            assertThat(other.getPath("/a/b")).isNotEqualTo(p("/a/b"));
            assertThat(p("/a/b").startsWith(other.getPath("/a"))).isFalse();
        }
        List<Path> sorted = new ArrayList<>(List.of(p("/b"), p("/a/c"), p("/a"), p("a")));
        sorted.sort(null);
        assertThat(sorted).containsExactly(p("/a"), p("/a/c"), p("/b"), p("a"));
    }

    @Test
    void iteratesOverItsNames() {
        List<String> names = new ArrayList<>();
        for (Path name : p("/a/b/c")) {
            names.add(name.toString());
        }
        assertThat(names).containsExactly("a", "b", "c");
    }

    @Test
    void toRealPathRequiresAnExistingFile() throws Exception {
        assertThatThrownBy(() -> p("nope").toRealPath()).isInstanceOf(NoSuchFileException.class);
        Files.createDirectories(p("/d/e"));
        assertThat(p("/d/./x/../e").toRealPath()).isEqualTo(p("/d/e"));
    }

    @Test
    void pathsOfOtherProvidersAreRejected() {
        Path local = Path.of("x");
        assertThatThrownBy(() -> p("/a").resolve(local)).isInstanceOf(ProviderMismatchException.class);
        assertThatThrownBy(() -> p("/a").relativize(local)).isInstanceOf(ProviderMismatchException.class);
        assertThat(p("/a").startsWith(local)).isFalse();
        assertThatThrownBy(() -> p("/a").toFile()).isInstanceOf(UnsupportedOperationException.class);
    }
}
