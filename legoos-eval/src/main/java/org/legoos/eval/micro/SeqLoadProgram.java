package org.legoos.eval.micro;

import java.util.Locale;
import java.util.concurrent.CountDownLatch;
import org.legoos.api.AddressSpace;
import org.legoos.api.LegoContext;
import org.legoos.api.LegoProgram;

/**
 * The paper's memory-throughput micro-benchmark as a LegoOS/J program ({@value #NAME}): 4 KiB sequential loads
 * on a cold ExCache, each one a miss served by the memory component owning the page.
 *
 * <p>Usage: {@code seqload <regionBytes> <threads> [scratchBytes]} (sizes like {@code 4096} or {@code 256MiB}).
 * <ol>
 * <li><b>Materialise.</b> Maps {@code regionBytes} and stores one 8-byte value into every page, then
 *     {@code msync}s the region: every page now lives on the memory component, and the lines the ExCache still
 *     holds are clean.</li>
 * <li><b>Make the cache cold.</b> Maps a scratch region of {@code scratchBytes} (default: as large as the region)
 *     and loads one value from each of its pages, in a random order (a pass in address order would be a stream, whose
 *     lines the ExCache evicts first, among themselves). Those pages were never written, so each load is a local
 *     zero-fill (no round trip, nothing stored on the memory component) that installs a clean line and evicts
 *     whatever the set held, the region's lines included. Then the scratch region is unmapped, which drops its
 *     lines without write-back: the ExCache holds nothing of this process, as after dropping a CPU cache. For
 *     this to evict every region line the scratch region must be at least as large as the ExCache (twice as large
 *     under the CLOCK policy, whose reference bits give lines a second chance); the driver keeps the region at
 *     least 4x the ExCache and the scratch region as large as the region.</li>
 * <li><b>Timed phase.</b> {@code threads} threads, started and parked beforehand, are released together; each
 *     loads one 8-byte value from every page of its contiguous share of the region, in address order. Without
 *     prefetch each load is an ExCache miss fetched from the memory component ({@code P2M_PCACHE_MISS}) with no
 *     dirty victim to carry. Only this phase is timed, from the release to the last thread's end.</li>
 * </ol>
 * It prints one line {@code iops=<pages/s> pages=<n> seconds=<s> threads=<t> verified=<true|false>}, where
 * {@code verified} says every loaded value was the one stored in step 1, and exits 0 if verified, else 2.
 *
 * <p>Runs as a process: its threads are the process's threads on its processor component; it checks
 * {@link LegoContext#killed()} every 1024 pages.
 */
public final class SeqLoadProgram implements LegoProgram {
    /** The name the micro-benchmark drivers register this program under. */
    public static final String NAME = "seqload";
    static final String USAGE = "seqload <regionBytes> <threads> [scratchBytes]";
    private static final int PAGE = AddressSpace.PAGE_SIZE;
    private static final long MIX = 0x9E3779B97F4A7C15L;

    /** Needed by the program loader. */
    public SeqLoadProgram() {
    }

    /** The value step 1 stores in page {@code p}. */
    static long valueOf(long page) {
        return (page + 1) * MIX;
    }

    @Override
    public int main(LegoContext ctx, String[] args) throws Exception {
        long regionBytes = MicroText.size(args, 0, "regionBytes", USAGE);
        int threads = (int) MicroText.number(args, 1, "threads", 1, 1024, USAGE);
        long scratchBytes = args.length > 2 ? MicroText.size(args, 2, "scratchBytes", USAGE) : regionBytes;
        if (regionBytes % PAGE != 0 || regionBytes / PAGE < threads) {
            throw new IllegalArgumentException("regionBytes must be a multiple of 4096 with at least one page per thread, got "
                    + regionBytes + " for " + threads + " threads");
        }
        if (scratchBytes < PAGE || scratchBytes % PAGE != 0) {
            throw new IllegalArgumentException("scratchBytes must be a positive multiple of 4096, got " + scratchBytes);
        }
        AddressSpace mem = ctx.memory();
        long pages = regionBytes / PAGE;
        long base = mem.mmap(regionBytes);

        // 1. materialise every page on the memory component
        for (long p = 0; p < pages; p++) {
            mem.putLong(base + p * PAGE, valueOf(p));
            if ((p & 1023) == 0 && ctx.killed()) {
                return 1;
            }
        }
        mem.msync(base, regionBytes);

        // 2. cold cache: clean zero-filled scratch lines evict the region's lines, then unmapping drops them
        long scratch = mem.mmap(scratchBytes);
        long zero = 0;
        for (int q : shuffledPages(scratchBytes / PAGE)) {
            zero |= mem.getLong(scratch + (long) q * PAGE);
        }
        mem.munmap(scratch, scratchBytes);
        if (zero != 0) {
            throw new IllegalStateException("a never-written scratch page did not read as zero");
        }

        // 3. timed: T threads, each loads its contiguous share in address order
        long[] sums = new long[threads];
        Throwable[] failures = new Throwable[threads];
        Thread[] workers = new Thread[threads];
        CountDownLatch ready = new CountDownLatch(threads);
        CountDownLatch go = new CountDownLatch(1);
        for (int t = 0; t < threads; t++) {
            int index = t;
            long from = pages * t / threads;
            long to = pages * (t + 1) / threads;
            workers[t] = ctx.startThread("seqload-" + t, () -> {
                try {
                    ready.countDown();
                    go.await();
                    long sum = 0;
                    for (long p = from; p < to; p++) {
                        sum += mem.getLong(base + p * PAGE);
                        if ((p & 1023) == 0 && ctx.killed()) {
                            return;
                        }
                    }
                    sums[index] = sum;
                } catch (Throwable e) {
                    failures[index] = e;
                }
            });
        }
        ready.await();
        long t0 = System.nanoTime();
        go.countDown();
        for (Thread w : workers) {
            w.join();
        }
        long nanos = System.nanoTime() - t0;
        for (Throwable f : failures) {
            if (f != null) {
                throw new IllegalStateException("a load thread failed: " + f, f);
            }
        }
        if (ctx.killed()) {
            return 1;
        }
        long expected = 0;
        for (long p = 0; p < pages; p++) {
            expected += valueOf(p);
        }
        long got = 0;
        for (long s : sums) {
            got += s;
        }
        boolean verified = got == expected;
        double seconds = nanos / 1e9;
        ctx.out().printf(Locale.ROOT, "iops=%.0f pages=%d seconds=%.6f threads=%d verified=%b%n",
                pages / seconds, pages, seconds, threads, verified);
        ctx.out().flush();
        mem.munmap(base, regionBytes);
        return verified ? 0 : 2;
    }

    /** {@code 0 .. n-1} in a random order (fixed seed: runs are comparable). */
    static int[] shuffledPages(long n) {
        if (n > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("too many scratch pages: " + n);
        }
        int[] order = new int[(int) n];
        for (int i = 0; i < order.length; i++) {
            order[i] = i;
        }
        java.util.Random rnd = new java.util.Random(42);
        for (int i = order.length - 1; i > 0; i--) {
            int j = rnd.nextInt(i + 1);
            int t = order[i];
            order[i] = order[j];
            order[j] = t;
        }
        return order;
    }
}
