package org.legoos.systemtest;

import org.legoos.api.security.Role;
import org.legoos.net.security.ClusterCa;
import org.legoos.net.security.ClusterTls;
import org.legoos.node.cluster.ClusterSecurity;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.legoos.net.protocol.gm.ComponentInfo;
import org.legoos.node.cluster.ClusterClient;
import org.legoos.node.cluster.NodeRole;
import org.legoos.testkit.Await;

/**
 * A real LegoOS/J cluster of separate JVMs on loopback, as an operator runs it: {@code lego manager}, then any number
 * of {@code lego processor|memory|storage} components, each its own process listening on an ephemeral port of
 * 127.0.0.1, and {@code lego} client commands ({@code vnode}, {@code cp}, {@code run}, {@code ps}, {@code status}...)
 * run as further JVMs. Components may be added while the cluster runs (hot-add) and killed with SIGKILL (fault
 * injection). All logs go to the test's directory ({@code target/system-tests/...}).
 *
 * <p>The manager listens on port 0 and its "ready" line tells the bound address, so no port is guessed. Thread-safe;
 * {@link #close()} stops every process it started, whatever state the test left them in.
 */
final class LoopbackCluster implements AutoCloseable {
    /** How long a JVM may take to start and join (a loaded 2-core machine starts several at once). */
    static final Duration START_TIMEOUT = Duration.ofSeconds(60);
    /** How long one client command may take. */
    static final Duration CLI_TIMEOUT = Duration.ofSeconds(90);

    /** The host names every component certificate of a loopback cluster names. */
    static final List<String> HOSTS = List.of("127.0.0.1", "localhost");
    private static final Pattern MANAGER_READY = Pattern.compile("^manager ready at (\\S+)");
    private static final Pattern COMPONENT_READY = Pattern.compile("^(processor|memory|storage) node (\\d+) ready at (\\S+)");

    /** A component JVM that joined: its role, node id (assigned by the manager) and address. */
    record Component(NodeRole role, String name, int nodeId, String address, JvmProcess jvm) {
        @Override
        public String toString() {
            return name + " (node " + nodeId + " at " + address + ", pid " + jvm.pid() + ")";
        }
    }

    /** One component to start: its role and extra {@code lego ROLE} options. */
    record Launch(NodeRole role, List<String> options) {
        static Launch of(NodeRole role, String... options) {
            return new Launch(role, List.of(options));
        }
    }

    private final Path dir;
    private final JvmProcess manager;
    private final String managerAddress;
    private final List<String> componentOptions;
    private final List<Component> components = new CopyOnWriteArrayList<>();
    private final List<JvmProcess> clients = new CopyOnWriteArrayList<>();
    private final AtomicInteger sequence = new AtomicInteger();
    private ClusterClient client;

    private LoopbackCluster(Path dir, JvmProcess manager, String managerAddress, List<String> componentOptions) {
        this.dir = dir;
        this.manager = manager;
        this.managerAddress = managerAddress;
        this.componentOptions = componentOptions;
    }

    /**
     * Starts the manager (state in memory only) on an ephemeral loopback port and waits until it serves.
     *
     * @param dir where every process's logs go
     * @param managerOptions extra {@code lego manager} options, e.g. {@code --manager.heartbeat-timeout 2s}
     * @param componentOptions options every component gets, e.g. {@code --manager.report-interval 200ms}
     */
    static LoopbackCluster start(Path dir, List<String> managerOptions, List<String> componentOptions) throws InterruptedException {
        // the cluster's certificates, where every JVM started in dir looks by default (security.dir .lego/certs)
        ClusterSecurity.provision(certs(dir), HOSTS, List.of(new ClusterSecurity.NamedRole("manager", Role.MANAGER)));
        List<String> args = new ArrayList<>(List.of("manager", "--manager.address", "127.0.0.1:0", "--set", "manager.stateDir=",
                "--set", "security.identity=manager"));
        args.addAll(managerOptions);
        JvmProcess m = JvmProcess.start("manager", LegoJar.command(LegoJar.COMPONENT_JVM, args), dir);
        try {
            Matcher ready = m.awaitStdout(MANAGER_READY, START_TIMEOUT);
            return new LoopbackCluster(dir, m, ready.group(1), List.copyOf(componentOptions));
        } catch (InterruptedException | RuntimeException | Error e) {
            m.close();
            throw e;
        }
    }

