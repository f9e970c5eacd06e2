package org.legoos.node.asmc;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.legoos.api.LegoProgram;
import org.legoos.memory.MemoryConfig;
import org.legoos.node.LocalCluster;
import org.legoos.api.ProcessorMode;
import org.legoos.processor.ProcessorConfig;
import org.legoos.processor.client.ProcessClient;
import org.legoos.task.fs.FileService;
import org.legoos.processor.excache.ExCacheConfig;

/**
 * Runs generated programs as LegoOS/J processes and shrinks failing ones: delta debugging over threads and
 * steps while the program still fails with the same signature (step kind and kind of divergence).
 */
final class AsHarness {
    /** 64 KiB vRegions: a mapping of a few dozen pages spans several, owned round robin by 3 memory components. */
    static final long VREGION = 64 << 10;
    static final String VNODE = "asmc";
    private static final Pattern SIG = Pattern.compile("DIVERGENCE thread=(\\d+) op=(\\d+) sig=(\\S+)");

    static Map<String, Class<? extends LegoProgram>> programs() {
        return Map.of("ascheck", AsCheckProgram.class, "aschild", AsCheckProgram.Child.class);
    }

    /** A tiny ExCache: {@code lines} 4 KiB lines in sets of 4 ways. */
    static ExCacheConfig tinyCache(int lines, ExCacheConfig.Policy policy, int prefetchPages) {
        return new ExCacheConfig((long) lines * 4096, 4, policy, 42, prefetchPages, true);
    }

    /** 1 processor with a tiny ExCache, 3 memory components with 64 KiB vRegions, 1 storage component. */
    static LocalCluster startLocal(ExCacheConfig cache) {
        return startLocal(cache, ProcessorMode.THREAD);
    }

    /** As above, the processor in {@code mode}. */
    static LocalCluster startLocal(ExCacheConfig cache, ProcessorMode mode) {
        LocalCluster c = LocalCluster.start(LocalCluster.Spec.defaults()
                .withCounts(1, 3, 1)
                .withMemory(MemoryConfig.of(512L << 20).withVregionBytes(VREGION).withWorkers(0))
                .withProcessor(new ProcessorConfig(2, cache, 256, 2000, mode, 128L << 20)), programs());
        c.createVNode(VNODE, 64L << 30, 64);
        return c;
    }

    /** The outcome of one run. */
    record Outcome(int exit, String stdout, String stderr, String error) {
        boolean failed() {
            return exit != 0;
        }

        /** What kind of failure: the divergence signature, or the exit code if there is none. */
        String sig() {
            Matcher m = SIG.matcher(stdout);
            if (m.find()) {
                return m.group(3);
            }
            return exit == 0 ? "ok" : "exit:" + exit + (error.isEmpty() ? "" : ":" + error.split("[:\n]")[0]);
        }

        int failingThread() {
            Matcher m = SIG.matcher(stdout);
            return m.find() ? Integer.parseInt(m.group(1)) : -1;
        }

        int failingOp() {
            Matcher m = SIG.matcher(stdout);
            return m.find() ? Integer.parseInt(m.group(2)) : -1;
        }

        String report() {
            return "exit " + exit + (error.isEmpty() ? "" : " (" + error + ")") + "\n" + stdout
                    + (stderr.isBlank() ? "" : "stderr:\n" + stderr);
        }
    }

    /** Something that runs a program with arguments and waits for it. */
    interface Launcher {
        Outcome run(String[] args) throws InterruptedException;
    }

    /**
     * Runs the program in the checked vNode; once it exited 0, compares the files it mapped with the contents it
     * expects after exit (its model, written to {@code /asmc/fI.exp} and {@code .unk}) through {@code files}.
     */
    static Launcher launcher(ProcessClient processes, FileService files, Duration timeout) {
        return launcher(processes, files, timeout, false);
    }

