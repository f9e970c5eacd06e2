package org.legoos.eval;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** {@code lego bench --profile}'s profiler: it samples this JVM and writes what it promises; child JVMs get the agent. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class ProfilerTest {
    @TempDir
    Path dir;

    /** Busy for about {@code millis} of CPU time, in a method the profile must name. */
    static long spinForProfilerTest(long millis) {
        long end = System.nanoTime() + millis * 1_000_000;
        long x = 1;
        while (System.nanoTime() < end) {
            for (int i = 0; i < 10_000; i++) {
                x = x * 6364136223846793005L + 1442695040888963407L;
            }
        }
        return x;
    }

    @Test
    void aProfiledRunWritesItsFlameGraphCollapsedStacksAndTopMethodsNamingWhereTheTimeWent() throws Exception {
        Profiler p = Profiler.start(dir, "cpu");
        long sink = spinForProfilerTest(600);
        String top = p.stop();
        assertThat(sink).isNotZero();

        assertThat(Files.size(p.flameGraph())).isPositive();
        assertThat(Files.readString(p.flameGraph())).contains("spinForProfilerTest");
        assertThat(Files.readString(dir.resolve("profile-cpu.collapsed"))).contains("ProfilerTest.spinForProfilerTest");
        assertThat(top).contains("Total samples");
        assertThat(Files.readString(dir.resolve("profile-cpu-top.txt"))).isEqualTo(top);
        assertThat(p.stop()).as("a second stop does nothing").isEmpty();
    }

    @Test
    void childJvmsGetTheAgentRightAfterTheJavaExecutableAndAnUnknownEventIsRefusedBeforeAnythingStarts() throws Exception {
        assertThatThrownBy(() -> Profiler.start(dir, "cycles")).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("cycles").hasMessageContaining("cpu");
        assertThat(dir).isEmptyDirectory();

        try (Profiler p = Profiler.start(dir, "wall")) {
            List<String> cmd = p.withJavaOptions(List.of("/jdk/bin/java", "-Xmx1g", "-cp", "lego.jar", "org.legoos.cli.Lego"));
            assertThat(cmd.get(0)).isEqualTo("/jdk/bin/java");
            assertThat(cmd.get(1)).startsWith("-agentpath:" + dir.resolve("libasyncProfiler.so") + "=start,event=wall")
                    .contains("file=" + dir.resolve("profile-wall-pid-%p.html"));
            assertThat(cmd.subList(2, cmd.size())).containsExactly("-Xmx1g", "-cp", "lego.jar", "org.legoos.cli.Lego");
            assertThat(dir.resolve("libasyncProfiler.so")).isNotEmptyFile();
        }
    }
}
