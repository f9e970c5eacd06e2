package org.legoos.task.sys;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.InputStream;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;

/**
 * The child JVMs of {@link SandboxTest}, by their first argument:
 * <ul>
 * <li>{@code probe PARENT PORT PATH...}: dies with PARENT, enters the sandbox of {@code Policy.jvm(PATHs)}, then tries
 *     things and prints {@code name: ok RESULT} or {@code name: denied EXCEPTION} for each, and {@code done}</li>
 * <li>{@code probe-entered PARENT PORT}: the same without entering the sandbox (it was started in one)</li>
 * <li>{@code sleep PARENT}: dies with PARENT, prints {@code ready}, sleeps</li>
 * <li>{@code intermediate}: starts a {@code sleep} grandchild from its main thread, prints {@code grandchild PID}
 *     once it is ready, sleeps</li>
 * <li>{@code orphan PARENT}: {@code dieWithParent} with a PARENT that is not its parent: must die at once</li>
 * </ul>
 */
public final class SandboxTaskMain {
    private SandboxTaskMain() {
    }

    public static void main(String[] args) throws Exception {
        switch (args[0]) {
            case "probe", "probe-entered" -> probe(args[0].equals("probe"), Long.parseLong(args[1]), Integer.parseInt(args[2]),
                    List.of(args).subList(3, args.length));
            case "sleep" -> {
                Sandbox.dieWithParent(Long.parseLong(args[1]));
                System.out.println("ready");
                Thread.sleep(Long.MAX_VALUE);
            }
            case "intermediate" -> {
                ChildJvm grandchild = ChildJvm.start(SandboxTaskMain.class, List.of("-Xmx32m"), "sleep",
                        Long.toString(ProcessHandle.current().pid()));
                String ready = grandchild.line(30);
                System.out.println("grandchild " + grandchild.pid() + " " + ready);
                Thread.sleep(Long.MAX_VALUE);
            }
            case "orphan" -> {
                Sandbox.dieWithParent(Long.parseLong(args[1]));
                System.out.println("still alive");
            }
            default -> throw new IllegalArgumentException(args[0]);
        }
    }

