package org.legoos.storage;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.legoos.net.protocol.Ack;
import org.legoos.net.protocol.gm.ComponentResources;
import org.legoos.net.protocol.gm.StorageAttach;
import org.legoos.net.protocol.m2s.BlockRead;
import org.legoos.net.protocol.m2s.BlockSync;
import org.legoos.net.protocol.m2s.BlockWrite;
import org.legoos.net.protocol.p2s.DirCreate;
import org.legoos.net.protocol.p2s.DirList;
import org.legoos.net.protocol.p2s.DirRead;
import org.legoos.net.protocol.p2s.DirRemove;
import org.legoos.net.protocol.p2s.FileOpen;
import org.legoos.net.protocol.p2s.FileRename;
import org.legoos.net.protocol.p2s.FileStat;
import org.legoos.net.protocol.p2s.FileStatRequest;
import org.legoos.net.protocol.p2s.FileTruncate;
import org.legoos.net.protocol.p2s.FileUnlink;
import org.legoos.net.rpc.Status;

/** Every P2S and M2S operation over the real RPC path, with its success cases and its errors. */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class FileOperationsTest {
    private static final int V = 1;

    @TempDir
    Path root;

    private StorageFixture s;

    @BeforeEach
    void start() {
        s = new StorageFixture(root);
        s.attach(V);
    }

    @AfterEach
    void stop() {
        s.close();
    }

    // ------------------------------------------------------------------ attach

    @Test
    void attachCreatesOneDirectoryPerVnodeAndIsIdempotent() {
        s.attach(V);
        s.attach(42);
        assertThat(root.resolve("vnode-1")).isDirectory();
        assertThat(root.resolve("vnode-42")).isDirectory();
        assertThat(s.call(new FileStatRequest(42, "/")).directory()).isTrue();
    }

    @Test
    void attachRefusesNegativeVnodeIds() {
        s.fails(Status.INVALID_ARGUMENT, new StorageAttach(-1, "bad"));
    }

    // ------------------------------------------------------------------ open and stat

    @Test
    void openWithCreateMakesAnEmptyFileAndReopensIt() {
        FileStat st = s.create(V, "/a.txt");
        assertThat(st.directory()).isFalse();
        assertThat(st.size()).isZero();
        assertThat(root.resolve("vnode-1/a.txt")).isRegularFile();
        s.write(V, "/a.txt", 0, "hello");
        FileStat again = s.call(new FileOpen(V, "/a.txt", false, false));
        assertThat(again.size()).isEqualTo(5);
        assertThat(s.call(new FileOpen(V, "/a.txt", true, false)).size()).isEqualTo(5);
    }

    @Test
    void openWithoutCreateOfMissingFileIsNotFound() {
        s.fails(Status.NOT_FOUND, new FileOpen(V, "/missing", false, false));
    }

    @Test
    void exclusiveCreateOfExistingFileOrDirectoryIsExists() {
        s.call(new FileOpen(V, "/f", true, true));
        s.fails(Status.EXISTS, new FileOpen(V, "/f", true, true));
        s.call(new DirCreate(V, "/d"));
        s.fails(Status.EXISTS, new FileOpen(V, "/d", true, true));
        s.fails(Status.EXISTS, new FileOpen(V, "/", true, true));
    }

    @Test
    void openOfDirectoryIsIsDirectory() {
        s.call(new DirCreate(V, "/d"));
        s.fails(Status.IS_DIRECTORY, new FileOpen(V, "/d", false, false));
        s.fails(Status.IS_DIRECTORY, new FileOpen(V, "/d", true, false));
        s.fails(Status.IS_DIRECTORY, new FileOpen(V, "/", false, false));
    }

    @Test
    void openUnderMissingParentIsNotFoundAndUnderFileIsNotDirectory() {
        s.fails(Status.NOT_FOUND, new FileOpen(V, "/no/such/f", true, false));
        s.create(V, "/file");
        String msg = s.fails(Status.NOT_DIRECTORY, new FileOpen(V, "/file/f", true, false));
        assertThat(msg).contains("vNode 1").contains("/file").doesNotContain(root.toString());
    }

    @Test
    void statReportsFilesAndDirectories() throws Exception {
        s.create(V, "/f");
        s.write(V, "/f", 0, new byte[1234]);
        FileStat f = s.call(new FileStatRequest(V, "/f"));
        assertThat(f.directory()).isFalse();
        assertThat(f.size()).isEqualTo(1234);
        assertThat(f.lastModifiedMillis()).isEqualTo(Files.getLastModifiedTime(root.resolve("vnode-1/f")).toMillis());
        s.call(new DirCreate(V, "/d"));
        assertThat(s.call(new FileStatRequest(V, "/d")).directory()).isTrue();
        assertThat(s.call(new FileStatRequest(V, "/")).directory()).isTrue();
        assertThat(s.call(new FileStatRequest(V, "/./d/../f")).size()).isEqualTo(1234);
        s.fails(Status.NOT_FOUND, new FileStatRequest(V, "/nope"));
        s.fails(Status.NOT_DIRECTORY, new FileStatRequest(V, "/f/x"));
    }

    // ------------------------------------------------------------------ read, write, fsync

    @Test
    void writesAtAbsoluteOffsetsExtendTheFileWithZeros() {
        s.create(V, "/f");
        s.write(V, "/f", 0, "abc");
        s.write(V, "/f", 10, "xyz");
        byte[] all = s.read(V, "/f", 0, 100);
        assertThat(all).hasSize(13);
        assertThat(new String(all, 0, 3, StandardCharsets.UTF_8)).isEqualTo("abc");
        assertThat(all[3]).isZero();
        assertThat(all[9]).isZero();
        assertThat(new String(all, 10, 3, StandardCharsets.UTF_8)).isEqualTo("xyz");
        s.write(V, "/f", 1, "BC");
        assertThat(new String(s.read(V, "/f", 0, 3), StandardCharsets.UTF_8)).isEqualTo("aBC");
    }

    @Test
    void readIsShortAtEndOfFileAndEmptyAtOrPastIt() {
        s.create(V, "/f");
        s.write(V, "/f", 0, "0123456789");
        assertThat(new String(s.read(V, "/f", 6, 100), StandardCharsets.UTF_8)).isEqualTo("6789");
        assertThat(s.read(V, "/f", 10, 100)).isEmpty();
        assertThat(s.read(V, "/f", 1L << 40, 100)).isEmpty();
        assertThat(s.read(V, "/f", 3, 0)).isEmpty();
        assertThat(new String(s.read(V, "/f", 2, 3), StandardCharsets.UTF_8)).isEqualTo("234");
    }

    @Test
    void readAndWriteRejectBadOffsetsAndLengths() {
        s.create(V, "/f");
        s.fails(Status.INVALID_ARGUMENT, new BlockRead(V, "/f", -1, 10));
        s.fails(Status.INVALID_ARGUMENT, new BlockRead(V, "/f", 0, -1));
        s.fails(Status.INVALID_ARGUMENT, new BlockRead(V, "/f", 0, StorageMonitor.MAX_IO_BYTES + 1));
        s.fails(Status.INVALID_ARGUMENT, new BlockWrite(V, "/f", -5, ByteBuffer.wrap(new byte[1])));
        s.fails(Status.INVALID_ARGUMENT, new BlockWrite(V, "/f", Long.MAX_VALUE, ByteBuffer.wrap(new byte[2])));
        s.fails(Status.INVALID_ARGUMENT, new BlockWrite(V, "/f", 0,
                ByteBuffer.allocate(StorageMonitor.MAX_IO_BYTES + 1)));
        assertThat(s.read(V, "/f", 0, 10)).isEmpty();
    }

    @Test
    void readWriteAndFsyncOfMissingFileIsNotFoundAndDoNotCreateIt() {
        s.fails(Status.NOT_FOUND, new BlockRead(V, "/ghost", 0, 10));
        s.fails(Status.NOT_FOUND, new BlockWrite(V, "/ghost", 0, ByteBuffer.wrap(new byte[3])));
        s.fails(Status.NOT_FOUND, new BlockSync(V, "/ghost"));
        assertThat(root.resolve("vnode-1/ghost")).doesNotExist();
    }

    @Test
    void dataOpsOnDirectoryAreIsDirectory() {
        s.call(new DirCreate(V, "/d"));
        s.fails(Status.IS_DIRECTORY, new BlockRead(V, "/d", 0, 10));
        s.fails(Status.IS_DIRECTORY, new BlockWrite(V, "/d", 0, ByteBuffer.wrap(new byte[3])));
        s.fails(Status.IS_DIRECTORY, new BlockSync(V, "/d"));
        s.fails(Status.IS_DIRECTORY, new FileTruncate(V, "/d", 0));
        s.fails(Status.IS_DIRECTORY, new BlockRead(V, "/", 0, 10));
    }

    @Test
    void fsyncOfWrittenFileSucceedsAndDataIsOnDisk() throws Exception {
        s.call(new DirCreate(V, "/logs"));
        s.create(V, "/logs/wal");
        s.write(V, "/logs/wal", 0, "committed");
        assertThat(s.call(new BlockSync(V, "/logs/wal"))).isEqualTo(Ack.INSTANCE);
        assertThat(Files.readString(root.resolve("vnode-1/logs/wal"))).isEqualTo("committed");
    }

    @Test
    void largeReadAndWriteRoundTripExactly() {
        byte[] data = new byte[3 << 20];
        new java.util.Random(7).nextBytes(data);
        s.create(V, "/big");
        s.write(V, "/big", 4096, data);
        assertThat(s.read(V, "/big", 4096, data.length)).isEqualTo(data);
        assertThat(s.call(new FileStatRequest(V, "/big")).size()).isEqualTo(4096L + data.length);
    }

    // ------------------------------------------------------------------ truncate

    @Test
    void truncateShrinksAndGrowsWithZeros() {
        s.create(V, "/f");
        s.write(V, "/f", 0, "0123456789");
        s.call(new FileTruncate(V, "/f", 4));
        assertThat(s.readText(V, "/f")).isEqualTo("0123");
        s.call(new FileTruncate(V, "/f", 8));
        assertThat(s.read(V, "/f", 0, 100)).containsExactly('0', '1', '2', '3', 0, 0, 0, 0);
        s.call(new FileTruncate(V, "/f", 8));
        s.call(new FileTruncate(V, "/f", 0));
        assertThat(s.call(new FileStatRequest(V, "/f")).size()).isZero();
    }

    @Test
    void truncateRejectsNegativeSizeAndMissingFile() {
        s.create(V, "/f");
        s.fails(Status.INVALID_ARGUMENT, new FileTruncate(V, "/f", -1));
        s.fails(Status.NOT_FOUND, new FileTruncate(V, "/g", 0));
    }

    // ------------------------------------------------------------------ unlink

    @Test
    void unlinkRemovesFileAndLaterOpsSeeItGone() {
        s.create(V, "/f");
        s.write(V, "/f", 0, "old contents");
        s.call(new FileUnlink(V, "/f"));
        s.fails(Status.NOT_FOUND, new BlockRead(V, "/f", 0, 10));
        s.fails(Status.NOT_FOUND, new FileStatRequest(V, "/f"));
        s.fails(Status.NOT_FOUND, new FileUnlink(V, "/f"));
        // A new file at the same path is a new, empty file (the open-file table forgot the old one).
        s.create(V, "/f");
        assertThat(s.read(V, "/f", 0, 100)).isEmpty();
    }

    @Test
    void unlinkRefusesDirectoriesAndTheRoot() {
        s.call(new DirCreate(V, "/d"));
        s.fails(Status.IS_DIRECTORY, new FileUnlink(V, "/d"));
        s.fails(Status.DENIED, new FileUnlink(V, "/"));
        s.fails(Status.DENIED, new FileUnlink(V, "/d/.."));
    }

    // ------------------------------------------------------------------ mkdir, rmdir, readdir

    @Test
    void mkdirCreatesNestedDirectoriesOneLevelAtATime() {
        s.call(new DirCreate(V, "/a"));
        s.call(new DirCreate(V, "/a/b"));
        assertThat(root.resolve("vnode-1/a/b")).isDirectory();
        s.fails(Status.NOT_FOUND, new DirCreate(V, "/x/y"));
        s.fails(Status.EXISTS, new DirCreate(V, "/a"));
        s.fails(Status.EXISTS, new DirCreate(V, "/"));
        s.create(V, "/a/f");
        s.fails(Status.EXISTS, new DirCreate(V, "/a/f"));
        s.fails(Status.NOT_DIRECTORY, new DirCreate(V, "/a/f/g"));
    }

    @Test
    void rmdirRemovesOnlyEmptyDirectories() {
        s.call(new DirCreate(V, "/d"));
        s.create(V, "/d/f");
        s.fails(Status.NOT_EMPTY, new DirRemove(V, "/d"));
        s.call(new FileUnlink(V, "/d/f"));
        s.call(new DirRemove(V, "/d"));
        s.fails(Status.NOT_FOUND, new DirRemove(V, "/d"));
        s.create(V, "/f");
        s.fails(Status.NOT_DIRECTORY, new DirRemove(V, "/f"));
        s.fails(Status.DENIED, new DirRemove(V, "/"));
    }

    @Test
    void readdirListsSortedNamesWithDirectoryFlags() {
        s.create(V, "/zeta");
        s.call(new DirCreate(V, "/alpha"));
        s.create(V, "/Mid");
        s.create(V, "/alpha/inner");
        DirList top = s.call(new DirRead(V, "/"));
        assertThat(top.names()).containsExactly("Mid", "alpha", "zeta");
        assertThat(top.directoryFlags()).containsExactly(0, 1, 0);
        DirList inner = s.call(new DirRead(V, "/alpha/"));
        assertThat(inner.names()).containsExactly("inner");
        s.call(new DirCreate(V, "/empty"));
        assertThat(s.call(new DirRead(V, "/empty")).names()).isEmpty();
        s.fails(Status.NOT_DIRECTORY, new DirRead(V, "/zeta"));
        s.fails(Status.NOT_FOUND, new DirRead(V, "/nope"));
    }

    // ------------------------------------------------------------------ rename

    @Test
    void renameMovesFileAndItsContents() {
        s.create(V, "/a");
        s.write(V, "/a", 0, "payload");
        s.call(new DirCreate(V, "/d"));
        s.call(new FileRename(V, "/a", "/d/b"));
        s.fails(Status.NOT_FOUND, new BlockRead(V, "/a", 0, 10));
        assertThat(s.readText(V, "/d/b")).isEqualTo("payload");
    }

    @Test
    void renameReplacesRegularFileAtTarget() {
        s.create(V, "/new");
        s.write(V, "/new", 0, "new");
        s.create(V, "/old");
        s.write(V, "/old", 0, "old and longer");
        assertThat(s.readText(V, "/old")).isEqualTo("old and longer"); // cached in the open-file table
        s.call(new FileRename(V, "/new", "/old"));
        assertThat(s.readText(V, "/old")).isEqualTo("new");
        s.fails(Status.NOT_FOUND, new FileStatRequest(V, "/new"));
    }

    @Test
    void renameOfDirectoryMovesItsFilesAndForgetsOldPaths() {
        s.call(new DirCreate(V, "/src"));
        s.create(V, "/src/f");
        s.write(V, "/src/f", 0, "inside");
        s.call(new FileRename(V, "/src", "/dst"));
        assertThat(s.readText(V, "/dst/f")).isEqualTo("inside");
        s.fails(Status.NOT_FOUND, new BlockRead(V, "/src/f", 0, 10));
        s.write(V, "/dst/f", 0, "I");
        assertThat(s.readText(V, "/dst/f")).isEqualTo("Inside");
    }

    @Test
    void renameDirectoryOverEmptyDirectoryReplacesItButNotOverNonEmpty() {
        s.call(new DirCreate(V, "/a"));
        s.create(V, "/a/x");
        s.call(new DirCreate(V, "/empty"));
        s.call(new DirCreate(V, "/full"));
        s.create(V, "/full/y");
        s.fails(Status.NOT_EMPTY, new FileRename(V, "/a", "/full"));
        s.call(new FileRename(V, "/a", "/empty"));
        assertThat(s.call(new DirRead(V, "/empty")).names()).containsExactly("x");
    }

    @Test
    void renameErrors() {
        s.create(V, "/f");
        s.call(new DirCreate(V, "/d"));
        s.call(new DirCreate(V, "/d/sub"));
        s.fails(Status.NOT_FOUND, new FileRename(V, "/missing", "/x"));
        s.fails(Status.NOT_FOUND, new FileRename(V, "/f", "/no/parent"));
        s.fails(Status.NOT_DIRECTORY, new FileRename(V, "/f", "/f/child"));
        s.fails(Status.IS_DIRECTORY, new FileRename(V, "/f", "/d"));
        s.fails(Status.NOT_DIRECTORY, new FileRename(V, "/d/sub", "/f"));
        s.fails(Status.INVALID_ARGUMENT, new FileRename(V, "/d", "/d/sub/inner"));
        s.fails(Status.DENIED, new FileRename(V, "/", "/x"));
        s.fails(Status.DENIED, new FileRename(V, "/d", "/"));
        s.fails(Status.DENIED, new FileRename(V, "/f", "/../vnode-2/f"));
        s.call(new FileRename(V, "/f", "/./f")); // same file: nothing to do
        assertThat(s.call(new FileStatRequest(V, "/f")).directory()).isFalse();
    }

    // ------------------------------------------------------------------ resources, lifecycle

    @Test
    void resourcesReportBytesStoredAcrossVnodes() {
        s.attach(2);
        s.create(V, "/a");
        s.write(V, "/a", 0, new byte[1000]);
        s.create(2, "/b");
        s.write(2, "/b", 100, new byte[50]);
        ComponentResources r = s.monitor().resources();
        assertThat(r.storageUsedBytes()).isEqualTo(1150);
        assertThat(r.memoryCapacityBytes()).isZero();
    }

    @Test
    void closedMonitorRefusesRequestsAsUnavailable() {
        s.create(V, "/f");
        s.monitor().close();
        assertThatThrownBy(() -> s.call(new BlockRead(V, "/f", 0, 1)))
                .isInstanceOf(org.legoos.api.ComponentUnavailableException.class);
        s.monitor().close(); // idempotent
    }

    @Test
    void configRejectsNonsense() {
        assertThatThrownBy(() -> new StorageConfig(null, 1, 0)).isInstanceOf(NullPointerException.class);
        assertThatThrownBy(() -> new StorageConfig(root, 0, 0)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new StorageConfig(root, 1, -1)).isInstanceOf(IllegalArgumentException.class);
    }
}
