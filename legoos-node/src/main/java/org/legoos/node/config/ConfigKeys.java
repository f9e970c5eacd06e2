package org.legoos.node.config;

import static org.legoos.node.config.ConfigSection.CLUSTER;
import static org.legoos.node.config.ConfigSection.DASHBOARD;
import static org.legoos.node.config.ConfigSection.MANAGER;
import static org.legoos.node.config.ConfigSection.MEMORY;
import static org.legoos.node.config.ConfigSection.METRICS;
import static org.legoos.node.config.ConfigSection.PROCESSOR;
import static org.legoos.node.config.ConfigSection.SECURITY;
import static org.legoos.node.config.ConfigSection.STORAGE;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import org.legoos.api.ProcessorMode;
import org.legoos.manager.GmmPolicy;
import org.legoos.manager.ManagerConfig;
import org.legoos.processor.ProcessorConfig;
import org.legoos.processor.excache.ExCacheConfig;

/**
 * Every key of {@code lego.yaml}, with its type, default and description: the one place that knows them. The
 * order of {@link #ALL} is the order of the sections and keys in a written configuration and in help texts.
 */
public final class ConfigKeys {
    private static final long KiB = 1L << 10;
    private static final long TiB = 1L << 40;
    private static final List<ConfigKey<?>> KEYS = new ArrayList<>();

    private ConfigKeys() {
    }

    private static <T> ConfigKey<T> key(ConfigSection s, String name, ValueType<T> type, String def, String description) {
        ConfigKey<T> k = new ConfigKey<>(s, name, type, def, description);
        KEYS.add(k);
        return k;
    }

    // ------------------------------------------------------------------ manager

    public static final ConfigKey<String> MANAGER_ADDRESS = key(MANAGER, "address", ValueType.address(true), "127.0.0.1:7700",
            "host:port the manager listens on; components and clients connect to it there");
    public static final ConfigKey<Path> MANAGER_STATE_DIR = key(MANAGER, "stateDir", ValueType.optionalPath(), ".lego/manager",
            "directory where the manager keeps vNodes, registrations and id counters across restarts (relative to the"
                    + " working directory; empty: keep them in memory only)");
    public static final ConfigKey<GmmPolicy> MANAGER_MEMORY_POLICY = key(MANAGER, "memoryPolicy",
            ValueType.choice(GmmPolicy.class, Map.of()), "round-robin",
            "how the GMM picks the memory component for a new vRegion, a process's home, a vNode's file cache");
    public static final ConfigKey<Duration> MANAGER_HEARTBEAT_TIMEOUT = key(MANAGER, "heartbeatTimeout",
            ValueType.duration(Duration.ofMillis(10), Duration.ofDays(1)), "3s",
            "a component with no status report for this long is marked DEAD and no longer chosen");
    public static final ConfigKey<Duration> MANAGER_HEARTBEAT_CHECK_INTERVAL = key(MANAGER, "heartbeatCheckInterval",
            ValueType.duration(Duration.ofMillis(1), Duration.ofHours(1)), "500ms",
            "how often the manager looks for components that missed their heartbeat timeout");
    public static final ConfigKey<Duration> MANAGER_REPORT_INTERVAL = key(MANAGER, "reportInterval",
            ValueType.duration(Duration.ofMillis(1), Duration.ofHours(1)), "500ms",
            "how often every component sends its status report (the heartbeat); must be below heartbeatTimeout");
    public static final ConfigKey<Duration> MANAGER_JOIN_TIMEOUT = key(MANAGER, "joinTimeout",
            ValueType.duration(Duration.ZERO, Duration.ofDays(1)), "30s",
            "how long a starting component keeps trying to reach the manager before giving up");
    public static final ConfigKey<String> MANAGER_VNODE_IP_POOL = key(MANAGER, "vnodeIpPool",
            ValueType.text("CIDR", ConfigKeys::checkIpPool), "10.77.0.0/16",
            "IPv4 block (CIDR) from which vNodes get their virtual IPs");
    public static final ConfigKey<Long> MANAGER_DEFAULT_MEMORY_QUOTA_BYTES = key(MANAGER, "defaultMemoryQuotaBytes",
            ValueType.size(4 * KiB, 1024 * TiB), org.legoos.api.Sizes.format(ManagerConfig.DEFAULT_MEMORY_QUOTA_BYTES),
            "memory quota of a vNode created without one");
    public static final ConfigKey<Long> MANAGER_DEFAULT_STORAGE_QUOTA_BYTES = key(MANAGER, "defaultStorageQuotaBytes",
            ValueType.size(4 * KiB, 1024 * TiB), org.legoos.api.Sizes.format(ManagerConfig.DEFAULT_STORAGE_QUOTA_BYTES),
            "storage quota of a vNode created without one: the most bytes its files may take");
    public static final ConfigKey<Integer> MANAGER_DEFAULT_MAX_PROCESSES = key(MANAGER, "defaultMaxProcesses",
            ValueType.integer(1, 1 << 20), Integer.toString(ManagerConfig.DEFAULT_MAX_PROCESSES),
            "process limit of a vNode created without one");
    public static final ConfigKey<Duration> MANAGER_STORAGE_CALL_TIMEOUT = key(MANAGER, "storageCallTimeout",
            ValueType.duration(Duration.ofMillis(1), Duration.ofHours(1)), "10s",
            "how long creating a vNode waits for its storage component to attach it");
    public static final ConfigKey<Duration> MANAGER_DEAD_RETENTION = key(MANAGER, "deadRetention",
            ValueType.duration(Duration.ZERO, Duration.ofDays(365)),
            DurationText.format(Duration.ofMillis(ManagerConfig.DEFAULT_DEAD_RETENTION_MILLIS)),
            "how long a DEAD component stays in the membership table before it is forgotten (unless a vNode or process"
                    + " still refers to it)");

