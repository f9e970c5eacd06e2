package org.legoos.node.cluster;

import java.util.Objects;
import org.legoos.manager.GlobalManager;
import org.legoos.net.rpc.RpcNode;
import org.legoos.net.transport.tcp.TcpConfig;
import org.legoos.net.transport.tcp.TcpTransport;
import org.legoos.node.config.ConfigKeys;
import org.legoos.node.config.LegoConfig;
import org.legoos.node.metrics.ComponentMetrics;
import org.legoos.node.metrics.MetricsServer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The global managers (GPM, GMM, GSM, membership, vNode registry) as a process of a cluster: a
 * {@link GlobalManager} on its own RPC endpoint (node {@value GlobalManager#NODE_ID}) listening on TCP at
 * {@code manager.address}. With {@code manager.stateDir} set, vNodes and registrations survive a restart.
 *
 * <p>Thread-safe; {@link #close()} stops the manager, then its endpoint (which the manager does not own).
 */
public final class ManagerNode implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(ManagerNode.class);

    private final RpcNode rpc;
    private final GlobalManager manager;
    private final String address;
    private final Revocations revocations;
    private final MetricsServer metrics;
    private volatile boolean closed;

    private ManagerNode(RpcNode rpc, GlobalManager manager, String address, Revocations revocations, MetricsServer metrics) {
        this.rpc = rpc;
        this.manager = manager;
        this.address = address;
        this.revocations = revocations;
        this.metrics = metrics;
    }

    /**
     * Starts the manager: opens its state directory, registers its handlers, then listens.
     *
     * @throws org.legoos.node.config.ConfigException if the configuration is inconsistent
     * @throws org.legoos.manager.ManagerStateException if the state directory is corrupt or used by another manager
     * @throws IllegalStateException if the address or {@code metrics.listen} cannot be bound (in use, not this host's)
     */
    public static ManagerNode start(LegoConfig config) {
        Objects.requireNonNull(config, "config");
        var managerConfig = config.managerConfig();
        MetricsServer metrics = ComponentNode.startMetrics(config, NodeRole.MANAGER);
        var tls = ClusterSecurity.tls(config, NodeRole.MANAGER.wireName());
        TcpTransport tcp = new TcpTransport("manager", TcpConfig.DEFAULT, tls);
        RpcNode rpc = new RpcNode("manager", tcp, RpcNode.Config.DEFAULT);
        GlobalManager gm = null;
        Revocations revocations = null;
        try {
            gm = new GlobalManager(rpc, managerConfig); // handlers first, so nothing that connects is refused
            revocations = Revocations.serve(rpc, tls, gm::members);
            String bound = rpc.listen(config.get(ConfigKeys.MANAGER_ADDRESS));
            log.info("manager listening on {} ({})", bound, tcp.isSecure() ? "mutual TLS" : "INSECURE: plaintext, no authentication");
            if (metrics != null) {
                metrics.serve(ComponentMetrics.manager(gm, rpc)::scrape);
                log.info("manager serves metrics at {}", metrics.url());
            }
            return new ManagerNode(rpc, gm, bound, revocations, metrics);
        } catch (RuntimeException e) {
            if (revocations != null) {
                revocations.close();
            }
            if (metrics != null) {
                metrics.close();
            }
            if (gm != null) {
                gm.close();
            }
            rpc.close();
            throw e;
        }
    }

    /** The address the manager listens on (the bound port when {@code manager.address} asked for port 0). */
    public String address() {
        return address;
    }

    public GlobalManager manager() {
        return manager;
    }

    public RpcNode rpc() {
        return rpc;
    }

    /** Where the manager serves its metrics ({@code http://host:port/metrics}), or null with {@code metrics.listen: off}. */
    public String metricsUrl() {
        return metrics == null ? null : metrics.url();
    }

    /** Stops the manager (releasing its state directory) and closes its endpoint. Idempotent. */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        log.info("manager at {} stopping", address);
        revocations.close();
        if (metrics != null) {
            metrics.close();
        }
        manager.close();
        rpc.close();
    }
}
