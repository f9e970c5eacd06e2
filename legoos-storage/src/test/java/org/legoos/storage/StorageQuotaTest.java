package org.legoos.storage;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.legoos.api.QuotaExceededException;
import org.legoos.net.protocol.m2s.BlockWrite;
import org.legoos.net.protocol.m2s.StorageUsage;
import org.legoos.net.protocol.m2s.UsageRequest;
import org.legoos.net.protocol.p2s.FileRename;
import org.legoos.net.protocol.p2s.FileTruncate;
import org.legoos.net.protocol.p2s.FileUnlink;
import org.legoos.net.rpc.Status;

/**
 * The storage quota at the storage component: a vNode's regular files may not take more than its quota (sizes,
 * holes included); a write or truncate that would grow them beyond it is refused with QUOTA and changes nothing;
 * removing, shrinking and renaming over files give the room back; the count survives a restart (taken from disk).
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class StorageQuotaTest {
    private static final long QUOTA = 64 << 10;
    @TempDir
    Path root;
    private StorageFixture s;

    @BeforeEach
    void start() {
        s = new StorageFixture(new StorageConfig(root, StorageConfig.of(root).maxOpenFiles(), 4), QUOTA);
        s.attach(1);
        s.attach(2);
    }

    @AfterEach
    void stop() {
        s.close();
    }

    private StorageUsage usage(int vnode) {
        return s.call(new UsageRequest(vnode));
    }

    private static byte[] bytes(int n, int seed) {
        byte[] b = new byte[n];
        for (int i = 0; i < n; i++) {
            b[i] = (byte) (i * 31 + seed);
        }
        return b;
    }

    /** The sizes of the vNode's regular files on disk: what the count must always equal. */
    private long onDisk(int vnode) throws Exception {
        try (Stream<Path> files = Files.walk(s.monitor().vnodeDirectory(vnode))) {
            long total = 0;
            for (Path p : files.toList()) {
                if (Files.isRegularFile(p)) {
                    total += Files.size(p);
                }
            }
            return total;
        }
    }

    @Test
    void growthBeyondTheQuotaIsRefusedAndChangesNothing() throws Exception {
        s.create(1, "/a");
        byte[] a = bytes(40 << 10, 1);
        s.write(1, "/a", 0, a);
        assertThat(usage(1)).isEqualTo(new StorageUsage(40 << 10, QUOTA));

        s.create(1, "/b");
        String why = s.fails(Status.QUOTA, new BlockWrite(1, "/b", 0, ByteBuffer.wrap(bytes(30 << 10, 2))));
        assertThat(why).contains("vNode 1: /b").contains("storage quota of 64.0KiB").contains("40.0KiB used");
        assertThat(s.read(1, "/b", 0, 1 << 20)).isEmpty();
        // a write past the end leaving a hole counts the hole, as ls -l does
        s.fails(Status.QUOTA, new BlockWrite(1, "/a", 63 << 10, ByteBuffer.wrap(new byte[2 << 10])));
        s.fails(Status.QUOTA, new FileTruncate(1, "/a", QUOTA + 1));
        assertThat(s.read(1, "/a", 0, 1 << 20)).isEqualTo(a);

        // overwriting inside the file grows nothing: allowed even at the quota
        s.write(1, "/b", 0, bytes(24 << 10, 3)); // exactly at the quota
        assertThat(usage(1).usedBytes()).isEqualTo(QUOTA);
        s.write(1, "/a", 100, bytes(1000, 4));
        s.fails(Status.QUOTA, new BlockWrite(1, "/b", 24 << 10, ByteBuffer.wrap(new byte[1])));
        assertThat(usage(1).usedBytes()).isEqualTo(QUOTA).isEqualTo(onDisk(1));

        // the other vNode has its own quota
        s.create(2, "/c");
        s.write(2, "/c", 0, bytes(60 << 10, 5));
        assertThat(usage(2).usedBytes()).isEqualTo(60 << 10);
    }

    @Test
    void removingShrinkingAndRenamingOverGiveRoomBack() throws Exception {
        s.create(1, "/a");
        s.create(1, "/b");
        s.write(1, "/a", 0, bytes(30 << 10, 1));
        s.write(1, "/b", 0, bytes(30 << 10, 2));
        s.call(new FileTruncate(1, "/a", 10 << 10));
        assertThat(usage(1).usedBytes()).isEqualTo(40 << 10);
        s.call(new FileRename(1, "/a", "/b")); // /b's 30 KiB are gone
        assertThat(usage(1).usedBytes()).isEqualTo(10 << 10).isEqualTo(onDisk(1));
        s.call(new FileUnlink(1, "/b"));
        assertThat(usage(1).usedBytes()).isZero();
        s.create(1, "/big");
        s.write(1, "/big", 0, bytes((int) QUOTA, 3));
        s.call(new FileTruncate(1, "/big", 0));
        s.call(new FileTruncate(1, "/big", QUOTA)); // a hole of the whole quota
        assertThat(usage(1).usedBytes()).isEqualTo(QUOTA).isEqualTo(onDisk(1));
    }

    @Test
    void aRestartedStorageComponentCountsFromDisk() throws Exception {
        s.create(1, "/a");
        s.write(1, "/a", 0, bytes(50 << 10, 1));
        s.restart();
        assertThat(usage(1)).isEqualTo(new StorageUsage(50 << 10, QUOTA));
        s.fails(Status.QUOTA, new BlockWrite(1, "/a", 50 << 10, ByteBuffer.wrap(new byte[15 << 10])));
        s.write(1, "/a", 50 << 10, new byte[14 << 10]);
    }

    @Test
    void concurrentWritersNeverTogetherExceedTheQuota() throws Exception {
        int writers = 8;
        for (int w = 0; w < writers; w++) {
            s.create(1, "/f" + w);
        }
        ExecutorService pool = Executors.newFixedThreadPool(writers);
        try {
            List<Future<Integer>> accepted = new ArrayList<>();
            for (int w = 0; w < writers; w++) {
                String path = "/f" + w;
                accepted.add(pool.submit(() -> {
                    int ok = 0;
                    for (int i = 0; i < 64; i++) { // each tries 64 x 1 KiB appends: 512 KiB in all, 8x the quota
                        try {
                            s.call(new BlockWrite(1, path, (long) ok << 10, ByteBuffer.wrap(new byte[1024])));
                            ok++;
                        } catch (QuotaExceededException full) {
                            // the vNode is full for now; the others keep trying
                        }
                    }
                    return ok;
                }));
            }
            long total = 0;
            for (Future<Integer> f : accepted) {
                total += (long) f.get() << 10;
            }
            assertThat(total).isEqualTo(QUOTA);
            assertThat(usage(1).usedBytes()).isEqualTo(QUOTA).isEqualTo(onDisk(1));
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void withoutAManagerThereIsNoQuota(@TempDir Path other) {
        try (StorageFixture alone = new StorageFixture(other)) {
            alone.attach(1);
            alone.create(1, "/a");
            alone.write(1, "/a", 0, new byte[256 << 10]);
            assertThat(alone.call(new UsageRequest(1))).isEqualTo(new StorageUsage(256 << 10, StorageUsage.UNLIMITED));
        }
    }
}
