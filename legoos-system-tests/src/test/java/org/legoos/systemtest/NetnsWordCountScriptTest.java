package org.legoos.systemtest;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Runs {@code scripts/netns-wordcount.sh}: word count with every component of the cluster in its own Linux network
 * namespace (own 10.x address, veth pairs to a bridge). The script either succeeds ("OK: ..."), or, where namespaces
 * cannot be made (not root, no {@code ip}, no CAP_NET_ADMIN), says "SKIPPED: reason" and exits 0; the test then reports
 * itself skipped with that reason. Either way no namespace of the run may be left behind.
 */
class NetnsWordCountScriptTest {
    /** Bound of the whole script; on expiry it gets SIGTERM (its EXIT trap cleans up), then SIGKILL. */
    private static final Duration SCRIPT_TIMEOUT = Duration.ofSeconds(240);
    private static final Pattern OK = Pattern.compile("(?m)^OK: word count across \\d+ network namespaces .*matches the reference.*$");
    private static final Pattern SKIPPED = Pattern.compile("(?m)^SKIPPED: (\\S.*)$");
    private static final Pattern NAMESPACE_PREFIX = Pattern.compile("namespaces: (lgwc\\d+)-");

    @Test
    @Timeout(value = 300, unit = TimeUnit.SECONDS)
    void scriptRunsWordCountAcrossNetworkNamespacesOrSaysWhyItSkipped() throws Exception {
        Path dir = LegoJar.workDir(getClass().getSimpleName());
        Path script = Path.of(System.getProperty("netns.script", "../scripts/netns-wordcount.sh")).toAbsolutePath().normalize();
        assertThat(script).isRegularFile();
        Path out = dir.resolve("script.out");
        Path err = dir.resolve("script.err");
        ProcessBuilder pb = new ProcessBuilder("bash", script.toString())
                .directory(dir.toFile())
                .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")))
                .redirectOutput(out.toFile())
                .redirectError(err.toFile());
        pb.environment().put("LEGO_JAR", LegoJar.path().toString());
        pb.environment().put("JAVA", LegoJar.java().toString());
        pb.environment().put("LEGO_NETNS_WORK", dir.resolve("work").toString());
        long t0 = System.nanoTime();
        Process p = pb.start();
        try {
            if (!p.waitFor(SCRIPT_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)) {
                p.destroy(); // SIGTERM: the script's trap stops its JVMs and deletes its namespaces
                JvmProcess.awaitGoneOrKill(p, Duration.ofSeconds(30));
                throw new AssertionError("the script ran longer than " + SCRIPT_TIMEOUT.toSeconds() + " s\n" + output(out, err));
            }
        } finally {
            if (p.isAlive()) {
                p.descendants().forEach(ProcessHandle::destroyForcibly);
                p.destroyForcibly();
            }
        }
        String stdout = Files.readString(out, StandardCharsets.UTF_8);
        System.out.printf("netns-wordcount.sh exited %d after %d ms%n%s", p.exitValue(), (System.nanoTime() - t0) / 1_000_000,
                stdout);
        assertThat(p.exitValue()).as(output(out, err)).isZero();

        Matcher prefix = NAMESPACE_PREFIX.matcher(stdout);
        if (prefix.find()) {
            assertThat(namespaces()).as("namespaces left behind by the script").noneMatch(n -> n.startsWith(prefix.group(1) + "-"));
        }
        Matcher skipped = SKIPPED.matcher(stdout);
        if (skipped.find()) {
            Assumptions.abort("netns-wordcount.sh skipped: " + skipped.group(1));
        }
        assertThat(stdout).as(output(out, err)).containsPattern(OK);
    }

    /** The network namespaces that exist now (empty if {@code ip} is missing). */
    private static List<String> namespaces() throws IOException, InterruptedException {
        Process p;
        try {
            p = new ProcessBuilder("ip", "netns", "list").redirectErrorStream(true).start();
        } catch (IOException noIp) {
            return List.of();
        }
        String text = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(10, TimeUnit.SECONDS)) {
            p.destroyForcibly();
        }
        return text.lines().map(l -> l.split(" ")[0]).toList();
    }

    private static String output(Path out, Path err) throws IOException {
        return "--- stdout:\n" + Files.readString(out) + "--- stderr:\n" + Files.readString(err);
    }
}
