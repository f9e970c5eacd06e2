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
        Path out = dir.resolve("out");
        Path err = dir.resolve("err");
        java.util.List<String> command = new java.util.ArrayList<>(java.util.List.of("bash", REPO.resolve("lego").toString()));
        command.addAll(java.util.List.of(args));
        ProcessBuilder pb = new ProcessBuilder(command).directory(dir.toFile())
                .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")))
                .redirectOutput(out.toFile()).redirectError(err.toFile());
        pb.environment().put("JAVA_HOME", LegoJar.java().getParent().getParent().toString());
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
}
