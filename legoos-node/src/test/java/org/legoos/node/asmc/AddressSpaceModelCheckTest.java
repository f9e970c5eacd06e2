package org.legoos.node.asmc;

import static org.assertj.core.api.Assertions.fail;

import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.legoos.api.ProcessorMode;
import org.legoos.node.LocalCluster;
import org.legoos.node.cluster.ClusterClient;
import org.legoos.node.cluster.TcpCluster;
import org.legoos.node.config.LegoConfig;
import org.legoos.processor.excache.ExCacheConfig;

/**
 * Model check of the whole program-visible {@link org.legoos.api.AddressSpace} (issue 8): random programs of VM
 * calls, loads, stores and bulk copies, file mappings (shared and private, read back through the file system during
 * the run and after exit), from 1 to 8 threads, run as LegoOS/J processes against a reference model
 * ({@link AsCheckProgram}), on a cluster with a tiny ExCache (16 lines), 3 memory components and 64 KiB vRegions,
 * with every eviction policy, prefetch on and off, and over TCP.
 *
 * <p>Each run prints its seed; {@code -Dlegoos.seed=N} replays it. A failure is shrunk (delta debugging) and the
 * shortest failing program is printed step by step. {@code -Dlegoos.soak=MINUTES} keeps generating programs for
 * that long per configuration.
 */
@Timeout(value = 15, unit = TimeUnit.MINUTES)
class AddressSpaceModelCheckTest {
    /** How a run is shaped: threads, steps per thread, what to generate. */
    record Plan(int threads, int steps, AsGenerator.Features features) {
    }

    /**
     * The CI plans per configuration: one long single-threaded program, then 4 and 8 threads at once, then 2 threads
     * busy with file mappings.
     */
    static List<Plan> plans() {
        return List.of(new Plan(1, 700, AsGenerator.Features.all()), new Plan(4, 220, AsGenerator.Features.all()),
                new Plan(8, 90, AsGenerator.Features.all()), new Plan(2, 250, AsGenerator.Features.busyWithFiles()));
    }

    /** Every policy with prefetch off and on; {@code -Dlegoos.asmc.configs=FIFO:0,CLOCK:16} picks some. */
    static Stream<Arguments> configurations() {
        String only = System.getProperty("legoos.asmc.configs", "");
        return Stream.of(ExCacheConfig.Policy.values())
                .flatMap(p -> Stream.of(Arguments.of(p, 0), Arguments.of(p, ExCacheConfig.DEFAULT_PREFETCH_PAGES)))
                .filter(a -> only.isBlank() || List.of(only.split(",")).contains(a.get()[0] + ":" + a.get()[1]));
    }

    @ParameterizedTest(name = "{0}, prefetch {1}")
    @MethodSource("configurations")
    void programsSeeTheModelsMemory(ExCacheConfig.Policy policy, int prefetch) throws Exception {
        try (LocalCluster cluster = AsHarness.startLocal(AsHarness.tinyCache(16, policy, prefetch))) {
            check(AsHarness.launcher(cluster.processes(), cluster.files(AsHarness.VNODE), Duration.ofMinutes(3)), policy + ", prefetch " + prefetch, plans());
        }
    }

    /**
     * Threads that mremap while others mmap: a moving or shrinking mremap once dropped, after the home freed the old
     * range, the mirror entry and lines of another thread's new mapping there (found by this check, fixed by
     * serialising a process's VM calls on the processor).
     */
    @Test
    void concurrentMremapsAndMmaps() throws Exception {
        try (LocalCluster cluster = AsHarness.startLocal(AsHarness.tinyCache(16, ExCacheConfig.Policy.FIFO, 16))) {
            check(AsHarness.launcher(cluster.processes(), cluster.files(AsHarness.VNODE), Duration.ofMinutes(3)), "FIFO, prefetch 16, with mremap",
                    List.of(new Plan(4, 220, AsGenerator.Features.all()), new Plan(8, 90, AsGenerator.Features.all())));
        }
    }

