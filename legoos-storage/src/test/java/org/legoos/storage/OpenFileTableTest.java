package org.legoos.storage;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.legoos.net.protocol.p2s.DirCreate;
import org.legoos.net.protocol.p2s.FileRename;
import org.legoos.net.protocol.p2s.FileTruncate;
import org.legoos.net.protocol.p2s.FileUnlink;
import org.legoos.net.protocol.p2s.FileStatRequest;
import org.legoos.net.rpc.Status;

/**
 * The hash table from full path to open file: bounded by maxOpenFiles with least-recently-used eviction, and
 * kept coherent with the namespace by unlink, rename and truncate.
 */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class OpenFileTableTest {
    @TempDir
    Path root;

    @Test
    void manyFilesThroughSmallTableStayCorrectAndBounded() {
        try (StorageFixture s = new StorageFixture(new StorageConfig(root, 4, 0))) {
            s.attach(1);
            int files = 64;
            for (int i = 0; i < files; i++) {
                s.create(1, "/f" + i);
                s.write(1, "/f" + i, 0, "file " + i + " ");
                assertThat(s.monitor().openFileTable().size()).isLessThanOrEqualTo(4);
            }
            for (int round = 0; round < 3; round++) {
                for (int i = 0; i < files; i++) {
                    long end = ("file " + i + " ").length() + round;
                    s.write(1, "/f" + i, end, String.valueOf((char) ('a' + round)));
                }
            }
            for (int i = 0; i < files; i++) {
                assertThat(s.readText(1, "/f" + i)).isEqualTo("file " + i + " abc");
            }
            OpenFileTable table = s.monitor().openFileTable();
            assertThat(table.size()).isLessThanOrEqualTo(4);
            assertThat(table.evictions()).isGreaterThanOrEqualTo(files * 4L - 4);
        }
    }

    @Test
    void leastRecentlyUsedFileIsTheOneEvicted() {
        try (StorageFixture s = new StorageFixture(new StorageConfig(root, 3, 0))) {
            s.attach(1);
            for (String f : new String[] {"/a", "/b", "/c"}) {
                s.create(1, f);
            }
            s.read(1, "/a", 0, 1); // a is now the most recent; b the least
            s.create(1, "/d");
            OpenFileTable table = s.monitor().openFileTable();
            assertThat(table.contains(new OpenFileTable.Key(1, "/b"))).isFalse();
            assertThat(table.contains(new OpenFileTable.Key(1, "/a"))).isTrue();
            assertThat(table.contains(new OpenFileTable.Key(1, "/c"))).isTrue();
            assertThat(table.contains(new OpenFileTable.Key(1, "/d"))).isTrue();
        }
    }

    @Test
    void hitsDoNotReopenFiles() {
        try (StorageFixture s = new StorageFixture(root)) {
            s.attach(1);
            s.create(1, "/hot");
            long opens = s.monitor().openFileTable().opens();
            for (int i = 0; i < 100; i++) {
                s.write(1, "/hot", i, "x");
                s.read(1, "/hot", 0, 100);
            }
            assertThat(s.monitor().openFileTable().opens()).isEqualTo(opens);
        }
    }

    @Test
    void unlinkAndRecreateNeverServesTheOldFile() {
        try (StorageFixture s = new StorageFixture(root)) {
            s.attach(1);
            s.create(1, "/f");
            s.write(1, "/f", 0, "generation 0");
            for (int gen = 1; gen <= 5; gen++) {
                s.call(new FileUnlink(1, "/f"));
                s.fails(Status.NOT_FOUND, new org.legoos.net.protocol.m2s.BlockWrite(1, "/f", 0,
                        java.nio.ByteBuffer.wrap(new byte[] {1})));
                s.create(1, "/f");
                s.write(1, "/f", 0, "generation " + gen);
                assertThat(s.readText(1, "/f")).isEqualTo("generation " + gen);
            }
        }
    }

    @Test
    void renameMakesCachedTargetAndSourceCoherent() {
        try (StorageFixture s = new StorageFixture(root)) {
            s.attach(1);
            s.create(1, "/x");
            s.write(1, "/x", 0, "X");
            s.create(1, "/y");
            s.write(1, "/y", 0, "Y");
            s.call(new FileRename(1, "/x", "/y"));
            s.write(1, "/y", 1, "2"); // must land in the former /x
            assertThat(s.readText(1, "/y")).isEqualTo("X2");
            s.create(1, "/x");
            assertThat(s.readText(1, "/x")).isEmpty();
            s.call(new DirCreate(1, "/d"));
            s.call(new FileRename(1, "/y", "/d/y"));
            s.call(new FileRename(1, "/d", "/e"));
            s.create(1, "/d2");
            assertThat(s.readText(1, "/e/y")).isEqualTo("X2");
        }
    }

    @Test
    void truncateIsSeenThroughTheCachedFile() {
        try (StorageFixture s = new StorageFixture(root)) {
            s.attach(1);
            s.create(1, "/t");
            s.write(1, "/t", 0, "long content");
            s.call(new FileTruncate(1, "/t", 4));
            assertThat(s.readText(1, "/t")).isEqualTo("long");
            assertThat(s.call(new FileStatRequest(1, "/t")).size()).isEqualTo(4);
        }
    }

    @Test
    void interruptedCallerDoesNotBreakTheSharedFileForOthers() {
        try (StorageFixture s = new StorageFixture(root)) {
            s.attach(1);
            s.create(1, "/shared");
            s.write(1, "/shared", 0, "still readable");
            // In-JVM calls run the handler on the caller's thread; NIO closes an interruptible channel
            // for every user when a thread blocked in it is interrupted.
            Thread.currentThread().interrupt();
            try {
                s.fails(Status.IO_ERROR, new org.legoos.net.protocol.m2s.BlockRead(1, "/shared", 0, 100));
            } finally {
                Thread.interrupted();
            }
            assertThat(s.readText(1, "/shared")).isEqualTo("still readable");
            s.write(1, "/shared", 0, "S");
            assertThat(s.readText(1, "/shared")).isEqualTo("Still readable");
        }
    }
}
