package org.legoos.eval;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.legoos.api.AddressSpace;
import org.legoos.api.LegoContext;
import org.legoos.api.LegoProgram;
import org.legoos.api.ProcessorMode;
import org.legoos.manager.ManagerConfig;
import org.legoos.memory.MemoryConfig;
import org.legoos.memory.MemoryMonitor;
import org.legoos.node.LocalCluster;
import org.legoos.processor.ProcessorConfig;
import org.legoos.processor.client.ProcessClient;
import org.legoos.processor.excache.ExCacheConfig;

/**
 * {@code lego bench --sections scale}: what LegoOS is for, one process with more memory than any one memory component
 * holds. A process maps {@code bytes} of fresh memory, writes every long of every page, then reads every page back and
 * checks it; its address space spreads over {@value #MEMORIES} memory components (its vRegions placed by the GMM), each
 * of them smaller than the largest size. The cost per GiB as the size doubles should stay flat: nothing in the path
 * (the owner map, the page tables of the memory components, the ExCache) may grow worse than linearly.
 *
 * <p>One in-JVM cluster serves every size (the components in this JVM, the process in its own task JVM where process
 * mode is available): {@value #MEMORIES} memory components with one copy of each page (two would need twice the
 * memory, more than this machine's for the largest size), an ExCache of 1/48 of the largest size.
 */
public final class ScaleBench {
    /** Memory components the address space spreads over. */
    public static final int MEMORIES = 4;
    /** The sizes: 1, 2, 4, 8 and 12 GiB. */
    public static final List<Long> DEFAULT_SIZES = List.of(1L << 30, 2L << 30, 4L << 30, 8L << 30, 12L << 30);
    /** {@code --quick}: the same shape, small enough for a test. */
    public static final List<Long> QUICK_SIZES = List.of(16L << 20, 32L << 20, 64L << 20);
    private static final String VNODE = "scale";
    private static final String PROGRAM = "scaleprobe";
    private static final Pattern RESULT = Pattern.compile("result pages=(\\d+) write_s=([0-9.]+) verify_s=([0-9.]+)");

    /**
     * The probe: {@code scaleprobe BYTES SEED} maps BYTES, writes every long of every page (a value of its page, its
     * place and the seed), then reads every page back and compares. Prints
     * {@code result pages=N write_s=W verify_s=V}; exits 1 at the first wrong long, saying where.
     */
    public static final class ScaleProbe implements LegoProgram {
        private static final int LONGS = AddressSpace.PAGE_SIZE / Long.BYTES;

        static long value(long seed, long page, int i) {
            long x = (page * LONGS + i) * 0x9E3779B97F4A7C15L ^ seed;
            return x ^ x >>> 29;
        }

        @Override
        public int main(LegoContext ctx, String[] args) {
            long bytes = Long.parseLong(args[0]);
            long seed = Long.parseLong(args[1]);
            if (bytes <= 0 || bytes % AddressSpace.PAGE_SIZE != 0) {
                ctx.err().println("scaleprobe: BYTES must be a positive multiple of the page size, got " + bytes);
                return 2;
            }
            AddressSpace m = ctx.memory();
            long va = m.mmap(bytes);
            long pages = bytes / AddressSpace.PAGE_SIZE;
            long[] page = new long[LONGS];
            long t0 = System.nanoTime();
            for (long p = 0; p < pages; p++) {
                for (int i = 0; i < LONGS; i++) {
                    page[i] = value(seed, p, i);
                }
                m.writeLongs(va + p * AddressSpace.PAGE_SIZE, page, 0, LONGS);
                if ((p & 1023) == 0 && ctx.killed()) {
                    return 130;
                }
            }
            long t1 = System.nanoTime();
            for (long p = 0; p < pages; p++) {
                m.readLongs(va + p * AddressSpace.PAGE_SIZE, page, 0, LONGS);
                for (int i = 0; i < LONGS; i++) {
                    if (page[i] != value(seed, p, i)) {
                        ctx.err().printf(Locale.ROOT, "scaleprobe: page %d long %d reads %x, wrote %x%n", p, i, page[i],
                                value(seed, p, i));
                        return 1;
                    }
                }
                if ((p & 1023) == 0 && ctx.killed()) {
                    return 130;
                }
            }
            long t2 = System.nanoTime();
            m.munmap(va, bytes);
            ctx.out().printf(Locale.ROOT, "result pages=%d write_s=%.3f verify_s=%.3f%n", pages, (t1 - t0) / 1e9,
                    (t2 - t1) / 1e9);
            ctx.out().flush();
            return 0;
        }
    }

    /**
     * One size.
     *
     * @param peakBytes the most bytes of the process's pages each memory component held during the run
     */
    public record Row(long bytes, double writeSeconds, double verifySeconds, long componentCapacity, long[] peakBytes) {
        public double secondsPerGiB() {
            return (writeSeconds + verifySeconds) / (bytes / (double) (1L << 30));
        }

