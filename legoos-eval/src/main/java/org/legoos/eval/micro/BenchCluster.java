package org.legoos.eval.micro;

import java.time.Duration;
import java.util.List;
import org.legoos.eval.Runs;
import org.legoos.memory.MemoryConfig;
import org.legoos.node.LocalCluster;
import org.legoos.node.cluster.ClusterClient;
import org.legoos.node.cluster.NodeRole;
import org.legoos.node.cluster.TcpCluster;
import org.legoos.node.config.ConfigKeys;
import org.legoos.node.config.LegoConfig;
import org.legoos.processor.ProcessMonitor;
import org.legoos.processor.ProcessorConfig;
import org.legoos.processor.RemoteFileService;
import org.legoos.processor.client.ProcessClient;
import org.legoos.processor.excache.ExCacheConfig;
import org.legoos.processor.excache.ExCacheStats;

/**
 * One processor, one memory and one storage component (plus the manager) running the micro-benchmark programs,
 * over the in-JVM transport ({@link LocalCluster}) or over loopback TCP ({@link TcpCluster}); the drivers see
 * both the same way. {@link #close()} stops everything it started.
 *
 * <p>Not thread-safe: one driver thread uses it.
 */
abstract sealed class BenchCluster implements AutoCloseable {
    /** Manager's patience with a loaded 2-core machine: no live component may look dead in a long run. */
    private static final Duration HEARTBEAT_TIMEOUT = Duration.ofSeconds(60);

    /**
     * What to start.
     *
     * @param excacheBytes the processor's ExCache (64 ways, FIFO)
     * @param processorCores cores the processor offers its processes' threads
     * @param memoryWorkers the memory component's worker threads (0: serve on the delivery thread, in-JVM only)
     * @param memoryCapacityBytes the memory component's page store
     * @param prefetchPages pages the ExCache prefetches per miss (0: no prefetch), or {@link #DEFAULT_PREFETCH} for
     *     the deployment's default
     */
    record Setup(long excacheBytes, int processorCores, int memoryWorkers, long memoryCapacityBytes, int prefetchPages) {
        /** Leave the ExCache's prefetch at the deployment's default. */
        static final int DEFAULT_PREFETCH = -1;

        Setup {
            excacheConfig(excacheBytes, prefetchPages); // checks geometry and prefetch with their own messages
        }

        ProcessorConfig processorConfig() {
            // Thread mode: these micro benchmarks measure the software ExCache (the process-mode figures are HitLoads's
            // and the workloads' --mode process).
            return new ProcessorConfig(processorCores, excacheConfig(excacheBytes, prefetchPages), 64, 2000,
                    org.legoos.api.ProcessorMode.THREAD, ProcessorConfig.DEFAULT_TASK_HEAP_BYTES);
        }

        private static ExCacheConfig excacheConfig(long bytes, int prefetchPages) {
            ExCacheConfig c = ExCacheConfig.of(bytes);
            return prefetchPages == DEFAULT_PREFETCH ? c : c.withPrefetchPages(prefetchPages);
        }
    }

    /** A finished run of a program. */
    record Output(int exitCode, String stdout, String stderr, String error) {
    }

    /**
     * Starts a cluster; on failure nothing is left running.
     *
     * @throws IllegalArgumentException if {@code setup} does not suit the transport (0 workers over TCP)
     */
    static BenchCluster start(Transport transport, Setup setup) {
        return switch (transport) {
            case IN_JVM -> new InJvm(setup);
            case TCP -> new Tcp(setup);
        };
    }

    /** Creates a vNode with a memory quota of {@code quotaBytes}. */
    abstract void createVNode(String name, long quotaBytes);

    /** The processor component's ExCache counters (cumulative). */
    final ExCacheStats excacheStats() {
        return processor().excacheStats();
    }

    /** The processor component's ExCache configuration as it runs. */
    final ExCacheConfig excacheConfig() {
        return processor().config().excache();
    }

    abstract ProcessMonitor processor();

    /** The vNode's files as a client sees them. */
    abstract RemoteFileService files(String vnode);

    abstract ProcessClient processes();