    // ------------------------------------------------------------------ processor

    public static final ConfigKey<String> PROCESSOR_LISTEN = key(PROCESSOR, "listen", ValueType.address(false), "127.0.0.1:0",
            "host:port a processor component listens on (port 0: any free port); others connect to it there");
    public static final ConfigKey<Integer> PROCESSOR_CORES = key(PROCESSOR, "cores", ValueType.integer(0, 4096), "0",
            "cores application threads may use, which the GPM places by (0: every core of this machine)");
    public static final ConfigKey<Long> PROCESSOR_EXCACHE_BYTES = key(PROCESSOR, "excacheBytes",
            ValueType.size(4 * KiB, 4 * TiB), "64MiB",
            "ExCache size: the processor's \"DRAM\" caching its processes' memory (a power-of-two number of sets of"
                    + " excacheWays 4KiB lines)");
    public static final ConfigKey<Integer> PROCESSOR_EXCACHE_WAYS = key(PROCESSOR, "excacheWays", ValueType.integer(1, 1024),
            String.valueOf(ExCacheConfig.DEFAULT_WAYS), "ExCache associativity: lines per set");
    public static final ConfigKey<ExCacheConfig.Policy> PROCESSOR_EVICTION_POLICY = key(PROCESSOR, "evictionPolicy",
            ValueType.choice(ExCacheConfig.Policy.class, Map.of("lru", ExCacheConfig.Policy.CLOCK)), "fifo",
            "which line of a full ExCache set is evicted (lru means clock)");
    public static final ConfigKey<Integer> PROCESSOR_EXCACHE_PREFETCH_PAGES = key(PROCESSOR, "excachePrefetchPages",
            ValueType.integer(0, ExCacheConfig.MAX_PREFETCH_PAGES), String.valueOf(ExCacheConfig.DEFAULT_PREFETCH_PAGES),
            "most pages an ExCache miss fetches ahead of a detected sequential or strided access stream, in the same"
                    + " message as the missed page (0: no prefetch, as in LegoOS)");
    public static final ConfigKey<Boolean> PROCESSOR_EXCACHE_PIGGYBACK = key(PROCESSOR, "excachePiggyback", bool(), "true",
            "whether a dirty ExCache victim rides on the miss that evicts it when both go to the same memory component,"
                    + " as in LegoOS (false: it is written back with a flush message of its own first)");
    public static final ConfigKey<Integer> PROCESSOR_MAX_PROCESSES = key(PROCESSOR, "maxProcesses",
            ValueType.integer(1, 1 << 16), "256", "processes one processor component runs at once");
    public static final ConfigKey<Duration> PROCESSOR_KILL_GRACE = key(PROCESSOR, "killGrace",
            ValueType.duration(Duration.ZERO, Duration.ofHours(1)), "2s",
            "how long a killed process's threads get to notice before it is reported dead");
    public static final ConfigKey<ProcessorMode> PROCESSOR_MODE = key(PROCESSOR, "mode",
            ValueType.choice(ProcessorMode.class, Map.of()),
            ProcessorConfig.DEFAULT_MODE.name().toLowerCase(java.util.Locale.ROOT),
            "process: every process runs in its own sandboxed JVM; thread: as threads of the processor's JVM; auto: process"
                    + " where the host has userfaultfd and Landlock ABI 4+, else thread ('lego status' says which and why)");
    public static final ConfigKey<Long> PROCESSOR_TASK_HEAP_BYTES = key(PROCESSOR, "taskHeapBytes",
            ValueType.size(16L << 20, TiB), org.legoos.api.Sizes.format(ProcessorConfig.DEFAULT_TASK_HEAP_BYTES),
            "process mode: Java heap bound (-Xmx) of each process's JVM, counted against the processor component");
    public static final ConfigKey<Integer> PROCESSOR_WARM_TASKS = key(PROCESSOR, "warmTasks",
            ValueType.integer(0, ProcessorConfig.MAX_WARM_TASKS), String.valueOf(ProcessorConfig.DEFAULT_WARM_TASKS),
            "process mode: JVMs kept started and waiting for a program, per class path in use, so a run skips the JVM's"
                    + " start (0: none; each waiting JVM holds about 40MiB)");