    /**
     * Process mode: the program's loads and stores are hardware accesses of its own JVM, its misses userfaultfd faults
     * the processor serves ({@code FaultExCache}). Word count lost words here once, because the fault cache did not
     * settle the backend's deferred write-backs of a range it dropped: the next mapping of the same addresses read the
     * old contents. A load or store of a page without access ends the process in this mode, so the programs leave
     * those out; VM calls on bad ranges are still checked.
     */
    @Test
    void programsSeeTheModelsMemoryInProcessMode() throws Exception {
        try (LocalCluster cluster = AsHarness.startLocal(AsHarness.tinyCache(16, ExCacheConfig.Policy.FIFO,
                ExCacheConfig.DEFAULT_PREFETCH_PAGES), ProcessorMode.PROCESS)) {
            check(AsHarness.launcher(cluster.processes(), cluster.files(AsHarness.VNODE), Duration.ofMinutes(3), true),
                    "process mode, FIFO, prefetch " + ExCacheConfig.DEFAULT_PREFETCH_PAGES, plans());
        }
    }

    @Test
    void overTcp() throws Exception {
        LegoConfig cfg = LegoConfig.defaults()
                .with("manager.heartbeatTimeout", "30s").with("manager.reportInterval", "200ms")
                .with("manager.joinTimeout", "10s")
                .with("processor.excacheBytes", "64KiB").with("processor.excacheWays", "4").with("processor.cores", "2")
                .with("memory.capacityBytes", "256MiB").with("memory.vregionBytes", "64KiB").with("memory.workers", "2")
                .with("memory.bufferCacheBytes", "4MiB");
        try (TcpCluster cluster = TcpCluster.start(cfg, 1, 3, 1, AsHarness.programs());
             ClusterClient client = cluster.client()) {
            client.createVNode(AsHarness.VNODE, 64L << 30, 64);
            check(AsHarness.launcher(client.processes(), client.files(AsHarness.VNODE), Duration.ofMinutes(3)), "tcp",
                    List.of(new Plan(1, 250, AsGenerator.Features.all()), new Plan(4, 60, AsGenerator.Features.all()),
                            new Plan(2, 100, AsGenerator.Features.busyWithFiles())));
        }
    }

    /** Runs the plans (or, soaking, random plans until the time is up); fails with the shrunk program on a divergence. */
    static void check(AsHarness.Launcher launcher, String config, List<Plan> plans) throws Exception {
        double soak = AsHarness.soakMinutes();
        long until = System.nanoTime() + (long) (soak * 60e9);
        long seed = AsHarness.seed();
        int round = 0;
        do {
            for (int i = 0; i < plans.size(); i++) {
                Plan plan = plans.get(i);
                long runSeed = round == 0 ? seed : AsHarness.seed();
                runOne(launcher, config, plan, runSeed);
            }
            round++;
        } while (soak > 0 && !AsHarness.seedGiven() && System.nanoTime() < until);
    }

    static void runOne(AsHarness.Launcher launcher, String config, Plan plan, long seed) throws Exception {
        long planSeed = seed * 31 + plan.threads() * 7919L + plan.steps();
        AsGenerator gen = new AsGenerator(planSeed, AsHarness.VREGION, plan.threads(), plan.features());
        List<List<AsOp>> program = gen.program(plan.steps());
        String files = gen.files();
        long t0 = System.nanoTime();
        AsHarness.Outcome o = launcher.run(AsHarness.args(program, files));
        String where = String.format("[%s, %d thread(s) x %d steps, seed=%d (replay: -Dlegoos.seed=%d)]", config, plan.threads(),
                plan.steps(), seed, seed);
        System.out.printf("asmc %s %s in %d ms: %s%n", where, o.failed() ? "FAILED" : "ok", (System.nanoTime() - t0) / 1_000_000,
                o.stdout().lines().findFirst().orElse(""));
        if (!o.failed()) {
            return;
        }
        System.out.println("asmc: shrinking " + AsHarness.size(program) + " steps, first divergence:\n" + o.report());
        AsHarness.Shrunk s = AsHarness.shrink(launcher, program, files, o, Duration.ofSeconds(Long.getLong("legoos.shrinkSeconds", 120)));
        String msg = String.format("address-space model check diverged %s%n%s%nshortest failing program (%d steps, %d shrink runs; %s):%n%s",
                where, s.outcome().report(), AsHarness.size(s.program()), s.trials(), files.isEmpty() ? "no files" : files,
                AsHarness.listing(s.program()));
        System.out.println(msg);
        fail(msg);
    }
}
