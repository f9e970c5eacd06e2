package org.legoos.cli;

import java.util.concurrent.Callable;
import org.legoos.node.demo.WordCountDemo;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code lego demo}: the main job on the embedded default (a LocalCluster in this JVM). */
@Command(name = "demo", mixinStandardHelpOptions = true,
        description = {"Runs Phoenix word count on a LocalCluster (1 manager, 1 processor, 2 memory, 1 storage component):",
                "once with the ExCache larger than the working set, once at 25%% of it, checked against a plain-Java count.",
                "Exits 1 if a result is wrong."})
final class DemoCommand implements Callable<Integer> {
    @Option(names = "--corpus-mb", description = "Size of the generated text corpus in MiB (default: ${DEFAULT-VALUE}).", defaultValue = "32")
    int corpusMb;

    @Option(names = "--seed", description = "Corpus seed (default: ${DEFAULT-VALUE}).", defaultValue = "42")
    long seed;

    @Option(names = "--threads", description = "Word-count map threads (default: ${DEFAULT-VALUE}).", defaultValue = "2")
    int threads;

    @Option(names = "--cache-fraction", description = "Small run's ExCache as a fraction of the working set (default: ${DEFAULT-VALUE}).",
            defaultValue = "0.25")
    double cacheFraction;

    @Option(names = "--vregion-mb", description = "vRegion size in MiB, small so the address space spreads over both memory components (default: ${DEFAULT-VALUE}).",
            defaultValue = "8")
    int vregionMb;

    @Option(names = "--mode", paramLabel = "MODE", description = "How the processor runs the word count: process (its own "
            + "JVM, memory through userfaultfd), thread (a thread of the processor's JVM) or auto (process where the host "
            + "supports it; default).", defaultValue = "auto", converter = ProcessorModeConverter.class)
    org.legoos.api.ProcessorMode mode;

    @Option(names = "--input", paramLabel = "WHERE", description = "Where word count reads its text: memory (copied into "
            + "disaggregated memory first, as Phoenix maps its input and the paper measured it; default) or file (read through "
            + "the vNode's file system: the working set is the hash tables alone, accessed at random).",
            defaultValue = "memory")
    WordCountDemo.Input input;

    @Override
    public Integer call() throws Exception {
        if (corpusMb < 1 || corpusMb > 4096) {
            throw new IllegalArgumentException("--corpus-mb must be in [1, 4096], got " + corpusMb);
        }
        if (threads < 1 || threads > 64) {
            throw new IllegalArgumentException("--threads must be in [1, 64], got " + threads);
        }
        if (!(cacheFraction > 0 && cacheFraction < 1)) {
            throw new IllegalArgumentException("--cache-fraction must be in (0, 1), got " + cacheFraction);
        }
        if (vregionMb < 1 || Integer.bitCount(vregionMb) != 1) {
            throw new IllegalArgumentException("--vregion-mb must be a power of two, got " + vregionMb);
        }
        return new WordCountDemo(System.out, new WordCountDemo.Options((long) corpusMb << 20, seed, threads, cacheFraction,
                (long) vregionMb << 20, mode, input)).run();
    }
}