    Path dir() {
        return dir;
    }

    /** Where the JVMs of a cluster in {@code dir} find its certificates (the default security.dir, relative to dir). */
    static Path certs(Path dir) {
        return dir.resolve(".lego").resolve("certs");
    }

    /** The certificates of this cluster. */
    Path certs() {
        return certs(dir);
    }

    /**
     * The identity a component listening at {@code options}' address presents: that of the component that listened
     * there before (a component restarted at its address is the same machine with the same certificate), else a new
     * one named after it, issued now.
     */
    private String identityFor(Launch l, String name) {
        int i = l.options().indexOf("--" + l.role().wireName() + ".listen");
        if (i >= 0 && i + 1 < l.options().size()) {
            String at = l.options().get(i + 1);
            for (Component c : components) {
                if (c.address().equals(at)) {
                    return c.name();
                }
            }
        }
        if (!java.nio.file.Files.exists(org.legoos.net.security.CertificateNames.certificate(certs(), name))) {
            ClusterCa.in(certs()).issue(name, Role.valueOf(l.role().name()), HOSTS, List.of(), ClusterCa.DEFAULT_VALIDITY);
        }
        return name;
    }

    /** The manager's {@code host:port}. */
    String managerAddress() {
        return managerAddress;
    }

    JvmProcess manager() {
        return manager;
    }

    /** Every component started so far, in start order (killed ones included). */
    List<Component> components() {
        return List.copyOf(components);
    }

    List<Component> components(NodeRole role) {
        return components.stream().filter(c -> c.role() == role).toList();
    }

    /** A set-up step of a test's cluster. */
    @FunctionalInterface
    interface SetUp {
        void run() throws Exception;
    }

    /**
     * Runs a test's set-up of this cluster; if it fails, prints every component's log (what the failure alone would
     * not say) and closes the cluster before the failure propagates.
     */
    void setUp(SetUp step) throws Exception {
        try {
            step.run();
        } catch (Exception | Error e) {
            System.out.println(logs());
            close();
            throw e;
        }
    }

    /**
     * Starts the given components at once (each its own JVM), and waits until every one has joined the manager and
     * printed its ready line.
     *
     * @return the components, in the order given
     */
    List<Component> add(Launch... launches) throws InterruptedException {
        List<JvmProcess> started = new ArrayList<>();
        List<Component> joined = new ArrayList<>();
        try {
            for (Launch l : launches) {
                String role = l.role().wireName();
                long n = components(l.role()).size() + started.stream().filter(p -> p.name().startsWith(role + "-")).count() + 1;
                String name = role + "-" + n;
                String listen = "--" + role + ".listen";
                List<String> args = new ArrayList<>(List.of(role, "--manager.address", managerAddress));
                if (!l.options().contains(listen)) {
                    args.addAll(List.of(listen, "127.0.0.1:0")); // an ephemeral port unless the launch names one
                }
                if (l.role() == NodeRole.STORAGE) {
                    args.addAll(List.of("--storage.root", dir.resolve(name + "-root").toString()));
                }
                args.addAll(List.of("--set", "security.identity=" + identityFor(l, name)));
                args.addAll(componentOptions);
                args.addAll(l.options());
                started.add(JvmProcess.start(name, LegoJar.command(LegoJar.COMPONENT_JVM, args), dir));
            }
            for (int i = 0; i < launches.length; i++) {
                Matcher ready = started.get(i).awaitStdout(COMPONENT_READY, START_TIMEOUT);
                joined.add(new Component(launches[i].role(), started.get(i).name(), Integer.parseInt(ready.group(2)),
                        ready.group(3), started.get(i)));
            }
        } catch (InterruptedException | RuntimeException | Error e) {
            JvmProcess.closeAll(started);
            throw e;
        }
        components.addAll(joined);
        return joined;
    }

    /**
     * Runs {@code lego COMMAND --manager ADDRESS ARGS...} as a client JVM and waits for it (at most
     * {@link #CLI_TIMEOUT}).
     *
     * @param command the command words, e.g. {@code "vnode create"} or {@code "run"}
     */
    CliResult lego(String command, String... args) throws InterruptedException {
        JvmProcess p = startLego(command.replace(' ', '-'), command, args);
        try {
            int code = p.awaitExit(CLI_TIMEOUT);
            return new CliResult(legoArgs(command, args), code, p.stdout(), p.stderr());
        } finally {
            clients.remove(p);
        }
    }

