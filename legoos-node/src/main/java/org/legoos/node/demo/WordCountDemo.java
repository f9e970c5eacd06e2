package org.legoos.node.demo;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.SortedMap;
import java.util.concurrent.atomic.AtomicLongArray;
import org.legoos.examples.CorpusGenerator;
import org.legoos.examples.WordCount;
import org.legoos.memory.MemoryConfig;
import org.legoos.memory.MemoryMonitor;
import org.legoos.node.LocalCluster;
import org.legoos.processor.ProcessMonitor;
import org.legoos.processor.ProcessorConfig;
import org.legoos.api.ProcessorMode;
import org.legoos.processor.RemoteFileService;
import org.legoos.processor.excache.ExCacheConfig;
import org.legoos.processor.excache.ExCacheStats;

/**
 * The main job: Phoenix word count on a disaggregated cluster in one JVM. It writes a generated corpus into a
 * vNode's storage, runs word count with the ExCache larger than the working set and again with the ExCache at
 * 25% of it (the processor component restarted with less "DRAM"), checks both against a plain-Java count and
 * prints what the ExCache and the memory components did.
 *
 * <p>By default the program copies its input into disaggregated memory and counts from there
 * ({@code wordcount --in-memory}), as Phoenix does and as the paper measured it: the working set is then the text and
 * the hash tables, and a small ExCache streams the text past the tables. {@link Input#FILE} reads the text through
 * the vNode's file system instead: the working set is the hash tables alone, accessed at random, and a 25% ExCache
 * misses on a large share of the words.
 */
public final class WordCountDemo {
    /** Where the word count reads its text from. */
    public enum Input {
        /** Copied into disaggregated memory first ({@code wordcount --in-memory}), as Phoenix maps its input. */
        MEMORY,
        /** Read in blocks through the vNode's file system, never in disaggregated memory. */
        FILE
    }

    /**
     * @param corpusBytes size of the generated text
     * @param threads word-count map threads
     * @param cacheFraction the small run's ExCache as a fraction of the measured working set
     * @param mode the processor's mode ({@code auto}: process mode where the host supports it)
     * @param input where the program reads the text from
     */
    public record Options(long corpusBytes, long seed, int threads, double cacheFraction, long vregionBytes,
                          ProcessorMode mode, Input input) {
        public Options {
            java.util.Objects.requireNonNull(mode, "mode");
            java.util.Objects.requireNonNull(input, "input");
        }

        /** The processor in the configuration's default mode, {@code auto}, the text in memory. */
        public Options(long corpusBytes, long seed, int threads, double cacheFraction, long vregionBytes) {
            this(corpusBytes, seed, threads, cacheFraction, vregionBytes, ProcessorMode.AUTO, Input.MEMORY);
        }

        public static Options defaults() {
            return new Options(32L << 20, 42, 2, 0.25, 8L << 20);
        }
    }

    private record Row(String label, long excacheBytes, double seconds, ExCacheStats stats, long[] peakBytes, boolean correct) {
    }

    private final PrintStream out;
    private final Options opt;

    public WordCountDemo(PrintStream out, Options opt) {
        this.out = out;
        this.opt = opt;
    }

    /** Runs the demo; returns 0 if both runs were correct. */
    public int run() throws Exception {
        long t0 = System.nanoTime();
        out.println("LegoOS/J demo: Phoenix word count with its memory on memory components");
        MemoryConfig memCfg = MemoryConfig.of(1L << 30).withWorkers(0).withVregionBytes(opt.vregionBytes());
        ProcessorConfig big = new ProcessorConfig(2, ExCacheConfig.of(512L << 20), 64, 2000).withMode(opt.mode());
        LocalCluster.Spec spec = LocalCluster.Spec.defaults().withCounts(1, 2, 1).withMemory(memCfg).withProcessor(big);
        try (LocalCluster cluster = LocalCluster.start(spec)) {
            out.printf(Locale.ROOT, "cluster: 1 manager, 1 processor (%d cores), 2 memory components (vRegion %s), 1 storage component%n",
                    big.cores(), mib(opt.vregionBytes()));
            ProcessMonitor pm = cluster.processors().get(0);
            out.printf(Locale.ROOT, "processor mode: %s (%s)%n", pm.mode().name().toLowerCase(Locale.ROOT), pm.modeReason());
            cluster.createVNode("demo");
            byte[] corpus = generate();
            long tw = System.nanoTime();
            writeCorpus(cluster.files("demo"), "/corpus.txt", corpus);
            out.printf(Locale.ROOT, "corpus: /corpus.txt in vNode 'demo', %s generated (seed %d), written in %.2f s%n",
                    mib(corpus.length), opt.seed(), secs(System.nanoTime() - tw));
            out.println(opt.input() == Input.MEMORY
                    ? "input: copied into disaggregated memory by the program (wordcount --in-memory, as Phoenix maps it)"
                    : "input: read through the vNode's file system (the working set is the hash tables alone)");
            long tr = System.nanoTime();
            SortedMap<String, Long> reference = WordCount.countPlain(new ByteArrayInputStream(corpus));
            String expected = WordCount.referenceSummary(reference, 10)
                    + (opt.input() == Input.MEMORY ? WordCount.referenceResult(reference) + "\n" : "");
            double plainSeconds = secs(System.nanoTime() - tr);
            out.printf(Locale.ROOT, "plain Java count: %d distinct words in %.2f s%n", reference.size(), plainSeconds);

            List<Row> rows = new ArrayList<>();
            Row first = runOnce(cluster, "ExCache > working set", big.excache().capacityBytes(), expected);
            rows.add(first);
            long workingSet = first.stats().touchedPages() * 4096L;
            long target = (long) (workingSet * opt.cacheFraction());
            ExCacheConfig small = fit(target);
            cluster.restartProcessor(0, new ProcessorConfig(2, small, 64, 2000).withMode(opt.mode()));
            rows.add(runOnce(cluster, String.format(Locale.ROOT, "ExCache %.0f%% of WS", 100.0 * small.capacityBytes() / workingSet),
                    small.capacityBytes(), expected));

            out.printf(Locale.ROOT, "working set: %s touched (%d pages)%n", mib(workingSet), workingSet / 4096);
            printTable(rows, cluster.memoryNodeIds());
            boolean ok = rows.stream().allMatch(Row::correct);
            out.println(ok ? "result: OK, both runs match the plain-Java count" : "result: WRONG, a run differs from the plain-Java count");
            out.printf(Locale.ROOT, "demo took %.1f s%n", secs(System.nanoTime() - t0));
            return ok ? 0 : 1;
        }
    }

