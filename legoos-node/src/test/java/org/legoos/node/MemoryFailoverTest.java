package org.legoos.node;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.legoos.api.AddressSpace;
import org.legoos.api.LegoContext;
import org.legoos.api.LegoProgram;
import org.legoos.manager.ManagerConfig;
import org.legoos.memory.MemoryConfig;
import org.legoos.memory.MemoryMonitor;
import org.legoos.memory.MemoryStats;
import org.legoos.processor.ProcessorConfig;
import org.legoos.api.ProcessorMode;
import org.legoos.processor.excache.ExCacheConfig;
import org.legoos.processor.client.ProcessClient;
import org.legoos.testkit.Await;

/**
 * A memory component holding a running process's pages dies mid-run (crashed: it stops answering and reporting):
 * with replication the manager declares it dead, the process's home moves its vRegions to their replicas, and the
 * process carries on, every page byte for byte what it wrote last, against a reference model.
 */
@Timeout(180)
class MemoryFailoverTest {
    private static final ExCacheConfig TINY = new ExCacheConfig(256 << 10, 8, ExCacheConfig.Policy.FIFO, 7);
    private static final int LONGS_PER_PAGE = AddressSpace.PAGE_SIZE / 8;
    /** Every memory component: two copies of each page, 1 MiB vRegions so a few MiB spread over all of them. */
    private static final MemoryConfig MEMORY = MemoryConfig.of(256L << 20).withWorkers(0).withVregionBytes(1 << 20)
            .withReplicas(2);

    /** One processor in {@code mode} with a tiny ExCache, {@code memories} memory components, a 1.5 s heartbeat timeout. */
    private static LocalCluster.Spec spec(int memories, ProcessorMode mode) {
        return LocalCluster.Spec.defaults()
                .withCounts(1, memories, 1)
                .withMemory(MEMORY)
                .withProcessor(new ProcessorConfig(2, TINY, 64, 2000).withMode(mode))
                .withManager(ManagerConfig.defaults().withHeartbeatTimeoutMillis(1_500).withTickPeriodMillis(100));
    }

    /** Waits until the program printed another round (or ended). */
    private static void roundAfter(ByteArrayOutputStream out, ProcessClient.Running p) {
        int rounds = out.toString(StandardCharsets.UTF_8).split("\n").length;
        Await.until("another round", Duration.ofSeconds(60),
                () -> out.toString(StandardCharsets.UTF_8).split("\n").length > rounds || p.onExit().isDone());
    }

    /** Starts {@link Survivor} with {@code args} in a new vNode "v" and waits until its round 1 (or its end). */
    private static ProcessClient.Running startSurvivor(LocalCluster c, ByteArrayOutputStream out, ByteArrayOutputStream err,
                                                       String... args) throws Exception {
        return startSurvivor(c, null, out, err, args);
    }

    /** {@link #startSurvivor} with {@code stdin} as its standard input (for {@code eof}). */
    private static ProcessClient.Running startSurvivor(LocalCluster c, java.io.InputStream stdin, ByteArrayOutputStream out,
                                                       ByteArrayOutputStream err, String... args) throws Exception {
        c.createVNode("v");
        ProcessClient.Running p = c.processes().start("v", "survivor", List.of(args), stdin, out, err);
        Await.until("round 1", Duration.ofSeconds(60),
                () -> out.toString(StandardCharsets.UTF_8).contains("round 1\n") || p.onExit().isDone());
        return p;
    }

    /**
     * Writes every long of {@code bytes} of fresh memory in rounds: each round first checks that every long still
     * holds what the previous round wrote (the reference model: a function of page, round and index), then writes
     * this round's values. Prints "round N" after each; exits 2 at the first wrong long. Arguments: bytes, rounds,
     * and optionally seconds to go on for (or {@code eof}: until its stdin ends) and {@code mremap}: then after each round the mapping grows by 1 MiB (new
     * vRegions, placed by the GMM; it may move) and shrinks back, so failures meet mremap's copies between owners; or
     * {@code munmap}: the program unmaps its memory before it ends (a VM call the home forwards to every owner).
     */
    public static final class Survivor implements LegoProgram {
        static long expected(long page, int round, int i) {
            return ((page * 1_000_003L + round) * 65_537L + i) ^ 0x5DEECE66DL;
        }

