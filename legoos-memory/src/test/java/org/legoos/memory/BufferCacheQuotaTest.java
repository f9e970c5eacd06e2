package org.legoos.memory;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.legoos.api.QuotaExceededException;
import org.legoos.net.protocol.p2m.FileClose;
import org.legoos.net.protocol.p2m.FileRead;
import org.legoos.net.protocol.p2m.FileSync;
import org.legoos.net.protocol.p2m.FileWrite;
import org.legoos.net.protocol.p2m.FileWriteBatch;

/**
 * The buffer cache is write-back, so it checks a vNode's storage quota before it accepts a write that grows a file:
 * what it accepted, storage must take at write-back (a refusal there would leave data nobody can write). The fake
 * storage enforces the quota too and counts every write it refused: a correct cache causes none.
 */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class BufferCacheQuotaTest {
    private static final int CHUNK = 4096;
    private static final int VN = TestCluster.VNODE;
    private static final long QUOTA = 64 << 10;
    private TestCluster cluster;
    private int mem;

    @BeforeEach
    void start() {
        cluster = new TestCluster(1, new MemoryConfig(1 << 20, 1 << 20, 2, 4 * CHUNK, CHUNK));
        mem = TestCluster.memoryNode(0);
        cluster.files.quota = QUOTA;
    }

    @AfterEach
    void stop() {
        cluster.close();
    }

    private void write(String path, long offset, int length) {
        cluster.call(mem, new FileWrite(VN, path, offset, ByteBuffer.wrap(new byte[length])));
    }

    @Test
    void aWriteThatWouldExceedTheQuotaIsRefusedBeforeTheCacheTakesIt() {
        cluster.files.data.put("/a", new byte[0]);
        cluster.files.data.put("/b", new byte[0]);
        write("/a", 0, 40 << 10); // stays dirty in the cache (4 chunks hold 16 KiB: some written back)
        assertThatThrownBy(() -> write("/b", 0, 30 << 10))
                .isInstanceOfSatisfying(QuotaExceededException.class, e -> assertThat(e.getMessage())
                        .contains("vNode " + VN + ": /b: writing 30.0KiB more would exceed the vNode's storage quota of 64.0KiB"));
        write("/b", 0, 24 << 10); // exactly at the quota
        assertThatThrownBy(() -> write("/a", 40 << 10, 1)).isInstanceOf(QuotaExceededException.class);
        write("/a", 100, 1000); // inside the file: grows nothing
        cluster.call(mem, new FileSync(VN, "/a", false));
        cluster.call(mem, new FileSync(VN, "/b", false));
        assertThat(cluster.files.data.get("/a")).hasSize(40 << 10);
        assertThat(cluster.files.data.get("/b")).hasSize(24 << 10);
        assertThat(cluster.files.refused).as("write-backs storage refused").hasValue(0);

        // room given back behind the cache (a processor's unlink goes straight to storage) is seen at the boundary
        cluster.call(mem, new FileSync(VN, "/a", true));
        cluster.files.data.remove("/a");
        write("/b", 24 << 10, 40 << 10);
    }

    @Test
    void aBatchIsRefusedWhole() {
        cluster.files.data.put("/a", new byte[0]);
        FileWriteBatch batch = new FileWriteBatch(VN, "/a", List.of(
                new FileWriteBatch.Extent(0, ByteBuffer.wrap(new byte[1 << 10])),
                new FileWriteBatch.Extent(QUOTA, ByteBuffer.wrap(new byte[1]))));
        assertThatThrownBy(() -> cluster.call(mem, batch)).isInstanceOf(QuotaExceededException.class);
        assertThat(cluster.call(mem, new FileRead(VN, "/a", 0, 10)).data().remaining()).isZero();
    }

    /**
     * Random writes, closes, syncs and drops over several files against a model of what was accepted: storage never
     * refuses a write-back, the accepted bytes never exceed the quota, and every accepted byte arrives.
     */
    @Test
    void randomWorkloadNeverOvercommitsTheQuota() {
        Random rnd = new Random(7);
        Map<String, byte[]> model = new HashMap<>();
        List<String> paths = List.of("/a", "/b", "/c", "/d");
        for (String p : paths) {
            cluster.files.data.put(p, new byte[0]);
            model.put(p, new byte[0]);
        }
        int refused = 0;
        for (int i = 0; i < 2000; i++) {
            String p = paths.get(rnd.nextInt(paths.size()));
            int op = rnd.nextInt(10);
            if (op < 7) {
                byte[] cur = model.get(p);
                long offset = rnd.nextInt(Math.max(1, cur.length + 2048));
                byte[] data = new byte[1 + rnd.nextInt(3000)];
                rnd.nextBytes(data);
                try {
                    cluster.call(mem, new FileWrite(VN, p, offset, ByteBuffer.wrap(data)));
                    int end = (int) (offset + data.length);
                    byte[] next = cur.length >= end ? cur : Arrays.copyOf(cur, end);
                    System.arraycopy(data, 0, next, (int) offset, data.length);
                    model.put(p, next);
                } catch (QuotaExceededException e) {
                    refused++;
                    long total = model.values().stream().mapToLong(b -> b.length).sum();
                    assertThat(total + Math.max(0, offset + data.length - cur.length)).as("refused only beyond the quota")
                            .isGreaterThan(QUOTA);
                }
            } else if (op == 7) {
                cluster.call(mem, new FileClose(VN, p));
            } else if (op == 8) {
                cluster.call(mem, new FileSync(VN, p, false));
            } else if (rnd.nextInt(4) == 0) {
                // the processor removes a file: drop it from the cache, then unlink behind it
                cluster.call(mem, new FileSync(VN, p, true));
                cluster.files.data.put(p, new byte[0]);
                model.put(p, new byte[0]);
            }
            long accepted = model.values().stream().mapToLong(b -> b.length).sum();
            assertThat(accepted).isLessThanOrEqualTo(QUOTA);
        }
        for (String p : paths) {
            cluster.call(mem, new FileSync(VN, p, false));
            assertThat(cluster.files.data.get(p)).as(p).isEqualTo(model.get(p));
        }
        assertThat(cluster.files.refused).as("write-backs storage refused").hasValue(0);
        assertThat(refused).as("the workload reached the quota").isPositive();
    }
}
