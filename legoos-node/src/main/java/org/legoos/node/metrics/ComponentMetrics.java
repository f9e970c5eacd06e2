package org.legoos.node.metrics;

import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.core.instrument.binder.system.UptimeMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;
import java.util.function.Supplier;
import java.util.function.ToDoubleFunction;
import org.legoos.api.ComponentRole;
import org.legoos.api.ComponentState;
import org.legoos.manager.GlobalManager;
import org.legoos.memory.MemoryMonitor;
import org.legoos.memory.MemoryStats;
import org.legoos.net.protocol.gm.ComponentInfo;
import org.legoos.net.protocol.gm.ComponentResources;
import org.legoos.net.protocol.gm.VNodeInfo;
import org.legoos.net.protocol.pm.ProcessEntry;
import org.legoos.net.rpc.RpcNode;
import org.legoos.net.rpc.Status;
import org.legoos.processor.ProcessMonitor;
import org.legoos.processor.excache.ExCacheStats;
import org.legoos.storage.StorageMonitor;

/**
 * The metrics of one component (the manager or a processor, memory or storage monitor) in a Micrometer registry
 * rendered in the Prometheus text format; the list with units is in {@code docs/OBSERVABILITY.md}.
 *
 * <p>Nothing here is counted on a hot path: every meter is a function counter or gauge over a snapshot of the
 * counters the monitor keeps anyway ({@link ExCacheStats}, {@link MemoryStats}, the RPC endpoint's error counts),
 * taken once per {@link #scrape()}. Per-process series (label {@code pid}) and per-vNode series exist for the
 * processes and vNodes of the last scrape: those that ended are removed then, so the registry holds at most what was
 * alive at one scrape. Every series carries {@code role} and {@code node} (the node id).
 *
 * <p>Thread-safe: scrapes are serialised; collecting reads only local state (no network call).
 */
public final class ComponentMetrics {
    private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    private final List<Runnable> refreshers = new ArrayList<>();

    // snapshots taken at the start of a scrape, read by the meters
    private volatile ExCacheStats excache = ExCacheStats.ZERO;
    private volatile Map<Long, ProcessEntry> processes = Map.of();
    private volatile MemoryStats memory;
    private volatile List<ComponentInfo> members = List.of();
    private volatile Map<String, VNodeInfo> vnodes = Map.of();
    /** RPC latency by opcode, made at an opcode's first call. */
    private final java.util.concurrent.ConcurrentHashMap<org.legoos.net.protocol.Op, Timer> rpcTimers =
            new java.util.concurrent.ConcurrentHashMap<>();

    /** The histogram's buckets: 10 us to 10 s, about three per decade (a miss round trip is tens of microseconds). */
    private static final java.time.Duration[] RPC_BUCKETS = java.util.stream.Stream.of(10L, 25L, 50L, 100L, 250L, 500L,
                    1_000L, 2_500L, 5_000L, 10_000L, 25_000L, 50_000L, 100_000L, 250_000L, 1_000_000L, 2_500_000L, 10_000_000L)
            .map(java.time.Duration::ofNanos).map(d -> d.multipliedBy(1000)).toArray(java.time.Duration[]::new);

    private ComponentMetrics(ComponentRole role, int nodeId, RpcNode rpc) {
        this(role.wireName(), nodeId, rpc);
    }

    private ComponentMetrics(String role, int nodeId, RpcNode rpc) {
        registry.config().commonTags("role", role, "node", String.valueOf(nodeId));
        new JvmMemoryMetrics().bindTo(registry);
        new JvmThreadMetrics().bindTo(registry);
        new ProcessorMetrics().bindTo(registry);
        new UptimeMetrics().bindTo(registry);
        // the one meter updated as the component works: per call, never per ExCache hit (misses are P2M_PCACHE_MISS calls)
        rpc.observeCalls((op, nanos) -> rpcTimers.computeIfAbsent(op, o -> Timer.builder("legoos.rpc")
                .description("time of the calls this component made, until the reply (or the error, or the timeout), by"
                        + " opcode; op=\"P2M_PCACHE_MISS\" is the ExCache's remote miss")
                .tags("op", o.wireName()).serviceLevelObjectives(RPC_BUCKETS).register(registry))
                .record(nanos, java.util.concurrent.TimeUnit.NANOSECONDS));
        for (Status s : Status.values()) {
            if (s == Status.OK) {
                continue;
            }
            String status = s.name().toLowerCase(java.util.Locale.ROOT);
            FunctionCounter.builder("legoos.rpc.errors", rpc, r -> r.errorsSent(s))
                    .description("error replies: sent (requests this component served that failed) or received (its calls"
                            + " answered with an error)")
                    .tags("direction", "sent", "status", status).register(registry);
            FunctionCounter.builder("legoos.rpc.errors", rpc, r -> r.errorsReceived(s))
                    .description("error replies: sent (requests this component served that failed) or received (its calls"
                            + " answered with an error)")
                    .tags("direction", "received", "status", status).register(registry);
        }
    }

