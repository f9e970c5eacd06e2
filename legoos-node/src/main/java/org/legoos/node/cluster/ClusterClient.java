package org.legoos.node.cluster;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import org.legoos.api.ComponentState;
import org.legoos.api.ComponentUnavailableException;
import org.legoos.api.LegoException;
import org.legoos.net.protocol.gm.ComponentInfo;
import org.legoos.net.protocol.gm.MembersRequest;
import org.legoos.net.protocol.gm.VNodeCreate;
import org.legoos.net.protocol.gm.VNodeGet;
import org.legoos.net.protocol.gm.VNodeInfo;
import org.legoos.net.protocol.gm.VNodeListRequest;
import org.legoos.net.protocol.gm.VNodeRemove;
import org.legoos.net.protocol.pm.KillProcess;
import org.legoos.net.protocol.pm.ListProcesses;
import org.legoos.net.protocol.pm.ProcessEntry;
import org.legoos.net.protocol.pm.ProcessList;
import org.legoos.net.rpc.RpcNode;
import org.legoos.net.rpc.Status;
import org.legoos.net.transport.tcp.TcpConfig;
import org.legoos.net.transport.tcp.TcpTransport;
import org.legoos.node.ComponentHost;
import org.legoos.node.config.ValueType;
import org.legoos.processor.RemoteFileService;
import org.legoos.processor.client.ProcessClient;

/**
 * A client of a running cluster, as the operator's commands use it: an RPC endpoint with node id 0 over TCP whose
 * one known peer is the manager (node {@value ComponentHost#MANAGER_NODE}); every other component is found
 * through the manager's membership table (MEMBERS) on first use. It offers the vNode registry, a vNode's files
 * (the same stateless {@link RemoteFileService} processes use), and processes (start, list, kill).
 *
 * <p>{@link #connect} checks that a manager answers before returning, so "cluster unreachable" is told apart
 * from any later failure. Thread-safe.
 */
public final class ClusterClient implements AutoCloseable {
    /** How long {@link #connect(String)} waits for the manager to answer. */
    public static final Duration DEFAULT_CONNECT_TIMEOUT = Duration.ofSeconds(5);
    private static final Duration PS_TIMEOUT = Duration.ofSeconds(5);

    /** One process and the processor component running it. */
    public record ProcessRow(ComponentInfo processor, ProcessEntry process) {
    }

    /**
     * The processes of every live processor component.
     *
     * @param unreachable one line per processor that did not answer (it is left out of {@code rows})
     */
    public record ProcessTable(List<ProcessRow> rows, List<String> unreachable) {
    }

    private final String managerAddress;
    private final RpcNode rpc;
    private final ProcessClient processes;

    /** Whether the link to the cluster is mutual TLS (false: an insecure cluster). */
    private final boolean secure;

    /** Whether {@link #close()} closes the connection (false for a {@link #borrowed()} view). */
    private final boolean owner;

    private ClusterClient(String managerAddress, RpcNode rpc, boolean secure) {
        this.managerAddress = managerAddress;
        this.rpc = rpc;
        this.secure = secure;
        this.processes = new ProcessClient(rpc, ComponentHost.MANAGER_NODE);
        this.owner = true;
    }

    private ClusterClient(ClusterClient of) {
        this.managerAddress = of.managerAddress;
        this.rpc = of.rpc;
        this.secure = of.secure;
        this.processes = of.processes;
        this.owner = false;
    }

    /**
     * A view of this client for one user of a connection kept open between users (the CLI's client agent): the same
     * connection and process table, but its {@link #close()} leaves the connection open.
     */
    public ClusterClient borrowed() {
        return new ClusterClient(this);
    }

    /** Connects to the manager at {@code host:port}, waiting up to {@link #DEFAULT_CONNECT_TIMEOUT} for it. */
    public static ClusterClient connect(String managerAddress) {
        return connect(managerAddress, DEFAULT_CONNECT_TIMEOUT);
    }

    /**
     * Connects to the manager at {@code host:port} and checks that it answers.
     *
     * @throws IllegalArgumentException if the address is not {@code host:port}
     * @throws ClusterUnreachableException if no manager answers there within {@code timeout}
     */
    public static ClusterClient connect(String managerAddress, Duration timeout) {
        return connect(managerAddress, timeout, null);
    }

