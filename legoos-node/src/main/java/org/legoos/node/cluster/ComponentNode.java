package org.legoos.node.cluster;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Objects;
import java.util.function.Function;
import org.legoos.api.ComponentUnavailableException;
import org.legoos.api.LegoProgram;
import org.legoos.memory.MemoryConfig;
import org.legoos.memory.MemoryMonitor;
import org.legoos.net.rpc.RpcNode;
import org.legoos.net.transport.Transport;
import org.legoos.net.security.ClusterTls;
import org.legoos.net.transport.tcp.TcpConfig;
import org.legoos.net.transport.tcp.TcpTransport;
import org.legoos.node.ComponentHost;
import org.legoos.node.config.ConfigKeys;
import org.legoos.node.config.LegoConfig;
import org.legoos.node.metrics.ComponentMetrics;
import org.legoos.node.metrics.MetricsServer;
import org.legoos.processor.ProcessMonitor;
import org.legoos.processor.ProcessorConfig;
import org.legoos.task.loader.ProgramLoader;
import org.legoos.storage.StorageConfig;
import org.legoos.storage.StorageMonitor;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One monitor (processor, memory or storage component) as a process of a cluster over TCP: it listens at its
 * section's {@code listen} address, joins the manager at {@code manager.address} (retrying for
 * {@code manager.joinTimeout} while the manager is not up yet), gets its node id, starts the monitor and sends
 * status reports (heartbeats) every {@code manager.reportInterval}. A component may join a running cluster at any
 * time; the managers' policies decide what it receives (a new memory component new vRegions, a new storage
 * component new vNodes).
 *
 * <p>Handlers that call other components run off the TCP I/O thread: the process monitor starts processes on its
 * own threads, memory and storage components serve on their configured workers.
 *
 * <p>Thread-safe; {@link #close()} stops the reports, the monitor and the endpoint.
 */
public final class ComponentNode implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(ComponentNode.class);

    private final NodeRole role;
    private final ComponentHost host;
    private final String address;
    private final Revocations revocations;
    private final MetricsServer metrics;
    private volatile boolean closed;

    private ComponentNode(NodeRole role, ComponentHost host, String address, Revocations revocations, MetricsServer metrics) {
        this.role = role;
        this.host = host;
        this.address = address;
        this.revocations = revocations;
        this.metrics = metrics;
    }

    /**
     * Starts a component of {@code role} (not {@link NodeRole#MANAGER}); processors know the bundled example
     * programs, storage keeps its files under {@code storage.root}.
     */
    public static ComponentNode start(NodeRole role, LegoConfig config) {
        return start(role, config, Map.of(), null);
    }

    /**
     * Starts a component of {@code role}.
     *
     * @param extraPrograms programs a processor knows by short name besides the bundled examples (tests)
     * @param storageRoot a storage component's directory; null for {@code storage.root}
     * @throws org.legoos.node.config.ConfigException if the configuration is inconsistent
     * @throws ClusterUnreachableException if the manager cannot be reached within {@code manager.joinTimeout}
     * @throws IllegalStateException if the listen address or {@code metrics.listen} cannot be bound
     * @throws org.legoos.api.LegoException if the manager refuses the component
     */
    public static ComponentNode start(NodeRole role, LegoConfig config, Map<String, Class<? extends LegoProgram>> extraPrograms,
                                      Path storageRoot) {
        // bound before joining: a metrics port in use stops the start before the cluster counts on the component
        MetricsServer metrics = startMetrics(config, role);
        ComponentNode node = null;
        try {
            node = join(role, config, extraPrograms, storageRoot, metrics);
            if (metrics != null) {
                ComponentHost h = node.host;
                metrics.serve(ComponentMetrics.of(h.monitor(), h.nodeId(), h.rpc(), h::lastReport)::scrape);
                log.info("{} node {} serves metrics at {}", role.wireName(), h.nodeId(), metrics.url());
            }
            return node;
        } catch (RuntimeException e) {
            if (node != null) {
                node.close(); // and its metrics
            } else if (metrics != null) {
                metrics.close();
            }
            throw e;
        }
    }

    /** The metrics endpoint {@code metrics.listen} asks for, listening, or null when it is off. */
    static MetricsServer startMetrics(LegoConfig config, NodeRole role) {
        String listen = config.get(ConfigKeys.METRICS_LISTEN).trim();
        return listen.equals(ConfigKeys.METRICS_OFF) ? null : MetricsServer.start(listen, role.wireName());
    }

    private static ComponentNode join(NodeRole role, LegoConfig config, Map<String, Class<? extends LegoProgram>> extraPrograms,
                                      Path storageRoot, MetricsServer metrics) {
        Objects.requireNonNull(role, "role");
        Objects.requireNonNull(config, "config");
        java.util.function.BiFunction<RpcNode, org.legoos.net.protocol.gm.Registered, ComponentHost.Hosted<?>> monitor = switch (role) {
            case PROCESSOR -> {
                ProcessorConfig pc = config.processorConfig();
                ProgramLoader loader = org.legoos.node.Programs.loader(extraPrograms);
                yield (rpc, registered) -> {
                    ProcessMonitor p = new ProcessMonitor(rpc, ComponentHost.MANAGER_NODE, pc, loader);
                    return new ComponentHost.Hosted<>(p, p::resources);
                };
            }
            case MEMORY -> {
                MemoryConfig mc = config.memoryConfig();
                yield (rpc, registered) -> {
                    MemoryMonitor m = new MemoryMonitor(rpc, ComponentHost.MANAGER_NODE, mc, registered.pidsBefore());
                    return new ComponentHost.Hosted<>(m, m::resources);
                };
            }
            case STORAGE -> {
                StorageConfig sc = storageRoot == null ? config.storageConfig() : config.storageConfig(storageRoot);
                yield (rpc, registered) -> {
                    StorageMonitor s = new StorageMonitor(rpc, sc,
                            new org.legoos.net.security.VNodeScope(rpc, ComponentHost.MANAGER_NODE));
                    return new ComponentHost.Hosted<>(s, s::resources);
                };
            }
            case MANAGER -> throw new IllegalArgumentException("the manager is started with ManagerNode.start, not as a component");
        };
        String listen = config.get(role.listenKey());
        String manager = config.get(ConfigKeys.MANAGER_ADDRESS);
        // loaded once, before the first attempt: a missing or bad certificate is the operator's to fix, not retried
        ClusterTls tls = ClusterSecurity.tls(config, ClusterSecurity.defaultIdentity(role));
        Duration joinTimeout = config.get(ConfigKeys.MANAGER_JOIN_TIMEOUT);
        long deadline = System.nanoTime() + joinTimeout.toNanos();
        long backoffMillis = 100;
        boolean told = false;
        while (true) {
            try {
                // processors read their own P2M replies (ExCache misses): one context switch less per round trip
                RpcNode.Config rpcConfig = RpcNode.Config.DEFAULT.withSyncCalls(role == NodeRole.PROCESSOR);
                ComponentHost host = ComponentHost.join(role.wireName(), role.wireName(), transport(role, tls), rpcConfig, listen,
                        manager, config.reportInterval(), monitor);
                String address = addressOf(host, listen);
                log.debug("{} node {} listening on {}, member of the cluster managed at {}", role.wireName(), host.nodeId(),
                        address, manager);
                return new ComponentNode(role, host, address,
                        Revocations.follow(host.rpc(), tls, ComponentHost.MANAGER_NODE), metrics);
            } catch (ComponentUnavailableException e) {
                if (System.nanoTime() - deadline >= 0) {
                    throw new ClusterUnreachableException("cannot reach the manager at " + manager + " within "
                            + joinTimeout.toMillis() + " ms: " + e.getMessage(), e);
                }
                if (!told) {
                    log.info("{}: waiting for the manager at {} ({})", role.wireName(), manager, e.getMessage());
                    told = true;
                }
                try {
                    Thread.sleep(backoffMillis);
                } catch (InterruptedException ie) {
                    Thread.currentThread().interrupt();
                    throw new ClusterUnreachableException("interrupted while waiting for the manager at " + manager, e);
                }
                backoffMillis = Math.min(backoffMillis * 2, 1_000);
            }
        }
    }

    /** The address this component registered: what the manager's membership table lists for its node id. */
    private static String addressOf(ComponentHost host, String fallback) {
        try {
            var members = host.rpc().call(ComponentHost.MANAGER_NODE, new org.legoos.net.protocol.gm.MembersRequest());
            for (var c : members.members()) {
                if (c.nodeId() == host.nodeId()) {
                    return c.address();
                }
            }
        } catch (org.legoos.api.LegoException e) {
            log.debug("cannot read back the registered address: {}", e.getMessage());
        }
        return fallback;
    }

    /** A fresh TCP transport for one join attempt (a failed attempt closes its transport). */
    static Transport transport(NodeRole role, ClusterTls tls) {
        return new TcpTransport(role.wireName(), TcpConfig.DEFAULT, tls);
    }

    public NodeRole role() {
        return role;
    }

    /** The node id the manager assigned. */
    public int nodeId() {
        return host.nodeId();
    }

    /** The address this component listens on and registered with the manager. */
    public String address() {
        return address;
    }

    /** The running monitor: a {@link ProcessMonitor}, {@link MemoryMonitor} or {@link StorageMonitor}. */
    public Object monitor() {
        return host.monitor();
    }

    public ComponentHost host() {
        return host;
    }

    /** Where this component serves its metrics ({@code http://host:port/metrics}), or null with {@code metrics.listen: off}. */
    public String metricsUrl() {
        return metrics == null ? null : metrics.url();
    }

    /** Stops the status reports, the monitor and the endpoint. Idempotent. */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        log.info("{} node {} at {} leaving the cluster", role.wireName(), nodeId(), address);
        revocations.close();
        if (metrics != null) {
            metrics.close();
        }
        host.close();
    }
}