    /**
     * As above; with {@code faultsFatal} the program is told ({@code faults=fatal} in its header) that an access to
     * memory it may not touch ends the process rather than throwing a catchable {@code SegmentationFault}, as in
     * process mode (a hardware load of a poisoned page), so it leaves out the accesses its model says would fault.
     * VM calls on bad ranges still throw and are still checked.
     */
    static Launcher launcher(ProcessClient processes, FileService files, Duration timeout, boolean faultsFatal) {
        Launcher plain = launcher(processes, timeout);
        Launcher run = faultsFatal ? args -> {
            String[] a = args.clone();
            a[0] = a[0] + " faults=fatal";
            return plain.run(a);
        } : plain;
        return args -> {
            Outcome o = run.run(args);
            if (o.failed() || files == null) {
                return o;
            }
            String diff;
            try {
                diff = compareFiles(files, args[0]);
            } catch (java.io.IOException e) {
                diff = "0 reading the files after exit: " + e;
            }
            if (diff == null) {
                return o;
            }
            int space = diff.indexOf(' ');
            return new Outcome(6, o.stdout() + "DIVERGENCE thread=" + diff.substring(0, space) + " op=" + EXIT_OP
                    + " sig=exit/file\n  step: process exit\n  " + diff.substring(space + 1) + "\n", o.stderr(), o.error());
        };
    }

    /** The op index a divergence found after exit is reported at (past every step). */
    static final int EXIT_OP = 1_000_000;

    /** Null if every file is as its model expects after exit, else "THREAD message" (the thread the file belongs to). */
    static String compareFiles(FileService files, String headerText) throws java.io.IOException {
        Map<String, String> header = AsCheckProgram.header(headerText);
        int[] sizes = AsCheckProgram.fileSizes(header);
        int threads = Integer.parseInt(header.getOrDefault("threads", "1"));
        for (int i = 0; i < sizes.length; i++) {
            String path = AsCheckProgram.filePath(i);
            byte[] actual = readAll(files, path);
            byte[] expected = readAll(files, AsCheckProgram.FILE_DIR + "/f" + i + ".exp");
            byte[] unknown = readAll(files, AsCheckProgram.FILE_DIR + "/f" + i + ".unk");
            int owner = threads == 1 || i < 2 ? 0 : (i - 2) / 2;
            if (expected.length != sizes[i] || unknown.length != sizes[i]) {
                return owner + " the expectations for " + path + " have " + expected.length + "/" + unknown.length
                        + " bytes, the file was made with " + sizes[i];
            }
            if (actual.length != expected.length) {
                return owner + " after exit " + path + " has " + actual.length + " bytes, expected " + expected.length;
            }
            for (int k = 0; k < actual.length; k++) {
                if (unknown[k] == 0 && actual[k] != expected[k]) {
                    return owner + String.format(" after exit %s: byte %d (page %d + %d): expected 0x%02x, actual 0x%02x (the "
                            + "stores of the shared mappings still mapped at exit reach the file)", path, k,
                            k / AsCheckProgram.PAGE, k % AsCheckProgram.PAGE, expected[k] & 0xff, actual[k] & 0xff);
                }
            }
        }
        return null;
    }

    static byte[] readAll(FileService files, String path) throws java.io.IOException {
        java.nio.ByteBuffer out = java.nio.ByteBuffer.allocate((int) files.stat(path).size());
        long off = 0;
        while (out.hasRemaining()) {
            int n = files.read(path, off, out);
            if (n <= 0) {
                break;
            }
            off += n;
        }
        return java.util.Arrays.copyOf(out.array(), out.position());
    }