    /**
     * The metrics of a monitor: a {@link ProcessMonitor}, {@link MemoryMonitor} or {@link StorageMonitor}.
     *
     * @param lastReport what the component last reported to the manager (storage bytes are read from it, not measured again)
     */
    public static ComponentMetrics of(Object monitor, int nodeId, RpcNode rpc, Supplier<ComponentResources> lastReport) {
        return switch (monitor) {
            case ProcessMonitor p -> processor(p, nodeId, rpc);
            case MemoryMonitor m -> memory(m, nodeId, rpc);
            case StorageMonitor s -> storage(nodeId, rpc, lastReport);
            default -> throw new IllegalArgumentException("no metrics for " + monitor.getClass().getName());
        };
    }

    /**
     * The metrics of an RPC endpoint alone (its JVM, RPC errors and latency) with {@code role="client"}: for a client
     * or a benchmark. Its calls are timed from now on.
     */
    public static ComponentMetrics endpoint(RpcNode rpc) {
        return new ComponentMetrics("client", rpc.nodeId(), rpc);
    }

    /** The metrics of the global managers: membership by role and state, vNodes and their processes. */
    public static ComponentMetrics manager(GlobalManager gm, RpcNode rpc) {
        ComponentMetrics m = new ComponentMetrics("manager", GlobalManager.NODE_ID, rpc);
        for (ComponentRole role : ComponentRole.values()) {
            for (ComponentState state : ComponentState.values()) {
                Gauge.builder("legoos.manager.components", m,
                                x -> x.members.stream().filter(c -> c.role() == role && c.state() == state).count())
                        .description("components in the membership table").tags("member_role", role.wireName(),
                                "state", state.name().toLowerCase(java.util.Locale.ROOT)).register(m.registry);
            }
        }
        Gauge.builder("legoos.manager.vnodes", m, x -> x.vnodes.size()).description("vNodes").register(m.registry);
        Keyed<String> perVnode = m.keyed(name -> List.of(
                Gauge.builder("legoos.vnode.processes", m, x -> field(x.vnodes.get(name), VNodeInfo::processes))
                        .description("processes running in the vNode").tags("vnode", name).register(m.registry),
                Gauge.builder("legoos.vnode.memory.quota", m, x -> field(x.vnodes.get(name), VNodeInfo::memoryQuotaBytes))
                        .baseUnit("bytes").description("memory quota of the vNode").tags("vnode", name).register(m.registry)));
        m.refreshers.add(() -> {
            m.members = gm.members();
            Map<String, VNodeInfo> v = new HashMap<>();
            gm.vnodes().forEach(info -> v.put(info.name(), info));
            m.vnodes = v;
            perVnode.sync(v.keySet());
        });
        return m;
    }

    private static ComponentMetrics processor(ProcessMonitor p, int nodeId, RpcNode rpc) {
        ComponentMetrics m = new ComponentMetrics(ComponentRole.PROCESSOR, nodeId, rpc);
        m.counter("legoos.excache.hits", "ExCache loads and stores served by a cached line (thread mode; 0 in process mode,"
                + " where a hit is a hardware load)", x -> x.excache.hits());
        m.counter("legoos.excache.misses", "ExCache accesses that filled a line (zero-fills included)", x -> x.excache.misses());
        m.counter("legoos.excache.zero.fills", "misses filled with zeros locally (page never written)", x -> x.excache.zeroFills());
        m.counter("legoos.excache.evictions", "valid lines evicted", x -> x.excache.evictions());
        m.counter("legoos.excache.flushes", "dirty lines written back to a memory component", x -> x.excache.flushes());
        m.counter("legoos.excache.piggybacks", "dirty victims that rode on a miss message", x -> x.excache.piggybacks());
        m.counter("legoos.excache.prefetch.hits", "prefetched lines used at least once", x -> x.excache.prefetchHits());
        m.counter("legoos.excache.prefetched.pages", "pages installed by prefetch", x -> x.excache.prefetched());
        m.counter("legoos.excache.prefetch.messages", "misses that brought prefetched pages along", x -> x.excache.prefetchMessages());
        FunctionCounter.builder("legoos.excache.failover.retries", p.backend(), b -> b.retriedOnNewOwner())
                .description("misses and flushes sent again to a new owner after theirs failed").register(m.registry);
        FunctionCounter.builder("legoos.excache.relocated", p.backend(), b -> b.relocated())
                .description("misses and flushes whose vRegion moved off a full memory component first").register(m.registry);
        Gauge.builder("legoos.excache.capacity", p, x -> x.config().excache().capacityBytes()).baseUnit("bytes")
                .description("ExCache size").register(m.registry);
        Gauge.builder("legoos.processes", m, x -> x.processes.size()).description("processes running here").register(m.registry);
        Keyed<Long> perPid = m.keyed(pid -> {
            String vnode = String.valueOf(m.processes.get(pid).vnodeId());
            return List.of(
                    FunctionCounter.builder("legoos.process.excache.misses", m, x -> field(x.processes.get(pid), ProcessEntry::misses))
                            .description("ExCache misses of the process").tags("pid", String.valueOf(pid), "vnode", vnode)
                            .register(m.registry),
                    Gauge.builder("legoos.process.threads", m, x -> field(x.processes.get(pid), ProcessEntry::threads))
                            .description("threads of the process").tags("pid", String.valueOf(pid), "vnode", vnode)
                            .register(m.registry));
        });
        m.refreshers.add(() -> {
            m.excache = p.excacheStats();
            Map<Long, ProcessEntry> ps = new HashMap<>();
            p.ps().processes().forEach(e -> ps.put(e.pid(), e));
            m.processes = ps;
            perPid.sync(ps.keySet());
        });
        return m;
    }