    /**
     * As {@link #connect(String, Duration)} presenting {@code tls}'s identity over mutual TLS (null: an insecure
     * cluster).
     *
     * @throws org.legoos.api.security.AccessDeniedException if the manager refuses the certificate (or is no cluster
     *     component)
     */
    public static ClusterClient connect(String managerAddress, Duration timeout, org.legoos.net.security.ClusterTls tls) {
        String address = checkAddress(managerAddress);
        // the whole timeout for the connection (TCP, then the TLS handshake and hellos): a client JVM that has just
        // started, on a busy host, may need seconds for its first handshake
        int connectMillis = (int) Math.clamp(timeout.toMillis(), 1, 60_000);
        TcpTransport tcp = new TcpTransport("client", TcpConfig.DEFAULT.withConnectTimeoutMillis(connectMillis), tls);
        RpcNode rpc = new RpcNode("client", new OrderedDeliveryTransport(tcp, "client"), RpcNode.Config.DEFAULT);
        ClusterClient client = null;
        try {
            rpc.addPeer(ComponentHost.MANAGER_NODE, address);
            rpc.setResolver(node -> lookup(rpc, node));
            client = new ClusterClient(address, rpc, tls != null);
            rpc.call(ComponentHost.MANAGER_NODE, new MembersRequest(), timeout);
            return client;
        } catch (org.legoos.api.security.AccessDeniedException e) {
            rpc.close();
            throw e;
        } catch (ComponentUnavailableException e) {
            rpc.close();
            throw new ClusterUnreachableException("cannot reach the manager at " + address + ": " + e.getMessage(), e);
        } catch (LegoException e) {
            rpc.close();
            throw new ClusterUnreachableException("the process at " + address + " is not a LegoOS/J manager: " + e.getMessage(), e);
        } catch (RuntimeException e) {
            rpc.close();
            throw e;
        }
    }

    /**
     * {@code managerAddress} if it can be a manager's ({@code host:port}, port not 0), normalised.
     *
     * @throws IllegalArgumentException saying what is wrong with it
     */
    public static String checkAddress(String managerAddress) {
        String address;
        try {
            address = ValueType.address(true).parse(Objects.requireNonNull(managerAddress, "managerAddress"));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("manager address " + e.getMessage(), e);
        }
        if (address.endsWith(":0")) {
            throw new IllegalArgumentException("manager address '" + address + "' has port 0: give the port the manager listens on");
        }
        return address;
    }

    private static String lookup(RpcNode rpc, int node) {
        for (ComponentInfo c : rpc.call(ComponentHost.MANAGER_NODE, new MembersRequest()).members()) {
            if (c.nodeId() == node) {
                return c.address();
            }
        }
        return null;
    }

    /**
     * True if this client reached the cluster over mutual TLS; false for an insecure cluster (a TLS client cannot
     * talk to a plaintext manager, nor the reverse, so this is the cluster's mode too).
     */
    public boolean isSecure() {
        return secure;
    }

    /** The manager's address. */
    public String managerAddress() {
        return managerAddress;
    }

    /** The client's endpoint (node id 0). */
    public RpcNode rpc() {
        return rpc;
    }

    /**
     * Asks the manager for the membership table and waits at most {@code timeout}: whether this connection still
     * reaches a manager that answers (a hung one would hold a plain call for the whole call timeout).
     */
    public void ping(java.time.Duration timeout) {
        rpc.call(ComponentHost.MANAGER_NODE, new MembersRequest(), timeout);
    }

    /** The membership table: every registered component, ALIVE or DEAD, in node-id order. */
    public List<ComponentInfo> members() {
        return rpc.call(ComponentHost.MANAGER_NODE, new MembersRequest()).members();
    }

    public List<VNodeInfo> vnodes() {
        return rpc.call(ComponentHost.MANAGER_NODE, new VNodeListRequest()).vnodes();
    }

    /**
     * Hands the manager the cluster's revocation list (as {@code lego certs revoke} wrote it): it serves it and pushes
     * it to every live component, which close their connections to revoked peers.
     *
     * @throws org.legoos.api.LegoException INVALID_ARGUMENT if the cluster runs insecure or the CA did not sign it
     */
    public void publishRevocations(byte[] list) {
        rpc.call(ComponentHost.MANAGER_NODE, new org.legoos.net.protocol.gm.CrlPublish(
                new org.legoos.net.protocol.gm.Crl(java.nio.ByteBuffer.wrap(list))));
    }

    /** @throws LegoException NOT_FOUND */
    public VNodeInfo vnode(String nameOrId) {
        return rpc.call(ComponentHost.MANAGER_NODE, new VNodeGet(nameOrId));
    }

    /** Creates a vNode; 0 for the quota or the process limit means the manager's default. */
    public VNodeInfo createVNode(String name, long memoryQuotaBytes, int maxProcesses) {
        return createVNode(name, memoryQuotaBytes, 0, maxProcesses);
    }

