package org.legoos.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.legoos.node.config.LegoConfig;
import org.legoos.testkit.ReservedPort;
import picocli.CommandLine;

/** Help, usage errors, configuration errors and an unreachable cluster: the exit codes scripts rely on. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class CliUsageTest {
    /** What the one size parser ({@code org.legoos.api.Sizes}) says about {@code 12XB}. */
    private static final String BAD_SIZE = "'12XB' is not a size: unknown unit 'XB' (write a whole number of bytes,"
            + " optionally followed by B, KiB, MiB, GiB, TiB or PiB; e.g. 512MiB)";

    @Test
    void everyCommandHasHelp() {
        CommandLine root = Lego.commandLine(new Cli().io);
        List<List<String>> commands = new java.util.ArrayList<>();
        collect(root, List.of(), commands);
        assertThat(commands).extracting(c -> String.join(" ", c)).contains("demo", "manager", "processor", "memory", "storage",
                "up", "down", "status", "vnode", "vnode create", "vnode list", "vnode rm", "cp", "ls", "cat", "rm", "run", "ps",
                "kill", "config", "top", "logs");
        for (List<String> c : commands) {
            if (c.equals(List.of("help"))) {
                continue;
            }
            List<String> args = new java.util.ArrayList<>(c);
            args.add("--help");
            Cli.Result r = Cli.run(args.toArray(String[]::new));
            assertThat(r.code()).as(String.join(" ", args)).isZero();
            assertThat(r.out()).as(String.join(" ", args)).startsWith("Usage: lego").contains("-h, --help");
        }
        Cli.Result root1 = Cli.run("--help");
        assertThat(root1.out()).contains("Exit codes: 0 ok, 1 failure").contains("3 cluster unreachable");
    }

    private static void collect(CommandLine cl, List<String> prefix, List<List<String>> out) {
        for (var e : cl.getSubcommands().entrySet()) {
            if (e.getValue().getCommandSpec().aliases().length > 0 && e.getKey().equals(e.getValue().getCommandSpec().aliases()[0])) {
                continue;
            }
            List<String> name = new java.util.ArrayList<>(prefix);
            name.add(e.getKey());
            out.add(name);
            collect(e.getValue(), name, out);
        }
    }

    @Test
    void componentHelpDocumentsEveryKeyAsAnOption() {
        Cli.Result r = Cli.run("memory", "--help");
        assertThat(r.out()).contains("--memory.capacity-bytes=SIZE").contains("page store size").contains("(default: 1GiB)")
                .contains("--manager.address=HOST:PORT").contains("--set=KEY=VALUE").contains("--config=FILE")
                .doesNotContain("--processor.");
        Cli.Result up = Cli.run("up", "--help");
        assertThat(up.out()).contains("--cluster.memories=N").contains("--processor.eviction-policy=<fifo|clock|random|lru>")
                .contains("--manager.heartbeat-timeout=DURATION");
    }

    @Test
    void unknownFlagsAndMissingArgumentsExit2WithOneLine() {
        Cli.Result r = Cli.run("status", "--frobnicate");
        assertThat(r.code()).isEqualTo(Lego.EXIT_USAGE);
        assertThat(r.err()).isEqualTo("lego: Unknown option: '--frobnicate' (see 'lego status --help')\n");
        Cli.Result missing = Cli.run("vnode", "create");
        assertThat(missing.code()).isEqualTo(Lego.EXIT_USAGE);
        assertThat(missing.err()).startsWith("lego: Missing required parameter: 'NAME'").hasLineCount(1);
        assertThat(Cli.run("frobnicate").code()).isEqualTo(Lego.EXIT_USAGE);
        assertThat(Cli.run("run", "hello").err()).contains("Missing required option: '--vnode=VNODE'");
        Cli.Result quota = Cli.run("vnode", "create", "x", "--memory-quota", "12XB");
        assertThat(quota.code()).isEqualTo(Lego.EXIT_USAGE);
        assertThat(quota.err()).contains(BAD_SIZE);
        assertThat(Cli.run("vnode").code()).isEqualTo(Lego.EXIT_USAGE);
        assertThat(Cli.run("cp", "a", "b").err()).isEqualTo("lego: neither 'a' nor 'b' is a vNode path: write VNODE:/path for the"
                + " vNode side, e.g. lego cp data.txt web:/in/data.txt\n");
        assertThat(Cli.run("ls", "/tmp").code()).isEqualTo(Lego.EXIT_USAGE);
        Cli.Result timeout = Cli.run("down", "--timeout", "soon", "--dir", "/nonexistent-lego-dir");
        assertThat(timeout.code()).isEqualTo(Lego.EXIT_USAGE);
        assertThat(timeout.err()).isEqualTo("lego: --timeout: 'soon' is not a duration (use e.g. 500ms or 3s)\n");
        Cli.Result nothing = Cli.run("down", "--dir", "/nonexistent-lego-dir");
        assertThat(nothing.code()).isZero();
        assertThat(nothing.out()).isEqualTo("no cluster running from /nonexistent-lego-dir\n");
    }

    @Test
    void badConfigurationExits2NamingTheKey(@TempDir Path dir) throws Exception {
        Cli.Result unknown = Cli.run("memory", "--set", "memory.capacity=1GiB");
        assertThat(unknown.code()).isEqualTo(Lego.EXIT_USAGE);
        assertThat(unknown.err()).isEqualTo("lego: memory.capacity: unknown key (did you mean memory.capacityBytes?)\n");
        Cli.Result bad = Cli.run("memory", "--memory.capacity-bytes", "12XB");
        assertThat(bad.code()).isEqualTo(Lego.EXIT_USAGE);
        assertThat(bad.err()).isEqualTo("lego: memory.capacityBytes: " + BAD_SIZE + "\n");
        Path f = dir.resolve("lego.yaml");
        Files.writeString(f, "manager:\n  address: 127.0.0.1:7700\nmemory:\n  capacityBytes: 12XB\n");
        Cli.Result file = Cli.run("config", "--config", f.toString());
        assertThat(file.code()).isEqualTo(Lego.EXIT_USAGE);
        assertThat(file.err()).isEqualTo("lego: " + f + ":4: memory.capacityBytes: " + BAD_SIZE + "\n");
        Cli.Result missing = Cli.run("processor", "--config", dir.resolve("none.yaml").toString());
        assertThat(missing.code()).isEqualTo(Lego.EXIT_USAGE);
        assertThat(missing.err()).contains("none.yaml: no such configuration file");
        Cli.Result clientSide = Cli.run("status", "--config", f.toString());
        assertThat(clientSide.code()).isEqualTo(Lego.EXIT_USAGE);
    }

    @Test
    void configPrintsAFileThatReadsBack(@TempDir Path dir) throws Exception {
        Cli.Result r = Cli.run("config", "--set", "memory.capacityBytes=2GiB", "--set", "cluster.processors=2");
        assertThat(r.code()).isZero();
        assertThat(r.out()).contains("  capacityBytes: 2GiB").contains("# page store size");
        LegoConfig back = LegoConfig.parse(r.out(), "printed");
        assertThat(back.text(org.legoos.node.config.ConfigKeys.CLUSTER_PROCESSORS)).isEqualTo("2");
        Cli.Result defaults = Cli.run("config", "--defaults", "--no-comments");
        assertThat(LegoConfig.parse(defaults.out(), "d")).isEqualTo(LegoConfig.defaults());
        assertThat(defaults.out()).doesNotContain("#");
    }

    @Test
    void anUnreachableManagerExits3() {
        try (ReservedPort nowhere = ReservedPort.reserve()) {
            String manager = nowhere.address();
            for (String[] args : new String[][] {
                    {"status", "--manager", manager},
                    {"vnode", "list", "--manager", manager},
                    {"run", "--manager", manager, "--vnode", "v", "hello"},
                    {"ps", "--manager", manager},
                    {"top", "--once", "--manager", manager}}) {
                Cli.Result r = Cli.run(args);
                assertThat(r.code()).as(String.join(" ", args)).isEqualTo(Lego.EXIT_UNREACHABLE);
                assertThat(r.err()).as(String.join(" ", args)).startsWith("lego: cannot reach the manager at " + manager)
                        .contains("is the cluster up?").hasLineCount(1);
            }
        }
        Cli.Result badAddress = Cli.run("status", "--manager", "nowhere");
        assertThat(badAddress.code()).isEqualTo(Lego.EXIT_USAGE);
        assertThat(badAddress.err()).isEqualTo("lego: manager address 'nowhere' is not host:port (use e.g. 127.0.0.1:7700)\n");
    }
}
