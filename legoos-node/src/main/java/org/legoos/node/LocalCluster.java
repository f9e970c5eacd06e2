package org.legoos.node;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import org.legoos.api.LegoProgram;
import java.util.Objects;
import java.util.stream.Stream;
import org.legoos.manager.GlobalManager;
import org.legoos.manager.ManagerConfig;
import org.legoos.memory.MemoryConfig;
import org.legoos.memory.MemoryMonitor;
import org.legoos.net.protocol.gm.VNodeCreate;
import org.legoos.net.protocol.gm.VNodeGet;
import org.legoos.net.protocol.gm.VNodeInfo;
import org.legoos.net.rpc.RpcNode;
import org.legoos.net.transport.local.LocalFabric;
import org.legoos.processor.ProcessMonitor;
import org.legoos.processor.ProcessorConfig;
import org.legoos.processor.RemoteFileService;
import org.legoos.processor.client.ProcessClient;
import org.legoos.task.loader.ProgramLoader;
import org.legoos.storage.StorageConfig;
import org.legoos.storage.StorageMonitor;

/**
 * A whole LegoOS/J cluster in one JVM over the in-JVM transport: one manager and any number of processor,
 * memory and storage components, plus a client endpoint. Components share nothing but encoded frames, exactly
 * as when they run as separate processes; this is the embedded default and the test bed.
 *
 * <p>Thread-safe for use from tests and tools; {@link #close()} stops every component.
 */
public final class LocalCluster implements AutoCloseable {
    /**
     * What to start.
     *
     * @param storageRoot where storage components keep vNode directories; null for a temporary directory
     *     deleted on close
     * @param reportInterval how often monitors send status reports (heartbeats) to the manager
     */
    public record Spec(int processors, int memories, int storages, ProcessorConfig processor, MemoryConfig memory,
                       ManagerConfig manager, Path storageRoot, Duration reportInterval) {
        public Spec {
            if (processors < 1 || memories < 1 || storages < 1) {
                throw new IllegalArgumentException("a cluster needs at least one processor, memory and storage component, got "
                        + processors + "/" + memories + "/" + storages);
            }
            Objects.requireNonNull(processor, "processor");
            Objects.requireNonNull(memory, "memory");
            Objects.requireNonNull(manager, "manager");
            Objects.requireNonNull(reportInterval, "reportInterval");
        }

        /**
         * 1 processor (2 cores, 64 MiB ExCache), 2 memory components, 1 storage component. In one JVM components
         * cannot fail on their own, so the heartbeat timeout is generous: a loaded 2-core machine must not make a
         * live component look dead. Memory components serve on the caller's thread (no workers): over the in-JVM
         * transport a hand-off to a worker costs more than the whole miss.
         */
        public static Spec defaults() {
            return new Spec(1, 2, 1, ProcessorConfig.of(2, 64L << 20), MemoryConfig.of(1L << 30).withWorkers(0),
                    ManagerConfig.defaults().withHeartbeatTimeoutMillis(60_000), null, Duration.ofMillis(200));
        }

        public Spec withProcessor(ProcessorConfig p) {
            return new Spec(processors, memories, storages, p, memory, manager, storageRoot, reportInterval);
        }

        public Spec withMemory(MemoryConfig m) {
            return new Spec(processors, memories, storages, processor, m, manager, storageRoot, reportInterval);
        }

        public Spec withCounts(int p, int m, int s) {
            return new Spec(p, m, s, processor, memory, manager, storageRoot, reportInterval);
        }

        public Spec withManager(ManagerConfig m) {
            return new Spec(processors, memories, storages, processor, memory, m, storageRoot, reportInterval);
        }
    }

    /** The outcome of {@link #run}: exit code, captured output, the processor that ran it. */
    public record RunResult(long pid, int exitCode, String stdout, String stderr, String error, int processorNode) {
    }

