package org.legoos.storage;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.legoos.net.protocol.p2s.DirCreate;
import org.legoos.net.protocol.p2s.DirRead;
import org.legoos.net.protocol.p2s.FileStatRequest;
import org.legoos.net.rpc.Status;

/**
 * Statelessness (the storage monitor is NFSv2-like): everything a request needs is in the request and
 * everything else is on disk, so a new monitor over the same root serves the same vNodes and files, and a
 * client simply carries on.
 */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class StatelessRestartTest {
    @TempDir
    Path root;

    @Test
    void restartedMonitorOverSameRootServesSameFilesAndVnodes() {
        try (StorageFixture s = new StorageFixture(root)) {
            s.attach(1);
            s.attach(5);
            s.call(new DirCreate(1, "/docs"));
            s.create(1, "/docs/readme");
            s.write(1, "/docs/readme", 0, "before restart");
            s.fsync(1, "/docs/readme");
            s.create(5, "/other");
            s.write(5, "/other", 0, "five");

            s.restart();

            assertThat(s.readText(1, "/docs/readme")).isEqualTo("before restart");
            assertThat(s.call(new DirRead(1, "/")).names()).containsExactly("docs");
            assertThat(s.readText(5, "/other")).isEqualTo("five");
            // Still served without a new STORAGE_ATTACH, and still writable.
            s.write(1, "/docs/readme", 7, "RESTART");
            assertThat(s.readText(1, "/docs/readme")).isEqualTo("before RESTART");
            s.fails(Status.DENIED, new FileStatRequest(2, "/"));
        }
    }

    @Test
    void callerMidStreamDoesNotNoticeARestart() {
        try (StorageFixture s = new StorageFixture(root)) {
            s.attach(1);
            s.create(1, "/stream");
            for (int chunk = 0; chunk < 20; chunk++) {
                s.write(1, "/stream", chunk * 4L, String.format("%04d", chunk));
                if (chunk % 5 == 4) {
                    s.restart();
                }
            }
            StringBuilder expected = new StringBuilder();
            for (int chunk = 0; chunk < 20; chunk++) {
                expected.append(String.format("%04d", chunk));
            }
            assertThat(s.readText(1, "/stream")).isEqualTo(expected.toString());
        }
    }
}
