package org.legoos.cli;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import org.legoos.api.ComponentState;
import org.legoos.net.protocol.gm.ComponentInfo;
import org.legoos.node.cluster.ClusterClient;
import org.legoos.node.cluster.ClusterSecurity;
import org.legoos.node.cluster.ClusterUnreachableException;
import org.legoos.node.cluster.NodeRole;
import org.legoos.node.config.ConfigKeys;
import org.legoos.node.config.LegoConfig;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code lego up}: starts a whole cluster on this machine as separate JVM processes (the manager, then
 * {@code cluster.storages} storage, {@code cluster.memories} memory and {@code cluster.processors} processor
 * components), each running this same {@code lego} with the run directory's {@code lego.yaml}; waits until all have
 * joined and prints the status table. The processes keep running after it returns; {@code lego down} stops them.
 */
@Command(name = "up", mixinStandardHelpOptions = true, sortOptions = false, abbreviateSynopsis = true,
        description = {"Starts a whole cluster on this machine as separate JVM processes.",
                "Starts the manager, then cluster.storages storage, cluster.memories memory and cluster.processors "
                + "processor components, waits until all have joined and prints the status table. The effective "
                + "configuration, pid files and logs go under the run directory; unless configured otherwise the "
                + "manager keeps its state in DIR/manager and storage component N its files in DIR/storage/storage-N. "
                + "Components listen on fixed ports after the manager's (by default storage 7701.., memory 7801.., "
                + "processor 7901..), so a cluster brought down and up again keeps its node ids and vNodes. Each "
                + "serves its metrics on a free loopback port (unless metrics.listen is off); the URLs are printed. Every "
                + "configuration key is also an option "
                + "below. Stop the cluster with 'lego down'."})
final class UpCommand implements Callable<Integer> {
    @Mixin
    ConfigOptions config = new ConfigOptions();

    @Option(names = "--dir", paramLabel = "DIR", defaultValue = ".lego",
            description = "Run directory for pid files, logs and state (default: ${DEFAULT-VALUE}).")
    Path dir;

    private final Io io;

    UpCommand(Io io) {
        this.io = io;
    }

