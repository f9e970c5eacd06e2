package org.legoos.node.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.legoos.manager.GmmPolicy;
import org.legoos.manager.ManagerConfig;
import org.legoos.memory.MemoryConfig;
import org.legoos.processor.ProcessorConfig;
import org.legoos.processor.excache.ExCacheConfig;

@Timeout(value = 30, unit = TimeUnit.SECONDS)
class LegoConfigTest {
    /** What the one size parser ({@code org.legoos.api.Sizes}) says about {@code 12XB}. */
    private static final String BAD_SIZE = "'12XB' is not a size: unknown unit 'XB' (write a whole number of bytes,"
            + " optionally followed by B, KiB, MiB, GiB, TiB or PiB; e.g. 512MiB)";


    @Test
    void everyKeyHasADescriptionAndADefaultThatParsesBack() {
        assertThat(ConfigKeys.ALL).hasSizeGreaterThan(25);
        for (ConfigKey<?> k : ConfigKeys.ALL) {
            assertThat(k.description()).as(k.id()).isNotBlank();
            assertThat(k.parse(k.defaultText())).as(k.id()).isEqualTo(k.defaultValue());
            assertThat(k.optionName()).startsWith("--" + k.section().yamlName() + ".");
        }
        assertThat(ConfigKeys.MEMORY_CAPACITY_BYTES.optionName()).isEqualTo("--memory.capacity-bytes");
    }

    @Test
    void defaultsAreTheDocumentedOnes() {
        LegoConfig c = LegoConfig.defaults().validate();
        assertThat(c.get(ConfigKeys.MANAGER_ADDRESS)).isEqualTo("127.0.0.1:7700");
        assertThat(c.get(ConfigKeys.MANAGER_STATE_DIR)).isEqualTo(Path.of(".lego/manager"));
        assertThat(c.get(ConfigKeys.MANAGER_MEMORY_POLICY)).isEqualTo(GmmPolicy.ROUND_ROBIN);
        assertThat(c.get(ConfigKeys.MANAGER_HEARTBEAT_TIMEOUT)).isEqualTo(Duration.ofSeconds(3));
        assertThat(c.get(ConfigKeys.PROCESSOR_EXCACHE_BYTES)).isEqualTo(64L << 20);
        assertThat(c.get(ConfigKeys.PROCESSOR_EVICTION_POLICY)).isEqualTo(ExCacheConfig.Policy.FIFO);
        assertThat(c.get(ConfigKeys.MEMORY_CAPACITY_BYTES)).isEqualTo(1L << 30);
        assertThat(c.get(ConfigKeys.MEMORY_WORKERS)).isEqualTo(4);
        assertThat(c.get(ConfigKeys.CLUSTER_MEMORIES)).isEqualTo(2);
        assertThat(c.reportInterval()).isEqualTo(Duration.ofMillis(500));
    }

    @Test
    void yamlValuesOverrideDefaultsAndAssignmentsOverrideYaml() {
        LegoConfig c = LegoConfig.parse("""
                manager:
                  address: 10.0.0.1:7800
                  heartbeatTimeout: 5s
                  memoryPolicy: most-free-memory
                processor:
                  excacheBytes: 128MiB
                  evictionPolicy: lru
                memory:
                  capacityBytes: 2GiB
                  workers: 8
                storage:
                  root: /srv/lego
                cluster:
                  memories: 3
                """, "lego.yaml").withAssignment("memory.capacityBytes=512MiB").with("memory.vregion-bytes", "64MiB").validate();
        assertThat(c.get(ConfigKeys.MANAGER_ADDRESS)).isEqualTo("10.0.0.1:7800");
        assertThat(c.get(ConfigKeys.MANAGER_HEARTBEAT_TIMEOUT)).isEqualTo(Duration.ofSeconds(5));
        assertThat(c.get(ConfigKeys.MANAGER_MEMORY_POLICY)).isEqualTo(GmmPolicy.MOST_FREE_MEMORY);
        assertThat(c.get(ConfigKeys.PROCESSOR_EVICTION_POLICY)).isEqualTo(ExCacheConfig.Policy.CLOCK);
        assertThat(c.get(ConfigKeys.MEMORY_CAPACITY_BYTES)).isEqualTo(512L << 20);
        assertThat(c.get(ConfigKeys.MEMORY_VREGION_BYTES)).isEqualTo(64L << 20);
        assertThat(c.get(ConfigKeys.STORAGE_ROOT)).isEqualTo(Path.of("/srv/lego"));
        assertThat(c.get(ConfigKeys.CLUSTER_MEMORIES)).isEqualTo(3);
        assertThat(c.isSet(ConfigKeys.MEMORY_WORKERS)).isTrue();
        assertThat(c.isSet(ConfigKeys.MEMORY_BUFFER_CACHE_BYTES)).isFalse();
        assertThat(c.explicitKeys()).contains("memory.vregionBytes", "cluster.memories");
    }

