package org.legoos.storage;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.legoos.net.protocol.p2s.FileOpen;
import org.legoos.net.rpc.RpcException;
import org.legoos.net.rpc.Status;

/**
 * Many memory-monitor threads at once: positional reads and writes at distinct offsets of shared files,
 * through an open-file table smaller than the working set so evictions race with calls in progress. Run on
 * the transport thread (workers = 0) and on a worker pool.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class ConcurrencyTest {
    private static final int THREADS = 8;
    private static final int BLOCK = 512;
    private static final int BLOCKS_PER_THREAD = 64;
    private static final int FILES = 6;

    @TempDir
    Path root;

    @ParameterizedTest(name = "workers={0}")
    @ValueSource(ints = {0, 3})
    void concurrentWritesAndReadsAtDistinctOffsetsAreExact(int workers) throws Exception {
        long seed = ThreadLocalRandom.current().nextLong();
        System.out.println("concurrentWritesAndReadsAtDistinctOffsetsAreExact workers=" + workers + " seed=" + seed);
        try (StorageFixture s = new StorageFixture(new StorageConfig(root, 2, workers))) {
            s.attach(1);
            for (int f = 0; f < FILES; f++) {
                s.create(1, "/shared" + f);
            }
            runThreads(t -> {
                SplittableRandom random = new SplittableRandom(seed + t);
                List<Integer> written = new ArrayList<>();
                for (int i = 0; i < BLOCKS_PER_THREAD; i++) {
                    int block = i * THREADS + t; // interleaved, so neighbours belong to other threads
                    for (int f = 0; f < FILES; f++) {
                        s.write(1, "/shared" + f, (long) block * BLOCK, pattern(f, block));
                    }
                    written.add(block);
                    // Read back one of our earlier blocks from a random file while others write around it.
                    int check = written.get(random.nextInt(written.size()));
                    int f = random.nextInt(FILES);
                    assertThat(s.read(1, "/shared" + f, (long) check * BLOCK, BLOCK)).isEqualTo(pattern(f, check));
                }
            });
            for (int f = 0; f < FILES; f++) {
                byte[] all = s.read(1, "/shared" + f, 0, THREADS * BLOCKS_PER_THREAD * BLOCK);
                assertThat(all).hasSize(THREADS * BLOCKS_PER_THREAD * BLOCK);
                for (int block = 0; block < THREADS * BLOCKS_PER_THREAD; block++) {
                    byte[] got = java.util.Arrays.copyOfRange(all, block * BLOCK, (block + 1) * BLOCK);
                    assertThat(got).as("file %d block %d", f, block).isEqualTo(pattern(f, block));
                }
            }
            assertThat(s.monitor().openFileTable().size()).isLessThanOrEqualTo(2 + THREADS);
        }
    }

    @ParameterizedTest(name = "workers={0}")
    @ValueSource(ints = {0, 2})
    void exactlyOneExclusiveCreateWins(int workers) throws Exception {
        try (StorageFixture s = new StorageFixture(new StorageConfig(root, 4, workers))) {
            s.attach(1);
            for (int round = 0; round < 20; round++) {
                String path = "/race" + round;
                AtomicInteger wins = new AtomicInteger();
                AtomicInteger exists = new AtomicInteger();
                runThreads(t -> {
                    try {
                        s.call(new FileOpen(1, path, true, true));
                        wins.incrementAndGet();
                    } catch (RpcException e) {
                        assertThat(e.code()).isEqualTo(Status.EXISTS);
                        exists.incrementAndGet();
                    }
                });
                assertThat(wins.get()).as("winners of %s", path).isEqualTo(1);
                assertThat(exists.get()).isEqualTo(THREADS - 1);
            }
        }
    }

    private static byte[] pattern(int file, int block) {
        byte[] b = new byte[BLOCK];
        for (int i = 0; i < BLOCK; i++) {
            b[i] = (byte) (file * 31 + block * 7 + i);
        }
        return b;
    }

    @FunctionalInterface
    private interface Body {
        void run(int thread) throws Exception;
    }

    private static void runThreads(Body body) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(THREADS);
        try {
            CyclicBarrier start = new CyclicBarrier(THREADS);
            List<Future<?>> futures = new ArrayList<>();
            for (int t = 0; t < THREADS; t++) {
                int thread = t;
                futures.add(pool.submit(() -> {
                    start.await();
                    body.run(thread);
                    return null;
                }));
            }
            for (Future<?> f : futures) {
                f.get(50, TimeUnit.SECONDS);
            }
        } finally {
            pool.shutdownNow();
        }
    }
}
