package org.legoos.storage;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * "fsync means durable": a separate JVM runs a storage monitor, writes through it, gets the FSYNC
 * acknowledged and is then killed with SIGKILL; a new monitor over the same root serves the data.
 */
@Tag("slow")
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class FsyncSurvivesKillTest {
    @TempDir
    Path root;

    @Test
    void dataAcknowledgedAfterFsyncSurvivesKillMinus9() throws Exception {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Process child = new ProcessBuilder(java, "-cp", System.getProperty("java.class.path"),
                FsyncThenHang.class.getName(), root.toString())
                .redirectError(ProcessBuilder.Redirect.DISCARD)
                .start();
        try (BufferedReader out = new BufferedReader(new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8))) {
            String line;
            do {
                line = out.readLine();
            } while (line != null && !line.equals(FsyncThenHang.SYNCED));
            assertThat(line).as("child reported the fsync").isEqualTo(FsyncThenHang.SYNCED);
        } finally {
            child.destroyForcibly(); // SIGKILL: no shutdown hooks, no close()
            child.waitFor(10, TimeUnit.SECONDS);
        }
        try (StorageFixture s = new StorageFixture(root)) {
            assertThat(s.readText(1, "/dir/durable")).isEqualTo(FsyncThenHang.DATA);
        }
    }
}
