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
class MemoryThroughputTest {
    private static final long CACHE = 2L << 20; // 8 sets of 64 ways: room for prefetch batches
    private static final long REGION = 4 * CACHE; // 2048 pages

    private final MemoryThroughput bench = new MemoryThroughput(CACHE, Duration.ofSeconds(20));

    @Test
    void inJvmRunGivesOneColdRowPerWorkerAndThreadCount() throws Exception {
        RecordingProgress progress = new RecordingProgress();
        List<MemoryThroughput.Row> rows = bench.run(Transport.IN_JVM, new int[] {1, 2}, new int[] {1, 4}, new boolean[] {false}, REGION,
                progress);

        assertThat(rows).hasSize(4);
        assertThat(rows).extracting(MemoryThroughput.Row::memoryWorkers).containsExactly(1, 1, 4, 4);
        assertThat(rows).extracting(MemoryThroughput.Row::threads).containsExactly(1, 2, 1, 2);
        for (MemoryThroughput.Row r : rows) {
            assertThat(r.transport()).isEqualTo(Transport.IN_JVM);
            assertThat(r.prefetch()).isFalse();
            assertThat(r.pages()).isEqualTo(REGION / 4096);
            assertThat(r.fetches()).as("every timed load missed: %s", r).isEqualTo(r.pages());
            assertThat(r.prefetched()).isZero();
            assertThat(r.kiops()).isPositive();
            assertThat(r.kiops()).isCloseTo(r.pages() / r.seconds() / 1000, org.assertj.core.data.Percentage.withPercentage(1));
        }
        assertThat(rows.get(0).paperKiops()).isEmpty(); // the paper has no 1-worker figures
        assertThat(rows.get(2).paperKiops()).hasValue(125.0); // 4 workers, 1 thread
        assertThat(progress.steps).extracting(RecordingProgress.Step::done).containsExactly(0, 1, 2, 3, 4);
        assertThat(progress.steps).allMatch(s -> s.total() == 4);
    }

    @Test
    void prefetchRowsFetchFewerPagesThanTheyLoad() throws Exception {
        List<MemoryThroughput.Row> rows = bench.run(Transport.IN_JVM, new int[] {1}, new int[] {0}, new boolean[] {false, true}, REGION,
                Progress.NONE);
        assertThat(rows).extracting(MemoryThroughput.Row::prefetch).containsExactly(false, true);
        MemoryThroughput.Row on = rows.get(1);
        assertThat(on.prefetched()).isPositive();
        assertThat(on.fetches()).isLessThan(on.pages());
        assertThat(on.fetches() + on.prefetched()).isGreaterThanOrEqualTo(on.pages());
    }

    @Test
    void tcpRunWithPrefetchOffMissesOnEveryLoad() throws Exception {
        // the processor's configuration default prefetches: all fetches means the setting reached it over TCP
        List<MemoryThroughput.Row> rows = bench.run(Transport.TCP, new int[] {2}, new int[] {1}, new boolean[] {false}, REGION,
                Progress.NONE);
        assertThat(rows).singleElement().satisfies(r -> {
            assertThat(r.transport()).isEqualTo(Transport.TCP);
            assertThat(r.prefetch()).isFalse();
            assertThat(r.fetches()).isEqualTo(r.pages());
            assertThat(r.prefetched()).isZero();
            assertThat(r.kiops()).isPositive();
        });
    }

    @Test
    void badParametersAreRefusedBeforeAnythingStarts() {
        assertThatThrownBy(() -> bench.run(Transport.IN_JVM, new int[] {1}, new int[] {1}, 2 * CACHE, Progress.NONE))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("at least 4x the ExCache");
        assertThatThrownBy(() -> bench.run(Transport.TCP, new int[] {1}, new int[] {0}, REGION, Progress.NONE))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("over TCP");
        assertThatThrownBy(() -> bench.run(Transport.IN_JVM, new int[] {0}, new int[] {1}, REGION, Progress.NONE))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("thread counts");
        assertThatThrownBy(() -> bench.run(Transport.IN_JVM, new int[] {}, new int[] {1}, REGION, Progress.NONE))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new MemoryThroughput(3L << 20, Duration.ofSeconds(1)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("power of two");
        assertThatThrownBy(() -> new MemoryThroughput(CACHE, Duration.ofSeconds(1), 0))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("repetitions");
    }
}