    private final Spec spec;
    private final LocalFabric fabric = new LocalFabric();
    private final RpcNode managerRpc;
    private final GlobalManager manager;
    private final List<ComponentHost> processors = new ArrayList<>();
    private final List<ComponentHost> memories = new ArrayList<>();
    private final List<ComponentHost> storages = new ArrayList<>();
    private final RpcNode client;
    private final ProcessClient processClient;
    private final Path storageRoot;
    private final boolean ownsStorageRoot;
    private final ProgramLoader loader;

    private LocalCluster(Spec spec, Map<String, Class<? extends LegoProgram>> extraPrograms) throws IOException {
        this.spec = spec;
        this.loader = Programs.loader(extraPrograms);
        this.ownsStorageRoot = spec.storageRoot() == null;
        this.storageRoot = ownsStorageRoot ? Files.createTempDirectory("legoos-storage") : spec.storageRoot();
        managerRpc = new RpcNode("manager", fabric.newTransport(), RpcNode.Config.DEFAULT);
        managerRpc.listen("manager");
        manager = new GlobalManager(managerRpc, spec.manager());
        client = new RpcNode("client", fabric.newTransport(), RpcNode.Config.DEFAULT);
        client.listen("client");
        client.addPeer(ComponentHost.MANAGER_NODE, "manager");
        client.setResolver(this::addressOf);
        processClient = new ProcessClient(client, ComponentHost.MANAGER_NODE);
        try {
            for (int i = 0; i < spec.storages(); i++) {
                addStorage();
            }
            for (int i = 0; i < spec.memories(); i++) {
                addMemory(spec.memory());
            }
            for (int i = 0; i < spec.processors(); i++) {
                addProcessor(spec.processor());
            }
        } catch (RuntimeException e) {
            close();
            throw e;
        }
    }

    /** Starts a cluster; on failure everything started so far is stopped. */
    public static LocalCluster start(Spec spec) {
        return start(spec, Map.of());
    }

