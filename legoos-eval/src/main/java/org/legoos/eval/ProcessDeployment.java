package org.legoos.eval;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.legoos.net.protocol.gm.ComponentInfo;
import org.legoos.node.cluster.ClusterClient;
import org.legoos.node.cluster.ClusterSecurity;
import org.legoos.api.ComponentRole;
import org.legoos.api.ComponentState;
import org.legoos.api.ProcessorMode;
import org.legoos.node.config.ConfigKeys;
import org.legoos.node.config.LegoConfig;
import org.legoos.processor.excache.ExCacheConfig;

/**
 * LegoOS/J as separate JVM processes on this machine, talking TCP over 127.0.0.1: a manager, one storage, one memory
 * and one processor component, each started as {@code <javaCommand> <role> --config <dir>/lego.yaml [--set ...]}
 * (the same {@code lego} command an operator runs). The processor process is restarted for each new ExCache
 * configuration. Component logs go to {@code <dir>/logs}. ExCache counters are not read across processes (the run's
 * {@link RunOutcome#stats()} is null).
 *
 * <p>Every process is stopped on {@link #close()} (SIGTERM, then SIGKILL after 10 s), and on failure while starting.
 */
public final class ProcessDeployment implements Deployment {
    private static final String VNODE = "bench";
    private static final Duration START_TIMEOUT = Duration.ofSeconds(60);
    private static final Pattern READY = Pattern.compile("manager ready at (\\S+)");
    private final List<String> javaCommand;
    private final Path dir;
    private final Path configFile;
    private final int cores;
    /** The processors' mode, or null for the configuration's default ({@code auto}). */
    private final int memories;
    private final int replicas;
    private final ProcessorMode mode;
    private final List<Process> processes = new ArrayList<>();
    private final ClusterClient client;
    private Process processor;
    private int processorSerial;
    private ExCacheConfig current;

    /**
     * Starts manager, storage and memory.
     *
     * @param javaCommand how to run the {@code lego} command line: java, JVM options, class path, main class
     * @param dir a directory for the configuration, state, storage and logs
     * @param memoryWorkers threads of the memory component (as deployed: 4)
     */
    public ProcessDeployment(List<String> javaCommand, Path dir, int cores, long memoryBytes, int memoryWorkers)
            throws IOException, InterruptedException {
        this(javaCommand, dir, cores, memoryBytes, memoryWorkers, null);
    }

    /** As above, with the processors in {@code mode} (null: the configuration's default, {@code auto}). */
    public ProcessDeployment(List<String> javaCommand, Path dir, int cores, long memoryBytes, int memoryWorkers,
                             ProcessorMode mode) throws IOException, InterruptedException {
        this(javaCommand, dir, cores, memoryBytes, memoryWorkers, mode, 1, 1);
    }

    /** As above, with {@code memories} memory components keeping {@code replicas} copies of each page. */
    public ProcessDeployment(List<String> javaCommand, Path dir, int cores, long memoryBytes, int memoryWorkers,
                             ProcessorMode mode, int memories, int replicas) throws IOException, InterruptedException {
        this(javaCommand, dir, cores, memoryBytes, memoryWorkers, mode, memories, replicas,
                org.legoos.api.security.SecurityMode.TLS);
    }

    /**
     * As above, its links protected by {@code security}: mutual TLS (the default; the deployment makes its own CA and a
     * certificate per component, as {@code lego up} does) or plaintext.
     */
    public ProcessDeployment(List<String> javaCommand, Path dir, int cores, long memoryBytes, int memoryWorkers,
                             ProcessorMode mode, int memories, int replicas, org.legoos.api.security.SecurityMode security)
            throws IOException, InterruptedException {
        this.security = security;
        this.mode = mode;
        this.memories = memories;
        this.replicas = replicas;
        this.javaCommand = List.copyOf(javaCommand);
        this.dir = dir.toAbsolutePath();
        this.cores = cores;
        Files.createDirectories(this.dir.resolve("logs"));
        // the manager binds an ephemeral port and reports it; the others learn it from the rewritten configuration
        LegoConfig cfg = LegoConfig.defaults()
                .with(ConfigKeys.MANAGER_ADDRESS, "127.0.0.1:0")
                .with(ConfigKeys.MANAGER_STATE_DIR, this.dir.resolve("manager"))
                .with(ConfigKeys.STORAGE_ROOT, this.dir.resolve("storage"))
                .with(ConfigKeys.MEMORY_CAPACITY_BYTES, memoryBytes)
                .with(ConfigKeys.MEMORY_WORKERS, memoryWorkers)
                .with(ConfigKeys.MEMORY_REPLICAS, replicas)
                .with(ConfigKeys.MANAGER_HEARTBEAT_TIMEOUT, Duration.ofMinutes(10))
                .with(ConfigKeys.SECURITY_DIR, this.dir.resolve("certs"))
                .with(ConfigKeys.SECURITY_MODE, security);
        // as 'lego up': the cluster's own CA, and a certificate per component as it starts (mutual TLS, the default)
        if (security == org.legoos.api.security.SecurityMode.TLS) {
            ClusterSecurity.provision(this.dir.resolve("certs"), HOSTS, List.of());
        }
        this.clientTls = ClusterSecurity.clientTls(cfg, ClusterSecurity.DEFAULT_CLIENT_IDENTITY);
        this.configFile = this.dir.resolve("lego.yaml");
        Files.writeString(configFile, cfg.toYaml(false), StandardCharsets.UTF_8);
        ClusterClient c = null;
        try {
            start("manager", List.of());
            String manager = awaitManagerAddress();
            Files.writeString(configFile, cfg.with(ConfigKeys.MANAGER_ADDRESS, manager).toYaml(false), StandardCharsets.UTF_8);
            c = awaitManager(manager);
            start("storage", List.of());
            for (int i = 1; i <= memories; i++) {
                start(memories == 1 ? "memory" : "memory-" + i, List.of(), "memory");
            }
            awaitAlive(c, ComponentRole.STORAGE, 1);
            awaitAlive(c, ComponentRole.MEMORY, memories);
            c.createVNode(VNODE, memoryBytes, 16);
        } catch (IOException | InterruptedException | RuntimeException e) {
            if (c != null) {
                c.close();
            }
            stopAll();
            throw e;
        }
        this.client = c;
    }