    private static ComponentMetrics memory(MemoryMonitor mon, int nodeId, RpcNode rpc) {
        ComponentMetrics m = new ComponentMetrics(ComponentRole.MEMORY, nodeId, rpc);
        m.refreshers.add(() -> m.memory = mon.stats());
        m.gauge("legoos.memory.capacity", "bytes", "page store size", s -> s.capacityBytes());
        m.gauge("legoos.memory.pages.used", null, "4 KiB page frames holding process pages (replicas included)", s -> s.pagesUsed());
        m.gauge("legoos.memory.home.spaces", null, "address spaces this component is the home of", s -> s.homeSpaces());
        m.gauge("legoos.memory.owned.spaces", null, "address spaces with vRegions owned here", s -> s.ownedSpaces());
        m.gauge("legoos.memory.replica", "bytes", "bytes of pages held as replicas of other components' vRegions", s -> s.replicaBytes());
        m.gauge("legoos.memory.spaces.without.replica", null, "owned address spaces that have no replica", s -> s.spacesWithoutReplica());
        m.gauge("legoos.memory.home.copy", "bytes", "bytes of other homes' metadata kept here", s -> s.homeCopyBytes());
        m.gauge("legoos.buffer.cache", "bytes", "file data cached by the storage buffer cache", s -> s.bufferCacheBytes());
        m.gauge("legoos.buffer.cache.dirty.chunks", null, "buffer cache chunks not yet written back", s -> s.bufferCacheDirtyChunks());
        m.memoryCounter("legoos.memory.misses.served", "PCACHE_MISS requests answered", MemoryStats::missesServed);
        m.memoryCounter("legoos.memory.pages.served", "pages returned by misses (prefetched ones included)", MemoryStats::pagesServed);
        m.memoryCounter("legoos.memory.zero.pages.served", "pages returned as zeros (never written back)", MemoryStats::zeroPagesServed);
        m.memoryCounter("legoos.memory.flushes", "PCACHE_FLUSH requests stored", MemoryStats::flushes);
        m.memoryCounter("legoos.memory.pages.flushed", "pages written back by flushes and piggybacked victims", MemoryStats::pagesFlushed);
        m.memoryCounter("legoos.memory.piggybacks", "dirty victims that rode on a miss", MemoryStats::piggybackedVictims);
        m.memoryCounter("legoos.memory.vm.calls", "address-space calls served as home", MemoryStats::vmCalls);
        m.memoryCounter("legoos.memory.consults", "vRegion owners asked of the GMM", MemoryStats::consults);
        m.memoryCounter("legoos.memory.pages.copied", "pages mremap copied from one owner to another", MemoryStats::pagesCopiedAcrossOwners);
        m.memoryCounter("legoos.buffer.cache.hits", "buffer cache chunk lookups that hit", MemoryStats::bufferCacheHits);
        m.memoryCounter("legoos.buffer.cache.misses", "buffer cache chunk lookups that had to fill", MemoryStats::bufferCacheMisses);
        m.memoryCounter("legoos.buffer.cache.evictions", "buffer cache chunks evicted", MemoryStats::bufferCacheEvictions);
        m.memoryCounter("legoos.buffer.cache.write.backs", "dirty ranges written to storage", MemoryStats::bufferCacheWriteBacks);
        m.memoryCounter("legoos.memory.changes.replicated", "changes of owned spaces acknowledged by their replica", MemoryStats::changesReplicated);
        m.memoryCounter("legoos.memory.promotions", "replicas here that took over from a dead owner", MemoryStats::promotions);
        m.memoryCounter("legoos.memory.failovers", "processes homed here whose vRegions moved off a dead owner", MemoryStats::failovers);
        m.memoryCounter("legoos.memory.homes.adopted", "processes this component became the home of when theirs died", MemoryStats::homesAdopted);
        m.memoryCounter("legoos.memory.relocations", "vRegions moved off a memory component that ran out of room", MemoryStats::relocations);
        m.memoryCounter("legoos.memory.replicas.restored", "replicas named again after a component joined or a replica died", MemoryStats::replicasRestored);
        FunctionCounter.builder("legoos.memory.refused", m, x -> x.memory.refusedNoMemory()).tags("reason", "no_memory")
                .description("processor requests refused").register(m.registry);
        FunctionCounter.builder("legoos.memory.refused", m, x -> x.memory.refusedBadAddress()).tags("reason", "bad_address")
                .description("processor requests refused").register(m.registry);
        Keyed<Long> perPid = m.keyed(pid -> List.of(
                Gauge.builder("legoos.memory.process.stored", m, x -> x.memory.storedBytesPerSpace().getOrDefault(pid, 0L))
                        .baseUnit("bytes").description("bytes of the process's pages stored here")
                        .tags("pid", String.valueOf(pid)).register(m.registry),
                Gauge.builder("legoos.memory.process.mapped", m, x -> x.memory.mappedBytesPerSpace().getOrDefault(pid, 0L))
                        .baseUnit("bytes").description("bytes the process maps (0 unless this component is its home)")
                        .tags("pid", String.valueOf(pid)).register(m.registry)));
        m.refreshers.add(() -> {
            Set<Long> pids = new java.util.HashSet<>(m.memory.storedBytesPerSpace().keySet());
            pids.addAll(m.memory.mappedBytesPerSpace().keySet());
            perPid.sync(pids);
        });
        return m;
    }

