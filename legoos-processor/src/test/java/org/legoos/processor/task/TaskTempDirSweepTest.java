package org.legoos.processor.task;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A processor component killed with SIGKILL cannot delete its tasks' temp directories; the next one on the host sweeps
 * those whose processor is gone, and only those.
 */
class TaskTempDirSweepTest {
    @TempDir
    Path root;

    @Test
    void deletesOnlyTheDirectoriesOfProcessorsThatAreGone() throws Exception {
        Process gone = new ProcessBuilder("true").start();
        gone.waitFor();
        long deadPid = gone.pid();
        long livePid = ProcessHandle.current().pid();
        Path dead = Files.createDirectories(root.resolve(TaskLauncher.TMP_PREFIX + deadPid + "-pid7-123"));
        Files.createDirectories(dead.resolve("sub"));
        Files.writeString(dead.resolve("sub/file"), "left behind");
        Path outside = Files.writeString(root.resolve("outside.txt"), "not the task's");
        Files.createSymbolicLink(dead.resolve("link"), outside); // a task's symlink is removed, not followed
        Path live = Files.createDirectories(root.resolve(TaskLauncher.TMP_PREFIX + livePid + "-pid8-456"));
        Path unparsable = Files.createDirectories(root.resolve(TaskLauncher.TMP_PREFIX + "x-pid9-789"));
        Path unrelated = Files.createDirectories(root.resolve("something-else"));

        assertThat(TaskLauncher.sweepOrphanTempDirs(root)).isEqualTo(1);

        assertThat(dead).doesNotExist();
        assertThat(outside).hasContent("not the task's");
        assertThat(live).isDirectory();
        assertThat(unparsable).isDirectory();
        assertThat(unrelated).isDirectory();
        assertThat(TaskLauncher.sweepOrphanTempDirs(root.resolve("no-such-dir"))).isZero();
    }
}