        @Override
        public int main(LegoContext ctx, String[] args) {
            long len = Long.parseLong(args[0]);
            int rounds = Integer.parseInt(args[1]);
            // "eof": on until the test closes the program's stdin (it goes on through every failure the test makes)
            java.util.concurrent.atomic.AtomicBoolean stop = new java.util.concurrent.atomic.AtomicBoolean();
            boolean untilEof = args.length > 2 && args[2].equals("eof");
            if (untilEof) {
                Thread reader = new Thread(() -> {
                    try {
                        ctx.in().readAllBytes();
                    } catch (java.io.IOException e) {
                        // the stream broke: stop as at its end
                    }
                    stop.set(true);
                }, "stdin");
                reader.setDaemon(true);
                reader.start();
            }
            long until = args.length > 2 && !untilEof ? System.nanoTime() + Long.parseLong(args[2]) * 1_000_000_000L : 0;
            boolean remap = args.length > 3 && args[3].equals("mremap");
            boolean unmap = args.length > 3 && args[3].equals("munmap");
            AddressSpace m = ctx.memory();
            long va = m.mmap(len);
            long pages = len / AddressSpace.PAGE_SIZE;
            for (int round = 0; round < rounds || (untilEof ? !stop.get() : System.nanoTime() - until < 0); round++) {
                for (long p = 0; p < pages; p++) {
                    long base = va + p * AddressSpace.PAGE_SIZE;
                    for (int i = 0; i < LONGS_PER_PAGE; i++) {
                        if (round > 0) {
                            long got = m.getLong(base + i * 8L);
                            long want = expected(p, round - 1, i);
                            if (got != want) {
                                ctx.err().println("round " + round + ": page " + p + " long " + i + " holds " + got
                                        + ", expected " + want);
                                return 2;
                            }
                        }
                        m.putLong(base + i * 8L, expected(p, round, i));
                    }
                }
                if (remap) {
                    va = m.mremap(va, len, len + (1 << 20), true);
                    va = m.mremap(va, len + (1 << 20), len, false);
                }
                ctx.out().println("round " + round);
                ctx.out().flush();
            }
            if (unmap) {
                m.munmap(va, len);
            }
            return 0;
        }
    }

    /** Which memory component dies. */
    enum Victim {
        /** One that owns some of the process's vRegions and is not its home. */
        OWNER,
        /** The process's home (it owns some vRegions too, as the GMM places them round robin). */
        HOME
    }

    /**
     * Two memory components: one dies, the survivor runs without replicas; a third joins and gets replicas of
     * everything (re-replication); then the survivor, the process's home, dies too, and the process still carries on
     * with every page intact, now served by the component that joined.
     */
    @org.junit.jupiter.api.Test
    void redundancyIsRestoredWhenAComponentJoinsSoASecondFailureLosesNothing() throws Exception {
        try (LocalCluster c = LocalCluster.start(spec(2, ProcessorMode.PROCESS), Map.of("survivor", Survivor.class))) {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            ByteArrayOutputStream err = new ByteArrayOutputStream();
            java.io.PipedOutputStream stop = new java.io.PipedOutputStream();
            ProcessClient.Running p = startSurvivor(c, new java.io.PipedInputStream(stop), out, err,
                    String.valueOf(4L << 20), "2", "eof");
            List<MemoryMonitor> mems = c.memories();
            int home = mems.get(0).stats().homeSpaces() > 0 ? 0 : 1;
            MemoryMonitor survivor = mems.get(home);
            c.crashMemory(1 - home);
            Await.until("the survivor owns everything", Duration.ofSeconds(30),
                    () -> survivor.stats().failovers() > 0 || p.onExit().isDone());
            assertThat(survivor.stats().spacesWithoutReplica()).as("nowhere to replicate to").isEqualTo(1);

            MemoryMonitor joined = c.addMemory(MEMORY);
            // complete: every page the survivor holds is on the new component, and the home's metadata too
            Await.until("the survivor's pages are replicated onto the new component", Duration.ofSeconds(30), () -> {
                MemoryStats s = survivor.stats();
                long held = s.storedBytesPerSpace().values().stream().mapToLong(Long::longValue).sum();
                return s.spacesWithoutReplica() == 0 && joined.stats().replicaBytes() >= held && held > 0
                        && joined.stats().homeCopyBytes() > 0 && s.replicasRestored() > 0 || p.onExit().isDone();
            });
            assertThat(p.onExit().isDone()).as("ended early: " + err).isFalse();
            String before = out.toString(StandardCharsets.UTF_8);
            c.crashMemory(home); // the home, and the only other copy
            Await.until("two rounds after the second failure", Duration.ofSeconds(60), () -> out.toString(
                    StandardCharsets.UTF_8).split("\n").length > before.split("\n").length + 1 || p.onExit().isDone());
            stop.close();
            assertThat(p.waitFor(Duration.ofSeconds(120))).as(err.toString(StandardCharsets.UTF_8)).isZero();
            assertThat(out.toString(StandardCharsets.UTF_8).split("\n").length).as("rounds after the second failure")
                    .isGreaterThan(before.split("\n").length + 1);
            assertThat(joined.stats().homesAdopted()).isEqualTo(1);
        }
    }

