package org.legoos.manager;

import it.unimi.dsi.fastutil.longs.Long2ObjectOpenHashMap;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;
import org.legoos.api.ComponentRole;
import org.legoos.api.LegoException;
import org.legoos.api.Sizes;
import org.legoos.net.protocol.Ack;
import org.legoos.net.protocol.gm.ComponentInfo;
import org.legoos.net.protocol.gm.Consult;
import org.legoos.net.protocol.gm.MemberList;
import org.legoos.net.protocol.gm.MembersRequest;
import org.legoos.net.protocol.gm.MemoryUsage;
import org.legoos.net.protocol.gm.NodeChoice;
import org.legoos.net.protocol.gm.PlaceProcess;
import org.legoos.net.protocol.gm.Placement;
import org.legoos.net.protocol.gm.ProcessExited;
import org.legoos.api.security.Principal;
import org.legoos.net.protocol.gm.Register;
import org.legoos.net.protocol.gm.Registered;
import org.legoos.net.protocol.gm.StatusReport;
import org.legoos.net.protocol.gm.StorageAttach;
import org.legoos.net.protocol.gm.StorageDetach;
import org.legoos.net.protocol.gm.VNodeCreate;
import org.legoos.net.protocol.gm.VNodeGet;
import org.legoos.net.protocol.gm.VNodeInfo;
import org.legoos.net.protocol.gm.VNodeList;
import org.legoos.net.protocol.gm.VNodeListRequest;
import org.legoos.net.protocol.gm.VNodeRemove;
import org.legoos.net.rpc.RpcNode;
import org.legoos.net.rpc.Status;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The global managers of LegoOS on one node (id {@value #NODE_ID}): the membership table, the GPM (which
 * processor runs a new process), the GMM (which memory component owns a new vRegion, is a process's home, or
 * caches a vNode's files) and the GSM (which storage component serves a vNode), plus the vNode registry.
 *
 * <p>As in the paper the managers keep only approximate state, refreshed by the components' periodic
 * STATUS_REPORTs, and are asked only for coarse decisions. A component whose last REGISTER or STATUS_REPORT is
 * older than {@link ManagerConfig#heartbeatTimeoutMillis()} is marked DEAD by {@link #tick(long)} and is never
 * chosen; it becomes ALIVE again when it reports. With {@link ManagerConfig#stateDir()} set, registrations,
 * vNodes, running processes and the id/pid counters survive a manager restart (components restored from disk
 * start DEAD until they report).
 *
 * <p>The constructor sets the RPC node's id to {@value #NODE_ID} and registers the GM link's handlers on it;
 * the manager does not own (and does not close) the RPC node. Every RPC handler is also a public method, for
 * in-JVM callers and tests.
 *
 * <p>Thread-safe. Requests are served on the manager's virtual threads, one-way messages (STATUS_REPORT,
 * PROCESS_EXIT) on the transport's delivery thread, heartbeat checks on the manager's tick thread. Every
 * decision and state change happens under one lock (decisions are rare and coarse); the only remote call the
 * manager makes, STORAGE_ATTACH, is made without holding it.
 */
public final class GlobalManager implements AutoCloseable {
    /** The managers' node id. */
    public static final int NODE_ID = 1;
    /** The id of the first component to register; ids are never reused. */
    public static final int FIRST_COMPONENT_ID = 2;

    private static final Logger log = LoggerFactory.getLogger(GlobalManager.class);

    /** A vNode whose creation waits for its storage component's STORAGE_ATTACH reply. */
    private record Reservation(int id, String name, String virtualIp, int storageNode, int cacheMemoryNode,
                               long memoryQuotaBytes, long storageQuotaBytes, int maxProcesses) {
    }

    private final RpcNode rpc;
    private final ManagerConfig config;
    private final LongSupplier clock;
    private final IpPool ipPool;
    private final StateStore store;
    private final ExecutorService requests;
    /**
     * Sends the processors' notices of memory deaths and returns, one at a time in the order they were decided (under
     * {@link #lock}): a processor handles them in arrival order, so a return never overtakes the death before it.
     */
    private final ExecutorService processorNotices =
            Executors.newSingleThreadExecutor(Thread.ofVirtual().name("gm-processor-notices").factory());
    private final ScheduledExecutorService ticker;
    private volatile boolean closed;

    private final Object lock = new Object();
    // guarded by lock
    private final Gmm gmm;
    private final TreeMap<Integer, Member> members = new TreeMap<>();
    private final Map<String, Member> membersByAddress = new HashMap<>();
    private final TreeMap<Integer, VNode> vnodes = new TreeMap<>();
    private final Map<String, VNode> vnodesByName = new HashMap<>();
    private final Map<String, Reservation> pendingVnodes = new HashMap<>();
    private final Set<String> ipsInUse = new HashSet<>();
    private final Long2ObjectOpenHashMap<StateStore.ProcessRow> processes = new Long2ObjectOpenHashMap<>();
    private int nextNodeId = FIRST_COMPONENT_ID;
    private int nextVnodeId = 1;
    private long nextPid = 1;
    private long ipCursor;

    /** A manager on the wall clock. */
    public GlobalManager(RpcNode rpc, ManagerConfig config) {
        this(rpc, config, System::currentTimeMillis);
    }

    /**
     * A manager whose notion of "now" (report times, liveness) comes from {@code clockMillis}; tests pass a
     * settable clock and drive {@link #tick(long)} themselves (with {@code tickPeriodMillis} 0).
     *
     * @throws ManagerStateException if the state directory is corrupt, unreadable or used by another manager
     */
    public GlobalManager(RpcNode rpc, ManagerConfig config, LongSupplier clockMillis) {
        this.rpc = Objects.requireNonNull(rpc, "rpc");
        this.config = Objects.requireNonNull(config, "config");
        this.clock = Objects.requireNonNull(clockMillis, "clockMillis");
        this.ipPool = IpPool.parse(config.vnodeIpPool());
        this.gmm = new Gmm(config.memoryPolicy());
        this.store = config.stateDir() == null ? null : StateStore.open(config.stateDir());
        try {
            if (store != null) {
                StateStore.Snapshot s = store.load();
                if (s != null) {
                    restore(s);
                }
            }
            rpc.setNodeId(NODE_ID);
            for (Member m : members.values()) {
                rpc.addPeer(m.id, m.address);
            }
            this.requests = Executors.newThreadPerTaskExecutor(Thread.ofVirtual().name("gm-request-", 0).factory());
            registerHandlers();
            rpc.bindSourceNodes(this::identityOf); // over TLS a frame naming node N comes from N's certificate
        } catch (RuntimeException e) {
            if (store != null) {
                store.close();
            }
            throw e;
        }
        if (config.tickPeriodMillis() > 0) {
            this.ticker = Executors.newSingleThreadScheduledExecutor(r -> {
                Thread t = new Thread(r, "gm-heartbeat");
                t.setDaemon(true);
                return t;
            });
            ticker.scheduleAtFixedRate(this::scheduledTick, config.tickPeriodMillis(), config.tickPeriodMillis(),
                    TimeUnit.MILLISECONDS);
        } else {
            this.ticker = null;
        }
        log.info("global manager started as node {}: GMM policy {}, heartbeat timeout {} ms, vNode IP pool {}, {}",
                NODE_ID, config.memoryPolicy(), config.heartbeatTimeoutMillis(), ipPool,
                store == null ? "state in memory only" : "state in " + store.file() + " (" + members.size()
                        + " components, " + vnodes.size() + " vNodes, " + processes.size() + " processes restored)");
    }

    private void registerHandlers() {
        rpc.handle(Register.class, (q, ctx) -> register(q, ctx.principal()), requests);
        rpc.handle(MembersRequest.class, (q, ctx) -> new MemberList(members()), requests);
        rpc.handle(VNodeCreate.class, (q, ctx) -> createVNode(q), requests);
        rpc.handle(VNodeListRequest.class, (q, ctx) -> new VNodeList(vnodes().stream()
                .filter(v -> ctx.principal().mayActIn(v.name())).toList()), requests);
        rpc.handle(VNodeGet.class, (q, ctx) -> actingIn(ctx.principal(), vnode(q.nameOrId())), requests);
        rpc.handle(VNodeRemove.class, (q, ctx) -> {
            removeVNode(q.nameOrId());
            return Ack.INSTANCE;
        }, requests);
        rpc.handle(PlaceProcess.class, (q, ctx) -> {
            actingIn(ctx.principal(), vnodeInfo(q.vnodeId()));
            return placeProcess(q);
        }, requests);
        rpc.handle(Consult.class, (q, ctx) -> consult(q), requests);
        rpc.handle(org.legoos.net.protocol.gm.ProcessInfo.class, (q, ctx) -> processInfo(q.pid()), requests);
        rpc.handle(org.legoos.net.protocol.gm.ReplicaConsult.class, (q, ctx) -> replicaConsult(q), requests);
        rpc.handle(MemoryUsage.class, (q, ctx) -> memoryUsage(q), requests);
        rpc.onMessage(StatusReport.class, (m, ctx) -> {
            if (fromNode(ctx, m.nodeId(), "STATUS_REPORT")) {
                statusReport(m);
            }
        });
        rpc.onMessage(ProcessExited.class, (m, ctx) -> {
            VNodeInfo v = vnodeInfoOrNull(m.vnodeId());
            if (v == null || ctx.principal().mayActIn(v.name())) {
                processExited(m);
            } else {
                log.warn("exit of pid {} in vNode {} from {} refused: not its vNode", m.pid(), v.name(), ctx.principal());
            }
        });
        rpc.onMessage(org.legoos.net.protocol.gm.Leave.class, (m, ctx) -> {
            if (fromNode(ctx, m.nodeId(), "LEAVE")) {
                leave(m.nodeId());
            }
        });
        rpc.onMessage(org.legoos.net.protocol.gm.HomeMoved.class, (m, ctx) -> homeMoved(m, ctx.sourceNode()));
    }

    public ManagerConfig config() {
        return config;
    }

    // ------------------------------------------------------------------ membership

    /**
     * REGISTER: a component joins and gets its node id (from {@value #FIRST_COMPONENT_ID} up, never reused).
     * Registering again from the same address returns the existing id and counts as a status report. A component
     * registers once per start, so a memory component registering again is a new incarnation that holds nothing: if
     * the old one's memory was not failed over yet (it restarted within the heartbeat timeout), the old one is declared
     * dead now and its memory fails over (a processor's processes are released, as for a dead one); either way the
     * new memory component is fenced (not chosen until it acknowledged
     * GM_MEMORY_FAILED about itself) and told which pids it must answer UNAVAILABLE for ({@link Registered#pidsBefore}).
     *
     * @throws LegoException INVALID_ARGUMENT for an unknown role or a bad address; EXISTS if the address is
     *     registered with another role
     */
    public Registered register(Register r) {
        return register(r, Principal.UNAUTHENTICATED);
    }

    /**
     * {@link #register(Register)} by {@code who}: over TLS a component registers only as the role its certificate
     * names, and an address stays bound to the identity that first registered it (another certificate cannot take
     * over a component's address, and with it its node id).
     *
     * @throws LegoException DENIED for a role or address its certificate does not allow
     */
    public Registered register(Register r, Principal who) {
        ensureOpen();
        ComponentRole role = ComponentRole.byWireName(r.role());
        if (role == null) {
            throw Status.INVALID_ARGUMENT.toException("unknown component role '" + r.role()
                    + "': expected processor, memory or storage");
        }
        if (who.authenticated() && who.role().component() != role) {
            throw Status.DENIED.toException(who + " may not register as a " + role.wireName() + " component");
        }
        String address = r.address();
        if (address.isBlank() || address.chars().anyMatch(c -> Character.isWhitespace(c) || Character.isISOControl(c))) {
            throw Status.INVALID_ARGUMENT.toException("component address '" + address
                    + "' must be non-empty and contain no whitespace");
        }
        Registered registered;
        int restarted = -1;
        List<StateStore.ProcessRow> orphans = List.of();
        synchronized (lock) {
            long now = clock.getAsLong();
            Member m = membersByAddress.get(address);
            if (m != null) {
                if (m.role != role) {
                    throw Status.EXISTS.toException("address " + address + " is already registered as " + m
                            + "; a " + role.wireName() + " component must listen elsewhere");
                }
                if (who.authenticated() && m.identity != null && !m.identity.equals(who.name())) {
                    throw Status.DENIED.toException("address " + address + " belongs to " + m + ", registered by '"
                            + m.identity + "'; " + who + " may not take it over");
                }
                if (who.authenticated()) {
                    m.identity = who.name();
                    rpc.knowIdentity(m.id, who.name());
                }
                boolean memory = m.role == ComponentRole.MEMORY;
                if (m.role == ComponentRole.PROCESSOR && m.alive) {
                    // restarted within the heartbeat timeout: the old one's processes died with it
                    log.warn("{} registered again within the heartbeat timeout: its previous incarnation is DEAD", m);
                    orphans = releaseProcessesOfLocked(m);
                }
                boolean lostUnannounced = memory && (m.alive || !m.failedOver);
                if (lostUnannounced && m.alive) {
                    m.alive = false;
                    m.deadSinceMillis = now;
                    log.warn("{} registered again within the heartbeat timeout: its previous incarnation is DEAD", m);
                }
                boolean wasDead = m.registered(r.resources(), now, memory);
                rpc.addPeer(m.id, address);
                log.info("{} registered again{}", m, memory ? ": it must be fenced before it serves"
                        : wasDead ? " and is ALIVE" : "");
                if (lostUnannounced) {
                    restarted = m.id;
                }
                registered = new Registered(m.id, memory ? nextPid : 0);
            } else {
                if (nextNodeId == Integer.MAX_VALUE) {
                    throw Status.QUOTA.toException("node ids are exhausted");
                }
                m = new Member(nextNodeId++, role, address);
                m.registered(r.resources(), now);
                if (who.authenticated()) {
                    m.identity = who.name();
                    rpc.knowIdentity(m.id, who.name());
                }
                members.put(m.id, m);
                membersByAddress.put(address, m);
                try {
                    persistLocked();
                } catch (LegoException e) {
                    members.remove(m.id);
                    membersByAddress.remove(address);
                    throw e;
                }
                rpc.addPeer(m.id, address);
                log.info("{} joined: {} cores, {} threads, {} bytes memory capacity", m, r.resources().cores(),
                        r.resources().threadsRunning(), r.resources().memoryCapacityBytes());
                registered = new Registered(m.id);
            }
        }
        if (restarted >= 0) {
            announceMemoryFailure(restarted); // what the previous incarnation held fails over to the replicas
        }
        orphans.forEach(this::freeAddressSpace);
        return registered;
    }

    /**
     * STATUS_REPORT: refreshes the component's resources and liveness; a DEAD component becomes ALIVE. A report
     * from an unknown node id is ignored (and logged).
     */
    public void statusReport(StatusReport r) {
        if (closed) {
            return;
        }
        boolean fence = false;
        boolean joined;
        synchronized (lock) {
            Member m = members.get(r.nodeId());
            if (m == null) {
                log.info("status report from unknown node {} ignored: it must REGISTER first", r.nodeId());
                return;
            }
            boolean wasServing = m.serving && m.alive;
            if (m.reported(r.resources(), clock.getAsLong())) {
                if (m.failedOver) {
                    // it was only stopped or cut off: its vRegions and processes live elsewhere now, and what it still
                    // holds is stale. It serves again once it has dropped all of it
                    m.fencing = true;
                    m.serving = false;
                    log.warn("{} reported again after its memory was failed over: it must drop what it holds first", m);
                } else {
                    log.info("{} reported again and is ALIVE", m);
                }
            }
            if (m.fencing && !m.fenceSent) {
                m.fenceSent = true;
                fence = true;
            }
            joined = !wasServing && m.serving && m.role == ComponentRole.MEMORY;
        }
        if (fence) {
            fence(r.nodeId());
        }
        if (joined) {
            announceMemoryJoined(r.nodeId());
        }
    }

    /**
     * Tells the other live memory components that memory component {@code node} serves now (GM_MEMORY_JOINED), so
     * homes give a replica to owners and home metadata running without one. From a request thread: the caller may
     * be a transport thread.
     */
    private void announceMemoryJoined(int node) {
        List<Member> targets;
        synchronized (lock) {
            targets = live(ComponentRole.MEMORY, clock.getAsLong()).stream().filter(t -> t.id != node).toList();
            noticeProcessorsLocked(new org.legoos.net.protocol.gm.MemoryJoined(node));
        }
        try {
            requests.execute(() -> {
                for (Member t : targets) {
                    rpc.callAsync(t.id, new org.legoos.net.protocol.gm.MemoryJoined(node), java.time.Duration.ofSeconds(120))
                            .whenComplete((ack, err) -> {
                                if (err != null) {
                                    log.info("memory component {} did not restore redundancy onto {}: {}", t.id, node,
                                            err.getMessage());
                                }
                            });
                }
            });
        } catch (java.util.concurrent.RejectedExecutionException closing) {
            // the manager is closing
        }
    }

    /**
     * Tells memory component {@code node}, back after its memory was failed over, that it was declared dead
     * (GM_MEMORY_FAILED about itself): it drops every page, area, replica and home it held and answers for those
     * processes that it no longer holds them. It is chosen again once it acknowledged; a failure is retried at its
     * next report.
     */
    private void fence(int node) {
        // status reports arrive on a transport thread, which must not open a connection: send from a request thread
        try {
            requests.execute(() -> sendFence(node));
        } catch (java.util.concurrent.RejectedExecutionException closing) {
            // the manager is closing
        }
    }

    private void sendFence(int node) {
        rpc.callAsync(node, new org.legoos.net.protocol.gm.MemoryFailed(node), java.time.Duration.ofSeconds(60))
                .whenComplete((ack, err) -> {
                    synchronized (lock) {
                        Member m = members.get(node);
                        if (m == null || !m.fencing) {
                            return;
                        }
                        m.fenceSent = false;
                        if (err == null) {
                            m.fencing = false;
                            m.failedOver = false;
                            m.serving = m.alive;
                            log.info("{} dropped its stale memory and is ALIVE again", m);
                            if (m.serving) {
                                announceMemoryJoined(node);
                            }
                        } else {
                            log.warn("{} could not drop its stale memory ({}): retried at its next report", m,
                                    err.getMessage());
                        }
                    }
                });
    }

    /**
     * Marks DEAD every ALIVE component whose last report is older than the heartbeat timeout at
     * {@code nowMillis}, and fails the manager's calls in flight to it. Called by the manager's own thread every
     * {@link ManagerConfig#tickPeriodMillis()}, or by the owner when that is 0.
     */
    public void tick(long nowMillis) {
        List<Member> died = new ArrayList<>();
        List<StateStore.ProcessRow> orphans = new ArrayList<>();
        synchronized (lock) {
            for (Member m : members.values()) {
                if (m.alive && nowMillis - m.lastReportMillis > config.heartbeatTimeoutMillis()) {
                    m.alive = false;
                    m.deadSinceMillis = nowMillis;
                    died.add(m);
                    log.warn("{} is DEAD: no status report for {} ms (timeout {} ms)", m, nowMillis - m.lastReportMillis,
                            config.heartbeatTimeoutMillis());
                    if (m.role == ComponentRole.PROCESSOR) {
                        orphans.addAll(releaseProcessesOfLocked(m));
                    }
                }
            }
            pruneDeadLocked(nowMillis);
        }
        for (Member m : died) {
            rpc.failCallsTo(m.id, m + " was declared dead by the global manager");
            if (m.role == ComponentRole.MEMORY) {
                announceMemoryFailure(m.id);
            }
        }
        for (StateStore.ProcessRow p : orphans) {
            freeAddressSpace(p);
        }
    }

    /**
     * Tells every live memory component that memory component {@code dead} is dead (GM_MEMORY_FAILED), so the homes
     * move its vRegions to their replicas. Asynchronous: the caller (the heartbeat thread) holds no lock and does not
     * wait; each component's failover is logged there with its duration.
     */
    private void announceMemoryFailure(int dead) {
        announceMemoryFailure(dead, false);
    }

    /** {@code left}: it shut down cleanly (GM_LEAVE), which is logged as such, not as a death. */
    private void announceMemoryFailure(int dead, boolean left) {
        List<Member> targets;
        synchronized (lock) {
            Member m = members.get(dead);
            if (m != null) {
                m.failedOver = true; // if it comes back, it must drop what it held before it serves again
            }
            targets = live(ComponentRole.MEMORY, clock.getAsLong());
            moveFileCachesLocked(dead, targets, left);
            noticeProcessorsLocked(new org.legoos.net.protocol.gm.MemoryFailed(dead));
        }
        if (left) {
            log.info("memory component {} left: {} live memory component(s) take over its vRegions", dead, targets.size());
        } else {
            log.warn("memory component {} is dead: {} live memory component(s) fail over its vRegions", dead, targets.size());
        }
        try { // GM_LEAVE arrives on a transport thread, which must not open a connection
            requests.execute(() -> sendMemoryFailed(dead, targets));
        } catch (java.util.concurrent.RejectedExecutionException closing) {
            // the manager is closing
        }
    }

    /**
     * The vNodes whose files memory component {@code dead} cached get one of {@code live} instead, persisted. Their
     * processors and clients find it when the dead one does not answer ({@code RemoteFileService}); what a dead one
     * held that storage had not is lost, and each file's next fsync or close says so. {@code left}: it shut down
     * cleanly, writing back what it held (at a cluster's shutdown, the last one leaves no component to move to).
     */
    private void moveFileCachesLocked(int dead, List<Member> live, boolean left) {
        boolean moved = false;
        for (VNode v : vnodes.values()) {
            if (v.cacheMemoryNode != dead) {
                continue;
            }
            Member to;
            try {
                to = gmm.choose(live, 0, "cache the files of " + v);
            } catch (LegoException e) {
                if (left) {
                    log.info("{}: no memory component to cache its files after memory component {} left: {}", v, dead,
                            e.getMessage());
                } else {
                    log.error("{}: no memory component to cache its files instead of memory component {}: {}", v, dead,
                            e.getMessage());
                }
                continue;
            }
            gmm.granted(to, 0);
            v.cacheMemoryNode = to.id;
            moved = true;
            if (left) {
                log.info("{}: its file cache moves from memory component {}, which left, to {}", v, dead, to.id);
            } else {
                log.warn("{}: its file cache moves from memory component {}, which died, to {} (what it held that "
                        + "storage had not is lost)", v, dead, to.id);
            }
        }
        if (moved) {
            try {
                persistLocked();
            } catch (LegoException e) {
                log.error("the vNodes' new file caches are not saved (a restarted manager names the dead one again): {}",
                        e.getMessage());
            }
        }
    }

    /**
     * Tells the live processors of a memory component's death ({@code GM_MEMORY_FAILED}: their calls to it fail at
     * once instead of waiting out their timeout) or return ({@code GM_MEMORY_JOINED}), in the order of these calls
     * (made under {@link #lock}; the sending happens later, on {@link #processorNotices}). Best effort: a processor
     * that misses one waits for its calls' timeouts, as before.
     */
    private void noticeProcessorsLocked(org.legoos.net.protocol.Request<org.legoos.net.protocol.Ack> notice) {
        List<Member> processors = live(ComponentRole.PROCESSOR, clock.getAsLong());
        if (processors.isEmpty()) {
            return;
        }
        try {
            processorNotices.execute(() -> {
                for (Member t : processors) {
                    rpc.callAsync(t.id, notice, java.time.Duration.ofSeconds(30)).whenComplete((ack, err) -> {
                        if (err != null) {
                            log.info("{} did not take {}: {}", t, notice, cause(err).getMessage());
                        }
                    });
                }
            });
        } catch (java.util.concurrent.RejectedExecutionException closing) {
            // the manager is closing
        }
    }

    private void sendMemoryFailed(int dead, List<Member> targets) {
        for (Member t : targets) {
            rpc.callAsync(t.id, new org.legoos.net.protocol.gm.MemoryFailed(dead), java.time.Duration.ofSeconds(60))
                    .whenComplete((ack, err) -> {
                        Throwable why = cause(err);
                        if (why instanceof org.legoos.api.ComponentUnavailableException) {
                            // it is going too (a cluster shutting down) or died meanwhile: its own failover follows
                            log.info("memory component {} did not fail over from {}: {}", t.id, dead, why.getMessage());
                        } else if (why != null) {
                            log.warn("memory component {} could not fail over from {}: {}", t.id, dead, why.getMessage());
                        }
                    });
        }
    }

    /**
     * GM_LEAVE: a component shuts down cleanly. It is marked DEAD at once (never chosen again until it reports or
     * registers again), and, for a processor, its processes are released as for a dead one. Unknown ids are ignored.
     */
    public void leave(int nodeId) {
        if (closed) {
            return;
        }
        List<StateStore.ProcessRow> orphans = List.of();
        ComponentRole role;
        synchronized (lock) {
            Member m = members.get(nodeId);
            if (m == null || !m.alive) {
                return;
            }
            m.alive = false;
            m.deadSinceMillis = clock.getAsLong();
            role = m.role;
            log.info("{} left the cluster", m);
            if (m.role == ComponentRole.PROCESSOR) {
                orphans = releaseProcessesOfLocked(m);
            }
        }
        rpc.failCallsTo(nodeId, "node " + nodeId + " left the cluster");
        if (role == ComponentRole.MEMORY) {
            announceMemoryFailure(nodeId, true);
        }
        orphans.forEach(this::freeAddressSpace);
    }

    /**
     * Forgets the components DEAD for longer than {@link ManagerConfig#deadRetentionMillis()} that no vNode (storage,
     * buffer cache) or process (processor, home) refers to, so the table does not grow with every component that
     * ever left. One that comes back later registers as a new component with a new node id; one that comes back
     * sooner, at the same address, keeps its entry and id (see {@link #register}).
     */
    private void pruneDeadLocked(long nowMillis) {
        Set<Integer> referenced = new HashSet<>();
        for (VNode v : vnodes.values()) {
            referenced.add(v.storageNode);
            referenced.add(v.cacheMemoryNode);
        }
        for (Reservation r : pendingVnodes.values()) {
            referenced.add(r.storageNode());
            referenced.add(r.cacheMemoryNode());
        }
        for (StateStore.ProcessRow p : processes.values()) {
            referenced.add(p.processorNode());
            referenced.add(p.homeMemoryNode());
        }
        List<Member> gone = new ArrayList<>();
        for (Member m : members.values()) {
            if (!m.alive && nowMillis - m.deadSinceMillis > config.deadRetentionMillis() && !referenced.contains(m.id)) {
                gone.add(m);
            }
        }
        if (gone.isEmpty()) {
            return;
        }
        for (Member m : gone) {
            members.remove(m.id);
            membersByAddress.remove(m.address, m);
            rpc.removePeer(m.id);
            log.info("{} forgotten: DEAD for {} ms (retention {} ms)", m, nowMillis - m.deadSinceMillis,
                    config.deadRetentionMillis());
        }
        try {
            persistLocked();
        } catch (LegoException e) {
            // applied in memory; the next successful save records it
        }
    }

    /**
     * The processes of a dead processor component will never report their exit: release them from their vNodes'
     * counts now (P2PM_EXIT_PROC on the dead processor's behalf). Returns them so their memory can be freed.
     */
    private List<StateStore.ProcessRow> releaseProcessesOfLocked(Member processor) {
        List<StateStore.ProcessRow> gone = new ArrayList<>();
        for (StateStore.ProcessRow p : processes.values()) {
            if (p.processorNode() == processor.id) {
                gone.add(p);
            }
        }
        for (StateStore.ProcessRow p : gone) {
            processes.remove(p.pid());
            VNode v = vnodes.get(p.vnodeId());
            if (v != null) {
                v.pids.remove(p.pid());
                v.setMapped(p.pid(), 0);
            }
            log.warn("pid {} is lost with {}: released from vNode {}", p.pid(), processor, p.vnodeId());
        }
        if (!gone.isEmpty()) {
            try {
                persistLocked();
            } catch (LegoException e) {
                // applied in memory; the next successful save records it
            }
        }
        return gone;
    }

    /**
     * Asks a lost process's home memory component to free its address space everywhere; best effort. The home this
     * manager knows may have died, and a survivor may have adopted the process's home from its replica without the
     * manager having heard yet (GM_HOME_MOVED is one way and may be in flight, or lost with the adopter's connection):
     * then every live memory component is asked, and the one that is home now frees it (the others answer that they
     * hold no such address space).
     */
    private void freeAddressSpace(StateStore.ProcessRow p) {
        List<Integer> asked;
        synchronized (lock) {
            Member home = members.get(p.homeMemoryNode());
            asked = home != null && home.live(clock.getAsLong(), config.heartbeatTimeoutMillis()) ? List.of(home.id)
                    : live(ComponentRole.MEMORY, clock.getAsLong()).stream().map(m -> m.id).toList();
        }
        for (int node : asked) {
            rpc.callAsync(node, new org.legoos.net.protocol.p2m.DestroyAddressSpace(p.pid()),
                            java.time.Duration.ofMillis(config.storageCallTimeoutMillis()))
                    .whenComplete((ack, err) -> {
                        Throwable why = cause(err);
                        boolean notHome = why instanceof org.legoos.api.LegoException le
                                && org.legoos.net.rpc.Status.of(le) == org.legoos.net.rpc.Status.NOT_FOUND;
                        if (why != null && !(asked.size() > 1 && notHome)) {
                            log.info("freeing the address space of lost pid {} on memory node {} failed: {}", p.pid(),
                                    node, why.getMessage());
                        }
                    });
        }
    }

    /** What an asynchronous call failed with: the cause of a {@code CompletionException}, else {@code err} itself. */
    private static Throwable cause(Throwable err) {
        return err instanceof java.util.concurrent.CompletionException ce && ce.getCause() != null ? ce.getCause() : err;
    }

    private void scheduledTick() {
        try {
            tick(clock.getAsLong());
        } catch (Throwable t) {
            log.error("heartbeat check failed", t);
        }
    }

    /** MEMBERS: every registered component in node-id order. */
    public List<ComponentInfo> members() {
        synchronized (lock) {
            return members.values().stream().map(Member::info).toList();
        }
    }

    /** One component of the membership table. */
    public Optional<ComponentInfo> member(int nodeId) {
        synchronized (lock) {
            return Optional.ofNullable(members.get(nodeId)).map(Member::info);
        }
    }

    // ------------------------------------------------------------------ GSM and vNodes

    /**
     * VNODE_CREATE: validates the name, picks the live storage component with the least storage used (GSM) and
     * the memory component caching the vNode's files (GMM), assigns an id and a virtual IP, and has the storage
     * component attach the vNode (STORAGE_ATTACH) before replying. A quota or limit of 0 means the configured
     * default.
     *
     * @throws LegoException INVALID_ARGUMENT for a bad name or negative quota; EXISTS for a taken name;
     *     UNAVAILABLE if no storage or memory component is alive; QUOTA if the IP pool is exhausted; the storage
     *     component's error if it cannot attach
     */
    public VNodeInfo createVNode(VNodeCreate req) {
        ensureOpen();
        String problem = VNode.nameProblem(req.name());
        if (problem != null) {
            throw Status.INVALID_ARGUMENT.toException(problem);
        }
        if (req.memoryQuotaBytes() < 0 || req.storageQuotaBytes() < 0 || req.maxProcesses() < 0) {
            throw Status.INVALID_ARGUMENT.toException("vNode '" + req.name() + "': memory quota, storage quota and process"
                    + " limit must be positive, or 0 for the defaults (got " + req.memoryQuotaBytes() + " bytes, "
                    + req.storageQuotaBytes() + " bytes, " + req.maxProcesses() + " processes)");
        }
        long quota = req.memoryQuotaBytes() == 0 ? config.defaultMemoryQuotaBytes() : req.memoryQuotaBytes();
        long storageQuota = req.storageQuotaBytes() == 0 ? config.defaultStorageQuotaBytes() : req.storageQuotaBytes();
        int maxProcesses = req.maxProcesses() == 0 ? config.defaultMaxProcesses() : req.maxProcesses();
        Reservation res = reserve(req.name(), quota, storageQuota, maxProcesses);
        try {
            rpc.call(res.storageNode(), new StorageAttach(res.id(), res.name()),
                    Duration.ofMillis(config.storageCallTimeoutMillis()));
        } catch (LegoException e) {
            synchronized (lock) {
                release(res);
            }
            log.warn("vNode {} '{}' not created: storage node {} could not attach it: {}", res.id(), res.name(),
                    res.storageNode(), e.getMessage());
            throw Status.of(e).toException("storage node " + res.storageNode() + " could not attach vNode '" + res.name()
                    + "': " + e.getMessage());
        }
        synchronized (lock) {
            release(res);
            ensureOpen();
            VNode v = new VNode(res.id(), res.name(), res.virtualIp(), res.storageNode(), res.cacheMemoryNode(),
                    res.memoryQuotaBytes(), res.storageQuotaBytes(), res.maxProcesses());
            vnodes.put(v.id, v);
            vnodesByName.put(v.name, v);
            ipsInUse.add(v.virtualIp);
            try {
                persistLocked();
            } catch (LegoException e) {
                vnodes.remove(v.id);
                vnodesByName.remove(v.name);
                ipsInUse.remove(v.virtualIp);
                throw e;
            }
            log.info("{} created: IP {}, storage node {} at {}, buffer cache on memory node {}, memory quota {} bytes,"
                    + " storage quota {} bytes, {} processes", v, v.virtualIp, v.storageNode, VNode.storageRoot(v.id),
                    v.cacheMemoryNode, v.memoryQuotaBytes, v.storageQuotaBytes, v.maxProcesses);
            return v.info();
        }
    }

    /** Takes the name, an id and an IP, and makes the GSM and GMM decisions, before storage is called. */
    private Reservation reserve(String name, long quota, long storageQuota, int maxProcesses) {
        synchronized (lock) {
            if (vnodesByName.containsKey(name) || pendingVnodes.containsKey(name)) {
                throw Status.EXISTS.toException("a vNode named '" + name + "' already exists");
            }
            long now = clock.getAsLong();
            Member storage = chooseStorageLocked(now);
            if (storage == null) {
                throw Status.UNAVAILABLE.toException("no live storage component to hold vNode '" + name + "' ("
                        + count(ComponentRole.STORAGE) + " registered)");
            }
            Member cache = gmm.choose(live(ComponentRole.MEMORY, now), 0, "cache the files of vNode '" + name + "'");
            Set<String> taken = new HashSet<>(ipsInUse);
            pendingVnodes.values().forEach(p -> taken.add(p.virtualIp()));
            long offset = ipPool.allocate(ipCursor, taken);
            if (offset < 0) {
                throw Status.QUOTA.toException("vNode IP pool " + ipPool + " is exhausted: all " + ipPool.size()
                        + " addresses are in use; remove a vNode or configure a larger vnodeIpPool");
            }
            if (nextVnodeId == Integer.MAX_VALUE) {
                throw Status.QUOTA.toException("vNode ids are exhausted");
            }
            Reservation res = new Reservation(nextVnodeId++, name, ipPool.addressAt(offset), storage.id, cache.id, quota,
                    storageQuota, maxProcesses);
            ipCursor = offset + 1;
            gmm.granted(cache, 0);
            pendingVnodes.put(name, res);
            try {
                persistLocked(); // the id and IP cursor move on even if the storage call fails
            } catch (LegoException e) {
                pendingVnodes.remove(name);
                throw e;
            }
            return res;
        }
    }

    private void release(Reservation res) {
        pendingVnodes.remove(res.name(), res);
    }

    /** GSM: the live storage component with the least storage used, then the fewest vNodes. */
    private Member chooseStorageLocked(long now) {
        Map<Integer, Integer> served = new HashMap<>();
        vnodes.values().forEach(v -> served.merge(v.storageNode, 1, Integer::sum));
        pendingVnodes.values().forEach(r -> served.merge(r.storageNode(), 1, Integer::sum));
        return live(ComponentRole.STORAGE, now).stream()
                .min(Comparator.<Member>comparingLong(m -> m.resources.storageUsedBytes())
                        .thenComparingInt(m -> served.getOrDefault(m.id, 0))
                        .thenComparingInt(m -> m.id))
                .orElse(null);
    }

    /**
     * Who node {@code nodeId} is, for binding frames' source nodes ({@code RpcNode.bindSourceNodes}): the identity it
     * registered with. A member not seen since this manager restarted (identities are not persisted) is bound to the
     * first authenticated peer of its role that names it, which is logged.
     */
    public String identityOf(int nodeId, Principal claimant) {
        synchronized (lock) {
            Member m = members.get(nodeId);
            if (m == null) {
                return null;
            }
            if (m.identity == null && claimant != null && claimant.authenticated() && claimant.role().component() == m.role) {
                m.identity = claimant.name();
                log.warn("{} bound to '{}' on its first frame since this manager started (identities are learnt at"
                        + " REGISTER and not persisted)", m, claimant.name());
            }
            return m.identity;
        }
    }

    /** A message about node {@code nodeId} sent by another node over TLS is refused (one log line). */
    private boolean fromNode(org.legoos.net.rpc.CallContext ctx, int nodeId, String what) {
        if (!ctx.principal().authenticated() || ctx.sourceNode() == nodeId) {
            return true;
        }
        log.warn("{} about node {} from node {} ({}) refused: a component speaks only for itself", what, nodeId,
                ctx.sourceNode(), ctx.principal());
        return false;
    }

    /** {@code v} if {@code who} may act in it; DENIED otherwise (a vNode user outside its vNodes). */
    private static VNodeInfo actingIn(Principal who, VNodeInfo v) {
        if (!who.mayActIn(v.name())) {
            String message = "manager refuses " + who + ": it may not act in vNode '" + v.name() + "'";
            log.warn("{}", message);
            throw Status.DENIED.toException(message);
        }
        return v;
    }

    private VNodeInfo vnodeInfo(int vnodeId) {
        VNodeInfo v = vnodeInfoOrNull(vnodeId);
        if (v == null) {
            throw Status.NOT_FOUND.toException("no vNode with id " + vnodeId);
        }
        return v;
    }

    private VNodeInfo vnodeInfoOrNull(int vnodeId) {
        synchronized (lock) {
            VNode v = vnodes.get(vnodeId);
            return v == null ? null : v.info();
        }
    }

    /**
     * PROCESS_INFO: where process {@code pid} was placed (processor, home, vNode).
     *
     * @throws LegoException NOT_FOUND if no running process has that pid
     */
    public Placement processInfo(long pid) {
        synchronized (lock) {
            StateStore.ProcessRow p = processes.get(pid);
            VNode v = p == null ? null : vnodes.get(p.vnodeId());
            if (p == null || v == null) {
                throw Status.NOT_FOUND.toException("no process with pid " + pid);
            }
            return new Placement(pid, p.processorNode(), p.homeMemoryNode(), v.info());
        }
    }

    /** VNODE_LIST: every vNode in id order. */
    public List<VNodeInfo> vnodes() {
        synchronized (lock) {
            return vnodes.values().stream().map(VNode::info).toList();
        }
    }

    /**
     * VNODE_GET: the vNode with this name or, if {@code nameOrId} is a number, this id.
     *
     * @throws LegoException NOT_FOUND
     */
    public VNodeInfo vnode(String nameOrId) {
        synchronized (lock) {
            return findLocked(nameOrId).info();
        }
    }

    /**
     * VNODE_REMOVE: forgets the vNode and frees its name and IP, then has its storage component detach it
     * (STORAGE_DETACH: stop serving it and delete its files), the reverse of {@link #createVNode}. The storage call is
     * made after the lock is released; if the storage component cannot be reached the removal stands and the
     * failure is logged (vNode ids are never reused, so its left-over directory is never served to another vNode).
     *
     * @throws LegoException NOT_FOUND; DENIED while it has running processes
     */
    public void removeVNode(String nameOrId) {
        ensureOpen();
        VNode removed = removeVNodeLocked(nameOrId);
        try {
            rpc.call(removed.storageNode, new StorageDetach(removed.id, removed.name),
                    Duration.ofMillis(config.storageCallTimeoutMillis()));
        } catch (LegoException e) {
            log.warn("{} removed, but storage node {} could not detach it (its files stay there): {}", removed,
                    removed.storageNode, e.getMessage());
        }
    }

    private VNode removeVNodeLocked(String nameOrId) {
        synchronized (lock) {
            VNode v = findLocked(nameOrId);
            if (!v.pids.isEmpty()) {
                throw Status.DENIED.toException(v + " still runs " + v.pids.size() + " process(es) (pids "
                        + v.pids + "); they must exit before it can be removed");
            }
            vnodes.remove(v.id);
            vnodesByName.remove(v.name);
            ipsInUse.remove(v.virtualIp);
            try {
                persistLocked();
            } catch (LegoException e) {
                vnodes.put(v.id, v);
                vnodesByName.put(v.name, v);
                ipsInUse.add(v.virtualIp);
                throw e;
            }
            log.info("{} removed: IP {} released", v, v.virtualIp);
            return v;
        }
    }

    private VNode findLocked(String nameOrId) {
        VNode v = vnodesByName.get(nameOrId);
        if (v == null && !nameOrId.isEmpty() && nameOrId.length() <= 10 && nameOrId.chars().allMatch(c -> c >= '0' && c <= '9')) {
            long id = Long.parseLong(nameOrId);
            v = id <= Integer.MAX_VALUE ? vnodes.get((int) id) : null;
        }
        if (v == null) {
            throw Status.NOT_FOUND.toException("no vNode named or numbered '" + nameOrId + "'");
        }
        return v;
    }

    // ------------------------------------------------------------------ GPM and GMM

    /**
     * PLACE_PROCESS: GPM picks the least-loaded live processor, GMM the home memory component, and a
     * cluster-unique pid is assigned; the process counts against the vNode's process limit until
     * {@link #processExited}.
     *
     * @throws LegoException NOT_FOUND for an unknown vNode; QUOTA at the vNode's process limit; UNAVAILABLE if no
     *     processor or memory component is alive
     */
    public Placement placeProcess(PlaceProcess req) {
        ensureOpen();
        if (req.threads() < 0) {
            throw Status.INVALID_ARGUMENT.toException("thread count must not be negative, got " + req.threads());
        }
        int threads = Math.max(1, req.threads());
        synchronized (lock) {
            VNode v = vnodes.get(req.vnodeId());
            if (v == null) {
                throw Status.NOT_FOUND.toException("no vNode with id " + req.vnodeId());
            }
            if (v.pids.size() >= v.maxProcesses) {
                throw Status.QUOTA.toException(v + " already runs its limit of " + v.maxProcesses + " processes");
            }
            long now = clock.getAsLong();
            Member processor = Gpm.choose(live(ComponentRole.PROCESSOR, now));
            if (processor == null) {
                throw Status.UNAVAILABLE.toException("no live processor component to run a process of " + v + " ("
                        + count(ComponentRole.PROCESSOR) + " registered)");
            }
            Member home = gmm.choose(live(ComponentRole.MEMORY, now), 0, "be the home of a process of " + v);
            long pid = nextPid++;
            StateStore.ProcessRow p = new StateStore.ProcessRow(pid, v.id, processor.id, home.id);
            processes.put(pid, p);
            v.pids.add(pid);
            try {
                persistLocked();
            } catch (LegoException e) {
                processes.remove(pid);
                v.pids.remove(pid);
                throw e;
            }
            Gpm.placed(processor, threads);
            gmm.granted(home, 0);
            log.info("placed pid {} of {} ({} threads) on {}, home {}", pid, v, threads, processor, home);
            return new Placement(pid, processor.id, home.id, v.info());
        }
    }

    /** The pids the manager counts as running on processor component {@code processorNode}. */
    public List<Long> processesOn(int processorNode) {
        synchronized (lock) {
            return processes.values().stream().filter(p -> p.processorNode() == processorNode)
                    .map(StateStore.ProcessRow::pid).toList();
        }
    }

    /**
     * HOME_MOVED: memory component {@code source} took over as the home of a process (its home died). Only the new home
     * itself may say so, and only a live memory component; anything else is logged and ignored.
     */
    public void homeMoved(org.legoos.net.protocol.gm.HomeMoved m, int source) {
        if (closed) {
            return;
        }
        synchronized (lock) {
            StateStore.ProcessRow p = processes.get(m.pid());
            Member home = members.get(m.homeNode());
            if (p == null || source != m.homeNode() || home == null || home.role != ComponentRole.MEMORY || !home.alive) {
                log.info("home of pid {} moved to node {} (said by node {}): {}; ignored", m.pid(), m.homeNode(), source,
                        p == null ? "no such process" : source != m.homeNode() ? "not said by the new home"
                                : "not a live memory component");
                return;
            }
            processes.put(m.pid(), new StateStore.ProcessRow(p.pid(), p.vnodeId(), p.processorNode(), m.homeNode()));
            try {
                persistLocked();
            } catch (LegoException e) {
                // applied in memory; the next successful save records it
            }
            log.info("pid {}: its home is memory component {} now (was {})", m.pid(), m.homeNode(), p.homeMemoryNode());
        }
    }

    /** The memory component that is the home of {@code pid} as this manager knows it, or -1 for no such process. */
    public int homeOf(long pid) {
        synchronized (lock) {
            StateStore.ProcessRow p = processes.get(pid);
            return p == null ? -1 : p.homeMemoryNode();
        }
    }

    /** PROCESS_EXIT: releases the process from its vNode's count. Unknown pids are ignored (and logged). */
    public void processExited(ProcessExited m) {
        if (closed) {
            return;
        }
        synchronized (lock) {
            StateStore.ProcessRow p = processes.get(m.pid());
            if (p == null) {
                log.info("exit of unknown pid {} (vNode {}) ignored", m.pid(), m.vnodeId());
                return;
            }
            if (p.vnodeId() != m.vnodeId()) {
                log.warn("exit of pid {} names vNode {} but the process runs in vNode {}; ignored", m.pid(), m.vnodeId(),
                        p.vnodeId());
                return;
            }
            processes.remove(m.pid());
            VNode v = vnodes.get(p.vnodeId());
            v.pids.remove(m.pid());
            v.setMapped(m.pid(), 0); // its quota comes back even if its home never reports the exit
            try {
                persistLocked();
            } catch (LegoException e) {
                // the exit stays applied in memory; the next successful save records it
            }
            log.info("pid {} of {} exited (ran on processor node {})", m.pid(), v, p.processorNode());
        }
    }

    /**
     * CONSULT ({@code M2MM_CONSULT}): which memory component owns a new vRegion of {@code bytes}, by the GMM
     * policy.
     *
     * @throws LegoException NOT_FOUND for an unknown vNode; UNAVAILABLE if no memory component is alive;
     *     NO_MEMORY if none has room (MOST_FREE_MEMORY)
     */
    public NodeChoice consult(Consult req) {
        ensureOpen();
        if (req.bytes() < 0) {
            throw Status.INVALID_ARGUMENT.toException("vRegion size must not be negative, got " + req.bytes());
        }
        synchronized (lock) {
            VNode v = vnodes.get(req.vnodeId());
            if (v == null) {
                throw Status.NOT_FOUND.toException("no vNode with id " + req.vnodeId());
            }
            List<Member> memories = live(ComponentRole.MEMORY, clock.getAsLong());
            Member m = req.avoid() < 0
                    ? gmm.choose(memories, req.bytes(), "own a new vRegion of " + req.bytes() + " bytes for pid "
                            + req.pid() + " of " + v)
                    : gmm.chooseFor(memories, req.bytes(), req.avoid(), "take over a vRegion of pid " + req.pid() + " of "
                            + v + " from full memory component " + req.avoid());
            gmm.granted(m, req.bytes());
            log.debug("GMM ({}): {} of {} bytes for pid {} of {} goes to {}", gmm.policy(),
                    req.avoid() < 0 ? "new vRegion" : "vRegion moving from " + req.avoid(), req.bytes(), req.pid(), v, m);
            return new NodeChoice(m.id);
        }
    }

    /**
     * REPLICA_CONSULT: where the replica of a process's vRegions on memory component {@code primary} goes: the live
     * memory component, other than the primary (and {@code avoid}), with the most free memory. -1 if there is none.
     */
    public NodeChoice replicaConsult(org.legoos.net.protocol.gm.ReplicaConsult req) {
        ensureOpen();
        synchronized (lock) {
            Member best = null;
            for (Member m : live(ComponentRole.MEMORY, clock.getAsLong())) {
                if (m.id != req.primary() && m.id != req.avoid()
                        && (best == null || m.freeMemoryBytes() > best.freeMemoryBytes())) {
                    best = m;
                }
            }
            log.debug("GMM: replica of pid {}'s vRegions on memory component {} goes to {}", req.pid(), req.primary(),
                    best == null ? "none" : best);
            return new NodeChoice(best == null ? -1 : best.id);
        }
    }

    /**
     * MEMORY_USAGE: the memory quota of a vNode, held here because only the GMM sees all its processes, whose homes
     * may be different memory components. Each home reports the absolute bytes a process maps: before growing it
     * ({@code reserve}: refused if the vNode's processes would together exceed the quota) and after shrinking it,
     * a failed grow, or exit (0). Only in-memory bookkeeping under the lock; no call leaves the manager.
     *
     * @throws LegoException QUOTA naming the vNode, its quota and its usage; NOT_FOUND for an unknown vNode
     */
    public Ack memoryUsage(MemoryUsage q) {
        ensureOpen();
        if (q.mappedBytes() < 0) {
            throw Status.INVALID_ARGUMENT.toException("mapped bytes must not be negative, got " + q.mappedBytes());
        }
        synchronized (lock) {
            VNode v = vnodes.get(q.vnodeId());
            if (v == null) {
                if (!q.reserve()) {
                    return Ack.INSTANCE; // the vNode is gone, and with it its accounting
                }
                throw Status.NOT_FOUND.toException("no vNode with id " + q.vnodeId());
            }
            long mine = v.mappedBytes(q.pid());
            long others = v.mappedBytes() - mine;
            if (q.reserve() && q.mappedBytes() > mine && q.mappedBytes() > v.memoryQuotaBytes - others) {
                throw Status.QUOTA.toException(v + ": pid " + q.pid() + " mapping " + Sizes.human(q.mappedBytes() - mine)
                        + " more would exceed the vNode's memory quota of " + Sizes.format(v.memoryQuotaBytes)
                        + " (its processes map " + Sizes.human(v.mappedBytes()) + ": " + v.mappedBytes() + " of "
                        + v.memoryQuotaBytes + " bytes)");
            }
            // a report only ever lowers the count (shrink, failed grow, exit), so a late one of an exited process
            // cannot bring it back
            v.setMapped(q.pid(), q.reserve() ? q.mappedBytes() : Math.min(mine, q.mappedBytes()));
            return Ack.INSTANCE;
        }
    }

    /** The pid the next placed process will get. */
    public long nextPid() {
        synchronized (lock) {
            return nextPid;
        }
    }

    /** The state file, or null when state is kept in memory only. */
    public Path stateFile() {
        return store == null ? null : store.file();
    }

    // ------------------------------------------------------------------ helpers

    private List<Member> live(ComponentRole role, long now) {
        List<Member> out = new ArrayList<>();
        for (Member m : members.values()) {
            if (m.role == role && m.live(now, config.heartbeatTimeoutMillis())) {
                out.add(m);
            }
        }
        return out;
    }

    private long count(ComponentRole role) {
        return members.values().stream().filter(m -> m.role == role).count();
    }

    private void ensureOpen() {
        if (closed) {
            throw Status.UNAVAILABLE.toException("the global manager is closed");
        }
    }

    /** Saves the durable state; on failure the caller undoes its change. */
    private void persistLocked() {
        if (store == null) {
            return;
        }
        ensureOpen();
        try {
            store.save(snapshotLocked());
        } catch (IOException e) {
            log.error("cannot save manager state to {}: {}", store.file(), e.toString());
            throw Status.IO_ERROR.toException("the global manager cannot save its state to " + store.file() + ": " + e);
        }
    }

    private StateStore.Snapshot snapshotLocked() {
        List<StateStore.ComponentRow> cs = members.values().stream()
                .map(m -> new StateStore.ComponentRow(m.id, m.role, m.address)).toList();
        List<StateStore.VNodeRow> vs = vnodes.values().stream()
                .map(v -> new StateStore.VNodeRow(v.id, v.name, v.virtualIp, v.storageNode, v.cacheMemoryNode,
                        v.memoryQuotaBytes, v.maxProcesses, v.storageQuotaBytes)).toList();
        List<StateStore.ProcessRow> ps = processes.values().stream()
                .sorted(Comparator.comparingLong(StateStore.ProcessRow::pid)).toList();
        return new StateStore.Snapshot(nextNodeId, nextVnodeId, nextPid, ipCursor, cs, vs, ps);
    }

    private void restore(StateStore.Snapshot s) {
        nextNodeId = s.nextNodeId();
        nextVnodeId = s.nextVnodeId();
        nextPid = s.nextPid();
        ipCursor = s.ipCursor();
        for (StateStore.ComponentRow c : s.components()) {
            Member m = new Member(c.id(), c.role(), c.address()); // DEAD until it reports
            m.deadSinceMillis = clock.getAsLong(); // its retention starts at the restart
            members.put(m.id, m);
            membersByAddress.put(m.address, m);
        }
        for (StateStore.VNodeRow r : s.vnodes()) {
            VNode v = new VNode(r.id(), r.name(), r.virtualIp(), r.storageNode(), r.cacheMemoryNode(), r.memoryQuotaBytes(),
                    r.storageQuotaBytes() == 0 ? config.defaultStorageQuotaBytes() : r.storageQuotaBytes(), r.maxProcesses());
            vnodes.put(v.id, v);
            vnodesByName.put(v.name, v);
            ipsInUse.add(v.virtualIp);
        }
        for (StateStore.ProcessRow p : s.processes()) {
            processes.put(p.pid(), p);
            vnodes.get(p.vnodeId()).pids.add(p.pid());
        }
    }

    /**
     * Stops the heartbeat thread, refuses further requests (UNAVAILABLE) and releases the state directory. The
     * RPC node is not closed: it belongs to the caller.
     */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        if (ticker != null) {
            ticker.shutdownNow();
        }
        requests.shutdown();
        processorNotices.shutdown();
        synchronized (lock) {
            if (store != null) {
                store.close();
            }
        }
        log.info("global manager closed");
    }
}