    /** Starts a cluster whose processors also know {@code extraPrograms} as bundled programs (for tests). */
    public static LocalCluster start(Spec spec, Map<String, Class<? extends LegoProgram>> extraPrograms) {
        try {
            return new LocalCluster(spec, extraPrograms);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private String addressOf(int node) {
        for (ComponentHost h : all()) {
            if (h.nodeId() == node) {
                return h.rpc().name(); // in-JVM listening address = component name
            }
        }
        return null;
    }

    private List<ComponentHost> all() {
        List<ComponentHost> l = new ArrayList<>();
        synchronized (this) {
            l.addAll(processors);
            l.addAll(memories);
            l.addAll(storages);
        }
        return l;
    }

    /** Hot-adds a memory component; the GMM can give it new vRegions at once. */
    public synchronized MemoryMonitor addMemory(MemoryConfig cfg) {
        String name = "memory-" + (memories.size() + 1);
        ComponentHost h = ComponentHost.join("memory", name, fabric.newTransport(), RpcNode.Config.DEFAULT, name, "manager",
                spec.reportInterval(), (rpc, registered) -> {
            MemoryMonitor m = new MemoryMonitor(rpc, ComponentHost.MANAGER_NODE, cfg, registered.pidsBefore());
            return new ComponentHost.Hosted<>(m, m::resources);
        });
        memories.add(h);
        return (MemoryMonitor) h.monitor();
    }

    public synchronized StorageMonitor addStorage() {
        String name = "storage-" + (storages.size() + 1);
        Path root = storageRoot.resolve(name);
        ComponentHost h = ComponentHost.join("storage", name, fabric.newTransport(), name, "manager", spec.reportInterval(), rpc -> {
            StorageMonitor s = new StorageMonitor(rpc, StorageConfig.of(root),
                    new org.legoos.net.security.VNodeScope(rpc, ComponentHost.MANAGER_NODE));
            return new ComponentHost.Hosted<>(s, s::resources);
        });
        storages.add(h);
        return (StorageMonitor) h.monitor();
    }

    public synchronized ProcessMonitor addProcessor(ProcessorConfig cfg) {
        return startProcessor("processor-" + (processors.size() + 1), cfg, processors.size());
    }

    private ProcessMonitor startProcessor(String name, ProcessorConfig cfg, int index) {
        ComponentHost h = ComponentHost.join("processor", name, fabric.newTransport(), name, "manager", spec.reportInterval(), rpc -> {
            ProcessMonitor p = new ProcessMonitor(rpc, ComponentHost.MANAGER_NODE, cfg, loader);
            return new ComponentHost.Hosted<>(p, p::resources);
        });
        if (index == processors.size()) {
            processors.add(h);
        } else {
            processors.set(index, h);
        }
        return (ProcessMonitor) h.monitor();
    }

    /**
     * Restarts processor component {@code index} with another configuration (for example a smaller ExCache):
     * like rebooting the pComponent with less DRAM. It rejoins under the same address and node id.
     */
    public synchronized ProcessMonitor restartProcessor(int index, ProcessorConfig cfg) {
        ComponentHost old = processors.get(index);
        String name = old.rpc().name();
        // the exits of its processes travel to the manager one way: let them arrive (a second at most), so the
        // restart does not find them still counted and release them as lost
        long deadline = System.nanoTime() + 1_000_000_000L;
        while (!manager.processesOn(old.nodeId()).isEmpty() && System.nanoTime() - deadline < 0) {
            try {
                Thread.sleep(5);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        old.close();
        return startProcessor(name, cfg, index);
    }

    /**
     * Stops memory component {@code index} abruptly, as if it crashed: it stops answering and reporting. Processes
     * whose pages it held get {@code ComponentUnavailableException} on their next miss there.
     */
    public synchronized void crashMemory(int index) {
        memories.get(index).crash();
    }

    /**
     * Stops processor component {@code index} abruptly, as if it crashed: it goes silent first (no exit report of its
     * processes reaches anyone), then its processes end. The manager notices at the heartbeat timeout and releases
     * them as lost.
     */
    public synchronized void crashProcessor(int index) {
        processors.get(index).crash();
    }

    public GlobalManager manager() {
        return manager;
    }

    public synchronized List<ProcessMonitor> processors() {
        return processors.stream().map(h -> (ProcessMonitor) h.monitor()).toList();
    }

    public synchronized List<MemoryMonitor> memories() {
        return memories.stream().map(h -> (MemoryMonitor) h.monitor()).toList();
    }

    public synchronized List<StorageMonitor> storages() {
        return storages.stream().map(h -> (StorageMonitor) h.monitor()).toList();
    }

    /** Node ids of the memory components, in the order they joined. */
    public synchronized List<Integer> memoryNodeIds() {
        return memories.stream().map(ComponentHost::nodeId).toList();
    }

    /** The hosts (node id, rpc endpoint with its fault injector) of every component. */
    public synchronized List<ComponentHost> hosts() {
        return all();
    }

    /**
     * Cuts the link between the manager and component {@code node} both ways, or heals it (a network partition that
     * leaves the component reachable by every other component): the manager declares it dead at the heartbeat timeout
     * while it goes on serving whoever still reaches it. Healing clears every fault of the two endpoints.
     */
    public synchronized void cutFromManager(int node, boolean cut) {
        RpcNode component = all().stream().filter(h -> h.nodeId() == node).findFirst()
                .orElseThrow(() -> new IllegalArgumentException("no component " + node)).rpc();
        if (cut) {
            component.faults().dropTo(ComponentHost.MANAGER_NODE);
            managerRpc.faults().dropTo(node);
        } else {
            component.faults().heal();
            managerRpc.faults().heal();
        }
    }

    /**
     * Component {@code node} hangs, as under SIGSTOP or behind a dead switch port: every frame it sends (status
     * reports included) and every frame sent to it is dropped, and no connection breaks, so nothing fails at once:
     * calls to it wait out their timeout unless something fails them. The manager declares it dead at the heartbeat
     * timeout. {@code hung} false heals every fault of every endpoint.
     */
    public synchronized void hang(int node, boolean hung) {
        List<RpcNode> endpoints = new ArrayList<>(all().stream().map(ComponentHost::rpc).toList());
        endpoints.add(managerRpc);
        endpoints.add(client);
        for (RpcNode e : endpoints) {
            if (!hung) {
                e.faults().heal();
            } else if (e.nodeId() == node) {
                e.faults().partition();
            } else {
                e.faults().dropTo(node);
            }
        }
    }

    /**
     * Drops every frame component {@code from} sends to component {@code to} (a one-way broken link), or, with
     * {@code drop} false, heals every fault of {@code from}. Calls already waiting for {@code to} fail at once, as
     * on a connection reset; later ones wait out their timeout (see {@link #resetCalls}).
     */
    public synchronized void dropFrames(int from, int to, boolean drop) {
        RpcNode component = all().stream().filter(h -> h.nodeId() == from).findFirst()
                .orElseThrow(() -> new IllegalArgumentException("no component " + from)).rpc();
        if (drop) {
            component.faults().dropTo(to);
            component.failCallsTo(to, "test: the link from " + from + " to " + to + " is broken");
        } else {
            component.faults().heal();
        }
    }

    /** Fails every call component {@code from} is waiting on from {@code to} (a connection reset). */
    public void resetCalls(int from, int to) {
        RpcNode component = all().stream().filter(h -> h.nodeId() == from).findFirst()
                .orElseThrow(() -> new IllegalArgumentException("no component " + from)).rpc();
        component.failCallsTo(to, "test: the connection from " + from + " to " + to + " was reset");
    }

    /** The client's endpoint (node id 0), for calling components directly. */
    public RpcNode client() {
        return client;
    }

    public ProcessClient processes() {
        return processClient;
    }

    public VNodeInfo createVNode(String name) {
        return createVNode(name, 0, 0);
    }

    /** Creates a vNode; 0 quotas mean the manager's defaults. */
    public VNodeInfo createVNode(String name, long memoryQuotaBytes, int maxProcesses) {
        return createVNode(name, memoryQuotaBytes, 0, maxProcesses);
    }

    /** Creates a vNode with a storage quota too; 0 for any of them means the manager's default. */
    public VNodeInfo createVNode(String name, long memoryQuotaBytes, long storageQuotaBytes, int maxProcesses) {
        return client.call(ComponentHost.MANAGER_NODE, new VNodeCreate(name, memoryQuotaBytes, storageQuotaBytes, maxProcesses));
    }

    public VNodeInfo vnode(String nameOrId) {
        return client.call(ComponentHost.MANAGER_NODE, new VNodeGet(nameOrId));
    }

    /** The vNode's files as a client sees them: the same stateless service processes use. */
    public RemoteFileService files(String vnode) {
        VNodeInfo v = vnode(vnode);
        return RemoteFileService.of(client, ComponentHost.MANAGER_NODE, v);
    }

    /** Runs a program to completion (without standard input: it reads EOF at once) and captures its output. */
    public RunResult run(String vnode, String program, String... args) throws InterruptedException {
        return run(vnode, (InputStream) null, program, args);
    }

    /**
     * Runs a program to completion with {@code stdin} as its standard input (null: none) and captures its output. Returns
     * when the program exits, whether or not it read all of {@code stdin}.
     */
    public RunResult run(String vnode, InputStream stdin, String program, String... args) throws InterruptedException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        ProcessClient.Running r = processClient.start(vnode, program, List.of(args), stdin, out, err);
        int code = r.waitFor();
        return new RunResult(r.pid(), code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8), r.error(),
                r.processorNode());
    }

    @Override
    public void close() {
        client.close();
        List<ComponentHost> hosts;
        synchronized (this) {
            hosts = all();
        }
        for (ComponentHost h : hosts) {
            h.close();
        }
        manager.close();
        managerRpc.close();
        if (ownsStorageRoot) {
            try (Stream<Path> walk = Files.walk(storageRoot)) {
                walk.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            } catch (IOException ignored) {
                // best effort: a temp dir
            }
        }
    }
}