    static Launcher launcher(ProcessClient processes, Duration timeout) {
        return args -> {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            ByteArrayOutputStream err = new ByteArrayOutputStream();
            ProcessClient.Running r = processes.start(VNODE, "ascheck", List.of(args), out, err);
            Integer code = r.waitFor(timeout);
            if (code == null) {
                try {
                    r.kill();
                    r.waitFor(Duration.ofSeconds(10));
                } catch (RuntimeException ignored) {
                    // best effort
                }
                return new Outcome(-1, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8),
                        "timed out after " + timeout.toSeconds() + " s");
            }
            return new Outcome(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8), r.error());
        };
    }

    /** The program's arguments: a header (threads, and the files {@code files} names, see {@link AsGenerator#files()}), then each thread's steps. */
    static String[] args(List<List<AsOp>> program, String files) {
        String[] a = new String[program.size() + 1];
        a[0] = "v1 threads=" + program.size() + (files.isEmpty() ? "" : " " + files);
        for (int t = 0; t < program.size(); t++) {
            a[t + 1] = AsOp.encode(program.get(t));
        }
        return a;
    }

    static String listing(List<List<AsOp>> program) {
        StringBuilder sb = new StringBuilder();
        for (int t = 0; t < program.size(); t++) {
            List<AsOp> ops = program.get(t);
            for (int i = 0; i < ops.size(); i++) {
                sb.append(String.format("  t%d.%-4d %s%n", t, i, ops.get(i)));
            }
        }
        return sb.toString();
    }

    static int size(List<List<AsOp>> program) {
        int n = 0;
        for (List<AsOp> ops : program) {
            n += ops.size();
        }
        return n;
    }

    /** The result of shrinking: the smallest program found that fails the same way, and its outcome. */
    record Shrunk(List<List<AsOp>> program, Outcome outcome, int trials) {
    }

    /**
     * Delta debugging: drops threads, then chunks of steps (halving the chunk size down to single steps), keeping
     * every removal after which the program still fails with signature {@code sig}; within a time budget.
     */
    static Shrunk shrink(Launcher launcher, List<List<AsOp>> program, String files, Outcome failing, Duration budget)
            throws InterruptedException {
        long deadline = System.nanoTime() + budget.toNanos();
        String sig = failing.sig();
        List<List<AsOp>> best = copy(program);
        Outcome bestOutcome = failing;
        int trials = 0;
        // the failing thread needs nothing after its failing step
        int ft = failing.failingThread();
        int fo = failing.failingOp();
        if (ft >= 0 && fo >= 0 && fo < best.get(ft).size()) {
            List<List<AsOp>> cand = copy(best);
            cand.set(ft, new ArrayList<>(cand.get(ft).subList(0, fo + 1)));
            Outcome o = launcher.run(args(cand, files));
            trials++;
            if (sig.equals(o.sig())) {
                best = cand;
                bestOutcome = o;
            }
        }
        // a single thread (the failing one, as thread 0) if the rest do not matter
        if (best.size() > 1 && ft >= 0 && System.nanoTime() < deadline) {
            List<List<AsOp>> cand = new ArrayList<>();
            cand.add(new ArrayList<>(best.get(ft)));
            Outcome o = launcher.run(args(cand, files));
            trials++;
            if (sig.equals(o.sig())) {
                best = cand;
                bestOutcome = o;
            }
        }
        // empty whole threads
        for (int t = 0; t < best.size() && System.nanoTime() < deadline; t++) {
            if (best.get(t).isEmpty()) {
                continue;
            }
            List<List<AsOp>> cand = copy(best);
            cand.set(t, new ArrayList<>());
            Outcome o = launcher.run(args(cand, files));
            trials++;
            if (sig.equals(o.sig())) {
                best = cand;
                bestOutcome = o;
            }
        }
        while (best.size() > 1 && best.getLast().isEmpty()) {
            best.removeLast();
        }
        // ddmin over the steps of each thread
        for (int t = 0; t < best.size(); t++) {
            int chunk = Math.max(1, best.get(t).size() / 2);
            while (chunk >= 1 && System.nanoTime() < deadline) {
                boolean removedAny = false;
                for (int from = 0; from < best.get(t).size() && System.nanoTime() < deadline; ) {
                    List<List<AsOp>> cand = copy(best);
                    List<AsOp> ops = cand.get(t);
                    int to = Math.min(ops.size(), from + chunk);
                    ops.subList(from, to).clear();
                    Outcome o = launcher.run(args(cand, files));
                    trials++;
                    if (sig.equals(o.sig())) {
                        best = cand;
                        bestOutcome = o;
                        removedAny = true;
                    } else {
                        from += chunk;
                    }
                }
                if (!removedAny || chunk == 1) {
                    chunk /= 2;
                }
            }
        }
        return new Shrunk(best, bestOutcome, trials);
    }

    static List<List<AsOp>> copy(List<List<AsOp>> p) {
        List<List<AsOp>> c = new ArrayList<>();
        for (List<AsOp> ops : p) {
            c.add(new ArrayList<>(ops));
        }
        return c;
    }

    /** The seed to use: {@code -Dlegoos.seed} if given, else a fresh one. */
    static long seed() {
        String s = System.getProperty("legoos.seed");
        return s != null && !s.isBlank() ? Long.decode(s.trim()) : new java.util.Random().nextLong() & Long.MAX_VALUE;
    }

    static boolean seedGiven() {
        String s = System.getProperty("legoos.seed");
        return s != null && !s.isBlank();
    }

    /** Soak minutes from {@code -Dlegoos.soak}, 0 if not soaking. */
    static double soakMinutes() {
        String s = System.getProperty("legoos.soak");
        return s == null || s.isBlank() ? 0 : Double.parseDouble(s.trim());
    }
}