    /** Creates a vNode with a storage quota too; 0 for any of them means the manager's default. */
    public VNodeInfo createVNode(String name, long memoryQuotaBytes, long storageQuotaBytes, int maxProcesses) {
        return rpc.call(ComponentHost.MANAGER_NODE, new VNodeCreate(name, memoryQuotaBytes, storageQuotaBytes, maxProcesses));
    }

    /** Removes a vNode (refused while it runs processes); its files stay on its storage component. */
    public void removeVNode(String nameOrId) {
        rpc.call(ComponentHost.MANAGER_NODE, new VNodeRemove(nameOrId));
    }

    /** The files of a vNode: names and metadata at its storage component, data through its buffer cache. */
    public RemoteFileService files(String vnode) {
        VNodeInfo v = vnode(vnode);
        return RemoteFileService.of(rpc, ComponentHost.MANAGER_NODE, v);
    }

    /** Starts processes and receives their output and exit. */
    public ProcessClient processes() {
        return processes;
    }

    /** Lists the processes of every live processor component, asking them all at once. */
    public ProcessTable ps() {
        List<ComponentInfo> processors = members().stream()
                .filter(c -> c.role() == org.legoos.api.ComponentRole.PROCESSOR && c.state() == ComponentState.ALIVE).toList();
        List<CompletableFuture<ProcessList>> replies = new ArrayList<>();
        for (ComponentInfo p : processors) {
            replies.add(rpc.callAsync(p.nodeId(), new ListProcesses(), PS_TIMEOUT));
        }
        List<ProcessRow> rows = new ArrayList<>();
        List<String> unreachable = new ArrayList<>();
        for (int i = 0; i < processors.size(); i++) {
            ComponentInfo p = processors.get(i);
            try {
                for (ProcessEntry e : replies.get(i).join().processes()) {
                    rows.add(new ProcessRow(p, e));
                }
            } catch (CompletionException e) {
                Throwable cause = e.getCause() == null ? e : e.getCause();
                unreachable.add("processor node " + p.nodeId() + " (" + p.address() + "): " + cause.getMessage());
            }
        }
        rows.sort(Comparator.comparingLong(r -> r.process().pid()));
        return new ProcessTable(rows, unreachable);
    }

    /**
     * What a processor keeps of process {@code pid}'s stderr (while it runs, and for the last processes that ended
     * there), asking every live processor at once.
     *
     * @throws LegoException NOT_FOUND if no live processor keeps it (never ran, ended long ago, or its processor is gone)
     */
    public org.legoos.net.protocol.pm.ProcessLog processLog(long pid) {
        List<ComponentInfo> processors = members().stream()
                .filter(c -> c.role() == org.legoos.api.ComponentRole.PROCESSOR && c.state() == ComponentState.ALIVE).toList();
        List<CompletableFuture<org.legoos.net.protocol.pm.ProcessLog>> replies = new ArrayList<>();
        for (ComponentInfo p : processors) {
            replies.add(rpc.callAsync(p.nodeId(), new org.legoos.net.protocol.pm.ProcessLogs(pid), PS_TIMEOUT));
        }
        List<String> unreachable = new ArrayList<>();
        for (int i = 0; i < processors.size(); i++) {
            try {
                return replies.get(i).join();
            } catch (CompletionException e) {
                Throwable cause = e.getCause() == null ? e : e.getCause();
                if (!(cause instanceof LegoException le && Status.NOT_FOUND.name().equals(le.status()))) {
                    unreachable.add("processor node " + processors.get(i).nodeId() + ": " + cause.getMessage());
                }
            }
        }
        throw Status.NOT_FOUND.toException("no live processor keeps a log of pid " + pid + " (it keeps the last "
                + "processes that ended on it)" + (unreachable.isEmpty() ? "" : "; no answer from " + String.join(", ", unreachable)));
    }

    /**
     * Kills process {@code pid} wherever it runs.
     *
     * @return the process as it was listed before the kill
     * @throws LegoException NOT_FOUND if no live processor runs it
     */
    public ProcessRow kill(long pid) {
        for (ProcessRow r : ps().rows()) {
            if (r.process().pid() == pid) {
                rpc.call(r.processor().nodeId(), new KillProcess(pid));
                return r;
            }
        }
        throw Status.NOT_FOUND.toException("no process with pid " + pid + " runs on a live processor component");
    }

    @Override
    public void close() {
        if (owner) {
            rpc.close();
        }
    }
}