    /**
     * The process's home dies and its replica adopts the process, telling the manager (GM_HOME_MOVED); then the
     * process's processor crashes. The manager releases the process as lost and must free its memory where its home is
     * now, not at the dead home it once placed: else the survivor holds the lost process's pages for good.
     */
    @org.junit.jupiter.api.Test
    void aProcessLostWithItsProcessorAfterItsHomeMovedLeavesNoPagesBehind() throws Exception {
        try (LocalCluster c = LocalCluster.start(spec(2, ProcessorMode.THREAD), Map.of("survivor", Survivor.class))) {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            ByteArrayOutputStream err = new ByteArrayOutputStream();
            ProcessClient.Running p = startSurvivor(c, out, err, String.valueOf(4L << 20), "2", "60");
            List<MemoryMonitor> mems = c.memories();
            int home = mems.get(0).stats().homeSpaces() > 0 ? 0 : 1;
            MemoryMonitor survivor = mems.get(1 - home);
            c.crashMemory(home);
            Await.until("the survivor adopted the process", Duration.ofSeconds(30),
                    () -> survivor.stats().homesAdopted() == 1 || p.onExit().isDone());
            int rounds = out.toString(StandardCharsets.UTF_8).split("\n").length;
            Await.until("a round after the failover", Duration.ofSeconds(30),
                    () -> out.toString(StandardCharsets.UTF_8).split("\n").length > rounds || p.onExit().isDone());
            assertThat(p.onExit().isDone()).as("ended early: " + err).isFalse();
            assertThat(survivor.stats().ownedSpaces()).isEqualTo(1);
            Await.until("the manager knows the new home", () -> c.manager().homeOf(p.pid()) == survivor.nodeId());

            c.crashProcessor(0);
            Await.until("the lost process's memory is freed on its adoptive home", Duration.ofSeconds(30), () -> {
                MemoryStats s = survivor.stats();
                return s.homeSpaces() == 0 && s.ownedSpaces() == 0 && s.usedBytes() == 0;
            });
        }
    }

    /**
     * The process's home is cut off from the manager (a partition: the processor and the other memory components
     * still reach it). The manager declares it dead and its home replica adopts the process, while the old home goes
     * on serving the processor's VM calls as the home it no longer is: the owners refuse its changes (SUPERSEDED),
     * and the processor must find the new home and go on, never fail the program. Once the link heals, the old home
     * drops what it held; the process ends with every page intact and its exit frees its memory everywhere.
     */
    @ParameterizedTest
    @org.junit.jupiter.params.provider.EnumSource(value = ProcessorMode.class, names = {"PROCESS", "THREAD"})
    void aHomeCutOffFromTheManagerIsSupersededAndTheProcessorFindsTheNewHome(ProcessorMode mode) throws Exception {
        try (LocalCluster c = LocalCluster.start(spec(3, mode), Map.of("survivor", Survivor.class))) {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            ByteArrayOutputStream err = new ByteArrayOutputStream();
            java.io.PipedOutputStream stop = new java.io.PipedOutputStream();
            ProcessClient.Running p = startSurvivor(c, new java.io.PipedInputStream(stop), out, err,
                    String.valueOf(4L << 20), "4", "eof", "munmap");
            List<MemoryMonitor> mems = c.memories();
            MemoryMonitor oldHome = mems.stream().filter(m -> m.stats().homeSpaces() > 0).findFirst().orElseThrow();
            c.cutFromManager(oldHome.nodeId(), true);
            Await.until("the home replica adopted the process", Duration.ofSeconds(30), () -> p.onExit().isDone()
                    || mems.stream().filter(m -> m != oldHome).mapToLong(m -> m.stats().homesAdopted()).sum() == 1);
            int rounds = out.toString(StandardCharsets.UTF_8).split("\n").length;
            Await.until("two rounds after the failover", Duration.ofSeconds(60),
                    () -> out.toString(StandardCharsets.UTF_8).split("\n").length > rounds + 1 || p.onExit().isDone());
            c.cutFromManager(oldHome.nodeId(), false);
            roundAfter(out, p);
            stop.close();

            assertThat(p.waitFor(Duration.ofSeconds(120))).as(err.toString(StandardCharsets.UTF_8)).isZero();
            assertThat(out.toString(StandardCharsets.UTF_8).split("\n").length).isGreaterThan(rounds + 1);
            Await.until("the process left no page on any memory component", Duration.ofSeconds(30), () -> mems.stream()
                    .map(MemoryMonitor::stats).allMatch(s -> s.homeSpaces() == 0 && s.ownedSpaces() == 0
                            && s.usedBytes() == 0));
        }
    }

