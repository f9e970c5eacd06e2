package org.legoos.storage;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.legoos.net.protocol.gm.StorageDetach;
import org.legoos.net.protocol.m2s.BlockRead;
import org.legoos.net.protocol.m2s.BlockSync;
import org.legoos.net.protocol.m2s.BlockWrite;
import org.legoos.net.protocol.p2s.DirCreate;
import org.legoos.net.protocol.p2s.DirList;
import org.legoos.net.protocol.p2s.DirRead;
import org.legoos.net.protocol.p2s.DirRemove;
import org.legoos.net.protocol.p2s.FileOpen;
import org.legoos.net.protocol.p2s.FileRename;
import org.legoos.net.protocol.p2s.FileStatRequest;
import org.legoos.net.protocol.p2s.FileTruncate;
import org.legoos.net.protocol.p2s.FileUnlink;
import org.legoos.net.rpc.Status;

/**
 * vNode isolation: paths cannot leave their vNode's directory by "..", by naming another vNode, or by a
 * symbolic link planted on the local disk; a vNode this component was never told to serve is refused; bad
 * path syntax is an INVALID_ARGUMENT.
 */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class IsolationTest {
    @TempDir
    Path root;

    @TempDir
    Path outside;

    private StorageFixture s;

    @BeforeEach
    void start() {
        s = new StorageFixture(root);
        s.attach(1);
        s.attach(2);
        s.create(1, "/secret");
        s.write(1, "/secret", 0, "vnode 1 only");
    }

    @AfterEach
    void stop() {
        s.close();
    }

    @ParameterizedTest
    @ValueSource(strings = {"/../vnode-1/secret", "/a/../../vnode-1/secret", "/..", "/../..", "/./../vnode-1/secret",
        "//..//vnode-1/secret", "/x/y/../../../vnode-1/secret", "/../../../etc/passwd"})
    void dotDotEscapesAreDenied(String path) {
        s.call(new DirCreate(2, "/a"));
        s.fails(Status.DENIED, new BlockRead(2, path, 0, 100));
        s.fails(Status.DENIED, new FileStatRequest(2, path));
        s.fails(Status.DENIED, new FileOpen(2, path, true, false));
        s.fails(Status.DENIED, new BlockWrite(2, path, 0, ByteBuffer.wrap(new byte[1])));
        s.fails(Status.DENIED, new FileUnlink(2, path));
        s.fails(Status.DENIED, new DirRead(2, path));
        assertThat(s.readText(1, "/secret")).isEqualTo("vnode 1 only");
    }

    @Test
    void samePathInAnotherVnodeIsAnotherFile() {
        s.fails(Status.NOT_FOUND, new BlockRead(2, "/secret", 0, 100));
        s.fails(Status.NOT_FOUND, new FileStatRequest(2, "/secret"));
        s.create(2, "/secret");
        s.write(2, "/secret", 0, "two");
        assertThat(s.readText(2, "/secret")).isEqualTo("two");
        assertThat(s.readText(1, "/secret")).isEqualTo("vnode 1 only");
        assertThat(s.call(new DirRead(2, "/")).names()).containsExactly("secret");
        s.call(new FileUnlink(2, "/secret"));
        assertThat(s.readText(1, "/secret")).isEqualTo("vnode 1 only");
    }

    @Test
    void vnodeRootListingDoesNotShowOtherVnodes() {
        DirList top = s.call(new DirRead(2, "/"));
        assertThat(top.names()).isEmpty();
    }

    @Test
    void aDetachedVnodeIsNoLongerServedAndItsFilesAreDeleted() throws Exception {
        s.call(new DirCreate(1, "/d"));
        s.create(1, "/d/f");
        s.write(1, "/d/f", 0, "data");
        Files.createSymbolicLink(root.resolve("vnode-1/link"), outside); // planted: removed, never followed
        Files.writeString(outside.resolve("keep"), "outside");
        assertThat(s.readText(1, "/secret")).isEqualTo("vnode 1 only"); // its file is open now
        s.call(new StorageDetach(1, "one"));
        assertThat(root.resolve("vnode-1")).doesNotExist();
        assertThat(outside.resolve("keep")).hasContent("outside");
        String msg = s.fails(Status.DENIED, new BlockRead(1, "/secret", 0, 10));
        assertThat(msg).isEqualTo("vNode 1 is not served by this storage component");
        s.call(new StorageDetach(1, "one")); // idempotent
        assertThat(s.call(new DirRead(2, "/")).names()).isEmpty(); // other vNodes are untouched
        s.attach(1); // an attach starts it afresh
        s.fails(Status.NOT_FOUND, new FileStatRequest(1, "/secret"));
    }

    @Test
    void unattachedVnodeIsDenied() {
        String msg = s.fails(Status.DENIED, new BlockRead(3, "/secret", 0, 10));
        assertThat(msg).isEqualTo("vNode 3 is not served by this storage component");
        s.fails(Status.DENIED, new FileOpen(3, "/f", true, false));
        s.fails(Status.DENIED, new FileStatRequest(3, "/"));
        s.fails(Status.DENIED, new DirCreate(3, "/d"));
        s.fails(Status.DENIED, new FileRename(3, "/a", "/b"));
        s.fails(Status.DENIED, new BlockSync(3, "/f"));
        assertThat(root.resolve("vnode-3")).doesNotExist();
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "relative/path", "secret", "./secret", "/sec\0ret", "\0"})
    void malformedPathsAreInvalidArguments(String path) {
        s.fails(Status.INVALID_ARGUMENT, new BlockRead(1, path, 0, 10));
        s.fails(Status.INVALID_ARGUMENT, new FileOpen(1, path, true, false));
        s.fails(Status.INVALID_ARGUMENT, new DirCreate(1, path));
    }

    @Test
    void overlongPathsAndNamesAreInvalidArguments() {
        s.fails(Status.INVALID_ARGUMENT, new FileOpen(1, "/" + "n".repeat(300), true, false));
        s.fails(Status.INVALID_ARGUMENT, new FileStatRequest(1, "/a".repeat(3000)));
    }

    @Test
    void negativeVnodeIdIsInvalid() {
        s.fails(Status.INVALID_ARGUMENT, new FileStatRequest(-7, "/"));
    }

    @Test
    void symlinkToOutsideFileIsRefused() throws Exception {
        Path target = Files.writeString(outside.resolve("host-secret"), "host data");
        Files.createSymbolicLink(s.monitor().vnodeDirectory(1).resolve("link"), target);
        s.fails(Status.DENIED, new BlockRead(1, "/link", 0, 100));
        s.fails(Status.DENIED, new BlockWrite(1, "/link", 0, ByteBuffer.wrap(new byte[] {1})));
        s.fails(Status.DENIED, new FileOpen(1, "/link", false, false));
        s.fails(Status.DENIED, new FileOpen(1, "/link", true, false));
        s.fails(Status.DENIED, new FileOpen(1, "/link", true, true));
        s.fails(Status.DENIED, new FileStatRequest(1, "/link"));
        s.fails(Status.DENIED, new FileTruncate(1, "/link", 0));
        s.fails(Status.DENIED, new BlockSync(1, "/link"));
        s.fails(Status.DENIED, new FileRename(1, "/link", "/moved"));
        s.fails(Status.DENIED, new FileRename(1, "/secret", "/link"));
        assertThat(Files.readString(target)).isEqualTo("host data");
        // Unlink removes the link itself and never touches what it points to.
        s.call(new FileUnlink(1, "/link"));
        assertThat(Files.exists(s.monitor().vnodeDirectory(1).resolve("link"), java.nio.file.LinkOption.NOFOLLOW_LINKS))
                .isFalse();
        assertThat(Files.readString(target)).isEqualTo("host data");
    }

    @Test
    void symlinkedDirectoryPointingOutsideIsRefused() throws Exception {
        Files.writeString(outside.resolve("inner"), "host data");
        Files.createSymbolicLink(s.monitor().vnodeDirectory(1).resolve("dirlink"), outside);
        s.fails(Status.DENIED, new BlockRead(1, "/dirlink/inner", 0, 100));
        s.fails(Status.DENIED, new FileOpen(1, "/dirlink/new", true, false));
        s.fails(Status.DENIED, new DirCreate(1, "/dirlink/sub"));
        s.fails(Status.DENIED, new DirRead(1, "/dirlink"));
        s.fails(Status.DENIED, new DirRemove(1, "/dirlink"));
        s.fails(Status.DENIED, new FileStatRequest(1, "/dirlink/inner"));
        s.fails(Status.DENIED, new FileUnlink(1, "/dirlink/inner"));
        s.fails(Status.DENIED, new FileRename(1, "/secret", "/dirlink/stolen"));
        assertThat(outside.resolve("new")).doesNotExist();
        assertThat(outside.resolve("sub")).doesNotExist();
        assertThat(outside.resolve("stolen")).doesNotExist();
        assertThat(Files.readString(outside.resolve("inner"))).isEqualTo("host data");
    }

    @Test
    void symlinkedVnodeDirectoryIsNotServed() throws Exception {
        Files.createSymbolicLink(root.resolve("vnode-9"), outside);
        s.fails(Status.DENIED, new FileStatRequest(9, "/"));
        s.fails(Status.IO_ERROR, new org.legoos.net.protocol.gm.StorageAttach(9, "evil"));
    }

    @Test
    void fifoInsideVnodeIsRefusedWithoutBlocking() throws Exception {
        Path fifo = s.monitor().vnodeDirectory(1).resolve("pipe");
        Process mkfifo;
        try {
            mkfifo = new ProcessBuilder("mkfifo", fifo.toString()).start();
        } catch (java.io.IOException noMkfifo) {
            org.junit.jupiter.api.Assumptions.abort("mkfifo not available");
            return;
        }
        org.junit.jupiter.api.Assumptions.assumeTrue(mkfifo.waitFor() == 0, "mkfifo failed");
        s.fails(Status.DENIED, new BlockRead(1, "/pipe", 0, 10));
        s.fails(Status.DENIED, new FileOpen(1, "/pipe", true, false));
    }
}