    @Override
    public abstract void close();

    /**
     * Runs {@code program} to completion.
     *
     * @throws IllegalStateException with its output if it does not exit 0, or if it runs longer than {@code timeout}
     *     (it is killed then)
     */
    final Output run(String vnode, Duration timeout, String program, String... args) throws InterruptedException {
        Runs.Finished f = Runs.run(processes(), vnode, program, List.of(args), timeout);
        if (f.timedOut()) {
            throw new IllegalStateException(program + " " + String.join(" ", args) + " did not finish within " + timeout.toSeconds()
                    + " s and was killed; raise the timeout or shrink the sizes");
        }
        Output o = new Output(f.exitCode(), f.stdout(), f.stderr(), f.error().isEmpty() ? null : f.error());
        if (f.exitCode() != 0) {
            throw new IllegalStateException(program + " " + String.join(" ", args) + " exited with " + f.exitCode()
                    + (o.error() == null ? "" : " (" + o.error() + ")") + "\n--- stdout ---\n" + o.stdout() + "--- stderr ---\n" + o.stderr());
        }
        return o;
    }

    /** A {@link LocalCluster}. */
    static final class InJvm extends BenchCluster {
        private final LocalCluster cluster;

        InJvm(Setup s) {
            MemoryConfig memory = MemoryConfig.of(s.memoryCapacityBytes()).withWorkers(s.memoryWorkers());
            LocalCluster.Spec spec = LocalCluster.Spec.defaults().withCounts(1, 1, 1).withProcessor(s.processorConfig()).withMemory(memory);
            cluster = LocalCluster.start(spec, MicroPrograms.all());
        }

        LocalCluster cluster() {
            return cluster;
        }

        @Override
        void createVNode(String name, long quotaBytes) {
            cluster.createVNode(name, quotaBytes, 0);
        }

        @Override
        ProcessMonitor processor() {
            return cluster.processors().getFirst();
        }

        @Override
        RemoteFileService files(String vnode) {
            return cluster.files(vnode);
        }

        @Override
        ProcessClient processes() {
            return cluster.processes();
        }

        @Override
        public void close() {
            cluster.close();
        }
    }

    /** A {@link TcpCluster} and a client of it. */
    static final class Tcp extends BenchCluster {
        private final TcpCluster cluster;
        private final ClusterClient client;

        Tcp(Setup s) {
            if (s.memoryWorkers() < 1) {
                throw new IllegalArgumentException("a memory component needs at least 1 worker thread over TCP, got " + s.memoryWorkers());
            }
            LegoConfig config = LegoConfig.defaults()
                    .with(ConfigKeys.PROCESSOR_EXCACHE_BYTES, s.excacheBytes())
                    .with(ConfigKeys.PROCESSOR_CORES, s.processorCores())
                    .with(ConfigKeys.MEMORY_WORKERS, s.memoryWorkers())
                    .with(ConfigKeys.MEMORY_CAPACITY_BYTES, s.memoryCapacityBytes())
                    .with(ConfigKeys.MANAGER_HEARTBEAT_TIMEOUT, HEARTBEAT_TIMEOUT);
            if (s.prefetchPages() != Setup.DEFAULT_PREFETCH) {
                config = config.with(ConfigKeys.PROCESSOR_EXCACHE_PREFETCH_PAGES, s.prefetchPages());
            }
            config.validate();
            cluster = TcpCluster.start(config, 1, 1, 1, MicroPrograms.all());
            try {
                client = cluster.client();
            } catch (RuntimeException e) {
                cluster.close();
                throw e;
            }
        }

        @Override
        void createVNode(String name, long quotaBytes) {
            client.createVNode(name, quotaBytes, 0);
        }

        @Override
        ProcessMonitor processor() {
            return (ProcessMonitor) cluster.components(NodeRole.PROCESSOR).getFirst().monitor();
        }

        @Override
        RemoteFileService files(String vnode) {
            return client.files(vnode);
        }

        @Override
        ProcessClient processes() {
            return client.processes();
        }

        @Override
        public void close() {
            try {
                client.close();
            } finally {
                cluster.close();
            }
        }
    }
}