    private static ComponentMetrics storage(int nodeId, RpcNode rpc, Supplier<ComponentResources> lastReport) {
        ComponentMetrics m = new ComponentMetrics(ComponentRole.STORAGE, nodeId, rpc);
        Gauge.builder("legoos.storage.used", lastReport, r -> r.get().storageUsedBytes()).baseUnit("bytes")
                .description("bytes of the vNodes' files, as of the last status report").register(m.registry);
        return m;
    }

    /** Collects and renders every meter in the Prometheus text format. */
    public synchronized String scrape() {
        refreshers.forEach(Runnable::run);
        return registry.scrape();
    }

    /** The registry (for tests and for serving it otherwise). */
    public PrometheusMeterRegistry registry() {
        return registry;
    }

    private void counter(String name, String description, ToDoubleFunction<ComponentMetrics> f) {
        FunctionCounter.builder(name, this, f).description(description).register(registry);
    }

    private void gauge(String name, String unit, String description, ToDoubleFunction<MemoryStats> f) {
        Gauge.Builder<ComponentMetrics> b = Gauge.builder(name, this, x -> f.applyAsDouble(x.memory)).description(description);
        if (unit != null) {
            b.baseUnit(unit);
        }
        b.register(registry);
    }

    private void memoryCounter(String name, String description, ToDoubleFunction<MemoryStats> f) {
        FunctionCounter.builder(name, this, x -> f.applyAsDouble(x.memory)).description(description).register(registry);
    }

    private static <T> double field(T row, ToDoubleFunction<T> f) {
        return row == null ? Double.NaN : f.applyAsDouble(row);
    }

    private <K> Keyed<K> keyed(Function<K, List<Meter>> register) {
        return new Keyed<>(register);
    }

    /** Meters per key (a pid, a vNode) for the keys of the last snapshot: a key's meters go when it does. */
    private final class Keyed<K> {
        private final Map<K, List<Meter>> meters = new HashMap<>();
        private final Function<K, List<Meter>> register;

        Keyed(Function<K, List<Meter>> register) {
            this.register = register;
        }

        /** Called by a scrape only. */
        void sync(Set<K> present) {
            meters.entrySet().removeIf(e -> {
                if (present.contains(e.getKey())) {
                    return false;
                }
                e.getValue().forEach(registry::remove);
                return true;
            });
            for (K k : present) {
                meters.computeIfAbsent(k, register);
            }
        }
    }
}
