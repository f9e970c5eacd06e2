package org.legoos.node.asmc;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.legoos.api.AddressSpace;
import org.legoos.api.LegoContext;
import org.legoos.api.LegoProgram;
import org.legoos.memory.MemoryConfig;
import org.legoos.node.LocalCluster;
import org.legoos.processor.ProcessorConfig;
import org.legoos.processor.excache.ExCacheConfig;

/**
 * Deterministic end-to-end regressions for three data-loss bugs programs saw and every unit test missed, each a
 * program on a LocalCluster with a 16-line ExCache, 3 memory components and 64 KiB vRegions:
 * <ol>
 *   <li>a growing mremap lost the contents (the processor's mirror forgot which pages were written back and
 *       zero-filled them locally);</li>
 *   <li>concurrent mmaps of 8 threads dropped pages (an older owner map replaced a newer one; dirty pages with "no
 *       owner" were discarded);</li>
 *   <li>a munmap refused for its unaligned address had already dropped the processor's dirty lines.</li>
 * </ol>
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(value = 5, unit = TimeUnit.MINUTES)
class AddressSpaceRegressionTest {
    static final int PAGE = AddressSpace.PAGE_SIZE;
    private LocalCluster cluster;

    static long word(long va, long off, long round) {
        return (off * 0x9E3779B97F4A7C15L) ^ (round << 56) ^ 0x5EED;
    }

    /** args: bytes, msync (true/false), moved|inplace. Writes every word, grows the mapping to twice, checks every word. */
    public static final class GrowRemap implements LegoProgram {
        @Override
        public int main(LegoContext ctx, String[] args) {
            AddressSpace m = ctx.memory();
            long size = Long.parseLong(args[0]);
            boolean msync = Boolean.parseBoolean(args[1]);
            boolean moved = args[2].equals("moved");
            long hint = 8L << 40; // free in a fresh space: honoured, and so is the range after it
            long va = m.mmap(hint, size, AddressSpace.PROT_RW);
            if (va != hint) {
                ctx.out().println("mmap ignored the free hint");
                return 4;
            }
            long blocker = 0;
            if (moved) {
                blocker = m.mmap(va + size, PAGE, AddressSpace.PROT_READ); // the tail is taken: growing must move
            }
            for (long off = 0; off < size; off += 8) {
                m.putLong(va + off, word(va, off, 1));
            }
            if (msync) {
                m.msync(va, size);
            }
            long nva = m.mremap(va, size, 2 * size, true);
            if (moved == (nva == va)) {
                ctx.out().println("mremap " + (moved ? "did not move" : "moved") + ": 0x" + Long.toHexString(va) + " -> 0x"
                        + Long.toHexString(nva));
                return 4;
            }
            for (long off = 0; off < 2 * size; off += 8) {
                long want = off < size ? word(va, off, 1) : 0;
                long got = m.getLong(nva + off);
                if (got != want) {
                    ctx.out().printf("after mremap(0x%x, %d, %d): word at offset %d (page %d) is 0x%x, expected 0x%x%n", va, size,
                            2 * size, off, off / PAGE, got, want);
                    return 3;
                }
            }
            if (blocker != 0) {
                m.munmap(blocker, PAGE);
            }
            return 0;
        }
    }

    /**
     * args: threads, bytes per thread, rounds, pieces. Each thread maps its bytes (in that many mmaps, all threads
     * at once), writes every page, msyncs, reads every page back, unmaps.
     */
    public static final class ConcurrentMmaps implements LegoProgram {
        @Override
        public int main(LegoContext ctx, String[] args) throws Exception {
            AddressSpace m = ctx.memory();
            int threads = Integer.parseInt(args[0]);
            long size = Long.parseLong(args[1]);
            int rounds = Integer.parseInt(args[2]);
            int pieces = Integer.parseInt(args[3]);
            long piece = size / pieces;
            AtomicReference<String> bad = new AtomicReference<>();
            for (int round = 1; round <= rounds && bad.get() == null; round++) {
                long r = round;
                java.util.concurrent.CyclicBarrier start = new java.util.concurrent.CyclicBarrier(threads);
                List<Thread> ts = new ArrayList<>();
                for (int t = 0; t < threads; t++) {
                    int id = t;
                    ts.add(ctx.startThread("mapper-" + t, () -> {
                        try {
                            start.await();
                            long[] vas = new long[pieces];
                            for (int p = 0; p < pieces; p++) { // map, write, sync: other threads map meanwhile
                                long va = vas[p] = m.mmap(piece);
                                for (long off = 0; off < piece; off += PAGE) {
                                    m.putLong(va + off, word(id, va + off, r));
                                    m.putLong(va + off + PAGE - 8, ~word(id, va + off, r));
                                }
                                m.msync(va, piece);
                            }
                            for (long va : vas) {
                                for (long off = 0; off < piece; off += PAGE) {
                                    long a = m.getLong(va + off);
                                    long b = m.getLong(va + off + PAGE - 8);
                                    long w = word(id, va + off, r);
                                    if (a != w || b != ~w) {
                                        bad.compareAndSet(null, String.format("round %d thread %d: page 0x%x of its mapping at 0x%x reads"
                                                + " 0x%x/0x%x, expected 0x%x/0x%x", r, id, va + off, va, a, b, w, ~w));
                                        return;
                                    }
                                }
                            }
                            for (long va : vas) {
                                m.munmap(va, piece);
                            }
                        } catch (Throwable e) {
                            bad.compareAndSet(null, "round " + r + " thread " + id + ": " + e);
                        }
                    }));
                }
                for (Thread t : ts) {
                    t.join();
                }
            }
            if (bad.get() != null) {
                ctx.out().println(bad.get());
                return 3;
            }
            return 0;
        }
    }

    /** Writes 4 pages (only 2 msynced), then munmap(page + 8, 4096) must be refused and every word still there. */
    public static final class UnalignedMunmap implements LegoProgram {
        @Override
        public int main(LegoContext ctx, String[] args) {
            AddressSpace m = ctx.memory();
            long va = m.mmap(4L * PAGE);
            for (long off = 0; off < 4L * PAGE; off += 8) {
                m.putLong(va + off, word(va, off, 7));
            }
            m.msync(va, 2L * PAGE);
            long addr = va + PAGE + 8;
            try {
                m.munmap(addr, PAGE);
                ctx.out().println("munmap(0x" + Long.toHexString(addr) + ", 4096) of an unaligned address was not refused");
                return 3;
            } catch (IllegalArgumentException expected) {
                // refused before any side effect
            } catch (RuntimeException e) {
                ctx.out().println("munmap(0x" + Long.toHexString(addr) + ", 4096) threw " + e + ", expected IllegalArgumentException");
                // go on: the data must be there anyway
            }
            for (long off = 0; off < 4L * PAGE; off += 8) {
                long got = m.getLong(va + off);
                if (got != word(va, off, 7)) {
                    ctx.out().printf("after the refused munmap: word at offset %d (page %d) is 0x%x, expected 0x%x%n", off, off / PAGE,
                            got, word(va, off, 7));
                    return 3;
                }
            }
            return ctx.out().checkError() ? 3 : 0;
        }
    }

    @BeforeAll
    void start() {
        cluster = LocalCluster.start(LocalCluster.Spec.defaults()
                        .withCounts(1, 3, 1)
                        .withMemory(MemoryConfig.of(1L << 30).withVregionBytes(AsHarness.VREGION).withWorkers(0))
                        .withProcessor(new ProcessorConfig(2, AsHarness.tinyCache(16, ExCacheConfig.Policy.FIFO, 16), 256, 2000)),
                Map.of("growremap", GrowRemap.class, "concmmap", ConcurrentMmaps.class, "unalignedmunmap", UnalignedMunmap.class));
        cluster.createVNode("reg", 64L << 30, 64);
    }

    @AfterAll
    void stop() {
        cluster.close();
    }

    private LocalCluster.RunResult run(String program, String... args) throws InterruptedException {
        return cluster.run("reg", program, args);
    }

    @ParameterizedTest(name = "{0} bytes, msync {1}, {2}")
    @CsvSource({
        "32768, false, inplace", "32768, true, inplace", "32768, false, moved", "32768, true, moved",
        "65536, false, inplace", "65536, true, inplace", "65536, false, moved", "65536, true, moved",
        "1048576, false, inplace", "1048576, true, inplace", "1048576, false, moved", "1048576, true, moved"})
    void aGrowingMremapKeepsEveryWord(long bytes, boolean msync, String mode) throws Exception {
        LocalCluster.RunResult r = run("growremap", String.valueOf(bytes), String.valueOf(msync), mode);
        assertThat(r.exitCode()).as("growremap %d %s %s: %s %s %s", bytes, msync, mode, r.stdout(), r.stderr(), r.error()).isZero();
    }

    @Test
    void concurrentMmapsOfEightThreadsKeepEveryPage() throws Exception {
        // memory components with workers: replies reach the 8 callers in any order, as over a network
        try (LocalCluster c = LocalCluster.start(LocalCluster.Spec.defaults()
                        .withCounts(1, 3, 1)
                        .withMemory(MemoryConfig.of(1L << 30).withVregionBytes(AsHarness.VREGION).withWorkers(2))
                        .withProcessor(new ProcessorConfig(2, AsHarness.tinyCache(256, ExCacheConfig.Policy.FIFO, 16), 256, 2000)),
                Map.of("concmmap", ConcurrentMmaps.class))) {
            c.createVNode("reg", 64L << 30, 64);
            LocalCluster.RunResult r = c.run("reg", "concmmap", "8", String.valueOf(16L << 20),
                    System.getProperty("legoos.concmmap.rounds", "3"), System.getProperty("legoos.concmmap.pieces", "16"));
            assertThat(r.exitCode()).as("8 threads x 16 MiB x 3 rounds: %s %s %s", r.stdout(), r.stderr(), r.error()).isZero();
        }
    }

    @Test
    void aRefusedUnalignedMunmapThrowsIllegalArgumentAndKeepsTheData() throws Exception {
        LocalCluster.RunResult r = run("unalignedmunmap");
        assertThat(r.exitCode()).as("%s %s %s", r.stdout(), r.stderr(), r.error()).isZero();
        assertThat(r.stdout()).isEmpty();
    }
}