    @Override
    public boolean programsInOwnJvm() { // auto: what this host's processors will decide
        return org.legoos.processor.task.HostSupport.decide(mode == null ? ProcessorMode.AUTO : mode).mode() == ProcessorMode.PROCESS;
    }

    @Override
    public String label() {
        String base = mode == null ? "TCP, processes" : "TCP, processes, " + mode.name().toLowerCase(java.util.Locale.ROOT) + " mode";
        return memories == 1 ? base : base + ", " + memories + " memory, " + replicas + (replicas == 1 ? " copy" : " copies");
    }

    @Override
    public boolean coldAfterReconfigure() {
        return true;
    }

    @Override
    public RunOutcome run(ExCacheConfig excache, String program, List<String> args, Duration limit) throws Exception {
        if (!excache.equals(current)) {
            restartProcessor(excache);
        }
        return Runs.await(client.processes(), VNODE, program, args, limit, this::dumpProcessorThreads);
    }

    /**
     * A run hangs: the processor's threads (its fault handlers, monitors and RPC) go to
     * {@code logs/processor-N-threads-<time>.txt} before the program is killed. The task JVMs refuse attach (the
     * sandbox), so the processor's side is what can be recorded. Best effort: a failure is written instead.
     */
    private void dumpProcessorThreads() {
        Process p = processor;
        if (p == null || !p.isAlive()) {
            return;
        }
        Path out = dir.resolve("logs").resolve("processor-" + processorSerial + "-threads-" + System.currentTimeMillis() + ".txt");
        Path java = Path.of(javaCommand.get(0));
        Path jcmd = java.resolveSibling("jcmd");
        try {
            Process d = new ProcessBuilder(Files.isExecutable(jcmd) ? jcmd.toString() : "jcmd", Long.toString(p.pid()), "Thread.print")
                    .redirectErrorStream(true).redirectOutput(out.toFile()).start();
            if (!d.waitFor(30, TimeUnit.SECONDS)) {
                d.destroyForcibly();
            }
        } catch (IOException e) {
            try {
                Files.writeString(out, "jcmd failed: " + e + "\n", StandardCharsets.UTF_8);
            } catch (IOException ignored) {
                // the run's outcome is reported regardless
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** The {@code --set} assignments that give a processor this ExCache. */
    static List<String> processorSettings(ExCacheConfig c, int cores) {
        return List.of(
                ConfigKeys.PROCESSOR_EXCACHE_BYTES.id() + "=" + c.capacityBytes(),
                ConfigKeys.PROCESSOR_EXCACHE_WAYS.id() + "=" + c.ways(),
                ConfigKeys.PROCESSOR_EVICTION_POLICY.id() + "=" + c.policy().name().toLowerCase(java.util.Locale.ROOT),
                ConfigKeys.PROCESSOR_EXCACHE_PREFETCH_PAGES.id() + "=" + c.prefetchPages(),
                ConfigKeys.PROCESSOR_EXCACHE_PIGGYBACK.id() + "=" + c.piggyback(),
                ConfigKeys.PROCESSOR_CORES.id() + "=" + cores);
    }

    private void restartProcessor(ExCacheConfig excache) throws IOException, InterruptedException {
        if (processor != null) {
            stop(processor);
            processes.remove(processor);
            processor = null;
            current = null;
        }
        List<String> settings = new ArrayList<>(processorSettings(excache, cores));
        if (mode != null) {
            settings.add(ConfigKeys.PROCESSOR_MODE.id() + "=" + mode.name().toLowerCase(java.util.Locale.ROOT));
        }
        processor = start("processor-" + (++processorSerial), settings, "processor");
        awaitAlive(client, ComponentRole.PROCESSOR, 1);
        current = excache;
    }

    private static final List<String> HOSTS = List.of("127.0.0.1", "localhost");
    private final org.legoos.api.security.SecurityMode security;
    /** The identity clients of this deployment present (null if insecure). */
    private final org.legoos.net.security.ClusterTls clientTls;

    private Process start(String name, List<String> settings) throws IOException {
        return start(name, settings, name);
    }

    private Process start(String name, List<String> settings, String role) throws IOException {
        List<String> cmd = new ArrayList<>(javaCommand);
        cmd.add(role);
        cmd.add("--config");
        cmd.add(configFile.toString());
        Path certs = dir.resolve("certs");
        if (security == org.legoos.api.security.SecurityMode.TLS
                && !Files.exists(org.legoos.net.security.CertificateNames.certificate(certs, name))) {
            org.legoos.net.security.ClusterCa.in(certs).issue(name,
                    org.legoos.api.security.Role.valueOf(role.toUpperCase(java.util.Locale.ROOT)), HOSTS, List.of(),
                    org.legoos.net.security.ClusterCa.DEFAULT_VALIDITY);
        }
        cmd.add("--set");
        cmd.add(ConfigKeys.SECURITY_IDENTITY.id() + "=" + name);
        for (String s : settings) {
            cmd.add("--set");
            cmd.add(s);
        }
        Path log = dir.resolve("logs").resolve(name + ".log");
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile());
        pb.environment().putIfAbsent("LEGO_LOG", "warn");
        Process p = pb.start();
        processes.add(p);
        return p;
    }

    /** The address the manager listens on, from the "manager ready at host:port" line of its output. */
    private String awaitManagerAddress() throws IOException, InterruptedException {
        Path log = dir.resolve("logs/manager.log");
        long deadline = System.nanoTime() + START_TIMEOUT.toNanos();
        while (System.nanoTime() < deadline) {
            if (Files.exists(log)) {
                Matcher m = READY.matcher(Files.readString(log, StandardCharsets.UTF_8));
                if (m.find()) {
                    return m.group(1);
                }
            }
            checkRunning();
            Thread.sleep(50);
        }
        throw new IllegalStateException("the manager did not report its address within " + START_TIMEOUT + " (log: " + log + ")");
    }

    private ClusterClient awaitManager(String address) throws InterruptedException {
        long deadline = System.nanoTime() + START_TIMEOUT.toNanos();
        RuntimeException last = null;
        while (System.nanoTime() < deadline) {
            checkRunning();
            try {
                ClusterClient c = ClusterClient.connect(address, Duration.ofSeconds(2), clientTls);
                c.members();
                return c;
            } catch (RuntimeException e) {
                last = e;
                Thread.sleep(100);
            }
        }
        throw new IllegalStateException("the manager did not come up at " + address + " within " + START_TIMEOUT
                + " (log: " + dir.resolve("logs/manager.log") + ")", last);
    }

    private void awaitAlive(ClusterClient c, ComponentRole role, int count) throws InterruptedException {
        long deadline = System.nanoTime() + START_TIMEOUT.toNanos();
        while (System.nanoTime() < deadline) {
            checkRunning();
            long alive = c.members().stream().filter(m -> m.role() == role && isAlive(m)).count();
            if (alive >= count) {
                return;
            }
            Thread.sleep(50);
        }
        throw new IllegalStateException("no live " + role.wireName() + " component joined within " + START_TIMEOUT + " (logs: "
                + dir.resolve("logs") + ")");
    }

    private static boolean isAlive(ComponentInfo m) {
        return m.state() == ComponentState.ALIVE;
    }

    private void checkRunning() {
        for (Process p : processes) {
            if (!p.isAlive()) {
                throw new IllegalStateException("a component process exited with code " + p.exitValue() + " (logs: "
                        + dir.resolve("logs") + ")");
            }
        }
    }

    private static void stop(Process p) throws InterruptedException {
        p.destroy();
        if (!p.waitFor(10, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            p.waitFor(10, TimeUnit.SECONDS);
        }
    }

    private void stopAll() {
        for (int i = processes.size() - 1; i >= 0; i--) {
            try {
                stop(processes.get(i));
            } catch (InterruptedException e) {
                processes.get(i).destroyForcibly();
                Thread.currentThread().interrupt();
            }
        }
        processes.clear();
    }

    @Override
    public void close() {
        if (client != null) {
            client.close();
        }
        stopAll();
    }
}