    // ------------------------------------------------------------------ memory

    public static final ConfigKey<String> MEMORY_LISTEN = key(MEMORY, "listen", ValueType.address(false), "127.0.0.1:0",
            "host:port a memory component listens on (port 0: any free port); others connect to it there");
    public static final ConfigKey<Long> MEMORY_CAPACITY_BYTES = key(MEMORY, "capacityBytes", ValueType.size(4 * KiB, 8 * TiB - 4 * KiB),
            "1GiB", "page store size: memory for processes' pages (a multiple of 4KiB; reserved as pages are written)");
    public static final ConfigKey<Long> MEMORY_VREGION_BYTES = key(MEMORY, "vregionBytes", ValueType.size(4 * KiB, 64L << 30),
            "1GiB", "vRegion size, a power of two; every memory component of a cluster must use the same value");
    public static final ConfigKey<Integer> MEMORY_WORKERS = key(MEMORY, "workers", ValueType.integer(1, 1024), "4",
            "threads serving processor requests (and as many again for memory-to-memory calls); at least 1 over TCP");
    public static final ConfigKey<Long> MEMORY_BUFFER_CACHE_BYTES = key(MEMORY, "bufferCacheBytes", ValueType.size(4 * KiB, 4 * TiB),
            "64MiB", "storage buffer cache: most bytes of file data this component caches for its vNodes");
    public static final ConfigKey<Long> MEMORY_BUFFER_CHUNK_BYTES = key(MEMORY, "bufferChunkBytes", ValueType.size(4 * KiB, 64L << 20),
            "64KiB", "unit the buffer cache fills, evicts and writes back (a power of two)");
    public static final ConfigKey<Integer> MEMORY_REPLICAS = key(MEMORY, "replicas",
            ValueType.integer(1, org.legoos.memory.MemoryConfig.MAX_REPLICAS),
            String.valueOf(org.legoos.memory.MemoryConfig.DEFAULT_REPLICAS),
            "copies of each process page: 2 keeps a replica on a second memory component (when there is one), so a "
                    + "process survives the death of a memory component holding its pages; 1 keeps none");
    public static final ConfigKey<Long> MEMORY_RE_REPLICATION_BYTES_PER_SECOND = key(MEMORY, "reReplicationBytesPerSecond",
            ValueType.size(4 * KiB, TiB), org.legoos.api.Sizes.format(org.legoos.memory.MemoryConfig.DEFAULT_RE_REPLICATION_BYTES_PER_SECOND),
            "how fast an owner copies a process's pages to a new replica (after a component joined or a replica died) "
                    + "while the program runs; bounded so the copy leaves the programs their share of the network");

    // ------------------------------------------------------------------ storage

    public static final ConfigKey<String> STORAGE_LISTEN = key(STORAGE, "listen", ValueType.address(false), "127.0.0.1:0",
            "host:port a storage component listens on (port 0: any free port); others connect to it there");
    public static final ConfigKey<Path> STORAGE_ROOT = key(STORAGE, "root", ValueType.path(), ".lego/storage",
            "local directory holding one directory per vNode served here (relative to the working directory)");
    public static final ConfigKey<Integer> STORAGE_WORKERS = key(STORAGE, "workers", ValueType.integer(1, 1024), "2",
            "threads serving file requests");
    public static final ConfigKey<Integer> STORAGE_MAX_OPEN_FILES = key(STORAGE, "maxOpenFiles", ValueType.integer(1, 1 << 20),
            "256", "files kept open at once (least recently used closed beyond it)");

