package org.legoos.systemtest;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Where the system tests find what they run: the shaded {@code lego} command ({@code legoos-cli/target/lego.jar},
 * passed by surefire as system property {@code lego.jar}), the {@code java} running the tests (every component and
 * client JVM uses the same one), and the directory for logs ({@code target/system-tests}).
 *
 * <p>Stateless; thread-safe.
 */
final class LegoJar {
    /** JVM options of a component (manager, processor, memory, storage): small heap, little GC machinery. */
    static final List<String> COMPONENT_JVM = List.of("-Xmx256m", "-XX:MaxDirectMemorySize=512m", "-XX:+UseSerialGC",
            "--enable-native-access=ALL-UNNAMED");
    /** JVM options of a short-lived client ({@code lego cp}, {@code lego ps}...): start fast, C1 only. */
    static final List<String> CLIENT_JVM = List.of("-Xmx256m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1",
            "--enable-native-access=ALL-UNNAMED");

    private LegoJar() {
    }

    /**
     * The shaded lego.jar.
     *
     * @throws IllegalStateException naming the command that builds it, if it is missing
     */
    static Path path() {
        String p = System.getProperty("lego.jar");
        Path jar = p != null ? Path.of(p) : Path.of("..", "legoos-cli", "target", "lego.jar");
        jar = jar.toAbsolutePath().normalize();
        if (!Files.isRegularFile(jar)) {
            throw new IllegalStateException("the lego command " + jar + " is missing: build it with"
                    + " './mvnw -q -o install -DskipTests -pl legoos-cli -am' (or run './mvnw verify', which builds it"
                    + " before these tests)");
        }
        return jar;
    }

    /** The java executable running this test JVM. */
    static Path java() {
        return ProcessHandle.current().info().command().map(Path::of)
                .orElseGet(() -> Path.of(System.getProperty("java.home"), "bin", "java"));
    }

    /** {@code java OPTIONS -jar lego.jar ARGS...}. */
    static List<String> command(List<String> jvmOptions, List<String> args) {
        List<String> cmd = new ArrayList<>();
        cmd.add(java().toString());
        cmd.addAll(jvmOptions);
        cmd.add("-jar");
        cmd.add(path().toString());
        cmd.addAll(args);
        return cmd;
    }

    /** Where a test class keeps its logs and files: {@code target/system-tests/NAME}, emptied first. */
    static Path workDir(String name) {
        String base = System.getProperty("systemtest.dir", Path.of("target", "system-tests").toString());
        Path dir = Path.of(base, name).toAbsolutePath().normalize();
        try {
            if (Files.exists(dir)) {
                try (var walk = Files.walk(dir)) {
                    for (Path f : walk.sorted(java.util.Comparator.reverseOrder()).toList()) {
                        Files.delete(f);
                    }
                }
            }
            Files.createDirectories(dir);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException("cannot prepare " + dir, e);
        }
        return dir;
    }
}
