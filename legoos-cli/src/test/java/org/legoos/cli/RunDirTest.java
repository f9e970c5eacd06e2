package org.legoos.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;
import org.junit.jupiter.api.io.TempDir;
import org.legoos.node.cluster.NodeRole;
import org.legoos.node.config.ConfigKeys;
import org.legoos.node.config.LegoConfig;
import org.legoos.testkit.Await;

/** What 'lego up' records and 'lego down' signals, with plain processes standing in for components. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
@EnabledOnOs({OS.LINUX, OS.MAC})
class RunDirTest {
    @Test
    void stopSendsSigtermThenKillsWhatIgnoresIt(@TempDir Path dir) throws Exception {
        RunDir run = new RunDir(dir);
        run.launch("memory-1", NodeRole.MEMORY, List.of("sleep", "60"), Map.of());
        run.launch("processor-1", NodeRole.PROCESSOR, List.of("sh", "-c", "trap '' TERM; echo ignoring; exec sleep 60"), Map.of());
        run.launch("manager", NodeRole.MANAGER, List.of("sleep", "60"), Map.of());
        assertThat(run.entries()).extracting(RunDir.Entry::name).containsExactly("manager", "memory-1", "processor-1");
        assertThat(run.running()).hasSize(3);
        Await.until("the shell has installed its trap", () -> run.tail("processor-1", 5).equals("ignoring"));
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        int killed = run.stop(run.entries(), Duration.ofMillis(700), new PrintStream(out, true, StandardCharsets.UTF_8));
        assertThat(killed).isEqualTo(1);
        assertThat(out.toString(StandardCharsets.UTF_8)).contains("stopped manager (pid ").contains("stopped memory-1 (pid ")
                .contains("killed processor-1 (pid ").contains("still running 700 ms after SIGTERM");
        assertThat(run.entries()).isEmpty();
        assertThat(run.tail("processor-1", 5)).isEqualTo("ignoring");
    }

    @Test
    void aRecycledPidIsNotOurs(@TempDir Path dir) throws Exception {
        Files.createDirectories(dir.resolve("pids"));
        long self = ProcessHandle.current().pid();
        Files.writeString(dir.resolve("pids/memory-1.pid"), self + " 12345 memory\n");
        RunDir run = new RunDir(dir);
        assertThat(run.entries()).hasSize(1);
        assertThat(run.running()).isEmpty(); // this JVM did not start at 12345 ms after the epoch
        Files.writeString(dir.resolve("pids/bad.pid"), "not a pid\n");
        assertThat(run.entries()).extracting(RunDir.Entry::name).containsExactly("memory-1");
        assertThat(dir.resolve("pids/bad.pid")).doesNotExist();
    }

    @Test
    void downWithNothingRunningSaysSo(@TempDir Path dir) {
        Cli.Result r = Cli.run("down", "--dir", dir.toString());
        assertThat(r.code()).isZero();
        assertThat(r.out()).isEqualTo("no cluster running from " + dir + "\n");
    }

    @Test
    void upPutsStateAndFilesUnderTheRunDirectoryUnlessConfigured(@TempDir Path dir) {
        LegoConfig placed = UpCommand.placeUnder(LegoConfig.defaults(), dir);
        assertThat(placed.get(ConfigKeys.MANAGER_STATE_DIR)).isEqualTo(dir.resolve("manager"));
        assertThat(placed.get(ConfigKeys.STORAGE_ROOT)).isEqualTo(dir.resolve("storage"));
        LegoConfig own = UpCommand.placeUnder(LegoConfig.defaults().with("manager.stateDir", "").with("storage.root", "rel/files"), dir);
        assertThat(own.get(ConfigKeys.MANAGER_STATE_DIR)).isNull();
        assertThat(own.get(ConfigKeys.STORAGE_ROOT)).isEqualTo(Path.of("rel/files").toAbsolutePath());
        List<String> java = UpCommand.javaCommand(LegoConfig.defaults().with("cluster.jvmOptions", "-Xmx256m  -Dx=1"));
        assertThat(java.getFirst()).endsWith("/bin/java");
        assertThat(java).containsSequence("-Xmx256m", "-Dx=1").contains("-cp").endsWith(Lego.class.getName());
        List<String> storage = UpCommand.command(java, NodeRole.STORAGE, new RunDir(dir), dir.resolve("storage/storage-1"),
                "127.0.0.1:7701", "storage-1", "127.0.0.1:9401");
        assertThat(storage.subList(java.size(), storage.size())).containsExactly("storage", "--config",
                dir.resolve("lego.yaml").toString(), "--set", "security.identity=storage-1", "--set",
                "storage.listen=127.0.0.1:7701", "--set",
                "storage.root=" + dir.resolve("storage/storage-1"), "--set", "metrics.listen=127.0.0.1:9401");
    }

    @Test
    void upGivesEveryComponentAMetricsPortUnlessMetricsAreOff() throws Exception {
        java.util.Map<String, String> urls = new java.util.LinkedHashMap<>();
        String manager = UpCommand.metricsAddress(LegoConfig.defaults(), "manager", urls);
        String memory = UpCommand.metricsAddress(LegoConfig.defaults(), "memory-1", urls);
        assertThat(manager).startsWith("127.0.0.1:").isNotEqualTo("127.0.0.1:0").isNotEqualTo(memory);
        assertThat(urls).containsEntry("manager", "http://" + manager + "/metrics").containsKey("memory-1");

        urls.clear();
        LegoConfig fixed = LegoConfig.defaults().with("metrics.listen", "0.0.0.0:9400");
        assertThat(UpCommand.metricsAddress(fixed, "manager", urls)).isEqualTo("0.0.0.0:9400");
        assertThat(UpCommand.metricsAddress(fixed, "storage-1", urls)).isEqualTo("0.0.0.0:9401");
        assertThat(urls).containsEntry("storage-1", "http://127.0.0.1:9401/metrics");

        urls.clear();
        assertThat(UpCommand.metricsAddress(LegoConfig.defaults().with("metrics.listen", "off"), "manager", urls)).isNull();
        assertThat(urls).isEmpty();
    }

    @Test
    void upTurnsTheManagersDashboardOnWithItsTokenInTheRunDirectory(@TempDir Path dir) throws Exception {
        List<String> cmd = new java.util.ArrayList<>(List.of("java", "manager"));
        String url = UpCommand.dashboardAddress(LegoConfig.defaults(), cmd);
        assertThat(url).startsWith("http://127.0.0.1:").endsWith("/").doesNotContain(":0/");
        assertThat(cmd).containsSubsequence("--set", "dashboard.listen=" + url.substring("http://".length(), url.length() - 1));

        List<String> fixed = new java.util.ArrayList<>();
        assertThat(UpCommand.dashboardAddress(LegoConfig.defaults().with("dashboard.listen", "0.0.0.0:9500"), fixed))
                .isEqualTo("http://127.0.0.1:9500/");
        assertThat(fixed).containsExactly("--set", "dashboard.listen=0.0.0.0:9500");
        List<String> off = new java.util.ArrayList<>();
        assertThat(UpCommand.dashboardAddress(LegoConfig.defaults().with("dashboard.listen", "off"), off)).isNull();
        assertThat(off).isEmpty();

        assertThat(UpCommand.placeUnder(LegoConfig.defaults(), dir).get(ConfigKeys.DASHBOARD_TOKEN_FILE))
                .isEqualTo(dir.resolve("dashboard.token").toAbsolutePath().normalize());
    }

    @Test
    void upGivesComponentsFixedPortsSoARestartKeepsTheirNodeIds() {
        LegoConfig d = LegoConfig.defaults();
        assertThat(UpCommand.listenAddress(d, NodeRole.STORAGE, 1)).isEqualTo("127.0.0.1:7701");
        assertThat(UpCommand.listenAddress(d, NodeRole.MEMORY, 2)).isEqualTo("127.0.0.1:7802");
        assertThat(UpCommand.listenAddress(d, NodeRole.PROCESSOR, 1)).isEqualTo("127.0.0.1:7901");
        LegoConfig fixed = d.with("processor.listen", "10.0.0.5:9000");
        assertThat(UpCommand.listenAddress(fixed, NodeRole.PROCESSOR, 2)).isEqualTo("10.0.0.5:9001");
        LegoConfig ephemeral = d.with("manager.address", "127.0.0.1:0");
        assertThat(UpCommand.listenAddress(ephemeral, NodeRole.MEMORY, 1)).isEqualTo("127.0.0.1:0");
        LegoConfig high = d.with("manager.address", "127.0.0.1:65400");
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> UpCommand.listenAddress(high, NodeRole.PROCESSOR, 1))
                .hasMessageContaining("beyond 65535: set processor.listen");
    }
}