    @Override
    public Integer call() throws Exception {
        LegoConfig cfg = config.resolve();
        RunDir run = new RunDir(dir);
        List<RunDir.Entry> running = run.running();
        if (!running.isEmpty()) {
            throw new CliException(Lego.EXIT_FAILURE, "a cluster started from " + run.dir() + " is still running ("
                    + running.size() + " processes); stop it first with 'lego down --dir " + dir + "'");
        }
        run.entries().forEach(run::forget); // stale pid files of a cluster that died
        cfg = placeUnder(cfg, run.dir());
        Files.createDirectories(run.dir());
        cfg = provisionCertificates(cfg, run.dir());
        Files.writeString(run.configFile(), cfg.toYaml(true), StandardCharsets.UTF_8);

        List<String> java = javaCommand(cfg);
        Map<String, String> env = new HashMap<>();
        if (System.getenv("LEGO_LOG") == null) {
            env.put("LEGO_LOG", "info");
        }
        Map<String, Process> started = new LinkedHashMap<>();
        Map<String, String> metricsUrls = new LinkedHashMap<>();
        Duration stopTimeout = cfg.get(ConfigKeys.CLUSTER_STOP_TIMEOUT);
        // Ctrl-C while starting: take down what was started rather than leave half a cluster behind
        AutoCloseable abort = io.onInterrupt(() -> {
            try {
                io.err().println("lego up: interrupted; stopping what was started");
                run.stop(run.entries(), stopTimeout, io.err());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        try {
            String managerMetrics = metricsAddress(cfg, "manager", metricsUrls);
            List<String> managerCommand = command(java, NodeRole.MANAGER, run, null, null, "manager", managerMetrics);
            String dashboardUrl = dashboardAddress(cfg, managerCommand);
            Files.deleteIfExists(run.dashboardUrlFile());
            started.put("manager", run.launch("manager", NodeRole.MANAGER, managerCommand, env));
            io.err().println("lego up: manager starting at " + cfg.get(ConfigKeys.MANAGER_ADDRESS) + " (log " + run.log("manager") + ")");
            Duration timeout = cfg.get(ConfigKeys.CLUSTER_START_TIMEOUT);
            long deadline = System.nanoTime() + timeout.toNanos();
            try (ClusterClient client = awaitManager(cfg, run, started, deadline)) {
                Path storageRoot = cfg.get(ConfigKeys.STORAGE_ROOT);
                int[] counts = {cfg.get(ConfigKeys.CLUSTER_STORAGES), cfg.get(ConfigKeys.CLUSTER_MEMORIES),
                        cfg.get(ConfigKeys.CLUSTER_PROCESSORS)};
                NodeRole[] roles = {NodeRole.STORAGE, NodeRole.MEMORY, NodeRole.PROCESSOR};
                for (int r = 0; r < roles.length; r++) {
                    for (int i = 1; i <= counts[r]; i++) {
                        String name = roles[r].wireName() + "-" + i;
                        Path root = roles[r] == NodeRole.STORAGE ? storageRoot.resolve(name) : null;
                        String listen = listenAddress(cfg, roles[r], i);
                        String metrics = metricsAddress(cfg, name, metricsUrls);
                        started.put(name, run.launch(name, roles[r], command(java, roles[r], run, root, listen, name, metrics), env));
                    }
                }
                io.err().println("lego up: started " + (started.size() - 1) + " components; waiting for them to join");
                awaitMembers(client, counts, roles, run, started, deadline, timeout);
                StatusCommand.print(client, io.out());
                if (!metricsUrls.isEmpty()) {
                    io.out().println();
                    io.out().println("metrics (Prometheus text format):");
                    metricsUrls.forEach((name, url) -> io.out().printf("  %-12s %s%n", name, url));
                }
                if (dashboardUrl != null) {
                    Files.writeString(run.dashboardUrlFile(), dashboardUrl + "\n", StandardCharsets.UTF_8);
                    io.out().println();
                    io.out().println("dashboard (read-only; the token is in " + cfg.get(ConfigKeys.DASHBOARD_TOKEN_FILE)
                            + ", 'lego dashboard' prints this again):");
                    io.out().println("  " + DashboardCommand.urlWithToken(run, cfg.get(ConfigKeys.DASHBOARD_TOKEN_FILE)));
                }
            }
        } catch (RuntimeException | IOException | InterruptedException e) {
            abort.close();
            io.err().println("lego up: stopping what was started");
            run.stop(run.entries(), stopTimeout, io.err());
            throw e;
        }
        abort.close();
        io.out().println();
        io.out().println("cluster up: " + started.size() + " processes, logs in " + run.dir().resolve("logs")
                + "; stop it with: lego down" + (dir.equals(Path.of(".lego")) ? "" : " --dir " + dir));
        return Lego.EXIT_OK;
    }

    /**
     * With {@code security.mode: tls} (the default), makes sure the cluster has its certificates: a CA and one
     * certificate per component this command starts ({@code manager}, {@code storage-1}, {@code memory-1}, ...,
     * for the hosts they listen on) and the {@code admin} operator the clients on this machine use, in
     * {@code security.dir} if configured, else {@code DIR/certs}. What exists is kept: a cluster brought up again
     * keeps its identities.
     */
    static LegoConfig provisionCertificates(LegoConfig cfg, Path runDir) {
        if (cfg.get(ConfigKeys.SECURITY_MODE) != org.legoos.api.security.SecurityMode.TLS) {
            return cfg;
        }
        Path certs = (cfg.isSet(ConfigKeys.SECURITY_DIR) ? cfg.get(ConfigKeys.SECURITY_DIR) : runDir.resolve("certs"))
                .toAbsolutePath().normalize();
        java.util.Set<String> hosts = new java.util.LinkedHashSet<>(List.of("127.0.0.1", "localhost"));
        for (NodeRole role : NodeRole.values()) {
            String listen = role == NodeRole.MANAGER ? cfg.get(ConfigKeys.MANAGER_ADDRESS) : cfg.get(role.listenKey());
            String host = listen.substring(0, listen.lastIndexOf(':'));
            if (!host.equals("0.0.0.0") && !host.equals("[::]")) {
                hosts.add(host);
            }
        }
        List<ClusterSecurity.NamedRole> names = new ArrayList<>();
        names.add(new ClusterSecurity.NamedRole("manager", org.legoos.api.security.Role.MANAGER));
        NodeRole[] roles = {NodeRole.STORAGE, NodeRole.MEMORY, NodeRole.PROCESSOR};
        int[] counts = {cfg.get(ConfigKeys.CLUSTER_STORAGES), cfg.get(ConfigKeys.CLUSTER_MEMORIES),
                cfg.get(ConfigKeys.CLUSTER_PROCESSORS)};
        for (int r = 0; r < roles.length; r++) {
            for (int i = 1; i <= counts[r]; i++) {
                names.add(new ClusterSecurity.NamedRole(roles[r].wireName() + "-" + i,
                        org.legoos.api.security.Role.valueOf(roles[r].name())));
            }
        }
        ClusterSecurity.provision(certs, List.copyOf(hosts), names);
        return cfg.with(ConfigKeys.SECURITY_DIR, certs);
    }

    /** Puts the manager's state and the storage roots under the run directory unless configured, with absolute paths. */
    static LegoConfig placeUnder(LegoConfig cfg, Path runDir) {
        LegoConfig c = cfg;
        if (!c.isSet(ConfigKeys.MANAGER_STATE_DIR)) {
            c = c.with(ConfigKeys.MANAGER_STATE_DIR, runDir.resolve("manager"));
        } else if (c.get(ConfigKeys.MANAGER_STATE_DIR) != null) {
            c = c.with(ConfigKeys.MANAGER_STATE_DIR, c.get(ConfigKeys.MANAGER_STATE_DIR).toAbsolutePath().normalize());
        }
        Path token = c.isSet(ConfigKeys.DASHBOARD_TOKEN_FILE) ? c.get(ConfigKeys.DASHBOARD_TOKEN_FILE)
                : runDir.resolve(RunDir.DASHBOARD_TOKEN);
        c = c.with(ConfigKeys.DASHBOARD_TOKEN_FILE, token.toAbsolutePath().normalize());
        Path root = c.isSet(ConfigKeys.STORAGE_ROOT) ? c.get(ConfigKeys.STORAGE_ROOT) : runDir.resolve("storage");
        return c.with(ConfigKeys.STORAGE_ROOT, root.toAbsolutePath().normalize());
    }

    /** This JVM's java, the configured options, and a class path holding the {@code lego} command. */
    static List<String> javaCommand(LegoConfig cfg) {
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        String opts = cfg.get(ConfigKeys.CLUSTER_JVM_OPTIONS).trim();
        if (!opts.isEmpty()) {
            cmd.addAll(Arrays.asList(opts.split("\\s+")));
        }
        cmd.add("--enable-native-access=ALL-UNNAMED");
        cmd.add("-cp");
        cmd.add(classPath());
        cmd.add(Lego.class.getName());
        return cmd;
    }

    /** The jar this class came from (the shaded lego.jar), else (classes directory: tests, IDE) this JVM's class path. */
    static String classPath() {
        try {
            var source = Lego.class.getProtectionDomain().getCodeSource();
            if (source != null) {
                Path p = Path.of(source.getLocation().toURI());
                if (Files.isRegularFile(p) && p.toString().endsWith(".jar")) {
                    return p.toString();
                }
            }
        } catch (java.net.URISyntaxException | SecurityException | IllegalArgumentException e) {
            // fall back to the class path
        }
        return System.getProperty("java.class.path");
    }

    /** Ports after the manager's where {@code lego up} puts each role's components (a block of 100 per role). */
    static int portBlock(NodeRole role) {
        return switch (role) {
            case STORAGE -> 0;
            case MEMORY -> 100;
            case PROCESSOR -> 200;
            case MANAGER -> throw new IllegalArgumentException("the manager listens on manager.address");
        };
    }

    /**
     * The address component {@code index} (from 1) of {@code role} listens on: a fixed port, so that a cluster
     * brought down and up again (even with other counts) registers each component under the same address, gets
     * back the same node ids, and its vNodes find their storage and cache components again. With
     * {@code <role>.listen} at port 0 (the default) the ports follow the manager's in a block per role (manager
     * 7700: storage 7701.., memory 7801.., processor 7901..); with a port set, instances count up from it. With the
     * manager on port 0 there is nothing to count from and every component takes an ephemeral port.
     */
    static String listenAddress(LegoConfig cfg, NodeRole role, int index) {
        String listen = cfg.get(role.listenKey());
        int colon = listen.lastIndexOf(':');
        String host = listen.substring(0, colon);
        int port = Integer.parseInt(listen.substring(colon + 1));
        if (port == 0) {
            String manager = cfg.get(ConfigKeys.MANAGER_ADDRESS);
            int managerPort = Integer.parseInt(manager.substring(manager.lastIndexOf(':') + 1));
            if (managerPort == 0) {
                return host + ":0";
            }
            port = managerPort + portBlock(role) + 1;
        }
        int p = port + index - 1;
        if (p > 65_535) {
            throw new CliException(Lego.EXIT_USAGE, role.wireName() + " component " + index + " would listen on port " + p
                    + ", beyond 65535: set " + role.listenKey().id() + " (or a lower manager.address port)");
        }
        return host + ":" + p;
    }

    /**
     * The {@code metrics.listen} address of component {@code name}, recorded with its URL in {@code urls}, or null when
     * {@code metrics.listen} is set to off. Unless a port is configured, each component gets a free loopback port
     * chosen here (another process could take it before the component binds it; the component then fails to start
     * with an error naming metrics.listen, and 'lego up' reports it).
     */
    static String metricsAddress(LegoConfig cfg, String name, Map<String, String> urls) throws IOException {
        String listen = cfg.get(ConfigKeys.METRICS_LISTEN).trim();
        if (cfg.isSet(ConfigKeys.METRICS_LISTEN) && listen.equals(ConfigKeys.METRICS_OFF)) {
            return null;
        }
        String host = "127.0.0.1";
        int port = 0;
        if (!listen.equals(ConfigKeys.METRICS_OFF)) {
            host = listen.substring(0, listen.lastIndexOf(':'));
            port = Integer.parseInt(listen.substring(listen.lastIndexOf(':') + 1));
        }
        if (port == 0) {
            try (java.net.ServerSocket s = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
                port = s.getLocalPort();
            }
        } else {
            port += urls.size(); // counting up from the configured port, one per component
        }
        String address = host + ":" + port;
        String shown = host.equals("0.0.0.0") || host.equals("[::]") ? "127.0.0.1" : host;
        urls.put(name, "http://" + shown + ":" + port + "/metrics");
        return address;
    }

    /**
     * Turns on the manager's dashboard in {@code managerCommand} and returns its URL (without the token), or null when
     * {@code dashboard.listen} is set to off. Unless an address is configured, a free loopback port chosen here.
     */
    static String dashboardAddress(LegoConfig cfg, List<String> managerCommand) throws IOException {
        String listen = cfg.get(ConfigKeys.DASHBOARD_LISTEN).trim();
        if (cfg.isSet(ConfigKeys.DASHBOARD_LISTEN) && listen.equals(ConfigKeys.DASHBOARD_OFF)) {
            return null;
        }
        String host = "127.0.0.1";
        int port = 0;
        if (!listen.equals(ConfigKeys.DASHBOARD_OFF)) {
            host = listen.substring(0, listen.lastIndexOf(':'));
            port = Integer.parseInt(listen.substring(listen.lastIndexOf(':') + 1));
        }
        if (port == 0) {
            try (java.net.ServerSocket s = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
                port = s.getLocalPort();
            }
        }
        managerCommand.add("--set");
        managerCommand.add(ConfigKeys.DASHBOARD_LISTEN.id() + "=" + host + ":" + port);
        String shown = host.equals("0.0.0.0") || host.equals("[::]") ? "127.0.0.1" : host;
        return "http://" + shown + ":" + port + "/";
    }

    static List<String> command(List<String> java, NodeRole role, RunDir run, Path storageRoot, String listen, String identity,
                                String metrics) {
        List<String> cmd = new ArrayList<>(java);
        cmd.add(role.wireName());
        cmd.add("--config");
        cmd.add(run.configFile().toString());
        cmd.add("--set");
        cmd.add(ConfigKeys.SECURITY_IDENTITY.id() + "=" + identity);
        if (listen != null) {
            cmd.add("--set");
            cmd.add(role.listenKey().id() + "=" + listen);
        }
        if (storageRoot != null) {
            cmd.add("--set");
            cmd.add(ConfigKeys.STORAGE_ROOT.id() + "=" + storageRoot);
        }
        if (metrics != null) {
            cmd.add("--set");
            cmd.add(ConfigKeys.METRICS_LISTEN.id() + "=" + metrics);
        }
        return cmd;
    }

    private ClusterClient awaitManager(LegoConfig cfg, RunDir run, Map<String, Process> started, long deadline)
            throws InterruptedException {
        String address = cfg.get(ConfigKeys.MANAGER_ADDRESS);
        while (true) {
            checkAlive(run, started);
            try {
                return ClusterClient.connect(address, Duration.ofSeconds(2),
                        ClusterSecurity.clientTls(cfg, ClusterSecurity.DEFAULT_CLIENT_IDENTITY));
            } catch (ClusterUnreachableException e) {
                if (System.nanoTime() - deadline >= 0) {
                    throw new CliException(Lego.EXIT_FAILURE, "the manager did not answer at " + address + " within "
                            + cfg.get(ConfigKeys.CLUSTER_START_TIMEOUT).toSeconds() + " s; see " + run.log("manager"));
                }
                Thread.sleep(200);
            }
        }
    }

    private static void awaitMembers(ClusterClient client, int[] counts, NodeRole[] roles, RunDir run,
                                     Map<String, Process> started, long deadline, Duration timeout) throws InterruptedException {
        while (true) {
            checkAlive(run, started);
            List<ComponentInfo> members = client.members();
            boolean all = true;
            StringBuilder missing = new StringBuilder();
            for (int r = 0; r < roles.length; r++) {
                org.legoos.api.ComponentRole role = roles[r].component();
                // ALIVE and reported at least once (REGISTER carries no resources; every monitor reports its cores)
                long alive = members.stream()
                        .filter(m -> m.role() == role && m.state() == ComponentState.ALIVE && m.resources().cores() > 0).count();
                if (alive < counts[r]) {
                    all = false;
                    missing.append(' ').append(alive).append('/').append(counts[r]).append(' ').append(role.wireName());
                }
            }
            if (all) {
                return;
            }
            if (System.nanoTime() - deadline >= 0) {
                throw new CliException(Lego.EXIT_FAILURE, "not every component joined within " + timeout.toSeconds()
                        + " s (alive:" + missing + "); see the logs in " + run.dir().resolve("logs"));
            }
            Thread.sleep(200);
        }
    }

    /** Fails with the end of its log if a started process has exited. */
    private static void checkAlive(RunDir run, Map<String, Process> started) {
        for (Map.Entry<String, Process> e : started.entrySet()) {
            if (!e.getValue().isAlive()) {
                String tail = run.tail(e.getKey(), 1);
                throw new CliException(Lego.EXIT_FAILURE, e.getKey() + " exited with code " + e.getValue().exitValue()
                        + ": " + tail.strip() + " (log " + run.log(e.getKey()) + ")");
            }
        }
    }
}