    /** Starts {@code lego COMMAND --manager ADDRESS ARGS...} in the background; {@link #close()} stops it if still running. */
    JvmProcess startLego(String name, String command, String... args) {
        String unique = String.format("cli-%02d-%s", sequence.incrementAndGet(), name);
        JvmProcess p = JvmProcess.start(unique, LegoJar.command(LegoJar.CLIENT_JVM, legoArgs(command, args)), dir);
        clients.add(p);
        return p;
    }

    private List<String> legoArgs(String command, String... args) {
        List<String> a = new ArrayList<>(Arrays.asList(command.split(" ")));
        a.add("--manager");
        a.add(managerAddress);
        a.addAll(Arrays.asList(args));
        return a;
    }

    /** An in-test client of the cluster (for polling the manager without starting a JVM each time). */
    synchronized ClusterClient client() {
        if (client == null) {
            client = ClusterClient.connect(managerAddress, ClusterClient.DEFAULT_CONNECT_TIMEOUT,
                    ClusterTls.load(certs(), ClusterSecurity.DEFAULT_CLIENT_IDENTITY, false));
        }
        return client;
    }

    /** The manager's membership table entry for {@code nodeId}. */
    ComponentInfo member(int nodeId) {
        return client().members().stream().filter(m -> m.nodeId() == nodeId).findFirst()
                .orElseThrow(() -> new AssertionError("node " + nodeId + " is not a member: " + client().members()));
    }

    /**
     * Polls the manager's membership table until node {@code nodeId} satisfies {@code condition}.
     *
     * @return the entry that did
     * @throws AssertionError after {@code timeout}, with the last entry seen
     */
    ComponentInfo awaitMember(int nodeId, Predicate<ComponentInfo> condition, Duration timeout, String what) {
        AtomicReference<ComponentInfo> last = new AtomicReference<>();
        try {
            return Await.value("node " + nodeId + " is " + what, timeout, () -> {
                last.set(member(nodeId));
                return condition.test(last.get()) ? last.get() : null;
            });
        } catch (AssertionError e) {
            throw new AssertionError(e.getMessage() + "; last seen: " + last.get(), e);
        }
    }

    /**
     * The processes each processor component started with {@code program}, from the processor's log line
     * {@code start pid=N program=P}: processor component to pids.
     */
    Map<Component, List<Long>> processesStarted(String program) {
        Pattern start = Pattern.compile("start pid=(\\d+) program=" + Pattern.quote(program) + " ");
        Map<Component, List<Long>> found = new java.util.LinkedHashMap<>();
        for (Component c : components(NodeRole.PROCESSOR)) {
            List<Long> pids = new ArrayList<>();
            for (String line : c.jvm().stderr().split("\n")) {
                Matcher m = start.matcher(line);
                if (m.find()) {
                    pids.add(Long.parseLong(m.group(1)));
                }
            }
            if (!pids.isEmpty()) {
                found.put(c, pids);
            }
        }
        return found;
    }

    /** Log tails of the manager and every component, for failure messages. */
    String logs() {
        StringBuilder b = new StringBuilder(manager.tail());
        for (Component c : components) {
            b.append(c.jvm().tail());
        }
        return b.toString();
    }

    /**
     * Stops everything, in the order {@code lego down} uses: client JVMs and processors first (their processes use
     * the rest), then memory components (which write dirty file data back to storage), storage, the manager last.
     * Each group gets SIGTERM and a grace period, then SIGKILL. Never throws.
     */
    @Override
    public void close() {
        synchronized (this) {
            if (client != null) {
                try {
                    client.close();
                } catch (RuntimeException e) {
                    // closing what is left
                }
                client = null;
            }
        }
        List<JvmProcess> first = new ArrayList<>(clients);
        components(NodeRole.PROCESSOR).forEach(c -> first.add(c.jvm()));
        JvmProcess.closeAll(first);
        for (NodeRole role : new NodeRole[] {NodeRole.MEMORY, NodeRole.STORAGE}) {
            JvmProcess.closeAll(components(role).stream().map(Component::jvm).toList());
        }
        manager.close();
    }
}
