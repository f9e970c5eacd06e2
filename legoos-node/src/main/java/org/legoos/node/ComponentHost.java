package org.legoos.node;

import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.function.Supplier;
import org.legoos.api.LegoException;
import org.legoos.api.security.AccessDeniedException;
import org.legoos.api.security.Principal;
import org.legoos.api.security.Role;
import org.legoos.net.protocol.gm.ComponentInfo;
import org.legoos.net.protocol.gm.ComponentResources;
import org.legoos.net.protocol.gm.MemberList;
import org.legoos.net.protocol.gm.MembersRequest;
import org.legoos.net.protocol.gm.Register;
import org.legoos.net.protocol.gm.Registered;
import org.legoos.net.protocol.gm.StatusReport;
import org.legoos.net.rpc.RpcNode;
import org.legoos.net.transport.Transport;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Boots one monitor as a component of a cluster, the same way whether the cluster lives in this JVM or on
 * many hosts: listen on the transport, join the cluster at the manager (which assigns the node id), learn
 * peers' addresses from the manager's membership table on first use, start the monitor, and send it status
 * reports (which double as heartbeats) periodically.
 *
 * <p>Closing the host stops the reports, tells the manager it leaves ({@code GM_LEAVE}), closes the monitor and
 * then its network endpoint.
 */
