package org.legoos.eval.micro;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.zip.CRC32C;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.legoos.node.LocalCluster;
import org.legoos.processor.RemoteFileService;

@Timeout(value = 30, unit = TimeUnit.SECONDS)
class StorageBenchProgramTest {
    @Test
    void writesTheFileItReportsAndEveryPhaseRuns() throws Exception {
        long size = 1L << 20;
        long blocks = size / 4096;
        try (LocalCluster c = LocalCluster.start(LocalCluster.Spec.defaults().withCounts(1, 1, 1), MicroPrograms.all())) {
            c.createVNode("v");
            LocalCluster.RunResult r = c.run("v", StorageBenchProgram.NAME, String.valueOf(size), "7", "/bench.dat");
            assertThat(r.exitCode()).as(r.stdout() + r.stderr()).isZero();

            Map<StoragePhase, Double> ops = StorageThroughput.parse(r.stdout());
            assertThat(ops).containsOnlyKeys(StoragePhase.values());
            assertThat(ops.values()).allMatch(v -> v > 0);
            for (StoragePhase p : StoragePhase.values()) {
                assertThat(r.stdout()).contains("phase=" + p.label() + " ops=" + blocks + " ");
            }
            Map<String, String> check = MicroText.findLine(r.stdout(), "checksum", "expected", "verified");
            assertThat(check.get("verified")).isEqualTo("true");
            assertThat(check.get("checksum")).isEqualTo(check.get("expected"));

            // read the file back from outside the process, through the same file service a client uses
            RemoteFileService files = c.files("v");
            assertThat(files.stat("/bench.dat").size()).isEqualTo(size);
            CRC32C crc = new CRC32C();
            ByteBuffer all = ByteBuffer.allocate((int) size);
            while (all.hasRemaining()) {
                int n = files.read("/bench.dat", all.position(), all.duplicate());
                assertThat(n).isPositive();
                all.position(all.position() + n);
            }
            all.flip();
            int rewritten = 0;
            for (long b = 0; b < blocks; b++) {
                assertThat(all.getLong((int) (b * 4096))).as("block number stamped in block %d", b).isEqualTo(b);
                rewritten += all.getLong((int) (b * 4096 + 8)) > 0 ? 1 : 0;
            }
            assertThat(rewritten).as("blocks holding a random write").isGreaterThan((int) blocks / 2);
            crc.update(all);
            assertThat(String.format("%08x", crc.getValue())).isEqualTo(check.get("checksum"));
        }
    }

    @Test
    void aSizeThatIsNotWholeBlocksIsRefused() throws Exception {
        try (LocalCluster c = LocalCluster.start(LocalCluster.Spec.defaults().withCounts(1, 1, 1), MicroPrograms.all())) {
            c.createVNode("v");
            LocalCluster.RunResult r = c.run("v", StorageBenchProgram.NAME, "5000");
            assertThat(r.exitCode()).isNotZero();
            assertThat(r.stderr()).contains("multiple of 4096");
        }
    }
}