    private byte[] generate() throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream((int) opt.corpusBytes() + 1024);
        CorpusGenerator.generate(bytes, opt.corpusBytes(), opt.seed());
        return bytes.toByteArray();
    }

    private static void writeCorpus(RemoteFileService files, String path, byte[] data) throws IOException {
        files.create(path, false);
        files.truncate(path, 0);
        files.write(path, 0, ByteBuffer.wrap(data));
        files.close(path);
    }

    private Row runOnce(LocalCluster cluster, String label, long excacheBytes, String expected) throws Exception {
        ProcessMonitor pm = cluster.processors().get(0);
        List<MemoryMonitor> mems = cluster.memories();
        AtomicLongArray peak = new AtomicLongArray(mems.size());
        pm.resetExCacheStats();
        Thread sampler = Thread.ofPlatform().daemon().start(() -> {
            while (!Thread.currentThread().isInterrupted()) {
                for (int i = 0; i < mems.size(); i++) {
                    long used = mems.get(i).resources().memoryUsedBytes();
                    peak.accumulateAndGet(i, used, Math::max);
                }
                try {
                    Thread.sleep(5);
                } catch (InterruptedException e) {
                    return;
                }
            }
        });
        long t = System.nanoTime();
        List<String> args = new ArrayList<>(List.of("/corpus.txt", "--threads", String.valueOf(opt.threads()), "--top", "10"));
        if (opt.input() == Input.MEMORY) {
            args.add("--in-memory");
        }
        LocalCluster.RunResult r = cluster.run("demo", "wordcount", args.toArray(String[]::new));
        double seconds = secs(System.nanoTime() - t);
        sampler.interrupt();
        sampler.join();
        ExCacheStats stats = pm.excacheStats();
        boolean correct = r.exitCode() == 0 && r.stdout().strip().equals(expected.strip());
        if (!correct) {
            out.printf("%s: exit %d%n--- stdout ---%n%s--- stderr ---%n%s--- expected ---%n%s%n", label, r.exitCode(), r.stdout(), r.stderr(), expected);
        }
        long[] peaks = new long[mems.size()];
        for (int i = 0; i < peaks.length; i++) {
            peaks[i] = peak.get(i);
        }
        out.printf(Locale.ROOT, "run: %-22s %.2f s, exit %d, %s%n", label, seconds, r.exitCode(), correct ? "correct" : "WRONG");
        return new Row(label, excacheBytes, seconds, stats, peaks, correct);
    }

    /** The largest valid ExCache geometry (4 KiB lines, power-of-two sets, up to 64 ways) not above target. */
    static ExCacheConfig fit(long target) {
        long lines = Math.max(1, target / 4096);
        long bestLines = 0;
        int bestWays = 1;
        for (int ways = 1; ways <= 64; ways++) {
            long sets = Long.highestOneBit(Math.max(1, lines / ways));
            long l = sets * ways;
            if (l <= lines && l > bestLines) {
                bestLines = l;
                bestWays = ways;
            }
        }
        return new ExCacheConfig(bestLines * 4096, bestWays, ExCacheConfig.Policy.FIFO, 1);
    }

    private void printTable(List<Row> rows, List<Integer> memNodes) {
        double base = rows.get(0).seconds();
        StringBuilder h = new StringBuilder(String.format(Locale.ROOT, "%-22s %9s %7s %8s %10s %9s %10s %9s %8s %10s",
                "run", "ExCache", "time", "slowdown", "hits", "misses", "zero-fills", "evictions", "flushes", "piggybacks"));
        for (int n : memNodes) {
            h.append(String.format(Locale.ROOT, " %11s", "mem node" + n));
        }
        out.println(h);
        for (Row r : rows) {
            ExCacheStats s = r.stats();
            StringBuilder line = new StringBuilder(String.format(Locale.ROOT, "%-22s %9s %6.2fs %7.2fx %10d %9d %10d %9d %8d %10d",
                    r.label(), mib(r.excacheBytes()), r.seconds(), r.seconds() / base, s.hits(), s.misses(), s.zeroFills(),
                    s.evictions(), s.flushes(), s.piggybacks()));
            for (long b : r.peakBytes()) {
                line.append(String.format(Locale.ROOT, " %11s", mib(b)));
            }
            out.println(line);
        }
        out.println("(mem node N: peak bytes of this process's pages stored on that memory component during the run)");
    }

    private static String mib(long bytes) {
        return String.format(Locale.ROOT, "%.1fMiB", bytes / 1048576.0);
    }

    private static double secs(long nanos) {
        return nanos / 1e9;
    }
}
