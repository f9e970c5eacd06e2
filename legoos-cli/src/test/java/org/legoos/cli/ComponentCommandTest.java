package org.legoos.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.legoos.testkit.Await;
import org.legoos.testkit.ReservedPort;

/**
 * {@code lego manager|storage|memory|processor} run in the foreground (here on threads of this JVM, over TCP on
 * loopback), form a cluster clients can use, and stop cleanly when interrupted (as SIGTERM would).
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class ComponentCommandTest {
    private record Running(Cli cli, CompletableFuture<Integer> code) {
    }

    private final List<Running> started = new ArrayList<>();

    /** The cluster identity of these tests: a CA, the default identities of components and the admin operator. */
    private static final Path CERTS = certs();
    /** A client configuration naming {@link #CERTS}. */
    private static final Path CLIENT_CONFIG = clientConfig();

    private static Path certs() {
        try {
            // under the build directory, not /tmp: a test run leaves nothing behind outside the clone
            Path d = java.nio.file.Files.createTempDirectory(java.nio.file.Files.createDirectories(Path.of("target")),
                    "lego-cmd-certs");
            org.legoos.node.cluster.ClusterSecurity.provision(d, List.of("127.0.0.1"), List.of(
                    new org.legoos.node.cluster.ClusterSecurity.NamedRole("manager", org.legoos.api.security.Role.MANAGER),
                    new org.legoos.node.cluster.ClusterSecurity.NamedRole("storage", org.legoos.api.security.Role.STORAGE),
                    new org.legoos.node.cluster.ClusterSecurity.NamedRole("memory", org.legoos.api.security.Role.MEMORY),
                    new org.legoos.node.cluster.ClusterSecurity.NamedRole("processor", org.legoos.api.security.Role.PROCESSOR)));
            return d;
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    private static Path clientConfig() {
        try {
            Path f = java.nio.file.Files.createTempFile(CERTS, "lego-cmd-client", ".yaml");
            java.nio.file.Files.writeString(f, "security:\n  dir: " + CERTS + "\n");
            return f;
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    /** {@code lego ARGS} as a client of these tests' cluster (its certificates found through a configuration file). */
    private static Cli.Result client(String... args) {
        int at = args[0].equals("vnode") ? 2 : 1; // options go before a 'run' program's own arguments
        String[] all = new String[args.length + 2];
        System.arraycopy(args, 0, all, 0, at);
        all[at] = "--config";
        all[at + 1] = CLIENT_CONFIG.toString();
        System.arraycopy(args, at, all, at + 2, args.length - at);
        return Cli.run(all);
    }

    /** Runs a component command on its own thread (it blocks until interrupted), with these tests' certificates. */
    private Running start(String... given) {
        String[] args = java.util.Arrays.copyOf(given, given.length + 2);
        args[given.length] = "--set";
        args[given.length + 1] = "security.dir=" + CERTS;
        Cli cli = new Cli();
        Running r = new Running(cli, cli.background(args).thenApply(Cli.Result::code));
        started.add(r);
        return r;
    }

    @AfterEach
    void stopEverything() throws Exception {
        for (Running r : started.reversed()) {
            if (!r.code().isDone()) {
                r.cli().interrupt();
                r.code().get(20, TimeUnit.SECONDS);
            }
        }
    }

    /** Waits for the component's "ready" line and returns it. */
    private static String ready(Running r) {
        Await.until("the component's ready line", Duration.ofSeconds(20),
                () -> r.cli().out().contains(" ready at ") || r.code().isDone());
        assertThat(r.cli().out()).as("no ready line: " + r.cli().out() + r.cli().err()).contains(" ready at ");
        return r.cli().out().lines().filter(l -> l.contains(" ready at ")).findFirst().orElseThrow();
    }

    @Test
    void componentCommandsFormAClusterAndLeaveWhenInterrupted(@TempDir Path dir) throws Exception {
        Running manager = start("manager", "--set", "manager.address=127.0.0.1:0", "--manager.state-dir=" + dir.resolve("state"),
                "--manager.heartbeat-timeout", "15s");
        String line = ready(manager);
        Matcher m = Pattern.compile("manager ready at (127\\.0\\.0\\.1:\\d+) \\(state in .*state\\)").matcher(line);
        assertThat(m.matches()).as(line).isTrue();
        String address = m.group(1);
        String[] common = {"--manager.address", address, "--manager.report-interval", "100ms"};
        List<Running> components = new ArrayList<>();
        components.add(start(concat(new String[] {"storage", "--storage.root", dir.resolve("files").toString()}, common)));
        components.add(start(concat(new String[] {"memory", "--memory.capacity-bytes", "64MiB", "--set", "memory.workers=2"}, common)));
        components.add(start(concat(new String[] {"processor", "--processor.excache-bytes", "1MiB", "--processor.excache-ways", "16"},
                common)));
        for (Running c : components) {
            assertThat(ready(c)).matches("(storage|memory|processor) node \\d+ ready at 127\\.0\\.0\\.1:\\d+ \\(manager "
                    + address.replace(".", "\\.") + "\\)");
        }
        Cli.Result status = client("status", "--manager", address);
        assertThat(status.out()).startsWith("manager " + address + ": 3 components (3 alive), 0 vNodes");
        assertThat(client("vnode", "create", "cmd", "--manager", address).code()).isZero();
        Cli.Result hello = client("run", "--manager", address, "--vnode", "cmd", "hello");
        assertThat(hello.code()).as(hello.toString()).isZero();
        assertThat(hello.out()).startsWith("hello from pid");

        for (Running c : components.reversed()) { // processor first, as 'lego down' does
            c.cli().interrupt();
            assertThat(c.code().get(20, TimeUnit.SECONDS)).isZero();
        }
        manager.cli().interrupt();
        assertThat(manager.code().get(20, TimeUnit.SECONDS)).isZero();
        assertThat(client("status", "--manager", address).code()).isEqualTo(Lego.EXIT_UNREACHABLE);

        // the manager's state survives: a new manager on the same directory still knows the vNode
        Running again = start("manager", "--set", "manager.address=127.0.0.1:0", "--manager.state-dir=" + dir.resolve("state"));
        String address2 = ready(again).replaceAll("manager ready at (\\S+) .*", "$1");
        assertThat(client("vnode", "list", "--manager", address2).out()).contains(" cmd ");
        assertThat(client("status", "--manager", address2).out()).contains("3 components (0 alive)").contains("DEAD");
        again.cli().interrupt();
        assertThat(again.code().get(20, TimeUnit.SECONDS)).isZero();
    }

    @Test
    void aComponentWithNoManagerGivesUpWithExitCode3() {
        try (ReservedPort nowhere = ReservedPort.reserve()) {
            Cli.Result r = Cli.run("memory", "--manager.address", nowhere.address(), "--manager.join-timeout", "200ms",
                    "--security.dir", CERTS.toString());
            assertThat(r.code()).isEqualTo(Lego.EXIT_UNREACHABLE);
            assertThat(r.err()).startsWith("lego: cannot reach the manager at " + nowhere.address() + " within 200 ms");
        }
    }

    @Test
    void aManagerWhosePortIsTakenFailsWithOneLine() throws Exception {
        try (java.net.ServerSocket taken = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            Cli.Result r = Cli.run("manager", "--manager.address", "127.0.0.1:" + taken.getLocalPort(), "--manager.state-dir=",
                    "--security.dir", CERTS.toString());
            assertThat(r.code()).isEqualTo(Lego.EXIT_FAILURE);
            assertThat(r.err()).startsWith("lego: cannot listen on 127.0.0.1:" + taken.getLocalPort()).hasLineCount(1);
        }
    }

    private static String[] concat(String[] a, String[] b) {
        String[] all = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, all, a.length, b.length);
        return all;
    }
}