        /** Memory components that held part of the address space. */
        public int componentsUsed() {
            int n = 0;
            for (long b : peakBytes) {
                if (b > 0) {
                    n++;
                }
            }
            return n;
        }

        /** The most any one component held. */
        public long largestShare() {
            long max = 0;
            for (long b : peakBytes) {
                max = Math.max(max, b);
            }
            return max;
        }
    }

    private final List<Long> sizes;
    private final ProcessorMode mode;
    private final long seed;

    public ScaleBench(List<Long> sizes, ProcessorMode mode, long seed) {
        if (sizes.isEmpty()) {
            throw new IllegalArgumentException("no sizes");
        }
        this.sizes = List.copyOf(sizes);
        this.mode = mode == null ? ProcessorMode.AUTO : mode;
        this.seed = seed;
    }

    private long largest() {
        return sizes.stream().mapToLong(Long::longValue).max().orElseThrow();
    }

    /** vRegion size: the largest size spreads over at least 16 of them. */
    long vregionBytes() {
        return Math.max(1L << 20, Long.highestOneBit(largest() / 16));
    }

    /** Each memory component's capacity: 30% of the largest size (so four hold it, none alone), whole vRegions. */
    long componentCapacity() {
        long v = vregionBytes();
        long want = largest() * 3 / 10;
        return (want + v - 1) / v * v;
    }

    /** Runs every size on one cluster, smallest first. */
    public List<Row> run(Progress progress, int stepBase, int stepTotal) throws Exception {
        long capacity = componentCapacity();
        ExCacheConfig excache = ExCacheSizing.about(largest() / 48, ExCacheConfig.Policy.FIFO);
        LocalCluster.Spec spec = new LocalCluster.Spec(1, MEMORIES, 1,
                new ProcessorConfig(2, excache, 16, 2000, mode, ProcessorConfig.DEFAULT_TASK_HEAP_BYTES),
                MemoryConfig.of(capacity).withWorkers(0).withVregionBytes(vregionBytes()).withReplicas(1),
                ManagerConfig.defaults().withHeartbeatTimeoutMillis(600_000), null, Duration.ofMillis(500));
        List<Row> rows = new ArrayList<>();
        try (LocalCluster c = LocalCluster.start(spec, Map.of(PROGRAM, ScaleProbe.class))) {
            c.createVNode(VNODE, MEMORIES * capacity, 4);
            int step = stepBase;
            for (long bytes : sizes.stream().sorted().toList()) {
                progress.step(String.format(Locale.ROOT, "scale: %s over %d memory components", size(bytes), MEMORIES),
                        step++, stepTotal);
                rows.add(runOne(c, bytes, capacity));
            }
        }
        return rows;
    }

    /** A size as tables print it: whole GiB or MiB. */
    public static String size(long bytes) {
        return bytes >= 1L << 30 && bytes % (1L << 30) == 0 ? (bytes >> 30) + " GiB"
                : String.format(Locale.ROOT, "%.0f MiB", bytes / 1048576.0);
    }

    private Row runOne(LocalCluster c, long bytes, long capacity) throws Exception {
        List<MemoryMonitor> mems = c.memories();
        long[] before = new long[mems.size()];
        for (int i = 0; i < before.length; i++) {
            before[i] = mems.get(i).stats().usedBytes();
        }
        long[] peak = new long[mems.size()];
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        ProcessClient.Running p = c.processes().start(VNODE, PROGRAM, List.of(Long.toString(bytes), Long.toString(seed)),
                out, err);
        // a generous limit: a GiB takes seconds here; what stops a hang is the limit, not a guess at the speed
        long deadline = System.nanoTime() + Duration.ofMinutes(5).toNanos() * Math.max(1, bytes >> 30);
        Integer code = null;
        while (code == null) {
            for (int i = 0; i < peak.length; i++) {
                peak[i] = Math.max(peak[i], mems.get(i).stats().usedBytes() - before[i]);
            }
            if (System.nanoTime() > deadline) {
                p.kill();
                p.waitFor(Duration.ofSeconds(30));
                throw new IllegalStateException("scaleprobe of " + bytes + " bytes ran past its limit: " + err);
            }
            code = p.waitFor(Duration.ofMillis(100));
        }
        String stdout = out.toString(StandardCharsets.UTF_8);
        Matcher m = RESULT.matcher(stdout);
        if (code != 0 || !m.find()) {
            throw new IllegalStateException("scaleprobe of " + bytes + " bytes failed (exit " + code + "): "
                    + err.toString(StandardCharsets.UTF_8) + (p.error() == null ? "" : p.error()));
        }
        return new Row(bytes, Double.parseDouble(m.group(2)), Double.parseDouble(m.group(3)), capacity, peak);
    }
}