    // ------------------------------------------------------------------ security

    public static final ConfigKey<org.legoos.api.security.SecurityMode> SECURITY_MODE = key(SECURITY, "mode",
            ValueType.choice(org.legoos.api.security.SecurityMode.class, Map.of()), "tls",
            "tls: every TCP link is mutual TLS 1.3 with the certificates in security.dir, and roles are enforced; insecure:"
                    + " plaintext, anyone who reaches a port is trusted (a trusted bench network only; 'lego status' says so)");
    public static final ConfigKey<Path> SECURITY_DIR = key(SECURITY, "dir", ValueType.path(), ".lego/certs",
            "directory of the cluster CA's certificate, this process's certificate and key, and the revocation list"
                    + " ('lego certs' writes it; 'lego up' creates one for its cluster)");
    public static final ConfigKey<String> SECURITY_IDENTITY = key(SECURITY, "identity",
            ValueType.text("NAME", t -> {
                if (!t.isEmpty()) {
                    org.legoos.net.security.CertificateNames.checkName(t);
                }
            }), "",
            "which certificate of security.dir this process presents (NAME.crt, NAME.key); empty: the component's role"
                    + " (manager, processor, memory, storage) or, for a client, admin");

    // ------------------------------------------------------------------ metrics

    /** The value of {@link #METRICS_LISTEN} that serves no metrics. */
    public static final String METRICS_OFF = "off";

    public static final ConfigKey<String> METRICS_LISTEN = key(METRICS, "listen",
            ValueType.text("HOST:PORT|off", ConfigKeys::checkMetricsListen), METRICS_OFF,
            "host:port where this component serves its metrics in the Prometheus text format at /metrics (port 0: any"
                    + " free port; off: none). 'lego up' gives each component a free loopback port and prints the URLs");

    // ------------------------------------------------------------------ dashboard

    /** The value of {@link #DASHBOARD_LISTEN} that serves no dashboard. */
    public static final String DASHBOARD_OFF = "off";

    public static final ConfigKey<String> DASHBOARD_LISTEN = key(DASHBOARD, "listen",
            ValueType.text("HOST:PORT|off", ConfigKeys::checkMetricsListen), DASHBOARD_OFF,
            "host:port where the manager serves its read-only web dashboard (port 0: any free port; off: none); every"
                    + " request needs the token in the run directory's dashboard.token. 'lego up' gives it a free loopback"
                    + " port and prints the URL");
    public static final ConfigKey<Path> DASHBOARD_TOKEN_FILE = key(DASHBOARD, "tokenFile", ValueType.path(),
            ".lego/dashboard.token", "file where the manager writes the dashboard's access token, owner-only, a fresh"
                    + " random one at every start (relative to the working directory; 'lego up' puts it in its run"
                    + " directory)");

    // ------------------------------------------------------------------ cluster (lego up)

    public static final ConfigKey<Integer> CLUSTER_PROCESSORS = key(CLUSTER, "processors", ValueType.integer(1, 64), "1",
            "processor components 'lego up' starts");
    public static final ConfigKey<Integer> CLUSTER_MEMORIES = key(CLUSTER, "memories", ValueType.integer(1, 64), "2",
            "memory components 'lego up' starts");
    public static final ConfigKey<Integer> CLUSTER_STORAGES = key(CLUSTER, "storages", ValueType.integer(1, 64), "1",
            "storage components 'lego up' starts");
    public static final ConfigKey<Duration> CLUSTER_START_TIMEOUT = key(CLUSTER, "startTimeout",
            ValueType.duration(Duration.ofSeconds(1), Duration.ofHours(1)), "60s",
            "how long 'lego up' waits for every component to join");
    public static final ConfigKey<Duration> CLUSTER_STOP_TIMEOUT = key(CLUSTER, "stopTimeout",
            ValueType.duration(Duration.ZERO, Duration.ofHours(1)), "10s",
            "how long 'lego down' waits after SIGTERM before it kills a component");
    public static final ConfigKey<String> CLUSTER_JVM_OPTIONS = key(CLUSTER, "jvmOptions", ValueType.text("OPTIONS", t -> { }),
            "-XX:+UseSerialGC", "JVM options of every component process 'lego up' starts (space-separated)");

