package org.legoos.node.cluster;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.legoos.api.ComponentState;
import org.legoos.api.LegoProgram;
import org.legoos.net.protocol.gm.ComponentInfo;
import org.legoos.node.config.ConfigKeys;
import org.legoos.node.config.LegoConfig;

/**
 * A whole cluster inside this JVM, but over real TCP on loopback with ephemeral ports: a {@link ManagerNode} and
 * any number of {@link ComponentNode}s, each on its own TCP transport, exactly as separate processes would run
 * them. For tests and tools that need the TCP path without starting JVMs.
 *
 * <p>Every address is forced to {@code 127.0.0.1:0}. The manager keeps its state in memory unless the base
 * configuration sets {@code manager.stateDir}; storage component {@code n} keeps its files in
 * {@code <storage.root>/storage-<n>} if the base sets {@code storage.root}, else in a temporary directory deleted
 * on close.
 *
 * <p>Thread-safe; {@link #close()} stops every component, then the manager.
 */
public final class TcpCluster implements AutoCloseable {
    private final Map<String, Class<? extends LegoProgram>> extraPrograms;
    private final Path storageRoot;
    private final boolean ownsStorageRoot;
    private volatile LegoConfig config;
    private ManagerNode manager;
    private final List<ComponentNode> components = new ArrayList<>();
    private int storagesStarted;
    /** Whether this cluster created its certificates (TLS without a given security.dir); they go with it. */
    private final boolean ownsCerts;
    private int identities;

    private TcpCluster(LegoConfig base, Map<String, Class<? extends LegoProgram>> extraPrograms) throws IOException {
        this.extraPrograms = Map.copyOf(extraPrograms);
        this.ownsStorageRoot = !base.isSet(ConfigKeys.STORAGE_ROOT);
        this.storageRoot = ownsStorageRoot ? Files.createTempDirectory("legoos-tcp-storage") : base.get(ConfigKeys.STORAGE_ROOT);
        LegoConfig c = base.with(ConfigKeys.MANAGER_ADDRESS, "127.0.0.1:0")
                .with(ConfigKeys.PROCESSOR_LISTEN, "127.0.0.1:0")
                .with(ConfigKeys.MEMORY_LISTEN, "127.0.0.1:0")
                .with(ConfigKeys.STORAGE_LISTEN, "127.0.0.1:0");
        if (!base.isSet(ConfigKeys.MANAGER_STATE_DIR)) {
            c = c.with(ConfigKeys.MANAGER_STATE_DIR, null);
        }
        if (!base.isSet(ConfigKeys.PROCESSOR_MODE)) {
            // Tests of the TCP cluster share state between the test and its programs (one JVM): thread mode unless
            // the caller asks for process mode, which has its own tests (ProcessModeTest, TaskMemoryTest).
            c = c.with(ConfigKeys.PROCESSOR_MODE, org.legoos.api.ProcessorMode.THREAD);
        }
        this.ownsCerts = c.get(ConfigKeys.SECURITY_MODE) == org.legoos.api.security.SecurityMode.TLS
                && !base.isSet(ConfigKeys.SECURITY_DIR);
        if (ownsCerts) { // as 'lego up' does: a CA of its own, and a certificate per component as it starts
            Path certs = Files.createTempDirectory("legoos-tcp-certs");
            c = c.with(ConfigKeys.SECURITY_DIR, certs);
            ClusterSecurity.provision(certs, List.of("127.0.0.1", "localhost"), List.of());
        }
        this.config = c.validate();
    }

    /**
     * The configuration a component of {@code role} starts with: with certificates of its own, its identity
     * {@code role-n} (issued now), so that every component of the cluster is told apart by its certificate.
     */
    private LegoConfig configFor(NodeRole role) {
        if (!ownsCerts) {
            return config;
        }
        String name = role == NodeRole.MANAGER ? "manager" : role.wireName() + "-" + (++identities);
        Path dir = config.get(ConfigKeys.SECURITY_DIR);
        if (!Files.exists(org.legoos.net.security.CertificateNames.certificate(dir, name))) {
            org.legoos.net.security.ClusterCa.in(dir).issue(name, org.legoos.api.security.Role.valueOf(role.name()),
                    List.of("127.0.0.1", "localhost"), List.of(), org.legoos.net.security.ClusterCa.DEFAULT_VALIDITY);
        }
        return config.with(ConfigKeys.SECURITY_IDENTITY, name);
    }