public final class ComponentHost implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(ComponentHost.class);
    /** The manager's node id ({@link org.legoos.manager.GlobalManager#NODE_ID}); components get ids from 2 up. */
    public static final int MANAGER_NODE = org.legoos.manager.GlobalManager.NODE_ID;

    /** A started monitor: what it is and how to read its resources for status reports. */
    public record Hosted<M extends AutoCloseable>(M monitor, Supplier<ComponentResources> resources) {
    }

    private static final Duration SERVING_TIMEOUT = Duration.ofSeconds(10);
    private final String role;
    private final RpcNode rpc;
    private final Hosted<?> hosted;
    private final ScheduledExecutorService reporter;
    private volatile ComponentResources lastReport = new ComponentResources(0, 0, 0, 0, 0, 0, 0);

    private ComponentHost(String role, RpcNode rpc, Hosted<?> hosted, Duration reportInterval) {
        this.role = role;
        this.rpc = rpc;
        this.hosted = hosted;
        this.reporter = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, rpc.name() + "-status");
            t.setDaemon(true);
            return t;
        });
        long ms = Math.max(1, reportInterval.toMillis());
        reporter.scheduleAtFixedRate(this::report, 0, ms, TimeUnit.MILLISECONDS);
    }

    /**
     * Joins the cluster whose manager listens at {@code managerAddress} and starts the monitor.
     *
     * @param role {@code processor}, {@code memory} or {@code storage}
     * @param name for logs and, on the in-JVM transport, the listening address
     */
    public static ComponentHost join(String role, String name, Transport transport, String listenAddress, String managerAddress,
                                     Duration reportInterval, Function<RpcNode, Hosted<?>> monitorFactory) {
        return join(role, name, transport, RpcNode.Config.DEFAULT, listenAddress, managerAddress, reportInterval, monitorFactory);
    }

    /** As {@link #join(String, String, Transport, String, String, Duration, Function)} with an RPC configuration. */
    public static ComponentHost join(String role, String name, Transport transport, RpcNode.Config rpcConfig, String listenAddress,
                                     String managerAddress, Duration reportInterval, Function<RpcNode, Hosted<?>> monitorFactory) {
        return join(role, name, transport, rpcConfig, listenAddress, managerAddress, reportInterval,
                (rpc, registered) -> monitorFactory.apply(rpc));
    }

    /**
     * As {@link #join(String, String, Transport, RpcNode.Config, String, String, Duration, Function)}, the monitor made
     * knowing the manager's REGISTER reply (a memory monitor needs its {@link Registered#pidsBefore()}).
     */
    public static ComponentHost join(String role, String name, Transport transport, RpcNode.Config rpcConfig, String listenAddress,
                                     String managerAddress, Duration reportInterval,
                                     java.util.function.BiFunction<RpcNode, Registered, Hosted<?>> monitorFactory) {
        RpcNode rpc = new RpcNode(name, transport, rpcConfig);
        try {
            rpc.refuseRequestsUntilServing(); // until the monitor's handlers exist
            String address = rpc.listen(listenAddress);
            rpc.addPeer(MANAGER_NODE, managerAddress);
            Registered reg = rpc.call(MANAGER_NODE, new Register(role, address,
                    new ComponentResources(0, 0, 0, 0, 0, 0, 0)));
            rpc.setNodeId(reg.nodeId());
            Map<Integer, String> known = new ConcurrentHashMap<>();
            rpc.setResolver(id -> known.computeIfAbsent(id, x -> lookup(rpc, x)));
            bindSourceNodes(rpc, managerAddress);
            Hosted<?> hosted = monitorFactory.apply(rpc, reg);
            rpc.serveRequests();
            log.info("{} joined as node {} at {}", name, reg.nodeId(), address);
            ComponentHost host = new ComponentHost(role, rpc, hosted, reportInterval);
            host.awaitServing(SERVING_TIMEOUT);
            return host;
        } catch (RuntimeException e) {
            rpc.close();
            throw e;
        }
    }

    /**
     * Returns once the manager lists this component as ALIVE. It registers before its monitor exists (the monitor
     * needs the node id), so the manager shows it JOINING and places nothing on it until its first status report;
     * waiting here means that once {@code join} returns, the component can be used at once. Gives up with a warning
     * after {@code timeout} (the periodic reports still bring it in).
     */
    private void awaitServing(Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        try {
            while (true) {
                for (ComponentInfo c : rpc.call(MANAGER_NODE, new MembersRequest()).members()) {
                    if (c.nodeId() == rpc.nodeId() && c.state() == org.legoos.api.ComponentState.ALIVE) {
                        return;
                    }
                }
                if (System.nanoTime() > deadline) {
                    log.warn("{}: the manager does not list it as ALIVE after {}; continuing", rpc.name(), timeout);
                    return;
                }
                report();
                Thread.sleep(5);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (LegoException e) {
            log.warn("{}: cannot ask the manager whether it is ALIVE: {}", rpc.name(), e.getMessage());
        }
    }

    /**
     * Over TLS, frames naming a node as their source must come from that node's certificate: the manager's is the one
     * this component reached at {@code managerAddress} (which must be a manager's), every other node's the identity the
     * manager's membership table records for it.
     */
    private static void bindSourceNodes(RpcNode rpc, String managerAddress) {
        Principal manager = rpc.peerIdentity(MANAGER_NODE);
        if (!manager.authenticated()) {
            return; // insecure or in-JVM: nobody is authenticated, nothing to bind
        }
        if (manager.role() != Role.MANAGER) {
            throw new AccessDeniedException("the process at " + managerAddress + " presents " + manager
                    + "'s certificate, not a manager's");
        }
        rpc.knowIdentity(MANAGER_NODE, manager.name());
        rpc.bindSourceNodes((node, claimant) -> {
            if (node == MANAGER_NODE) {
                return manager.name();
            }
            for (ComponentInfo c : rpc.call(MANAGER_NODE, new MembersRequest()).members()) {
                if (c.nodeId() == node) {
                    return c.identity(); // empty while the manager has not seen it since a restart: ask again later
                }
            }
            return null;
        });
    }

    private static String lookup(RpcNode rpc, int node) {
        MemberList members = rpc.call(MANAGER_NODE, new MembersRequest());
        for (ComponentInfo c : members.members()) {
            if (c.nodeId() == node) {
                return c.address();
            }
        }
        return null;
    }

    private void report() {
        try {
            ComponentResources r = hosted.resources().get();
            lastReport = r;
            rpc.send(MANAGER_NODE, new StatusReport(rpc.nodeId(), r));
        } catch (LegoException e) {
            log.debug("{}: status report failed: {}", rpc.name(), e.getMessage());
        } catch (RuntimeException e) {
            log.warn("{}: status report failed", rpc.name(), e);
        }
    }

    public String role() {
        return role;
    }

    public int nodeId() {
        return rpc.nodeId();
    }

    public RpcNode rpc() {
        return rpc;
    }

    public Object monitor() {
        return hosted.monitor();
    }

    /** What the last status report said (all zero before the first): for metrics, without measuring again. */
    public ComponentResources lastReport() {
        return lastReport;
    }

    @Override
    public void close() {
        stop(true);
    }

    /**
     * Stops without telling the manager, as a crash would: it notices at the heartbeat timeout. The component goes
     * silent before its monitor closes, as a crashed one does: a request arriving between the two would otherwise be
     * answered by a closed monitor ("page store is closed", an error, where a crashed component gives no answer and
     * its callers fail over).
     */
    public void crash() {
        reporter.shutdownNow();
        rpc.close();
        stop(false);
    }

    private void stop(boolean leave) {
        reporter.shutdownNow();
        if (leave) {
            try {
                rpc.send(MANAGER_NODE, new org.legoos.net.protocol.gm.Leave(rpc.nodeId())); // not chosen any more, at once
            } catch (RuntimeException e) {
                log.debug("{}: could not tell the manager it leaves: {}", rpc.name(), e.toString());
            }
        }
        try {
            hosted.monitor().close();
        } catch (Exception e) {
            log.warn("{}: closing monitor failed", rpc.name(), e);
        }
        rpc.close();
    }
}