    /** {@code true} or {@code false} (any case). */
    private static ValueType<Boolean> bool() {
        return new ValueType.Simple<>("true|false", text -> switch (text.trim().toLowerCase(java.util.Locale.ROOT)) {
            case "true" -> Boolean.TRUE;
            case "false" -> Boolean.FALSE;
            default -> throw new IllegalArgumentException("'" + text + "' is not true or false");
        }, String::valueOf);
    }

    /** Every key, in section order. */
    public static final List<ConfigKey<?>> ALL = Collections.unmodifiableList(new ArrayList<>(KEYS));

    /** The keys of one section, in order. */
    public static List<ConfigKey<?>> of(ConfigSection section) {
        return ALL.stream().filter(k -> k.section() == section).toList();
    }

    /**
     * The key named {@code id}: {@code memory.capacityBytes}, also written {@code memory.capacity-bytes}.
     *
     * @throws ConfigException naming the key, with the closest known key as a suggestion
     */
    public static ConfigKey<?> byId(String id) {
        String t = id.trim();
        int dot = t.indexOf('.');
        if (dot <= 0) {
            throw new ConfigException(t, "not a key: write section.key, e.g. memory.capacityBytes");
        }
        ConfigSection s = ConfigSection.byYamlName(t.substring(0, dot));
        if (s == null) {
            throw unknownSection(t.substring(0, dot));
        }
        return inSection(s, t.substring(dot + 1));
    }

    /**
     * The key {@code name} of {@code section} (camelCase or kebab-case).
     *
     * @throws ConfigException for an unknown key, suggesting the closest one
     */
    public static ConfigKey<?> inSection(ConfigSection section, String name) {
        String wanted = normal(name);
        ConfigKey<?> best = null;
        int bestDistance = Integer.MAX_VALUE;
        for (ConfigKey<?> k : of(section)) {
            String kn = normal(k.name());
            if (kn.equals(wanted)) {
                return k;
            }
            int d = distance(kn, wanted);
            if (kn.startsWith(wanted) || wanted.startsWith(kn)) {
                d = Math.min(d, 2);
            }
            if (d < bestDistance) {
                bestDistance = d;
                best = k;
            }
        }
        String hint = best != null && bestDistance <= Math.max(2, wanted.length() / 3)
                ? " (did you mean " + best.id() + "?)"
                : " (" + section.yamlName() + " keys: " + String.join(", ", of(section).stream().map(ConfigKey::name).toList()) + ")";
        throw new ConfigException(section.yamlName() + "." + name, "unknown key" + hint);
    }

    static ConfigException unknownSection(String name) {
        List<String> names = java.util.Arrays.stream(ConfigSection.values()).map(ConfigSection::yamlName).toList();
        return new ConfigException(name, "unknown section (expected one of " + String.join(", ", names) + ")");
    }

    private static String normal(String name) {
        return name.replace("-", "").replace("_", "").toLowerCase(java.util.Locale.ROOT);
    }

    /** Levenshtein distance, for suggestions. */
    private static int distance(String a, String b) {
        int[] prev = new int[b.length() + 1];
        int[] cur = new int[b.length() + 1];
        for (int j = 0; j <= b.length(); j++) {
            prev[j] = j;
        }
        for (int i = 1; i <= a.length(); i++) {
            cur[0] = i;
            for (int j = 1; j <= b.length(); j++) {
                int cost = a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1;
                cur[j] = Math.min(Math.min(cur[j - 1] + 1, prev[j] + 1), prev[j - 1] + cost);
            }
            int[] t = prev;
            prev = cur;
            cur = t;
        }
        return prev[b.length()];
    }

    private static void checkMetricsListen(String text) {
        if (!text.trim().equals(METRICS_OFF)) {
            try {
                ValueType.address(true).parse(text);
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("'" + text + "' is neither host:port (e.g. 127.0.0.1:9400) nor off", e);
            }
        }
    }

    private static void checkIpPool(String cidr) {
        try {
            ManagerConfig.defaults().withVnodeIpPool(cidr.trim()); // IpPool is the manager's; let it judge
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(String.valueOf(e.getMessage()).replaceFirst("^vnodeIpPool ", ""), e);
        }
    }
}
