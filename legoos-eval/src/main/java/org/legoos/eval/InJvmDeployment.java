package org.legoos.eval;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.legoos.api.LegoProgram;
import org.legoos.api.ProcessorMode;
import org.legoos.manager.ManagerConfig;
import org.legoos.memory.MemoryConfig;
import org.legoos.node.LocalCluster;
import org.legoos.processor.ProcessMonitor;
import org.legoos.processor.ProcessorConfig;
import org.legoos.processor.excache.ExCacheConfig;
import org.legoos.processor.excache.ExCacheStats;

/**
 * LegoOS/J in this JVM: a {@link LocalCluster} of one processor (with {@code cores} cores), one memory component
 * serving on the caller's thread, and one storage component, over the in-JVM transport. The ExCache counters of each
 * run are read from the processor directly.
 */
public final class InJvmDeployment implements Deployment {
    private static final String VNODE = "bench";
    private final LocalCluster cluster;
    private final int cores;
    private final ProcessorMode mode;
    private final int memories;
    private final int replicas;
    private ExCacheConfig current;

    /**
     * @param memoryBytes capacity of the memory component (frames are allocated only when pages are written)
     * @param extraPrograms programs besides the bundled ones
     */
    public InJvmDeployment(int cores, long memoryBytes, Map<String, Class<? extends LegoProgram>> extraPrograms) {
        this(cores, memoryBytes, extraPrograms, ProcessorMode.THREAD);
    }

    /**
     * @param mode how the processor runs the programs: {@link ProcessorMode#THREAD} (as threads of this JVM, the
     *     default) or {@link ProcessorMode#PROCESS} (each in a task JVM of its own, the memory components still here)
     */
    public InJvmDeployment(int cores, long memoryBytes, Map<String, Class<? extends LegoProgram>> extraPrograms,
                           ProcessorMode mode) {
        this(cores, memoryBytes, extraPrograms, mode, 1, 1);
    }

    /**
     * @param memories memory components, each of {@code memoryBytes}
     * @param replicas copies of each page ({@code memory.replicas}); 2 needs at least two memory components to matter
     */
    public InJvmDeployment(int cores, long memoryBytes, Map<String, Class<? extends LegoProgram>> extraPrograms,
                           ProcessorMode mode, int memories, int replicas) {
        this.cores = cores;
        this.mode = java.util.Objects.requireNonNull(mode, "mode");
        this.memories = memories;
        this.replicas = replicas;
        LocalCluster.Spec spec = new LocalCluster.Spec(1, memories, 1, ProcessorConfig.of(cores, ExCacheSizing.MIN_BYTES),
                MemoryConfig.of(memoryBytes).withWorkers(0).withReplicas(replicas),
                ManagerConfig.defaults().withHeartbeatTimeoutMillis(600_000), null, Duration.ofMillis(500));
        this.cluster = LocalCluster.start(spec, extraPrograms);
        try {
            cluster.createVNode(VNODE, memoryBytes, 16);
        } catch (RuntimeException e) {
            cluster.close();
            throw e;
        }
    }

    @Override
    public boolean programsInOwnJvm() {
        return org.legoos.processor.task.HostSupport.decide(mode).mode() == ProcessorMode.PROCESS;
    }

    @Override
    public String label() {
        String base = mode == ProcessorMode.THREAD ? "in-JVM" : "in-JVM, " + mode.name().toLowerCase(java.util.Locale.ROOT) + " mode";
        return memories == 1 ? base : base + ", " + memories + " memory, " + replicas + (replicas == 1 ? " copy" : " copies");
    }

    /** The cluster, for callers that need its components. */
    public LocalCluster cluster() {
        return cluster;
    }

    @Override
    public RunOutcome run(ExCacheConfig excache, String program, List<String> args, Duration limit) throws InterruptedException {
        ProcessMonitor processor;
        if (!excache.equals(current)) {
            processor = cluster.restartProcessor(0, new ProcessorConfig(cores, excache, 16, 2000, mode,
                    ProcessorConfig.DEFAULT_TASK_HEAP_BYTES));
            current = excache;
        } else {
            processor = cluster.processors().get(0);
        }
        ExCacheStats before = processor.excacheStats(); // the mode's ExCache: software, or the tasks' resident pages
        RunOutcome o = Runs.await(cluster.processes(), VNODE, program, args, limit);
        ExCacheStats stats = processor.excacheStats().minus(before);
        return new RunOutcome(o.seconds(), o.exitCode(), o.resultLine(), stats, o.stderr(), o.timedOut());
    }

    @Override
    public void close() {
        cluster.close();
    }
}