    @Test
    void aBadSizeNamesTheKeyAndTheLine() {
        assertThatThrownBy(() -> LegoConfig.parse("memory:\n  workers: 2\n  capacityBytes: 12XB\n", "lego.yaml"))
                .isInstanceOf(ConfigException.class)
                .hasMessage("lego.yaml:3: memory.capacityBytes: " + BAD_SIZE)
                .satisfies(e -> assertThat(((ConfigException) e).key()).isEqualTo("memory.capacityBytes"));
        assertThatThrownBy(() -> LegoConfig.defaults().with("memory.capacityBytes", "12XB"))
                .hasMessage("memory.capacityBytes: " + BAD_SIZE);
    }

    @Test
    void badValuesOfEveryTypeAreRefusedWithTheKey() {
        LegoConfig d = LegoConfig.defaults();
        assertThatThrownBy(() -> d.with("manager.heartbeatTimeout", "3"))
                .hasMessage("manager.heartbeatTimeout: '3' is not a duration (use e.g. 500ms or 3s)");
        assertThatThrownBy(() -> d.with("manager.address", "localhost"))
                .hasMessage("manager.address: 'localhost' is not host:port (use e.g. 127.0.0.1:7700)");
        assertThatThrownBy(() -> d.with("manager.address", "127.0.0.1:70000")).hasMessageContaining("is not host:port");
        assertThatThrownBy(() -> d.with("memory.listen", "0.0.0.0:0"))
                .hasMessageStartingWith("memory.listen: '0.0.0.0:0' is a wildcard address");
        assertThatThrownBy(() -> d.with("memory.workers", "0")).hasMessage("memory.workers: '0' must be between 1 and 1024");
        assertThatThrownBy(() -> d.with("memory.workers", "many")).hasMessage("memory.workers: 'many' is not a whole number");
        assertThatThrownBy(() -> d.with("manager.memoryPolicy", "fastest"))
                .hasMessage("manager.memoryPolicy: 'fastest' is not one of round-robin, least-requested, most-free-memory,"
                        + " every-4th-least-requested");
        assertThatThrownBy(() -> d.with("manager.vnodeIpPool", "10.77.0.1/16")).hasMessageStartingWith("manager.vnodeIpPool: '10.77.0.1/16' has host bits set");
        assertThatThrownBy(() -> d.with("memory.capacityBytes", "99999999999TiB")).hasMessageContaining("too large");
        assertThatThrownBy(() -> d.with("storage.root", "")).hasMessage("storage.root: a path is required");
        assertThatThrownBy(() -> d.withAssignment("memory.capacityBytes")).hasMessageContaining("expected key=value");
    }

    @Test
    void unknownKeysAndSectionsAreRefusedWithASuggestion() {
        assertThatThrownBy(() -> LegoConfig.parse("memory:\n  capacity: 1GiB\n", "lego.yaml"))
                .hasMessage("lego.yaml:2: memory.capacity: unknown key (did you mean memory.capacityBytes?)");
        assertThatThrownBy(() -> LegoConfig.parse("memroy:\n  workers: 2\n", "lego.yaml"))
                .hasMessage("lego.yaml:1: memroy: unknown section (expected one of manager, processor, memory, storage, security, metrics, dashboard, cluster)");
        assertThatThrownBy(() -> LegoConfig.defaults().with("processor.colour", "blue"))
                .hasMessageStartingWith("processor.colour: unknown key (processor keys: listen, cores,");
        assertThatThrownBy(() -> LegoConfig.defaults().with("capacityBytes", "1GiB")).hasMessageContaining("write section.key");
    }

    @Test
    void malformedYamlIsRefusedWithItsLine() {
        assertThatThrownBy(() -> LegoConfig.parse("memory:\n  workers: 2\n  workers: 3\n", "f.yaml"))
                .isInstanceOf(ConfigException.class).hasMessageStartingWith("f.yaml:");
        assertThatThrownBy(() -> LegoConfig.parse("memory:\n  workers: [1, 2]\n", "f.yaml"))
                .hasMessageStartingWith("f.yaml:2: memory.workers: expected a single value");
        assertThatThrownBy(() -> LegoConfig.parse("memory:\n  workers:\n", "f.yaml"))
                .hasMessage("f.yaml:2: memory.workers: no value given (default: 4)");
        assertThatThrownBy(() -> LegoConfig.parse("memory: 12\n", "f.yaml")).hasMessageStartingWith("f.yaml:1: memory: expected indented");
        assertThatThrownBy(() -> LegoConfig.parse("- a\n- b\n", "f.yaml")).hasMessageContaining("expected sections");
        assertThatThrownBy(() -> LegoConfig.parse("memory:\n  workers: 2\n bad: [\n", "f.yaml"))
                .isInstanceOf(ConfigException.class).hasMessageContaining("not valid YAML");
    }

    @Test
    void emptyFilesAndEmptySectionsGiveDefaults() {
        assertThat(LegoConfig.parse("", "x")).isEqualTo(LegoConfig.defaults());
        assertThat(LegoConfig.parse("# nothing\nmemory:\n", "x")).isEqualTo(LegoConfig.defaults());
        assertThat(LegoConfig.parse("manager:\n  stateDir:\n", "x").get(ConfigKeys.MANAGER_STATE_DIR)).isNull();
        assertThat(LegoConfig.parse("manager:\n  stateDir: ''\n", "x").managerConfig().stateDir()).isNull();
    }

