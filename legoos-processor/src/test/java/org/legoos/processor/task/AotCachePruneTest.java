package org.legoos.processor.task;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The task AOT cache directory keeps the most recently used caches, never a young file, and nothing else it owns. */
class AotCachePruneTest {
    private static final long NOW = 1_000_000_000_000L;
    private static final long HOUR = 3_600_000L;

    private static Path file(Path dir, String name, long modifiedMillis) throws Exception {
        Path p = Files.writeString(dir.resolve(name), name);
        Files.setLastModifiedTime(p, FileTime.fromMillis(modifiedMillis));
        return p;
    }

    private static List<String> names(Path dir) throws Exception {
        try (Stream<Path> s = Files.list(dir)) {
            return s.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    /** A jar rebuilt at the same path (a development build) must not get the cache of its old classes. */
    @Test
    void aJarRebuiltAtTheSamePathGetsANewCache(@TempDir Path dir) throws Exception {
        Path jar = file(dir, "task.jar", NOW);
        Path first = new AotCache(dir, "java", jar.toString()).file();
        assertThat(new AotCache(dir, "java", jar.toString()).file()).isEqualTo(first);
        Files.writeString(jar, "rebuilt, one byte longer");
        Files.setLastModifiedTime(jar, FileTime.fromMillis(NOW + 1000));
        assertThat(new AotCache(dir, "java", jar.toString()).file()).isNotEqualTo(first);
    }

    @Test
    void keepsTheMostRecentlyUsedAndEveryYoungFile(@TempDir Path dir) throws Exception {
        for (int i = 1; i <= 6; i++) { // aot-1 used 1 day ago ... aot-6 used 6 days ago
            file(dir, "aot-" + i + ".aot", NOW - i * 24 * HOUR);
            file(dir, "aot-" + i + ".aot.log", NOW - i * 24 * HOUR);
        }
        file(dir, "aot-7.aot", NOW - 10 * 60_000L); // made 10 minutes ago: never pruned, and one of the kept
        file(dir, "aot-8.aot.123.tmp", NOW - 5 * HOUR); // a training that was killed
        file(dir, "aot-9.aot.456.tmp", NOW - 60_000L); // a training running now
        file(dir, "notes.txt", NOW - 100 * HOUR); // not ours

        assertThat(AotCache.prune(dir, 4, NOW)).as("aot-4, aot-5, aot-6 and the old .tmp").isEqualTo(4);
        assertThat(names(dir)).containsExactly("aot-1.aot", "aot-1.aot.log", "aot-2.aot", "aot-2.aot.log", "aot-3.aot",
                "aot-3.aot.log", "aot-7.aot", "aot-9.aot.456.tmp", "notes.txt");
        assertThat(AotCache.prune(dir, 4, NOW)).as("nothing more").isZero();
    }

    @Test
    void aMissingDirectoryIsNothingToPrune(@TempDir Path dir) {
        assertThat(AotCache.prune(dir.resolve("none"), 4, NOW)).isZero();
    }
}