    /**
     * Starts a manager, then {@code storages} storage, {@code memories} memory and {@code processors} processor
     * components, each joined before the next starts. On failure everything started is stopped.
     *
     * @param extraPrograms programs the processors know by short name besides the bundled examples
     */
    public static TcpCluster start(LegoConfig base, int processors, int memories, int storages,
                                   Map<String, Class<? extends LegoProgram>> extraPrograms) {
        TcpCluster cluster;
        try {
            cluster = new TcpCluster(base, extraPrograms);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        try {
            cluster.startManager();
            for (int i = 0; i < storages; i++) {
                cluster.add(NodeRole.STORAGE);
            }
            for (int i = 0; i < memories; i++) {
                cluster.add(NodeRole.MEMORY);
            }
            for (int i = 0; i < processors; i++) {
                cluster.add(NodeRole.PROCESSOR);
            }
            return cluster;
        } catch (RuntimeException e) {
            cluster.close();
            throw e;
        }
    }

    private synchronized void startManager() {
        manager = ManagerNode.start(configFor(NodeRole.MANAGER));
        config = config.with(ConfigKeys.MANAGER_ADDRESS, manager.address());
    }

    /** Starts one more component of {@code role}; it joins the running cluster. */
    public synchronized ComponentNode add(NodeRole role) {
        Path root = null;
        if (role == NodeRole.STORAGE) {
            root = storageRoot.resolve("storage-" + (++storagesStarted));
        }
        ComponentNode n = ComponentNode.start(role, configFor(role), extraPrograms, root);
        components.add(n);
        return n;
    }

    /** Stops one component (it stops reporting; the manager marks it DEAD after the heartbeat timeout). */
    public synchronized void stop(ComponentNode node) {
        if (components.remove(node)) {
            node.close();
        }
    }

    /**
     * Stops the manager and starts a new one at the same address with the same configuration (and state
     * directory, if any): the components keep running and report to the new manager.
     */
    public synchronized ManagerNode restartManager() {
        manager.close();
        manager = ManagerNode.start(ownsCerts ? config.with(ConfigKeys.SECURITY_IDENTITY, "manager") : config);
        return manager;
    }

    /** The effective configuration: the manager's real address, loopback listen addresses. */
    public LegoConfig config() {
        return config;
    }

    /** Where the manager listens ({@code 127.0.0.1:<port>}). */
    public String managerAddress() {
        return config.get(ConfigKeys.MANAGER_ADDRESS);
    }

    public synchronized ManagerNode manager() {
        return manager;
    }

    public synchronized List<ComponentNode> components() {
        return List.copyOf(components);
    }

    /** The running components of {@code role}, in the order they started. */
    public synchronized List<ComponentNode> components(NodeRole role) {
        return components.stream().filter(c -> c.role() == role).toList();
    }

    /** A new client of this cluster (the caller closes it). */
    public ClusterClient client() {
        return ClusterClient.connect(managerAddress(), ClusterClient.DEFAULT_CONNECT_TIMEOUT,
                ClusterSecurity.clientTls(config, ClusterSecurity.DEFAULT_CLIENT_IDENTITY));
    }

    /**
     * Waits until the manager lists at least {@code count} ALIVE components.
     *
     * @throws IllegalStateException if that does not happen within {@code timeout}
     */
    public void awaitAlive(int count, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            List<ComponentInfo> members = manager().manager().members();
            long alive = members.stream().filter(m -> m.state() == ComponentState.ALIVE).count();
            if (alive >= count) {
                return;
            }
            if (System.nanoTime() - deadline >= 0) {
                throw new IllegalStateException("only " + alive + " of " + count + " components ALIVE after " + timeout + ": " + members);
            }
            Thread.sleep(20);
        }
    }

    @Override
    public void close() {
        List<ComponentNode> all;
        ManagerNode m;
        synchronized (this) {
            all = new ArrayList<>(components);
            components.clear();
            m = manager;
            manager = null;
        }
        all.sort(Comparator.comparingInt(c -> c.role().ordinal())); // processors first: they use the others
        for (ComponentNode c : all) {
            c.close();
        }
        if (m != null) {
            m.close();
        }
        if (ownsCerts) {
            try (Stream<Path> walk = Files.walk(config.get(ConfigKeys.SECURITY_DIR))) {
                walk.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            } catch (IOException ignored) {
                // best effort: a temporary directory
            }
        }
        if (ownsStorageRoot) {
            try (Stream<Path> walk = Files.walk(storageRoot)) {
                walk.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            } catch (IOException ignored) {
                // best effort: a temporary directory
            }
        }
    }
}