    @Test
    void constraintsBetweenKeysAreChecked() {
        assertThatThrownBy(() -> LegoConfig.defaults().with("processor.excacheBytes", "96MiB").validate())
                .hasMessage("processor.excacheBytes: 96MiB with processor.excacheWays 64 does not make a power-of-two number of sets"
                        + " of 64 4KiB lines; use a power of two times 256KiB (e.g. 64MiB)");
        assertThatThrownBy(() -> LegoConfig.defaults().with("manager.reportInterval", "3s").validate())
                .hasMessageStartingWith("manager.reportInterval: 3s must be shorter than manager.heartbeatTimeout (3s)");
        assertThatThrownBy(() -> LegoConfig.defaults().with("memory.vregionBytes", "3MiB").validate())
                .hasMessage("memory.vregionBytes: 3MiB is not a power of two (e.g. 1GiB or 64MiB)");
        assertThatThrownBy(() -> LegoConfig.defaults().with("memory.capacityBytes", "4097").validate())
                .hasMessageStartingWith("memory.capacityBytes: 4097B is not a multiple of 4KiB");
        assertThatThrownBy(() -> LegoConfig.defaults().with("memory.bufferCacheBytes", "32KiB").validate())
                .hasMessageStartingWith("memory.bufferCacheBytes: 32KiB cannot hold one memory.bufferChunkBytes of 64KiB");
        // the checks run late, so the order of overrides does not matter
        LegoConfig ok = LegoConfig.defaults().with("processor.excacheWays", "16").with("processor.excacheBytes", "1MiB").validate();
        assertThat(ok.processorConfig().excache().sets()).isEqualTo(16);
    }

    @Test
    void monitorConfigsCarryTheValues() {
        LegoConfig c = LegoConfig.defaults().with("manager.stateDir", "/var/lego").with("manager.heartbeatTimeout", "4s")
                .with("manager.heartbeatCheckInterval", "250ms").with("manager.defaultMemoryQuotaBytes", "2GiB")
                .with("processor.cores", "3").with("processor.excacheBytes", "4MiB").with("processor.evictionPolicy", "random")
                .with("memory.capacityBytes", "256MiB").with("memory.workers", "2").with("storage.workers", "3");
        ManagerConfig m = c.managerConfig();
        assertThat(m.stateDir()).isEqualTo(Path.of("/var/lego"));
        assertThat(m.heartbeatTimeoutMillis()).isEqualTo(4000);
        assertThat(m.tickPeriodMillis()).isEqualTo(250);
        assertThat(m.defaultMemoryQuotaBytes()).isEqualTo(2L << 30);
        ProcessorConfig p = c.processorConfig();
        assertThat(p.cores()).isEqualTo(3);
        assertThat(p.excache().capacityBytes()).isEqualTo(4L << 20);
        assertThat(p.excache().policy()).isEqualTo(ExCacheConfig.Policy.RANDOM);
        MemoryConfig mem = c.memoryConfig();
        assertThat(mem.capacityBytes()).isEqualTo(256L << 20);
        assertThat(mem.workers()).isEqualTo(2);
        assertThat(c.storageConfig(Path.of("/tmp/s")).workers()).isEqualTo(3);
        assertThat(LegoConfig.defaults().processorConfig().cores()).isEqualTo(Runtime.getRuntime().availableProcessors());
    }

    @Test
    void writtenYamlReadsBackToTheSameConfiguration() {
        LegoConfig c = LegoConfig.defaults().with("cluster.jvmOptions", "-Xmx512m -Dfoo=bar: baz").with("manager.stateDir", "")
                .with("manager.address", "[::1]:7700").with("memory.capacityBytes", "1536MiB");
        for (LegoConfig x : new LegoConfig[] {LegoConfig.defaults(), c}) {
            assertThat(LegoConfig.parse(x.toYaml(true), "w")).isEqualTo(x);
            assertThat(LegoConfig.parse(x.toYaml(false), "w")).isEqualTo(x);
        }
        assertThat(c.toYaml(true)).contains("# page store size").contains("capacityBytes: 1536MiB");
    }

    @Test
    void loadReportsAMissingFileAndValidates(@TempDir Path dir) throws Exception {
        assertThatThrownBy(() -> LegoConfig.load(dir.resolve("nope.yaml"))).hasMessageEndingWith("nope.yaml: no such configuration file");
        Path f = dir.resolve("lego.yaml");
        Files.writeString(f, "processor:\n  excacheBytes: 96MiB\n");
        assertThatThrownBy(() -> LegoConfig.load(f)).hasMessageStartingWith("processor.excacheBytes: 96MiB");
        Files.writeString(f, "processor:\n  excacheBytes: 32MiB\n");
        assertThat(LegoConfig.load(f).get(ConfigKeys.PROCESSOR_EXCACHE_BYTES)).isEqualTo(32L << 20);
    }
}
