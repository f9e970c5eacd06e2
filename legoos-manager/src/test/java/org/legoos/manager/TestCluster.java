package org.legoos.manager;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.legoos.api.LegoException;
import org.legoos.net.protocol.Ack;
import org.legoos.net.protocol.Message;
import org.legoos.net.protocol.OneWay;
import org.legoos.net.protocol.Request;
import org.legoos.net.protocol.gm.ComponentResources;
import org.legoos.net.protocol.gm.Register;
import org.legoos.net.protocol.gm.StatusReport;
import org.legoos.net.protocol.gm.StorageAttach;
import org.legoos.net.protocol.gm.StorageDetach;
import org.legoos.net.protocol.gm.VNodeCreate;
import org.legoos.net.protocol.gm.VNodeInfo;
import org.legoos.net.rpc.RpcNode;
import org.legoos.net.rpc.Status;
import org.legoos.net.transport.local.LocalFabric;

/**
 * A manager on a {@link LocalFabric} with client RpcNodes standing in for the other components: they REGISTER,
 * send STATUS_REPORTs, and storage doubles answer STORAGE_ATTACH. Time is a settable clock; nothing sleeps.
 */
final class TestCluster implements AutoCloseable {
    static final Duration CALL_TIMEOUT = Duration.ofSeconds(5);
    static final long GIB = 1L << 30;
    static final long MIB = 1L << 20;

    final LocalFabric fabric = new LocalFabric();
    final AtomicLong clock = new AtomicLong(1_000_000);
    final List<RpcNode> nodes = new ArrayList<>();
    private final java.util.Map<String, Component> components = new java.util.HashMap<>();
    ManagerConfig config;
    RpcNode managerRpc;
    GlobalManager manager;
    private final RpcNode client;

    TestCluster(ManagerConfig config) {
        this.config = config;
        startManager();
        client = node(null);
    }

    /** Defaults with no tick thread, so tests drive time. */
    static ManagerConfig testConfig() {
        return ManagerConfig.defaults().withTickPeriodMillis(0).withHeartbeatTimeoutMillis(1_000);
    }

    void startManager() {
        managerRpc = new RpcNode("manager", fabric.newTransport(), RpcNode.Config.DEFAULT);
        managerRpc.listen("manager");
        try {
            manager = new GlobalManager(managerRpc, config, clock::get);
        } catch (RuntimeException e) {
            managerRpc.close();
            throw e;
        }
    }

    void restartManager() {
        manager.close();
        managerRpc.close();
        startManager();
    }

    private RpcNode node(String address) {
        RpcNode n = new RpcNode(address == null ? "client" : address, fabric.newTransport(), RpcNode.Config.DEFAULT);
        if (address != null) {
            n.listen(address);
        }
        n.addPeer(GlobalManager.NODE_ID, "manager");
        nodes.add(n);
        return n;
    }

    /** A request to the manager from a client that is not a component. */
    <R extends Message> R call(Request<R> q) {
        return client.call(GlobalManager.NODE_ID, q, CALL_TIMEOUT);
    }

    /** A one-way message to the manager from a client. */
    void send(OneWay m) {
        client.send(GlobalManager.NODE_ID, m);
    }

    VNodeInfo createVNode(String name) {
        return call(new VNodeCreate(name, 0, 0, 0));
    }

    Component processor(String address, int cores, int threadsRunning) {
        return register("processor", address, processorResources(cores, threadsRunning), false);
    }

    Component memory(String address, long capacityBytes, long usedBytes) {
        return register("memory", address, memoryResources(capacityBytes, usedBytes), false);
    }

    Component storage(String address, long usedBytes) {
        return register("storage", address, storageResources(usedBytes), true);
    }

    /** One processor, one memory and one storage component. */
    TestCluster withBasicComponents() {
        processor("p1", 4, 0);
        memory("m1", 4 * GIB, 0);
        storage("s1", 0);
        return this;
    }

    Component register(String role, String address, ComponentResources resources, boolean servesStorage) {
        RpcNode n = node(address);
        Component c = new Component(n, address);
        if (role.equals("memory")) {
            // failover: record what the manager says, acknowledging once the test lets it (on a thread of its own)
            n.handle(org.legoos.net.protocol.gm.MemoryFailed.class, (q, ctx) -> {
                c.memoryFailed.add(q.node());
                try {
                    c.failoverGate.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                return Ack.INSTANCE;
            }, c.handlers);
        }
        if (servesStorage) {
            n.handle(StorageAttach.class, (q, ctx) -> {
                String failure = c.attachFailure.get();
                if (failure != null) {
                    throw Status.IO_ERROR.toException(failure);
                }
                c.attaches.add(q);
                return Ack.INSTANCE;
            });
            n.handle(StorageDetach.class, (q, ctx) -> {
                c.detaches.add(q);
                return Ack.INSTANCE;
            });
        }
        c.registered = n.call(GlobalManager.NODE_ID, new Register(role, address, resources), CALL_TIMEOUT);
        c.id = c.registered.nodeId();
        n.setNodeId(c.id);
        components.put(address, c);
        c.report(resources); // as a real component does once its monitor is up (at once, then every interval)
        return c;
    }

    /** The double registered at {@code address}. */
    Component component(String address) {
        return java.util.Objects.requireNonNull(components.get(address), address);
    }

    static ComponentResources processorResources(int cores, int threadsRunning) {
        return new ComponentResources(cores, threadsRunning, 0, 0, 0, 0, 0);
    }

    static ComponentResources memoryResources(long capacityBytes, long usedBytes) {
        return new ComponentResources(2, 0, 0, capacityBytes, usedBytes, 0, 0);
    }

    static ComponentResources storageResources(long usedBytes) {
        return new ComponentResources(2, 0, 0, 0, 0, usedBytes, 0);
    }

    /** Moves the clock on and runs the heartbeat check at the new time. */
    void advanceAndTick(long millis) {
        manager.tick(clock.addAndGet(millis));
    }

    /** The wire status of a failed call. */
    static Status status(Throwable t) {
        return Status.of((LegoException) t);
    }

    @Override
    public void close() {
        manager.close();
        managerRpc.close();
        nodes.forEach(RpcNode::close);
    }

    /** A component double: a real RpcNode registered with the manager. */
    static final class Component {
        final RpcNode rpc;
        final String address;
        int id;
        org.legoos.net.protocol.gm.Registered registered;
        final List<StorageAttach> attaches = new CopyOnWriteArrayList<>();
        final List<StorageDetach> detaches = new CopyOnWriteArrayList<>();
        /** When set, STORAGE_ATTACH fails with IO_ERROR and this message. */
        final AtomicReference<String> attachFailure = new AtomicReference<>();
        /** GM_MEMORY_FAILED received (the dead node's id), and the gate its acknowledgement waits for (open). */
        final List<Integer> memoryFailed = new CopyOnWriteArrayList<>();
        volatile java.util.concurrent.CountDownLatch failoverGate = new java.util.concurrent.CountDownLatch(0);
        final java.util.concurrent.ExecutorService handlers = java.util.concurrent.Executors.newCachedThreadPool(r -> {
            Thread t = new Thread(r, "memory-double");
            t.setDaemon(true);
            return t;
        });

        Component(RpcNode rpc, String address) {
            this.rpc = rpc;
            this.address = address;
        }

        void report(ComponentResources r) {
            rpc.send(GlobalManager.NODE_ID, new StatusReport(id, r));
        }

        <R extends Message> R call(Request<R> q) {
            return rpc.call(GlobalManager.NODE_ID, q, CALL_TIMEOUT);
        }
    }
}
