package org.legoos.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
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
import org.legoos.node.cluster.NodeRole;
import org.legoos.node.cluster.TcpCluster;
import org.legoos.node.config.LegoConfig;
import org.legoos.testkit.Await;

/** The client commands against a cluster of TCP components on loopback in this JVM. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class ClusterCommandsTest {
    private CliCluster fixture;
    private TcpCluster cluster;
    private String manager;
    private java.nio.file.Path clientConfig;

    @BeforeAll
    void start() {
        fixture = new CliCluster();
        cluster = fixture.cluster;
        manager = fixture.manager;
        clientConfig = fixture.clientConfig;
    }

    @AfterAll
    void stop() throws java.io.IOException {
        fixture.close();
    }

    /** Runs {@code lego ARGS --manager <this cluster>}. */
    private Cli.Result lego(String... args) {
        return new Cli().exec(withManager(args));
    }

    private String[] withManager(String... args) {
        return fixture.args(args);
    }

    private void vnode(String name) {
        Cli.Result r = lego("vnode", "create", name);
        assertThat(r.code()).as(r.toString()).isZero();
    }

    /** {@code lego certs revoke} hands the list to the manager at once; without a manager it says how to later. */
    @Test
    void revokingACertificatePublishesTheListToTheManager() {
        Cli.Result made = lego("certs", "create-user", "bob", "--vnode", "alpha");
        assertThat(made.code()).as(made.toString()).isZero();
        Cli.Result revoked = lego("certs", "revoke", "bob");
        assertThat(revoked.code()).as(revoked.toString()).isZero();
        assertThat(revoked.out()).contains("revoked 'bob'").contains("published the revocation list to the manager at " + manager);
        Cli.Result again = lego("certs", "publish");
        assertThat(again.code()).as(again.toString()).isZero();
        Cli.Result nowhere = new Cli().exec("certs", "revoke", "bob", "--manager", "127.0.0.1:1", "--config",
                clientConfig.toString());
        assertThat(nowhere.code()).as(nowhere.toString()).isZero();
        assertThat(nowhere.out()).contains("was revoked already").contains("not published").contains("lego certs publish");
    }

    @Test
    void vnodeCreateListAndRemove() {
        Cli.Result created = lego("vnode", "create", "alpha", "--memory-quota", "256MiB", "--storage-quota", "2GiB",
                "--max-processes", "4");
        assertThat(created.code()).as(created.toString()).isZero();
        assertThat(created.out()).matches("created vNode \\d+ 'alpha': IP 10\\.77\\.0\\.\\d+, storage node \\d+, buffer cache on"
                + " memory node \\d+, memory quota 256MiB, storage quota 2\\.0GiB, at most 4 processes\\n");
        Cli.Result list = lego("vnode", "list");
        assertThat(list.out()).startsWith("ID  NAME").contains("MEMORY QUOTA").contains("STORAGE QUOTA")
                .containsPattern("\\d+  alpha +10\\.77\\.0\\.\\d+ .* 256MiB +2\\.0GiB +0/4");
        Cli.Result again = lego("vnode", "create", "alpha");
        assertThat(again.code()).isEqualTo(Lego.EXIT_FAILURE);
        assertThat(again.err()).isEqualTo("lego: a vNode named 'alpha' already exists\n");
        Cli.Result badQuota = lego("vnode", "create", "beta", "--storage-quota", "lots");
        assertThat(badQuota.code()).isEqualTo(Lego.EXIT_USAGE);
        assertThat(badQuota.err()).contains("--storage-quota");
        Cli.Result badName = lego("vnode", "create", "Not_Valid");
        assertThat(badName.code()).isEqualTo(Lego.EXIT_USAGE);
        assertThat(badName.err()).startsWith("lego: vNode name 'Not_Valid' is invalid");
        assertThat(lego("vnode", "rm", "alpha").out()).isEqualTo("removed vNode 'alpha'\n");
        assertThat(lego("vnode", "list").out()).doesNotContain("alpha");
        Cli.Result gone = lego("vnode", "rm", "alpha");
        assertThat(gone.code()).isEqualTo(Lego.EXIT_FAILURE);
        assertThat(gone.err()).isEqualTo("lego: no vNode named or numbered 'alpha'\n");
    }

    @Test
    void filesGoUpAndComeBackAndCanBeListedPrintedAndRemoved(@TempDir Path dir) throws Exception {
        vnode("files");
        Path local = dir.resolve("data.txt");
        String text = "the quick brown fox\n".repeat(500);
        Files.writeString(local, text);
        Cli.Result up = lego("cp", local.toString(), "files:/in/deep/data.txt");
        assertThat(up.code()).as(up.toString()).isZero();
        assertThat(up.out()).isEmpty();
        assertThat(up.err()).isEmpty(); // small copy, not a terminal: no progress bar

        assertThat(lego("ls", "files:/").out()).isEqualTo("in/\n");
        assertThat(lego("ls", "files:/in/deep").out()).isEqualTo("data.txt\n");
        Cli.Result longList = lego("ls", "-l", "files:/in/deep");
        assertThat(longList.out()).startsWith("TYPE   SIZE  MODIFIED").containsPattern("-     10000  \\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d  data\\.txt");
        assertThat(lego("cat", "files:/in/deep/data.txt").out()).isEqualTo(text);

        Path back = dir.resolve("back.txt");
        assertThat(lego("cp", "files:/in/deep/data.txt", back.toString()).code()).isZero();
        assertThat(Files.readString(back)).isEqualTo(text);
        Path into = Files.createDirectory(dir.resolve("into"));
        assertThat(lego("cp", "files:/in/deep/data.txt", into.toString()).code()).isZero();
        assertThat(Files.readString(into.resolve("data.txt"))).isEqualTo(text);
        // into an existing vNode directory keeps the name; copying over a file replaces it
        Files.writeString(local, "short\n");
        assertThat(lego("cp", local.toString(), "files:/in/deep").code()).isZero();
        assertThat(lego("cat", "files:/in/deep/data.txt").out()).isEqualTo("short\n");
        assertThat(lego("cp", "files:/in/deep/data.txt", "files:/copy.txt").code()).isZero();
        assertThat(lego("cat", "files:/copy.txt").out()).isEqualTo("short\n");

        Cli.Result missing = lego("cat", "files:/nope.txt");
        assertThat(missing.code()).isEqualTo(Lego.EXIT_FAILURE);
        assertThat(missing.err()).isEqualTo("lego: files:/nope.txt: no such file or directory\n");
        Cli.Result dirRm = lego("rm", "files:/in");
        assertThat(dirRm.code()).isEqualTo(Lego.EXIT_FAILURE);
        assertThat(dirRm.err()).contains("files:/in is a directory (use -r");
        assertThat(lego("rm", "-r", "files:/in").code()).isZero();
        assertThat(lego("rm", "files:/copy.txt").code()).isZero();
        assertThat(lego("ls", "files:/").out()).isEmpty();
        assertThat(lego("ls", "files:/in").err()).isEqualTo("lego: files:/in: no such file or directory\n");
        assertThat(lego("rm", "-f", "files:/in").code()).isZero();
        Cli.Result noLocal = lego("cp", dir.resolve("absent").toString(), "files:/x");
        assertThat(noLocal.code()).isEqualTo(Lego.EXIT_FAILURE);
        assertThat(noLocal.err()).isEqualTo("lego: " + dir.resolve("absent") + ": no such file or directory\n");
        assertThat(lego("ls", "ghost:/").err()).isEqualTo("lego: no vNode named or numbered 'ghost'\n");
    }

    @Test
    void largeCopiesShowProgressOnlyWhenAskedOrOnATerminal(@TempDir Path dir) throws Exception {
        vnode("big");
        byte[] data = new byte[9 << 20];
        new Random(5).nextBytes(data);
        Path local = dir.resolve("big.bin");
        Files.write(local, data);
        Cli.Result quiet = lego("cp", local.toString(), "big:/big.bin");
        assertThat(quiet.code()).isZero();
        assertThat(quiet.err()).isEmpty();
        Cli terminal = new Cli(true);
        assertThat(terminal.exec(withManager("cp", "big:/big.bin", dir.resolve("back.bin").toString())).code()).isZero();
        assertThat(terminal.err()).contains("big:/big.bin [").contains("100%").contains("9.0MiB/9.0MiB").endsWith("\n");
        assertThat(Files.readAllBytes(dir.resolve("back.bin"))).isEqualTo(data);
        Cli.Result forced = lego("cp", "--progress", local.toString(), "big:/again.bin");
        assertThat(forced.err()).contains("100%");
    }

    @Test
    void runStreamsOutputAndExitsWithTheProgramsCode() {
        vnode("runner");
        Cli.Result r = lego("run", "--vnode", "runner", "exit", "7", "hello", "--not-an-option", "-x");
        assertThat(r.code()).isEqualTo(7);
        assertThat(r.out()).isEqualTo("out: hello --not-an-option -x\n");
        assertThat(r.err()).isEqualTo("err: hello --not-an-option -x\n");
        assertThat(lego("run", "--vnode", "runner", "exit", "0").code()).isZero();
        Cli.Result hello = lego("run", "--vnode", "runner", "hello", "a", "b");
        assertThat(hello.out()).matches("hello from pid \\d+ on vNode runner\\na b\\n");
        Cli.Result chatty = lego("run", "--vnode", "runner", "chatty", "200");
        assertThat(chatty.out().lines()).hasSize(200).startsWith("line 1").endsWith("line 200");
        Cli.Result segv = lego("run", "--vnode", "runner", "segfault");
        assertThat(segv.code()).isEqualTo(139);
        assertThat(segv.err()).contains("Segmentation fault");
        Cli.Result unknown = lego("run", "--vnode", "runner", "nope");
        assertThat(unknown.code()).isEqualTo(Lego.EXIT_FAILURE);
        assertThat(unknown.err()).startsWith("lego: program nope not found").hasLineCount(1);
        assertThat(lego("run", "--vnode", "ghost", "hello").err()).isEqualTo("lego: no vNode named or numbered 'ghost'\n");
    }

    /** Runs {@code lego ARGS --manager <this cluster>} with {@code stdin} as its standard input. */
    private Cli.Result legoWithStdin(byte[] stdin, boolean terminal, String... args) {
        return new Cli(new java.io.ByteArrayInputStream(stdin), terminal).exec(withManager(args));
    }

    @Test
    void runForwardsPipedStdinToTheProgram() {
        vnode("piped");
        byte[] text = "hello\nstdin\n".getBytes(StandardCharsets.UTF_8);
        Cli.Result upper = legoWithStdin(text, false, "run", "--vnode", "piped", "upper");
        assertThat(upper.code()).as(upper.toString()).isZero();
        assertThat(upper.out()).isEqualTo("HELLO\nSTDIN\n");
        // more than the processor buffers for a process: the CLI waits for the program, nothing is lost or reordered
        byte[] big = new byte[1 << 20];
        new Random(9).nextBytes(big);
        java.util.zip.CRC32 crc = new java.util.zip.CRC32();
        crc.update(big);
        Cli.Result sum = legoWithStdin(big, false, "run", "--vnode", "piped", "sum");
        assertThat(sum.out()).as(sum.toString()).isEqualTo(String.format("bytes %d crc %08x%n", big.length, crc.getValue()));
        // -n: never forwarded; a terminal: forwarded only with -i
        assertThat(legoWithStdin(text, false, "run", "-n", "--vnode", "piped", "upper").out()).isEmpty();
        assertThat(legoWithStdin(text, true, "run", "--vnode", "piped", "upper").out()).isEmpty();
        assertThat(legoWithStdin(text, true, "run", "--stdin", "--vnode", "piped", "upper").out()).isEqualTo("HELLO\nSTDIN\n");
        Cli.Result both = legoWithStdin(text, false, "run", "-i", "-n", "--vnode", "piped", "upper");
        assertThat(both.code()).isEqualTo(Lego.EXIT_USAGE);
        assertThat(both.err()).isEqualTo("lego: -i/--stdin and -n/--no-stdin exclude each other\n");
        // options after PROGRAM are the program's
        assertThat(legoWithStdin(text, false, "run", "--vnode", "piped", "upper", "-n").out()).isEqualTo("HELLO\nSTDIN\n");
    }

    @Test
    void interruptingRunKillsTheRemoteProcess() throws Exception {
        vnode("ctrlc");
        Cli cli = new Cli();
        CompletableFuture<Integer> code = cli.background(withManager("run", "--vnode", "ctrlc", "sleep")).thenApply(Cli.Result::code);
        Await.until("the program starts and run hooks Ctrl-C", Duration.ofSeconds(20),
                () -> cli.out().contains("started") && cli.hasInterruptHook());
        assertThat(lego("ps").out()).contains("sleep");
        cli.interrupt(); // Ctrl-C
        assertThat(code.get(20, TimeUnit.SECONDS)).isEqualTo(137);
        assertThat(cli.hasInterruptHook()).isFalse();
        Await.until("the process is gone from ps", Duration.ofSeconds(20), () -> !lego("ps").out().contains("ctrlc"));
    }

    @Test
    void psListsProcessesWithTheirProcessorAndKillStopsThem() throws Exception {
        vnode("pskill");
        Cli cli = new Cli();
        CompletableFuture<Integer> code = cli.background(withManager("run", "--vnode", "pskill", "sleep")).thenApply(Cli.Result::code);
        Await.until("the program starts", Duration.ofSeconds(20), () -> cli.out().contains("started"));
        Cli.Result ps = lego("ps");
        assertThat(ps.code()).isZero();
        int processor = cluster.components(NodeRole.PROCESSOR).getFirst().nodeId();
        String address = cluster.components(NodeRole.PROCESSOR).getFirst().address();
        assertThat(ps.out()).startsWith("PID  VNODE ").contains("PROCESSOR");
        String row = ps.out().lines().filter(l -> l.contains("pskill")).findFirst().orElseThrow();
        assertThat(row).containsPattern("^ *\\d+  pskill +sleep +\\S+ +1 +\\S+  node " + processor + " \\(" + address.replace(".", "\\.") + "\\)$");
        long pid = Long.parseLong(row.trim().split("\\s+")[0]);
        Cli.Result kill = lego("kill", String.valueOf(pid));
        assertThat(kill.code()).isZero();
        assertThat(kill.out()).isEqualTo("killed pid " + pid + " (sleep) on processor node " + processor + "\n");
        assertThat(code.get(20, TimeUnit.SECONDS)).isEqualTo(137);
        Cli.Result again = lego("kill", String.valueOf(pid));
        assertThat(again.code()).isEqualTo(Lego.EXIT_FAILURE);
        assertThat(again.err()).isEqualTo("lego: no process with pid " + pid + " runs on a live processor component\n");
    }

    @Test
    void topOnceShowsComponentsVnodesAndTheBusiestProcessFirst() throws Exception {
        vnode("topbusy");
        vnode("topidle");
        Cli churn = new Cli();
        Cli sleep = new Cli();
        CompletableFuture<Integer> churned = churn.background(withManager("run", "--vnode", "topbusy", "churn",
                String.valueOf(4 << 20))).thenApply(Cli.Result::code);
        CompletableFuture<Integer> slept = sleep.background(withManager("run", "--vnode", "topidle", "sleep"))
                .thenApply(Cli.Result::code);
        Await.until("both programs start", Duration.ofSeconds(20),
                () -> churn.out().contains("started") && sleep.out().contains("started"));

        Cli.Result top = lego("top", "--once", "--delay", "300ms");
        assertThat(top.code()).as(top.toString()).isZero();
        assertThat(top.out()).startsWith("lego top - ").doesNotContain("\u001b");
        List<String> lines = top.out().lines().toList();
        int processor = cluster.components(NodeRole.PROCESSOR).getFirst().nodeId();
        String processorRow = lines.stream().filter(l -> l.matches("^ *" + processor + "  processor .*")).findFirst().orElseThrow();
        // THREADS/CORES, PROCS, MEMORY, STORAGE, EXCACHE 1.0MiB, HIT%, MISSES/S: the churn misses all the time
        assertThat(processorRow).containsPattern("alive +\\d+/2 +\\d+ +- +- +1\\.0MiB +\\d+\\.\\d +[1-9]\\d*$");
        assertThat(lines.stream().filter(l -> l.matches("^ *\\d+  memory +alive .*"))).hasSize(2)
                .allSatisfy(l -> assertThat(l).containsPattern("\\S+/64\\.0MiB"));
        // vNodes and processes: the busy one first
        int vnodes = lines.indexOf("VNODES");
        int processes = lines.indexOf("PROCESSES");
        assertThat(vnodes).isPositive();
        assertThat(processes).isGreaterThan(vnodes);
        assertThat(lines.get(vnodes + 2)).startsWith("topbusy ");
        assertThat(lines.get(processes + 1)).containsPattern("PID +VNODE +PROGRAM +STATE +PROCESSOR +THREADS +MISSES +MISSES/S +AGE");
        String busiest = lines.get(processes + 2);
        assertThat(busiest).containsPattern("^ *\\d+  topbusy +churn +RUNNING +" + processor + " +1 +[1-9]\\d* +[1-9]\\d* +\\S+$");
        assertThat(lines.subList(processes + 3, lines.size())).anySatisfy(l -> assertThat(l).contains("topidle").contains("sleep"));

        // live: -n 2 draws two frames, each after clearing the screen
        Cli.Result live = lego("top", "-n", "2", "--delay", "100ms");
        assertThat(live.code()).as(live.toString()).isZero();
        assertThat(live.out().split("\\u001b\\[H\\u001b\\[2J", -1)).hasSize(3);

        churn.interrupt();
        sleep.interrupt();
        assertThat(churned.get(20, TimeUnit.SECONDS)).isEqualTo(137);
        assertThat(slept.get(20, TimeUnit.SECONDS)).isEqualTo(137);

        Cli.Result bad = lego("top", "--once", "--delay", "soon");
        assertThat(bad.code()).isEqualTo(Lego.EXIT_USAGE);
        assertThat(bad.err()).startsWith("lego: --delay soon: ");
    }

    @Test
    void logsOfAPidShowItsStderrAfterItEnded() {
        vnode("logs");
        Cli.Result run = lego("run", "--vnode", "logs", "exit", "3", "kept", "for", "later");
        assertThat(run.code()).as(run.toString()).isEqualTo(3);
        long pid = cluster.manager().manager().nextPid() - 1; // the last pid placed: this run's (tests run one at a time)
        Cli.Result logs = lego("logs", String.valueOf(pid));
        assertThat(logs.code()).as(logs.toString()).isZero();
        assertThat(logs.out()).isEqualTo("err: kept for later\n");
        assertThat(logs.err()).isEqualTo("lego logs: pid " + pid + " exited with code 3\n");
        assertThat(lego("logs", String.valueOf(pid), "-n", "0").out()).isEmpty();

        Cli.Result unknown = lego("logs", "999999");
        assertThat(unknown.code()).isEqualTo(Lego.EXIT_FAILURE);
        assertThat(unknown.err()).startsWith("lego: no live processor keeps a log of pid 999999");
        assertThat(lego("logs", String.valueOf(pid), "-f").code()).isEqualTo(Lego.EXIT_USAGE);
    }

    @Test
    void statusSaysLoudlyWhenAClusterRunsInsecure(@TempDir Path tmp) throws Exception {
        LegoConfig insecure = LegoConfig.defaults().with("security.mode", "insecure").with("manager.reportInterval", "100ms")
                .with("memory.capacityBytes", "16MiB").with("memory.workers", "1");
        try (TcpCluster plain = TcpCluster.start(insecure, 0, 1, 0, java.util.Map.of())) {
            java.nio.file.Path plainConfig = java.nio.file.Files.createTempFile(tmp, "lego-insecure", ".yaml");
            java.nio.file.Files.writeString(plainConfig, "security:\n  mode: insecure\n");
            Cli.Result r = new Cli().exec("status", "--manager", plain.managerAddress(), "--config", plainConfig.toString());
            assertThat(r.code()).as(r.toString()).isZero();
            assertThat(r.out().lines().toList().get(1)).startsWith("WARNING: INSECURE cluster (security.mode: insecure)");
            // a client that expects TLS does not talk to it in plaintext: it is refused, not downgraded
            Cli.Result tls = new Cli().exec("status", "--manager", plain.managerAddress(), "--config", clientConfig.toString());
            assertThat(tls.code()).as(tls.toString()).isNotZero();
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    @Test
    void statusPrintsEveryComponentWithItsResources() {
        Cli.Result r = lego("status");
        assertThat(r.code()).isZero();
        var lines = r.out().lines().toList();
        assertThat(lines.getFirst()).matches("manager " + manager.replace(".", "\\.") + ": 4 components \\(4 alive\\), \\d+ vNodes?, mutual TLS");
        assertThat(lines.get(1)).matches("NODE  ROLE +ADDRESS +STATE +SEEN  THREADS/CORES  PROCS  MEMORY USED/CAP  REPLICAS  STORAGE USED  EXCACHE  MODE");
        assertThat(lines.subList(2, 6)).allSatisfy(l -> assertThat(l).contains("ALIVE").contains(" ago"));
        assertThat(lines.get(2)).contains("storage").containsPattern("B  +-  +-$");
        assertThat(lines.get(3)).contains("memory").contains("/64.0MiB");
        assertThat(lines.get(5)).contains("processor").containsPattern("1\\.0MiB  +(thread|process)$").contains("/2 ");
        // one line per processor says its mode and why
        assertThat(lines.get(6)).isEmpty();
        assertThat(lines.subList(7, lines.size())).singleElement().asString().matches("node \\d+: (thread|process) mode: .+");
    }

    static String utf8(byte[] b) {
        return new String(b, StandardCharsets.UTF_8);
    }
}
