package org.legoos.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.legoos.node.cluster.ClusterClient;
import org.legoos.testkit.Await;

/**
 * The client agent as the {@code lego} launcher uses it: its protocol spoken over loopback exactly as the bash
 * launcher speaks it (NUL-terminated request fields, {@code OK}, the stream connections, {@code IN}, {@code KILL},
 * {@code EXIT}), against a TCP cluster in this JVM. What a command prints and returns through the agent must be what
 * it prints and returns in a JVM of its own ({@link Cli}).
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(value = 90, unit = TimeUnit.SECONDS)
class ClientAgentTest {
    private CliCluster cluster;
    private Path runDir;
    private ClientAgent agent;
    private CompletableFuture<Void> serving;

    @BeforeAll
    void start(@TempDir Path tmp) throws Exception {
        cluster = new CliCluster();
        runDir = tmp.resolve(".lego");
        agent = ClientAgent.start(runDir, Path.of(""), Duration.ofMinutes(10)).orElseThrow();
        serving = serveOnItsOwnThread(agent);
        assertThat(Cli.run(cluster.args("vnode", "create", "agent")).code()).isZero();
    }

    /** Not on the common pool: with two cores it has one thread, which a serving agent would hold for good. */
    private static CompletableFuture<Void> serveOnItsOwnThread(ClientAgent a) {
        CompletableFuture<Void> done = new CompletableFuture<>();
        Thread.ofPlatform().daemon().name("agent-serve").start(() -> {
            try {
                a.serve();
                done.complete(null);
            } catch (Throwable t) {
                done.completeExceptionally(t);
            }
        });
        return done;
    }

    @AfterAll
    void stop() throws Exception {
        agent.close();
        serving.get(10, TimeUnit.SECONDS);
        cluster.close();
    }

    /** What the launcher prints and exits with. */
    record Result(int code, String out, String err) {
    }

    /** One command run through the agent by a launcher: the control connection and the streams. */
    final class Launcher {
        private final Socket control;
        private final String id;
        private final CompletableFuture<byte[]> out;
        private final CompletableFuture<byte[]> err;
        private final CompletableFuture<Integer> exit = new CompletableFuture<>();
        private final byte[] stdin;
        volatile boolean askedForStdin;

        Launcher(byte[] stdin, boolean inTty, String... args) throws IOException {
            this(stdin, inTty, 0, args);
        }

        /** {@code columns}: the terminal's width the launcher found for usage help, 0 if none. */
        Launcher(byte[] stdin, boolean inTty, int columns, String... args) throws IOException {
            this.stdin = stdin;
            control = connect();
            List<String> request = new ArrayList<>(List.of(ClientAgent.PROTOCOL, agent.secretHex(), "run", inTty ? "tty" : "pipe",
                    "pipe", Integer.toString(columns), Path.of("").toAbsolutePath().toString(), Integer.toString(args.length)));
            request.addAll(List.of(args));
            send(control, request.toArray(String[]::new));
            String reply = line(control.getInputStream());
            assertThat(reply).as("the agent's answer to 'lego %s'", args[0]).startsWith("OK ");
            id = reply.substring(3);
            out = drain(stream("out"));
            err = drain(stream("err"));
            Thread.ofVirtual().start(this::listen);
        }

        private Socket stream(String kind) throws IOException {
            Socket s = connect();
            send(s, ClientAgent.PROTOCOL, agent.secretHex(), kind, id);
            return s;
        }

        private void listen() {
            try {
                InputStream in = control.getInputStream();
                String l;
                while ((l = line(in)) != null) {
                    if (l.equals("IN")) {
                        askedForStdin = true;
                        try (Socket s = stream("in")) {
                            s.getOutputStream().write(stdin);
                            s.shutdownOutput(); // as the launcher's cat ending at the end of its stdin
                            s.getInputStream().read(); // until the agent is done with it
                        }
                    } else if (l.startsWith("EXIT ")) {
                        exit.complete(Integer.parseInt(l.substring(5)));
                        return;
                    }
                }
                exit.completeExceptionally(new IOException("the agent closed the control connection without EXIT"));
            } catch (IOException e) {
                exit.completeExceptionally(e);
            }
        }

        /** Ctrl-C. */
        void kill() throws IOException {
            control.getOutputStream().write("KILL\n".getBytes(StandardCharsets.US_ASCII));
        }

        /** The launcher goes away (kill -9). */
        void vanish() throws IOException {
            control.close();
        }

        String outSoFar() {
            return out.isDone() ? new String(out.join(), StandardCharsets.UTF_8) : "";
        }

        Result result() throws Exception {
            int code = exit.get(60, TimeUnit.SECONDS);
            Result r = new Result(code, new String(out.get(10, TimeUnit.SECONDS), StandardCharsets.UTF_8),
                    new String(err.get(10, TimeUnit.SECONDS), StandardCharsets.UTF_8));
            control.close();
            return r;
        }
    }

    private Socket connect() throws IOException {
        return new Socket(InetAddress.getLoopbackAddress(), agent.port());
    }

    private static void send(Socket s, String... fields) throws IOException {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        for (String f : fields) {
            b.write(f.getBytes(StandardCharsets.UTF_8));
            b.write(0);
        }
        OutputStream out = s.getOutputStream();
        out.write(b.toByteArray());
        out.flush();
    }

    private static String line(InputStream in) throws IOException {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        int c;
        while ((c = in.read()) != '\n') {
            if (c < 0) {
                return b.size() == 0 ? null : b.toString(StandardCharsets.UTF_8);
            }
            b.write(c);
        }
        return b.toString(StandardCharsets.UTF_8);
    }

    private static CompletableFuture<byte[]> drain(Socket s) {
        CompletableFuture<byte[]> f = new CompletableFuture<>();
        Thread.ofVirtual().start(() -> {
            try (s) {
                f.complete(s.getInputStream().readAllBytes());
            } catch (IOException e) {
                f.completeExceptionally(e);
            }
        });
        return f;
    }

    private Result viaAgent(String... args) throws Exception {
        return new Launcher(new byte[0], true, cluster.args(args)).result();
    }

    private static Result direct(Cli.Result r) {
        return new Result(r.code(), r.out(), r.err());
    }

    /** Pids differ from run to run. */
    private static Result withoutPids(Result r) {
        return new Result(r.code(), r.out().replaceAll("pid \\d+", "pid N"), r.err().replaceAll("pid \\d+", "pid N"));
    }

    @Test
    void helpAndVersionComeFromTheAgentLaidOutForTheLaunchersTerminal() throws Exception {
        for (String[] command : List.of(new String[] {"--help"}, new String[] {"-h"}, new String[] {"help", "run"},
                new String[] {"--version"}, new String[] {"-V"}, new String[] {"status", "--help"})) {
            assertThat(new Launcher(new byte[0], true, command).result()).as("lego %s", String.join(" ", command))
                    .isEqualTo(direct(Cli.run(command)));
        }
        Result standard = direct(Cli.run("--help"));
        Result wide = new Launcher(new byte[0], true, 150, "--help").result();
        Result narrow = new Launcher(new byte[0], true, 20, "--help").result();
        assertThat(widest(standard.out())).isLessThanOrEqualTo(80);
        assertThat(widest(wide.out())).as(wide.out()).isGreaterThan(80).isLessThanOrEqualTo(150);
        assertThat(widest(narrow.out())).as("at least picocli's narrowest layout").isLessThanOrEqualTo(Lego.MIN_HELP_COLUMNS);
        for (Result r : List.of(wide, narrow)) { // the same text, laid out differently (narrow breaks at punctuation too)
            assertThat(r.code()).isZero();
            assertThat(r.out().replaceAll("\\s+", "")).isEqualTo(standard.out().replaceAll("\\s+", ""));
        }
    }

    private static int widest(String text) {
        return text.lines().mapToInt(String::length).max().orElse(0);
    }

    @Test
    void commandsPrintAndExitThroughTheAgentAsInAJvmOfTheirOwn() throws Exception {
        for (String[] command : List.of(
                new String[] {"run", "--vnode", "agent", "exit", "7", "hello", "--not-an-option", "-x"},
                new String[] {"run", "--vnode", "agent", "exit", "0"},
                new String[] {"run", "--vnode", "agent", "chatty", "300"},
                new String[] {"run", "--vnode", "agent", "segfault"},
                new String[] {"run", "--vnode", "agent", "nope"},
                new String[] {"run", "--vnode", "ghost", "hello"},
                new String[] {"run", "--vnode", "agent"},
                new String[] {"vnode", "ls"},
                new String[] {"ls", "agent:/"})) {
            Result agentRun = withoutPids(viaAgent(command));
            Result own = withoutPids(direct(Cli.run(cluster.args(command))));
            assertThat(agentRun).as("lego %s", String.join(" ", command)).isEqualTo(own);
        }
        Result hello = viaAgent("run", "--vnode", "agent", "hello", "a", "b");
        assertThat(hello.code()).isZero();
        assertThat(hello.out()).matches("hello from pid \\d+ on vNode agent\\na b\\n");
        Result status = viaAgent("status");
        assertThat(status.code()).isZero();
        assertThat(status.out()).startsWith("manager " + cluster.manager).contains("ALIVE");
    }

    @Test
    void stdinIsConnectedOnlyWhenTheCommandReadsIt() throws Exception {
        byte[] big = new byte[1 << 20];
        new Random(3).nextBytes(big);
        java.util.zip.CRC32 crc = new java.util.zip.CRC32();
        crc.update(big);
        Launcher sum = new Launcher(big, false, cluster.args("run", "--vnode", "agent", "sum"));
        assertThat(sum.result()).isEqualTo(new Result(0, String.format("bytes %d crc %08x%n", big.length, crc.getValue()), ""));
        assertThat(sum.askedForStdin).isTrue();
        // a terminal is not forwarded without -i, and a command that never reads stdin never asks for it (a script's
        // 'while read' loop around lego keeps its input)
        Launcher terminal = new Launcher("x\n".getBytes(StandardCharsets.UTF_8), true, cluster.args("run", "--vnode", "agent", "upper"));
        assertThat(terminal.result()).isEqualTo(new Result(0, "", ""));
        assertThat(terminal.askedForStdin).isFalse();
        Launcher status = new Launcher("x\n".getBytes(StandardCharsets.UTF_8), false, cluster.args("status"));
        assertThat(status.result().code()).isZero();
        assertThat(status.askedForStdin).isFalse();
        Launcher forced = new Launcher("up\n".getBytes(StandardCharsets.UTF_8), true, cluster.args("run", "-i", "--vnode", "agent", "upper"));
        assertThat(forced.result()).isEqualTo(new Result(0, "UP\n", ""));
    }

    @Test
    void ctrlCOrALauncherThatVanishesKillsTheRemoteProcess() throws Exception {
        for (boolean vanish : new boolean[] {false, true}) {
            Launcher sleeper = new Launcher(new byte[0], true, cluster.args("run", "--vnode", "agent", "sleep"));
            Await.until("the program starts", Duration.ofSeconds(20), () -> Cli.run(cluster.args("ps")).out().contains("sleep"));
            if (vanish) {
                sleeper.vanish();
            } else {
                sleeper.kill();
                assertThat(sleeper.result().code()).isEqualTo(137);
            }
            Await.until("the process is gone from ps", Duration.ofSeconds(20),
                    () -> !Cli.run(cluster.args("ps")).out().contains("sleep"));
        }
    }

    @Test
    void concurrentCommandsShareOneConnectionAndEachGetsItsOwnOutput() throws Exception {
        List<CompletableFuture<Result>> runs = new ArrayList<>();
        for (int i = 0; i < 6; i++) {
            String n = Integer.toString(i);
            CompletableFuture<Result> run = new CompletableFuture<>();
            Thread.ofPlatform().daemon().start(() -> {
                try {
                    run.complete(viaAgent("run", "--vnode", "agent", "exit", n, "run-" + n));
                } catch (Throwable e) {
                    run.completeExceptionally(e);
                }
            });
            runs.add(run);
        }
        for (int i = 0; i < runs.size(); i++) {
            assertThat(runs.get(i).get(60, TimeUnit.SECONDS))
                    .isEqualTo(new Result(i, "out: run-" + i + "\n", "err: run-" + i + "\n"));
        }
    }

    @Test
    void aKeptConnectionThatBrokeIsReplacedAndABorrowedOneIsNeverClosedByItsUser() {
        try (ClientAgent.Connections connections = new ClientAgent.Connections()) {
            ClusterClient first = connections.connect(cluster.manager, tls());
            first.close(); // a command is done with it: the connection stays
            ClusterClient second = connections.connect(cluster.manager, tls());
            assertThat(second.rpc()).isSameAs(first.rpc());
            assertThat(second.members()).isNotEmpty();
            first.rpc().close(); // the connection breaks (a manager restarted, a network fault)
            ClusterClient third = connections.connect(cluster.manager, tls());
            assertThat(third.rpc()).isNotSameAs(first.rpc());
            assertThat(third.members()).isNotEmpty();
        }
    }

    private org.legoos.net.security.ClusterTls tls() {
        return org.legoos.node.cluster.ClusterSecurity.clientTls(
                org.legoos.node.config.LegoConfig.load(cluster.clientConfig),
                org.legoos.node.cluster.ClusterSecurity.DEFAULT_CLIENT_IDENTITY);
    }

    @Test
    void onlyItsOwnersClientCommandsRunInIt(@TempDir Path elsewhere) throws Exception {
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(runDir.resolve(ClientAgent.FILE))))
                .isEqualTo("rw-------");
        assertThat(Files.readString(runDir.resolve(ClientAgent.FILE)))
                .isEqualTo(agent.port() + " " + agent.secretHex() + " " + ProcessHandle.current().pid() + "\n");
        String here = Path.of("").toAbsolutePath().toString();
        assertThat(request(ClientAgent.PROTOCOL, "0".repeat(64), "run", "pipe", "pipe", "0", here, "1", "status"))
                .isEqualTo("DENIED");
        assertThat(request("lego-agent/1", agent.secretHex(), "stop")).as("the protocol before the width field")
                .isEqualTo("DENIED");
        assertThat(request(ClientAgent.PROTOCOL, agent.secretHex(), "run", "pipe", "pipe", "0", elsewhere.toString(), "1",
                "status")).isEqualTo("ELSEWHERE");
        for (String command : List.of("up", "down", "manager", "agent", "bench")) {
            assertThat(request(ClientAgent.PROTOCOL, agent.secretHex(), "run", "pipe", "pipe", "0", here, "1", command))
                    .as(command).isEqualTo("REFUSED");
        }
        assertThat(request(ClientAgent.PROTOCOL, agent.secretHex(), "run", "pipe", "pipe", "0", ".", "-1")).isEqualTo("DENIED");
        for (String columns : List.of("-1", "10001", "wide", "")) {
            assertThat(request(ClientAgent.PROTOCOL, agent.secretHex(), "run", "pipe", "pipe", columns, here, "1", "status"))
                    .as("columns '%s'", columns).isEqualTo("DENIED");
        }
        // a second agent for the same run directory does not start
        assertThat(ClientAgent.start(runDir, Path.of(""), Duration.ofMinutes(1))).isEmpty();
        assertThat(viaAgent("status").code()).isZero();
    }

    private String request(String... fields) throws IOException {
        try (Socket s = connect()) {
            send(s, fields);
            return line(s.getInputStream());
        }
    }

    @Test
    void stopEndsTheAgentAndRemovesItsFile(@TempDir Path tmp) throws Exception {
        Path dir = tmp.resolve(".lego");
        ClientAgent other = ClientAgent.start(dir, Path.of(""), Duration.ofMinutes(10)).orElseThrow();
        CompletableFuture<Void> served = serveOnItsOwnThread(other);
        assertThat(ClientAgent.stop(dir)).isTrue();
        served.get(10, TimeUnit.SECONDS);
        assertThat(dir.resolve(ClientAgent.FILE)).doesNotExist();
        assertThatThrownBy(() -> new Socket(InetAddress.getLoopbackAddress(), other.port()).close()).isInstanceOf(IOException.class);
        assertThat(ClientAgent.stop(dir)).isFalse();
        // and a new one can start there
        ClientAgent again = ClientAgent.start(dir, Path.of(""), Duration.ofMillis(1)).orElseThrow();
        CompletableFuture<Void> idle = serveOnItsOwnThread(again);
        idle.get(10, TimeUnit.SECONDS); // an agent with nothing to do stops by itself
        assertThat(dir.resolve(ClientAgent.FILE)).doesNotExist();
    }
}