    private static void probe(boolean enter, long parent, int port, List<String> readOnly) throws Exception {
        Sandbox.dieWithParent(parent);
        if (enter) {
            List<Path> classPath = new ArrayList<>();
            for (String p : readOnly) {
                classPath.add(Path.of(p));
            }
            Sandbox.enter(Sandbox.Policy.jvm(classPath));
        }
        String javaBinary = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        String tmp = "/tmp/legoos-sandbox-" + ProcessHandle.current().pid();
        try_("procinfo", () -> ProcessHandle.current().info().toString());
        try_("hostname", () -> Files.readString(Path.of("/etc/hostname")).strip());
        try_("tmpwrite", () -> {
            Files.writeString(Path.of(tmp), "x");
            return tmp;
        });
        try_("devnull", () -> {
            Files.writeString(Path.of("/dev/null"), "x");
            return "written";
        });
        try_("connect", () -> {
            try (Socket s = new Socket(InetAddress.getLoopbackAddress(), port)) {
                return s.toString();
            }
        });
        try_("bind", () -> {
            try (ServerSocket s = new ServerSocket(0)) {
                return s.toString();
            }
        });
        try_("udp", () -> {
            try (DatagramSocket s = new DatagramSocket()) {
                s.send(new DatagramPacket(new byte[] {1}, 1, InetAddress.getLoopbackAddress(), port));
                return "sent";
            }
        });
        try_("resource", () -> {
            try (InputStream in = SandboxTaskMain.class.getResourceAsStream("/org/legoos/task/sys/SandboxTaskMain.class")) {
                return in.readAllBytes().length + " bytes";
            }
        });
        try_("newclass", () -> new Later().toString());
        try_("jarclass", () -> Class.forName("org.assertj.core.api.Assertions").getName());
        try_("zip", () -> {
            java.util.zip.Deflater d = new java.util.zip.Deflater();
            d.end();
            return "deflater";
        });
        try_("thread", () -> {
            Callable<String> c = () -> Files.readString(Path.of("/etc/hostname")).strip();
            String[] out = new String[1];
            Thread t = new Thread(() -> {
                try {
                    out[0] = "ok " + c.call();
                } catch (Exception e) {
                    out[0] = "denied " + e;
                }
            });
            t.start();
            t.join();
            return out[0];
        });
        try_("exec", () -> "exit " + new ProcessBuilder(javaBinary, "-version").start().waitFor());
        try_("signal", () -> "kill " + Linux.kill(parent, 0));
        try_("cpus", () -> Integer.toString(Runtime.getRuntime().availableProcessors()));
        try_("zone", () -> java.time.ZoneId.systemDefault().toString());
        try_("time", () -> java.time.ZonedDateTime.now().toString());
        try_("securerandom", () -> {
            long t0 = System.nanoTime();
            java.security.SecureRandom r = new java.security.SecureRandom();
            byte[] b = new byte[16];
            r.nextBytes(b);
            return r.getAlgorithm() + " " + (System.nanoTime() - t0) / 1000 + " us";
        });
        try_("strongrandom", () -> {
            long t0 = System.nanoTime();
            java.security.SecureRandom r = java.security.SecureRandom.getInstanceStrong();
            r.nextInt();
            return r.getAlgorithm() + " " + (System.nanoTime() - t0) / 1000 + " us";
        });
        try_("seed", () -> {
            long t0 = System.nanoTime();
            byte[] seed = java.security.SecureRandom.getSeed(16);
            return seed.length + " bytes " + (System.nanoTime() - t0) / 1000 + " us";
        });
        try_("uuid", () -> java.util.UUID.randomUUID().toString());
        try_("procself", () -> Files.readString(Path.of("/proc/self/status")).length() + " chars");
        try_("mxbean", () -> {
            var os = java.lang.management.ManagementFactory.getPlatformMXBean(com.sun.management.OperatingSystemMXBean.class);
            return os.getTotalMemorySize() + " " + os.getProcessCpuTime();
        });
        try_("finalizer", SandboxTaskMain::finalizerReadsHostname);
        try_("gc", () -> {
            for (int i = 0; i < 3; i++) {
                byte[][] junk = new byte[1000][];
                for (int j = 0; j < junk.length; j++) {
                    junk[j] = new byte[10_000];
                }
                System.gc();
            }
            return "3 GCs";
        });
        System.out.println("done");
        System.out.flush();
        new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8)).readLine();
    }

    private static void try_(String name, Callable<String> what) {
        String result;
        try {
            result = "ok " + what.call();
        } catch (Throwable t) {
            result = "denied " + t;
        }
        System.out.println(name + ": " + result.replace('\n', ' '));
    }

    /**
     * Reads /etc/hostname from a {@code finalize()} method, which runs on the JVM's Finalizer thread: a thread that
     * existed before {@link Sandbox#enter}, so Landlock does not restrict it.
     */
    private static String finalizerReadsHostname() throws InterruptedException {
        java.util.concurrent.CompletableFuture<String> result = new java.util.concurrent.CompletableFuture<>();
        new Finalizable(result);
        for (int i = 0; i < 50 && !result.isDone(); i++) {
            System.gc();
            Thread.sleep(20);
        }
        return result.isDone() ? result.getNow(null) : "finalize() did not run";
    }

    private static final class Finalizable {
        private final java.util.concurrent.CompletableFuture<String> result;

        Finalizable(java.util.concurrent.CompletableFuture<String> result) {
            this.result = result;
        }

        @Override
        @SuppressWarnings({"removal", "deprecation", "checkstyle:NoFinalizer"})
        protected void finalize() {
            try {
                result.complete("read " + Files.readString(Path.of("/etc/hostname")).strip() + " on "
                        + Thread.currentThread().getName());
            } catch (Exception e) {
                result.complete("denied " + e + " on " + Thread.currentThread().getName());
            }
        }
    }

    /** Loaded only by the {@code newclass} probe, after the sandbox is up. */
    private static final class Later {
        @Override
        public String toString() {
            return "loaded";
        }
    }
}
