package org.legoos.node.cluster;

import java.util.Objects;
import org.legoos.manager.GlobalManager;
import org.legoos.net.rpc.RpcNode;
import org.legoos.net.transport.tcp.TcpConfig;
import org.legoos.net.transport.tcp.TcpTransport;
import org.legoos.node.config.ConfigKeys;
import org.legoos.node.config.LegoConfig;
import org.legoos.node.dashboard.ClusterView;
import org.legoos.node.dashboard.DashboardServer;
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
    private final DashboardServer dashboard;
    private final String dashboardToken;
    private volatile boolean closed;

    private ManagerNode(RpcNode rpc, GlobalManager manager, String address, Revocations revocations, MetricsServer metrics,
                        DashboardServer dashboard, String dashboardToken) {
        this.rpc = rpc;
        this.manager = manager;
        this.address = address;
        this.revocations = revocations;
        this.metrics = metrics;
        this.dashboard = dashboard;
        this.dashboardToken = dashboardToken;
    }

    /**
     * Starts the manager: opens its state directory, registers its handlers, then listens.
     *
     * @throws org.legoos.node.config.ConfigException if the configuration is inconsistent
     * @throws org.legoos.manager.ManagerStateException if the state directory is corrupt or used by another manager
     * @throws IllegalStateException if the address, {@code metrics.listen} or {@code dashboard.listen} cannot be bound
     *     (in use, not this host's), or the dashboard's token file cannot be written
     */
    public static ManagerNode start(LegoConfig config) {
        Objects.requireNonNull(config, "config");
        var managerConfig = config.managerConfig();
        MetricsServer metrics = ComponentNode.startMetrics(config, NodeRole.MANAGER);
        DashboardServer dashboard = null;
        String token = null;
        String dashboardListen = config.get(ConfigKeys.DASHBOARD_LISTEN).trim();
        if (!dashboardListen.equals(ConfigKeys.DASHBOARD_OFF)) {
            token = DashboardServer.newToken();
            try {
                dashboard = DashboardServer.start(dashboardListen, token);
                writeToken(config.get(ConfigKeys.DASHBOARD_TOKEN_FILE), token);
            } catch (RuntimeException e) {
                if (dashboard != null) {
                    dashboard.close();
                }
                if (metrics != null) {
                    metrics.close();
                }
                throw e;
            }
        }
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
            if (dashboard != null) {
                dashboard.serve(new ClusterView(gm, rpc));
                log.info("manager serves its dashboard at {} (token in {})", dashboard.url(),
                        config.get(ConfigKeys.DASHBOARD_TOKEN_FILE));
            }
            return new ManagerNode(rpc, gm, bound, revocations, metrics, dashboard, token);
        } catch (RuntimeException e) {
            if (dashboard != null) {
                dashboard.close();
            }
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

    /** Where the manager serves its dashboard ({@code http://host:port/}, no token), or null with {@code dashboard.listen: off}. */
    public String dashboardUrl() {
        return dashboard == null ? null : dashboard.url();
    }

    /** The dashboard's access token (a fresh one at every start), or null with {@code dashboard.listen: off}. */
    public String dashboardToken() {
        return dashboardToken;
    }

    /** Writes {@code token} to {@code file}, readable by its owner only (replacing the last start's). */
    private static void writeToken(java.nio.file.Path file, String token) {
        try {
            java.nio.file.Path dir = file.toAbsolutePath().getParent();
            java.nio.file.Files.createDirectories(dir);
            java.nio.file.Path tmp = java.nio.file.Files.createTempFile(dir, ".dashboard", ".tmp",
                    java.nio.file.attribute.PosixFilePermissions.asFileAttribute(
                            java.nio.file.attribute.PosixFilePermissions.fromString("rw-------")));
            java.nio.file.Files.writeString(tmp, token + "\n");
            java.nio.file.Files.move(tmp, file, java.nio.file.StandardCopyOption.REPLACE_EXISTING,
                    java.nio.file.StandardCopyOption.ATOMIC_MOVE);
        } catch (java.io.IOException | UnsupportedOperationException e) {
            throw new IllegalStateException(ConfigKeys.DASHBOARD_TOKEN_FILE.id() + " " + file
                    + ": cannot write the dashboard's token there: " + e, e);
        }
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
        if (dashboard != null) {
            dashboard.close();
        }
        if (metrics != null) {
            metrics.close();
        }
        manager.close();
        rpc.close();
    }
}
