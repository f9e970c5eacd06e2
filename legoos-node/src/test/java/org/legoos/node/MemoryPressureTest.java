package org.legoos.node;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.legoos.api.AddressSpace;
import org.legoos.api.LegoContext;
import org.legoos.api.LegoProgram;
import org.legoos.api.ProcessorMode;
import org.legoos.manager.ManagerConfig;
import org.legoos.memory.MemoryConfig;
import org.legoos.memory.MemoryMonitor;
import org.legoos.processor.ProcessorConfig;
import org.legoos.processor.client.ProcessClient;
import org.legoos.processor.excache.ExCacheConfig;
import org.legoos.testkit.Await;

/**
 * A cluster with room never says no: a memory component that runs out of frames for pages it owns first gives up the
 * replica copies it keeps for others, then has the process's home move vRegions to a component with room, while the
 * processes run; only a cluster out of memory as a whole fails a process, with a clear error, and nothing else.
 */
@Timeout(180)
class MemoryPressureTest {
    private static final ExCacheConfig TINY = new ExCacheConfig(256 << 10, 8, ExCacheConfig.Policy.FIFO, 7);
    private static final long MIB = 1 << 20;

    /**
     * Maps {@code args[0]} bytes, prints "mapped", waits until the file {@code /go} exists in its vNode, then writes
     * every long of the mapping and reads it all back {@code args[1]} times against the reference model; exits 2 at the
     * first wrong long.
     */
    public static final class Grower implements LegoProgram {
        static long expected(long va, int round) {
            return (va * 0x9E3779B97F4A7C15L + round) ^ 0x5DEECE66DL;
        }

        @Override
        public int main(LegoContext ctx, String[] args) throws Exception {
            long len = Long.parseLong(args[0]);
            int rounds = Integer.parseInt(args[1]);
            AddressSpace m = ctx.memory();
            long base = m.mmap(len);
            ctx.out().println("mapped");
            ctx.out().flush();
            while (!Files.exists(ctx.fileSystem().getPath("/go"))) {
                Thread.sleep(20);
            }
            for (int round = 0; round < rounds; round++) {
                for (long va = base; va < base + len; va += 8) {
                    m.putLong(va, expected(va, round));
                }
                for (long va = base; va < base + len; va += 8) {
                    long got = m.getLong(va);
                    if (got != expected(va, round)) {
                        ctx.err().println("round " + round + ": 0x" + Long.toHexString(va) + " holds " + got
                                + ", expected " + expected(va, round));
                        return 2;
                    }
                }
            }
            ctx.out().println("verified");
            return 0;
        }
    }

    private static LocalCluster.Spec spec(ProcessorMode mode, long firstMemoryBytes) {
        return LocalCluster.Spec.defaults()
                .withCounts(1, 1, 1)
                .withMemory(MemoryConfig.of(firstMemoryBytes).withWorkers(0).withVregionBytes(MIB).withReplicas(2))
                .withProcessor(new ProcessorConfig(2, TINY, 64, 2000).withMode(mode))
                .withManager(ManagerConfig.defaults().withHeartbeatTimeoutMillis(60_000).withTickPeriodMillis(100));
    }

    /**
     * Two processes map 8 MiB each before either writes, the GMM spreading their 1 MiB vRegions over a 5 MiB and a
     * 16 MiB memory component by what each has free then (the small one takes about half); once both write, the small
     * one fills up: it drops the replica copies it keeps for the big one, then its vRegions move to the big one. Both
     * processes finish with every long as written.
     */
    @ParameterizedTest
    @EnumSource(value = ProcessorMode.class, names = {"PROCESS", "THREAD"})
    void vRegionsMoveOffAFullMemoryComponentWhileTheProcessesRun(ProcessorMode mode) throws Exception {
        try (LocalCluster c = LocalCluster.start(spec(mode, 5 * MIB), Map.of("grower", Grower.class))) {
            c.addMemory(MemoryConfig.of(16 * MIB).withWorkers(0).withVregionBytes(MIB).withReplicas(2));
            Await.until("the second memory component serves", Duration.ofSeconds(20),
                    () -> c.manager().members().stream().filter(m -> m.resources().memoryCapacityBytes() == 16 * MIB)
                            .anyMatch(m -> m.state() == org.legoos.api.ComponentState.ALIVE));
            c.createVNode("v");
            List<ProcessClient.Running> runs = new ArrayList<>();
            List<ByteArrayOutputStream> outs = new ArrayList<>();
            List<ByteArrayOutputStream> errs = new ArrayList<>();
            for (int i = 0; i < 2; i++) {
                ByteArrayOutputStream out = new ByteArrayOutputStream();
                ByteArrayOutputStream err = new ByteArrayOutputStream();
                ProcessClient.Running p = c.processes().start("v", "grower", List.of(String.valueOf(8 * MIB), "2"), out, err);
                Await.until("mapped", Duration.ofSeconds(30),
                        () -> out.toString(StandardCharsets.UTF_8).contains("mapped") || p.onExit().isDone());
                runs.add(p);
                outs.add(out);
                errs.add(err);
                Thread.sleep(600); // a status report: the GMM's count of what it granted since starts again
            }
            MemoryMonitor small = c.memories().get(0);
            c.files("v").create("/go", false);
            for (int i = 0; i < runs.size(); i++) {
                assertThat(runs.get(i).waitFor(Duration.ofSeconds(120))).as(errs.get(i).toString(StandardCharsets.UTF_8))
                        .isZero();
                assertThat(outs.get(i).toString(StandardCharsets.UTF_8)).contains("verified");
            }
            long relocations = c.memories().stream().mapToLong(m -> m.stats().relocations()).sum();
            assertThat(relocations).as("vRegions moved off the full component").isPositive();
            assertThat(small.stats().pagesUsed()).isLessThanOrEqualTo(5 * MIB / AddressSpace.PAGE_SIZE);
        }
    }

    /**
     * A process needing more memory than the whole cluster has fails with NO_MEMORY saying so; a process started
     * after it runs to the end.
     */
    @Test
    void onlyACLusterOutOfMemoryFailsAProcessAndNothingElse() throws Exception {
        try (LocalCluster c = LocalCluster.start(spec(ProcessorMode.PROCESS, 4 * MIB), Map.of("grower", Grower.class))) {
            c.addMemory(MemoryConfig.of(4 * MIB).withWorkers(0).withVregionBytes(MIB).withReplicas(2));
            Await.until("two memory components serve", Duration.ofSeconds(20), () -> c.manager().members().stream()
                    .filter(m -> m.role() == org.legoos.api.ComponentRole.MEMORY
                            && m.state() == org.legoos.api.ComponentState.ALIVE).count() == 2);
            c.createVNode("v");
            c.files("v").create("/go", false);
            LocalCluster.RunResult big = c.run("v", "grower", String.valueOf(12 * MIB), "1");
            assertThat(big.exitCode()).as(big.stdout()).isNotZero();
            assertThat(big.stderr() + big.error()).contains("no room").contains("the cluster is out of memory");
            LocalCluster.RunResult next = c.run("v", "grower", String.valueOf(2 * MIB), "2");
            assertThat(next.exitCode()).as(next.stderr() + next.error()).isZero();
            assertThat(next.stdout()).contains("verified");
        }
    }
}
