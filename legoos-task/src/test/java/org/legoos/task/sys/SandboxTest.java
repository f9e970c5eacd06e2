package org.legoos.task.sys;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.File;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

class SandboxTest {
    @BeforeAll
    static void supported() {
        Assumptions.assumeTrue(Sandbox.landlockAbi() >= 1, "no Landlock here");
    }

    @Test
    void thisKernelOffersLandlockAbi7() {
        assertThat(Sandbox.landlockAbi()).isGreaterThanOrEqualTo(7);
    }

    private static List<Path> classPath() {
        return Stream.of(ChildJvm.classPath().split(File.pathSeparator)).map(Path::of).toList();
    }

    /** Runs {@link SandboxTaskMain}'s probes in a child JVM started by {@code command}: their results by name. */
    private static Map<String, String> probe(List<String> command) throws Exception {
        Map<String, String> results = new LinkedHashMap<>();
        try (ChildJvm child = ChildJvm.start(command)) {
            for (String line; !(line = child.line(30)).equals("done"); ) {
                System.err.println("sandbox probe " + line);
                int colon = line.indexOf(": ");
                results.put(line.substring(0, colon), line.substring(colon + 2));
            }
        }
        return results;
    }

    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void aSandboxedTaskReadsOnlyTheJdkAndItsClassPathAndConnectsNowhere() throws Exception {
        try (ServerSocket server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            List<String> args = new ArrayList<>(List.of("probe", Long.toString(ProcessHandle.current().pid()),
                    Integer.toString(server.getLocalPort())));
            args.addAll(List.of(ChildJvm.classPath().split(File.pathSeparator)));
            Map<String, String> results = probe(ChildJvm.command(SandboxTaskMain.class, List.of("-Xmx64m"),
                    args.toArray(String[]::new)));
            assertThat(results.get("hostname")).startsWith("denied java.nio.file.AccessDeniedException");
            assertThat(results.get("tmpwrite")).startsWith("denied java.nio.file.AccessDeniedException");
            assertThat(results.get("devnull")).startsWith("denied java.nio.file.AccessDeniedException");
            assertThat(results.get("connect")).startsWith("denied java.net.");
            assertThat(results.get("bind")).startsWith("denied java.net.");
            // Landlock rules TCP only: the seccomp filter denies creating IP sockets, so UDP too
            assertThat(results.get("udp")).startsWith("denied java.net.");
            assertThat(results.get("resource")).startsWith("ok ");
            assertThat(results.get("newclass")).isEqualTo("ok loaded");
            assertThat(results.get("thread")).startsWith("ok denied java.nio.file.AccessDeniedException");
            assertThat(results.get("exec")).startsWith("denied java.io.IOException");
            assertThat(results.get("signal")).startsWith("denied org.legoos.task.sys.LinuxException: kill failed: errno 1");
            assertThat(results.get("securerandom")).startsWith("ok NativePRNG");
            assertThat(results.get("gc")).startsWith("ok ");
            // Landlock ABI 7 restricts threads, not processes: the Finalizer thread predates enter()
            assertThat(results.get("finalizer")).startsWith("ok read ").endsWith(" on Finalizer");
        }
    }

    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void aTaskStartedFromARestrictedThreadIsSandboxedInAllItsThreads() throws Exception {
        try (ServerSocket server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            List<String> command = ChildJvm.command(SandboxTaskMain.class, List.of("-Xmx64m"), "probe-entered",
                    Long.toString(ProcessHandle.current().pid()), Integer.toString(server.getLocalPort()));
            Sandbox.Policy policy = Sandbox.Policy.jvm(classPath());
            AtomicReference<Object> outcome = new AtomicReference<>();
            // the spawning thread must outlive the child (PDEATHSIG), so it runs the whole conversation
            Thread spawner = Thread.ofPlatform().name("restricted-spawner").start(() -> {
                try {
                    Sandbox.restrictThreadForSpawn(policy);
                    outcome.set(probe(command));
                } catch (Throwable t) {
                    outcome.set(t);
                }
            });
            spawner.join();
            if (outcome.get() instanceof Throwable t) {
                throw new AssertionError("spawner failed", t);
            }
            @SuppressWarnings("unchecked")
            Map<String, String> results = (Map<String, String>) outcome.get();
            assertThat(results.get("finalizer")).startsWith("ok denied java.nio.file.AccessDeniedException");
            assertThat(results.get("hostname")).startsWith("denied java.nio.file.AccessDeniedException");
            assertThat(results.get("tmpwrite")).startsWith("denied java.nio.file.AccessDeniedException");
            assertThat(results.get("connect")).startsWith("denied java.net.");
            assertThat(results.get("resource")).startsWith("ok ");
            assertThat(results.get("securerandom")).startsWith("ok NativePRNG");
            assertThat(results.get("signal")).startsWith("denied org.legoos.task.sys.LinuxException: kill failed: errno 1");
            // only the spawning thread is restricted, not the rest of this JVM
            assertThat(Files.exists(Path.of("/etc/hostname"))).isTrue();
            assertThat(Files.readString(Path.of("/etc/hostname"))).isNotNull();
        }
    }

    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void aTaskDiesWithItsParent() throws Exception {
        long grandchild;
        try (ChildJvm intermediate = ChildJvm.start(SandboxTaskMain.class, List.of("-Xmx32m"), "intermediate")) {
            String[] line = intermediate.line(30).split(" ");
            assertThat(line[0]).isEqualTo("grandchild");
            assertThat(line[2]).isEqualTo("ready");
            grandchild = Long.parseLong(line[1]);
            assertThat(ChildJvm.deadOrZombie(grandchild)).isFalse();
            intermediate.process.destroyForcibly(); // SIGKILL: no shutdown hook kills the grandchild
            assertThat(intermediate.process.waitFor(10, TimeUnit.SECONDS)).isTrue();
        }
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (!ChildJvm.deadOrZombie(grandchild) && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
        if (!ChildJvm.deadOrZombie(grandchild)) {
            Linux.kill(grandchild, Linux.SIGKILL);
            throw new AssertionError("grandchild " + grandchild + " outlived its parent by 5 s");
        }
    }

    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void aTaskWhoseParentIsAlreadyGoneDiesAtOnce() throws Exception {
        try (ChildJvm orphan = ChildJvm.start(SandboxTaskMain.class, List.of("-Xmx32m"), "orphan", "1")) {
            assertThat(orphan.process.waitFor(30, TimeUnit.SECONDS)).isTrue();
            assertThat(orphan.process.exitValue()).as("killed by SIGKILL").isEqualTo(128 + Linux.SIGKILL);
        }
    }
}