    /**
     * The process's home dies, and its home replica adopts the process, but its {@code M2M_SET_HOME} does not reach
     * one owner of the process's vRegions (a broken link, healed later). That owner still takes the process's changes
     * from the dead home only: it refuses the new home's (SUPERSEDED) until the new home tells it again, with its
     * epoch. The program's last {@code munmap}, which the home forwards to every owner, must succeed.
     */
    @org.junit.jupiter.api.Test
    void anOwnerTheNewHomesWordMissedIsToldAgainWhenItRefusesAChange() throws Exception {
        try (LocalCluster c = LocalCluster.start(spec(3, ProcessorMode.THREAD), Map.of("survivor", Survivor.class))) {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            ByteArrayOutputStream err = new ByteArrayOutputStream();
            java.io.PipedOutputStream stop = new java.io.PipedOutputStream();
            ProcessClient.Running p = startSurvivor(c, new java.io.PipedInputStream(stop), out, err,
                    String.valueOf(4L << 20), "4", "eof", "munmap");
            List<MemoryMonitor> mems = c.memories();
            MemoryMonitor home = mems.stream().filter(m -> m.stats().homeSpaces() > 0).findFirst().orElseThrow();
            Await.until("the home has a replica", Duration.ofSeconds(30),
                    () -> mems.stream().anyMatch(m -> m.stats().homeCopyBytes() > 0));
            MemoryMonitor heir = mems.stream().filter(m -> m.stats().homeCopyBytes() > 0).findFirst().orElseThrow();
            MemoryMonitor owner = mems.stream().filter(m -> m != home && m != heir).findFirst().orElseThrow();
            assertThat(owner.stats().ownedSpaces()).as("the third component owns vRegions of the process").isEqualTo(1);

            c.dropFrames(heir.nodeId(), owner.nodeId(), true);
            c.crashMemory(mems.indexOf(home));
            // until the adoption is complete (the process is homed there), not merely begun: a call the heir sends into
            // the broken link after the last reset would wait out its timeout (30 s) once the link heals
            Await.until("the home replica adopted the process", Duration.ofSeconds(60), () -> {
                c.resetCalls(heir.nodeId(), owner.nodeId()); // its SET_HOME fails now, not at the call timeout
                c.resetCalls(owner.nodeId(), heir.nodeId()); // and the owner's calls whose answers the link lost
                return heir.stats().homeSpaces() == 1 || p.onExit().isDone();
            });
            assertThat(heir.stats().homesAdopted()).isEqualTo(1);
            c.dropFrames(heir.nodeId(), owner.nodeId(), false);
            // the link is back as a new connection: calls whose frames it lost (requests one way, answers the other)
            // fail now and are tried again, rather than each waiting out its 30 s timeout
            c.resetCalls(heir.nodeId(), owner.nodeId());
            c.resetCalls(owner.nodeId(), heir.nodeId());
            roundAfter(out, p);
            stop.close();

            assertThat(p.waitFor(Duration.ofSeconds(120))).as(err.toString(StandardCharsets.UTF_8)).isZero();
            assertThat(out.toString(StandardCharsets.UTF_8)).contains("round 3");
            Await.until("the process left no page on any memory component", Duration.ofSeconds(30), () -> mems.stream()
                    .filter(m -> m != home).map(MemoryMonitor::stats)
                    .allMatch(s -> s.homeSpaces() == 0 && s.ownedSpaces() == 0 && s.usedBytes() == 0));
        }
    }

