package org.legoos.systemtest;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.legoos.testkit.Await;

/**
 * The repository's {@code lego} launcher as a user runs it: the first help command after a build records the help
 * AOT cache while it answers, and what it prints is the command's output alone (the recording JVM's own note must not
 * reach a script reading {@code lego}'s stdout or stderr); once the cache is assembled, the same command prints the
 * same from the cache.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class LauncherTest {
    private static final Path REPO = Path.of("..").toAbsolutePath().normalize();
    private static final Path HELP_CACHE = REPO.resolve("legoos-cli/target/lego-help.aot");

    private record Result(int code, String stdout, String stderr) {
    }

    private static Result lego(Path dir, String... args) throws Exception {
        return lego(dir, java.util.Map.of(), Path.of("/dev/null"), args);
    }

    private static Result lego(Path dir, java.util.Map<String, String> env, Path stdin, String... args) throws Exception {
        Path out = dir.resolve("out");
        Path err = dir.resolve("err");
        java.util.List<String> command = new java.util.ArrayList<>(java.util.List.of("bash", REPO.resolve("lego").toString()));
        command.addAll(java.util.List.of(args));
        ProcessBuilder pb = new ProcessBuilder(command).directory(dir.toFile())
                .redirectInput(ProcessBuilder.Redirect.from(stdin.toFile()))
                .redirectOutput(out.toFile()).redirectError(err.toFile());
        pb.environment().put("JAVA_HOME", LegoJar.java().getParent().getParent().toString());
        pb.environment().putAll(env);
        Process p = pb.start();
        if (!p.waitFor(60, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError("lego " + String.join(" ", args) + " ran longer than 60 s");
        }
        return new Result(p.exitValue(), Files.readString(out, StandardCharsets.UTF_8),
                Files.readString(err, StandardCharsets.UTF_8));
    }

    @Test
    void theFirstHelpAfterABuildRecordsItsCacheAndPrintsOnlyTheCommandsOutput() throws Exception {
        assertThat(REPO.resolve("legoos-cli/target/lego.jar")).as("the build's lego.jar").isRegularFile();
        Path dir = LegoJar.workDir(getClass().getSimpleName());
        Files.deleteIfExists(HELP_CACHE);

        Result recording = lego(dir, "--version");
        assertThat(recording.code()).as(recording.stderr()).isZero();
        assertThat(recording.stdout()).matches("LegoOS/J \\S+\n");
        assertThat(recording.stderr()).isEmpty();

        Await.until("the help cache is assembled", Duration.ofSeconds(60), () -> Files.isRegularFile(HELP_CACHE));
        Result cached = lego(dir, "--version");
        assertThat(cached).isEqualTo(new Result(0, recording.stdout(), ""));

        Result help = lego(dir, "--help");
        assertThat(help.code()).isZero();
        assertThat(help.stdout()).startsWith("Usage: lego").contains("run").contains("status").doesNotContain("AOT");
        assertThat(help.stderr()).isEmpty();
    }

    /**
     * In a directory with a {@code .lego/} run directory, the first client command runs in a JVM of its own and starts
     * the client agent; the next ones run in the agent (LEGO_AGENT=only fails otherwise) and print, read and exit as
     * the JVM did; {@code lego agent --stop} ends it.
     */
    @Test
    void clientCommandsRunInTheClientAgentOnceTheFirstStartedIt() throws Exception {
        Path dir = LegoJar.workDir(getClass().getSimpleName() + "-agent");
        Path agentFile = dir.resolve(".lego/agent");
        java.util.Map<String, String> only = java.util.Map.of("LEGO_AGENT", "only");
        try (org.legoos.node.cluster.TcpCluster cluster = org.legoos.node.cluster.TcpCluster.start(
                org.legoos.node.config.LegoConfig.defaults().with("memory.capacityBytes", "64MiB")
                        .with("memory.vregionBytes", "4MiB").with("processor.excacheBytes", "1MiB")
                        .with("processor.mode", "thread"), 1, 1, 1, java.util.Map.of())) {
            Files.createDirectories(dir.resolve(".lego"));
            Files.writeString(dir.resolve(".lego/lego.yaml"), "manager:\n  address: " + cluster.managerAddress()
                    + "\nsecurity:\n  dir: " + cluster.config().get(org.legoos.node.config.ConfigKeys.SECURITY_DIR) + "\n");
            Result own = lego(dir, "status");
            assertThat(own.code()).as(own.stderr()).isZero();
            assertThat(own.stdout()).startsWith("manager " + cluster.managerAddress());
            Await.until("the first client command started the agent", Duration.ofSeconds(60), () -> Files.isRegularFile(agentFile));

            Result status = lego(dir, only, Path.of("/dev/null"), "status");
            assertThat(status.code()).as(status.stderr()).isZero();
            assertThat(status.stdout().lines().findFirst()).isEqualTo(own.stdout().lines().findFirst());
            assertThat(lego(dir, only, Path.of("/dev/null"), "vnode", "create", "v").code()).isZero();
            Result hello = lego(dir, only, Path.of("/dev/null"), "run", "--vnode", "v", "hello", "a b", "c");
            assertThat(hello).as(hello.toString()).matches(r -> r.code() == 0 && r.stderr().isEmpty()
                    && r.stdout().matches("hello from pid \\d+ on vNode v\na b c\n"));
            Path text = dir.resolve("in.txt");
            Files.writeString(text, "one two\nthree\n");
            assertThat(lego(dir, only, text, "run", "--vnode", "v", "wc")).isEqualTo(new Result(0, "2 3 14\n", ""));
            Result missing = lego(dir, only, Path.of("/dev/null"), "run", "--vnode", "v", "nosuch");
            assertThat(missing.code()).isEqualTo(1);
            assertThat(missing.stderr()).startsWith("lego: program nosuch not found");
            // help and version from the running agent too, the same text as a JVM's (no terminal here: 80 columns)
            for (String flag : java.util.List.of("--help", "--version")) {
                Result viaAgent = lego(dir, only, Path.of("/dev/null"), flag);
                assertThat(viaAgent).as(flag).isEqualTo(lego(dir, java.util.Map.of("LEGO_AGENT", "0"), Path.of("/dev/null"), flag));
                assertThat(viaAgent.code()).isZero();
            }

            Result stop = lego(dir, "agent", "--stop");
            assertThat(stop.stdout()).contains("stopped");
            assertThat(agentFile).doesNotExist();
            Result none = lego(dir, only, Path.of("/dev/null"), "status");
            assertThat(none.code()).isEqualTo(1);
            assertThat(none.stderr()).contains("no client agent ran this command");
            Result noHelp = lego(dir, only, Path.of("/dev/null"), "--help");
            assertThat(noHelp.code()).isEqualTo(1);
            assertThat(noHelp.stderr()).contains("no client agent ran this command");
            assertThat(agentFile).as("help starts no agent").doesNotExist();
        } finally {
            lego(dir, "agent", "--stop");
        }
    }
}
