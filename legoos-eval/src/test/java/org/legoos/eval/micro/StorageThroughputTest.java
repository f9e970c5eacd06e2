package org.legoos.eval.micro;

import org.legoos.eval.Progress;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(value = 30, unit = TimeUnit.SECONDS)
class StorageThroughputTest {
    private static final long FILE = 1L << 20;
    private final StorageThroughput bench = new StorageThroughput(Duration.ofSeconds(20));

    @Test
    void inJvmRunComparesEveryPhaseWithTheLocalFile() throws Exception {
        RecordingProgress progress = new RecordingProgress();
        List<StorageThroughput.Row> rows = bench.run(List.of(Transport.IN_JVM), FILE, 3, progress);

        assertThat(rows).hasSize(8);
        assertThat(rows).extracting(StorageThroughput.Row::target).containsExactly(
                StorageThroughput.TARGET_LOCAL, StorageThroughput.TARGET_LOCAL, StorageThroughput.TARGET_LOCAL, StorageThroughput.TARGET_LOCAL,
                StorageThroughput.TARGET_IN_JVM, StorageThroughput.TARGET_IN_JVM, StorageThroughput.TARGET_IN_JVM, StorageThroughput.TARGET_IN_JVM);
        assertThat(rows.subList(0, 4)).extracting(StorageThroughput.Row::phase).containsExactly(StoragePhase.values());
        assertThat(rows.subList(4, 8)).extracting(StorageThroughput.Row::phase).containsExactly(StoragePhase.values());
        for (int i = 0; i < 4; i++) {
            StorageThroughput.Row local = rows.get(i);
            StorageThroughput.Row lego = rows.get(i + 4);
            assertThat(local.opsPerSec()).isPositive();
            assertThat(lego.opsPerSec()).isPositive();
            assertThat(local.ratioToLocal()).isEqualTo(1.0);
            assertThat(lego.ratioToLocal()).isCloseTo(lego.opsPerSec() / local.opsPerSec(), org.assertj.core.data.Offset.offset(1e-9));
            assertThat(lego.mbps()).isCloseTo(lego.opsPerSec() * 4096 / (1 << 20), org.assertj.core.data.Offset.offset(1e-6));
            assertThat(local.paperRatio()).isEmpty();
            assertThat(lego.paperRatio()).hasValue(PaperFigures.storageRatio(lego.phase()));
        }
        assertThat(progress.steps).extracting(RecordingProgress.Step::done).containsExactly(0, 1, 2);
    }

    @Test
    void tcpRunWorksToo() throws Exception {
        List<StorageThroughput.Row> rows = bench.run(List.of(Transport.TCP), FILE, 3, Progress.NONE);
        assertThat(rows).hasSize(8);
        assertThat(rows.subList(4, 8)).allSatisfy(r -> {
            assertThat(r.target()).isEqualTo(StorageThroughput.TARGET_TCP);
            assertThat(r.opsPerSec()).isPositive();
        });
    }

    @Test
    void outputWithoutEveryPhaseOrUnverifiedIsAnError() {
        String ok = "phase=seq-write ops=1 bytes=4096 seconds=0.1 opsPerSec=10.0\nchecksum=1 expected=1 verified=true\n";
        assertThatThrownBy(() -> StorageThroughput.parse(ok)).isInstanceOf(IllegalStateException.class).hasMessageContaining("four phases");
        assertThatThrownBy(() -> StorageThroughput.parse("checksum=1 expected=2 verified=false\n"))
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("other data");
        assertThatThrownBy(() -> bench.run(List.of(Transport.IN_JVM), 1000, 1, Progress.NONE))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("multiple of 4096");
    }

    @Test
    void paperRatiosMatchTheDesignNotes() {
        assertThat(PaperFigures.storageRatio(StoragePhase.RAND_READ)).isCloseTo(8.9 / 10.6, org.assertj.core.data.Offset.offset(1e-9));
        assertThat(PaperFigures.memoryLegoKiops(4, 4)).hasValue(426.0);
        assertThat(PaperFigures.memoryLegoKiops(4, 2)).isEmpty();
        assertThat(PaperFigures.memoryLinuxKiops(8)).hasValue(7139.0);
    }
}