    @ParameterizedTest
    @CsvSource({"PROCESS, OWNER, false", "THREAD, OWNER, false", "PROCESS, HOME, false", "THREAD, HOME, false",
            "PROCESS, OWNER, true"})
    void aProcessOutlivesTheMemoryComponentHoldingItsPages(ProcessorMode mode, Victim which, boolean mremap) throws Exception {
        try (LocalCluster c = LocalCluster.start(spec(3, mode), Map.of("survivor", Survivor.class))) {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            ByteArrayOutputStream err = new ByteArrayOutputStream();
            int rounds = 12;
            ProcessClient.Running p = mremap
                    ? startSurvivor(c, out, err, String.valueOf(8L << 20), String.valueOf(rounds), "0", "mremap")
                    : startSurvivor(c, out, err, String.valueOf(8L << 20), String.valueOf(rounds));
            assertThat(p.onExit().isDone()).as("ended before the crash: " + err).isFalse();

            // the program uses no file: the vNode's file cache may die too
            List<MemoryMonitor> mems = c.memories();
            int victim = -1;
            for (int i = 0; i < mems.size(); i++) {
                MemoryStats s = mems.get(i).stats();
                if (which == Victim.HOME ? s.homeSpaces() > 0 : s.homeSpaces() == 0 && s.ownedSpaces() > 0) {
                    victim = i;
                    break;
                }
            }
            assertThat(victim).as("a memory component to crash").isNotNegative();
            int victimNode = mems.get(victim).nodeId();
            c.crashMemory(victim);

            assertThat(p.waitFor(Duration.ofSeconds(120))).as(err.toString(StandardCharsets.UTF_8)).isZero();
            assertThat(out.toString(StandardCharsets.UTF_8)).contains("round " + (rounds - 1));
            long promotions = 0;
            long failovers = 0;
            for (MemoryMonitor m : mems) {
                if (m.nodeId() != victimNode) {
                    promotions += m.stats().promotions();
                    failovers += m.stats().failovers();
                }
            }
            assertThat(promotions).as("a replica took over").isPositive();
            assertThat(failovers).as("the home moved the vRegions").isPositive();
            if (which == Victim.HOME) {
                assertThat(mems.stream().filter(m -> m.nodeId() != victimNode).mapToLong(m -> m.stats().homesAdopted())
                        .sum()).as("the home replica took over").isEqualTo(1);
            }
        }
    }

    /**
     * An owner that hangs (nothing it sends arrives, nothing sent to it is answered, no connection breaks): the
     * manager declares it dead at the heartbeat timeout and tells the processor (GM_MEMORY_FAILED), whose calls to it
     * then fail at once, as from a refused connection, while its replica takes over. Without that word each access
     * in flight there, and each one sent before the home's owner map changed, waits out the whole call timeout
     * (RpcNode's default, 30 s), longer than this test waits for the program.
     */
    @ParameterizedTest
    @org.junit.jupiter.params.provider.EnumSource(value = ProcessorMode.class, names = {"THREAD", "PROCESS"})
    void aProcessOutlivesAnOwnerThatHangsWithinItsHeartbeatTimeoutNotACallTimeout(ProcessorMode mode) throws Exception {
        try (LocalCluster c = LocalCluster.start(spec(3, mode), Map.of("survivor", Survivor.class))) {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            ByteArrayOutputStream err = new ByteArrayOutputStream();
            java.io.PipedOutputStream stop = new java.io.PipedOutputStream();
            // on until the test closes its stdin: the program goes on through the hang
            ProcessClient.Running p = startSurvivor(c, new java.io.PipedInputStream(stop), out, err,
                    String.valueOf(8L << 20), "2", "eof");
            List<MemoryMonitor> mems = c.memories();
            MemoryMonitor victim = mems.stream().filter(m -> m.stats().homeSpaces() == 0 && m.stats().ownedSpaces() > 0)
                    .findFirst().orElseThrow(() -> new AssertionError("no owner that is not the home"));
            c.hang(victim.nodeId(), true);
            long t0 = System.nanoTime();
            roundAfter(out, p);
            roundAfter(out, p); // a whole round after the hang: every page read and written again, some at the replica
            long waited = (System.nanoTime() - t0) / 1_000_000;
            assertThat(p.onExit().isDone()).as("the program ended: " + err.toString(StandardCharsets.UTF_8)).isFalse();
            assertThat(waited).as("ms from the hang to two more rounds").isLessThan(20_000);
            stop.close();
            assertThat(p.waitFor(Duration.ofSeconds(60))).as(err.toString(StandardCharsets.UTF_8)).isZero();
            assertThat(mems.stream().filter(m -> m != victim).mapToLong(m -> m.stats().promotions()).sum())
                    .as("a replica took over").isPositive();
            c.hang(victim.nodeId(), false);
        }
    }
}
