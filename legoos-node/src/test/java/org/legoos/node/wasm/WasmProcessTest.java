package org.legoos.node.wasm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.legoos.api.ProcessorMode;
import org.legoos.memory.MemoryConfig;
import org.legoos.node.LocalCluster;
import org.legoos.processor.ProcessorConfig;
import org.legoos.processor.RemoteFileService;
import org.legoos.processor.excache.ExCacheConfig;
import org.legoos.task.fs.FileService;
import org.legoos.wasm.WasmProgram;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Unmodified C programs, built to {@code wasm32-wasi} by {@code scripts/wasm-build}, run as LegoOS/J processes on a
 * cluster: {@code lego run /apps/prog.wasm ARGS} in each processor mode, their linear memory in the disaggregated
 * address space (a small ExCache, so most of it lives on the memory components), their files the vNode's. Each run's
 * output and exit code must be those of the same C program built natively and run on the same input here.
 */
@Timeout(value = 300, unit = TimeUnit.SECONDS)
class WasmProcessTest {
    private static final Path WASM = Path.of(System.getProperty("legoos.wasm.dir", "target/wasm")).toAbsolutePath();

    private static LocalCluster start(ProcessorMode mode) {
        // 2 MiB of ExCache: every program's memory (several MiB) misses to the memory components
        ExCacheConfig excache = new ExCacheConfig(2 << 20, 8, ExCacheConfig.Policy.FIFO, 7);
        return LocalCluster.start(LocalCluster.Spec.defaults()
                .withCounts(1, 2, 1)
                .withMemory(MemoryConfig.of(512L << 20).withWorkers(0).withVregionBytes(4 << 20))
                .withProcessor(new ProcessorConfig(2, excache, 64, 2000).withMode(mode)));
    }

    private static void put(RemoteFileService fs, String path, byte[] bytes) throws IOException {
        fs.create(path, false);
        fs.write(path, 0, ByteBuffer.wrap(bytes));
        fs.close(path);
    }

    /** Runs the native twin of {@code program} in {@code dir}; returns exit code and stdout. */
    private static LocalCluster.RunResult nativeRun(Path dir, String program, String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(WASM.resolve("native").resolve(program).toString()));
        cmd.addAll(List.of(args));
        Process p = new ProcessBuilder(cmd).directory(dir.toFile()).redirectError(ProcessBuilder.Redirect.DISCARD).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        return new LocalCluster.RunResult(-1, p.exitValue(), out, "", null, -1);
    }

    @ParameterizedTest
    @EnumSource(value = ProcessorMode.class, names = {"PROCESS", "THREAD"})
    void cProgramsBuiltToWasmRunAsProcessesPrintWhatTheirNativeBuildsPrintFailClearlyAndAreKilled(ProcessorMode mode)
            throws Exception {
        Path dir = Files.createTempDirectory("wasm-native");
        assertThat(nativeRun(dir, "wordcount", "--generate", "3000000", "in.txt", "11").exitCode()).isZero();
        try (LocalCluster c = start(mode)) {
            c.createVNode("v");
            RemoteFileService fs = c.files("v");
            fs.mkdir("/apps");
            fs.mkdir("/data");
            for (String p : List.of("wordcount", "kvstore", "sort", "ls")) {
                put(fs, "/apps/" + p + ".wasm", Files.readAllBytes(WASM.resolve(p + ".wasm")));
            }
            put(fs, "/data/in.txt", Files.readAllBytes(dir.resolve("in.txt")));

            // a file of the vNode read through WASI, a hash table that grows the wasm memory
            LocalCluster.RunResult wc = c.run("v", "/apps/wordcount.wasm", "/data/in.txt", "15");
            assertThat(wc.exitCode()).as(wc.stderr()).isZero();
            assertThat(wc.stdout()).isEqualTo(nativeRun(dir, "wordcount", "in.txt", "15").stdout()).startsWith("words ");
            // the first start compiled the module and published the classes in the vNode's cache: one entry
            assertThat(wc.stderr()).as("no word of the cache").doesNotContain("cache");
            assertCompiled(mode, false);
            String entry = cacheEntry(fs);
            byte[] published = readAll(fs, entry);
            assertThat(published).as("a jar").startsWith('P', 'K');
            // the second start loads them from there (thread mode: the run's own timings say so; process mode: see
            // the damaged entry below), and leaves the entry as it was
            LocalCluster.RunResult again = c.run("v", "/apps/wordcount.wasm", "/data/in.txt", "15");
            assertThat(again.exitCode()).as(again.stderr()).isZero();
            assertThat(again.stdout()).isEqualTo(wc.stdout());
            assertThat(again.stderr()).doesNotContain("cache");
            assertCompiled(mode, true);
            assertThat(cacheEntry(fs)).isEqualTo(entry);
            assertThat(readAll(fs, entry)).isEqualTo(published);

            // a damaged entry is read through the lego: file system (in either mode), reported, and replaced
            fs.truncate(entry, 0);
            fs.write(entry, 0, ByteBuffer.wrap("not a jar".getBytes(StandardCharsets.US_ASCII)));
            fs.close(entry);
            // (and a file written through WASI, byte for byte the native one)
            LocalCluster.RunResult gen = c.run("v", "/apps/wordcount.wasm", "--generate", "200000", "/data/gen.txt", "5");
            assertThat(gen.exitCode()).as(gen.stderr()).isZero();
            assertThat(gen.stderr()).startsWith("wasm: ignoring the damaged compile cache entry " + entry + " (")
                    .hasLineCount(1);
            assertCompiled(mode, false);
            assertThat(readAll(fs, entry)).as("republished").startsWith('P', 'K').hasSizeGreaterThan(1000);
            nativeRun(dir, "wordcount", "--generate", "200000", "gen.txt", "5");
            ByteBuffer got = ByteBuffer.allocate(200_000);
            int n = fs.read("/data/gen.txt", 0, got);
            assertThat(n).isEqualTo(200_000);
            assertThat(got.array()).isEqualTo(Files.readAllBytes(dir.resolve("gen.txt")));

            LocalCluster.RunResult kv = c.run("v", "/apps/kvstore.wasm", "20000", "200000", "7");
            assertThat(kv.exitCode()).as(kv.stderr()).isZero();
            assertThat(kv.stdout()).isEqualTo(nativeRun(dir, "kvstore", "20000", "200000", "7").stdout());

            LocalCluster.RunResult sort = c.run("v", "/apps/sort.wasm", "1000000", "3");
            assertThat(sort.exitCode()).as(sort.stderr()).isZero();
            assertThat(sort.stdout()).isEqualTo(nativeRun(dir, "sort", "1000000", "3").stdout()).contains("sorted ok");

            // a directory listed with readdir and stat(2) (the file system's "unix" view), as natively
            fs.mkdir("/data/sub");
            Files.createDirectory(dir.resolve("data"));
            Files.createDirectory(dir.resolve("data").resolve("sub"));
            Files.copy(dir.resolve("in.txt"), dir.resolve("data").resolve("in.txt"));
            Files.copy(dir.resolve("gen.txt"), dir.resolve("data").resolve("gen.txt"));
            LocalCluster.RunResult ls = c.run("v", "/apps/ls.wasm", "/data");
            assertThat(ls.exitCode()).as(ls.stderr()).isZero();
            assertThat(ls.stdout()).isEqualTo(nativeRun(dir, "ls", "data").stdout()).contains("d sub/").contains("f in.txt ");

            // the program's own errors: its exit code and message, as natively
            LocalCluster.RunResult missing = c.run("v", "/apps/wordcount.wasm", "/data/nosuch.txt");
            assertThat(missing.exitCode()).isEqualTo(nativeRun(dir, "wordcount", "nosuch.txt").exitCode()).isNotZero();
            assertThat(missing.stderr()).contains("nosuch.txt").doesNotContain("cache");
            assertCompiled(mode, true); // the republished entry loads

            aFileThatIsNotWasmOrIsMissingIsAClearError(c);
            trapsForeignImportsAndHugeMemoriesAreClearErrorsAndStdinIsPiped(c);
            aLongRunningWasmProgramIsKilled(c);
        }
    }

    /**
     * In thread mode, whether the last wasm start loaded its compiled classes from the cache ({@code cached}) or
     * compiled them (its timings, in this JVM). In process mode the timings are the task JVM's: nothing to check.
     */
    private static void assertCompiled(ProcessorMode mode, boolean cached) {
        if (mode == ProcessorMode.THREAD) {
            assertThat(WasmProgram.lastTimings().compileCached()).as("loaded from the compile cache").isEqualTo(cached);
        }
    }

    /** The one entry of the compile cache of the vNode (under its Chicory version's directory). */
    private static String cacheEntry(RemoteFileService fs) throws IOException {
        List<FileService.DirEntry> versions = fs.readdir(WasmProgram.CACHE_DIR);
        assertThat(versions).hasSize(1);
        assertThat(versions.get(0).name()).startsWith("chicory-");
        String dir = WasmProgram.CACHE_DIR + "/" + versions.get(0).name();
        List<FileService.DirEntry> entries = fs.readdir(dir);
        assertThat(entries).as("one module, no temporary file left").hasSize(1);
        assertThat(entries.get(0).name()).startsWith("sha-256-").endsWith(".jar");
        return dir + "/" + entries.get(0).name();
    }

    private static byte[] readAll(RemoteFileService fs, String path) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(Math.toIntExact(fs.stat(path).size()));
        while (b.hasRemaining() && fs.read(path, b.position(), b) > 0) {
            // reads in pieces of at most the file service's largest I/O
        }
        assertThat(b.hasRemaining()).as("read all of " + path).isFalse();
        return b.array();
    }

    /** (On the cluster of the test above.) */
    private static void aFileThatIsNotWasmOrIsMissingIsAClearError(LocalCluster c) throws Exception {
        RemoteFileService fs = c.files("v");
        put(fs, "/notes.wasm", "just text\n".getBytes(StandardCharsets.UTF_8));
        LocalCluster.RunResult r = c.run("v", "/notes.wasm");
        assertThat(r.exitCode()).isEqualTo(126);
        assertThat(r.stderr()).contains("/notes.wasm").contains("not a WebAssembly module");

        assertThatThrownBy(() -> c.run("v", "/apps/none.wasm")).hasMessageContaining("program /apps/none.wasm not found");
    }

    /**
     * The runtime's own errors as the process's exit code and stderr, and standard input piped in (legoos-wasm's test
     * fixtures, on the cluster of the test above).
     */
    private static void trapsForeignImportsAndHugeMemoriesAreClearErrorsAndStdinIsPiped(LocalCluster c) throws Exception {
        RemoteFileService fs = c.files("v");
        for (String f : List.of("traps", "envimport", "echo")) {
            put(fs, "/apps/" + f + ".wasm", Files.readAllBytes(WASM.resolve("test").resolve(f + ".wasm")));
        }
        // a trap: exit 134 (an abort), what it printed before, the trap and the wasm stack with the C functions' names
        LocalCluster.RunResult trap = c.run("v", "/apps/traps.wasm", "unreachable");
        assertThat(trap.exitCode()).as(trap.stderr()).isEqualTo(WasmProgram.EXIT_TRAP).isEqualTo(134);
        assertThat(trap.stdout()).isEqualTo("before the trap\n");
        assertThat(trap.stderr()).startsWith("wasm trap: ").contains("unreachable").contains("\nwasm backtrace:\n")
                .doesNotContain("at org.").doesNotContain("Exception");
        List<String> frames = trap.stderr().lines().filter(l -> l.startsWith("  #")).toList();
        assertThat(frames).hasSizeGreaterThanOrEqualTo(3);
        assertThat(frames.get(0)).matches("  #0 func\\[\\d+\\] fixture_inner_trap");
        assertThat(frames.get(1)).matches("  #1 func\\[\\d+\\] fixture_outer_trap");
        assertThat(frames).anyMatch(l -> l.endsWith(" main") || l.contains(" main "));

        // imports WASI preview 1 does not provide: refused before it runs, each one named, in one line
        LocalCluster.RunResult env = c.run("v", "/apps/envimport.wasm");
        assertThat(env.exitCode()).isEqualTo(WasmProgram.EXIT_CANNOT_EXECUTE).isEqualTo(126);
        assertThat(env.stdout()).isEmpty();
        assertThat(env.stderr()).isEqualTo("wasm: /apps/envimport.wasm imports what this runtime does not provide "
                + "(only the wasi_snapshot_preview1 functions of WASI preview 1): env.host_add, env.host_log\n");

        // a memory of 40000 pages (2.4 GiB): refused, not mapped
        put(fs, "/apps/huge.wasm", java.util.HexFormat.of().parseHex("0061736d0100000005050100c0b802"));
        LocalCluster.RunResult huge = c.run("v", "/apps/huge.wasm");
        assertThat(huge.exitCode()).isEqualTo(126);
        assertThat(huge.stderr()).startsWith("wasm: /apps/huge.wasm: ").contains("40000 pages").contains("2 GiB")
                .hasLineCount(1);

        // standard input piped through the cluster into the program and back out, byte for byte
        byte[] input = new byte[150_000];
        new java.util.Random(5).nextBytes(input);
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        java.io.ByteArrayOutputStream err = new java.io.ByteArrayOutputStream();
        var echo = c.processes().start("v", "/apps/echo.wasm", List.of(), new java.io.ByteArrayInputStream(input),
                out, err);
        assertThat(echo.waitFor()).as(err.toString(StandardCharsets.UTF_8)).isZero();
        assertThat(err.toString(StandardCharsets.UTF_8)).isEqualTo(input.length + " bytes\n");
        assertThat(out.toByteArray()).isEqualTo(input);
    }

    /** A wasm program in a long loop is killed like any other process (on the cluster of the test above). */
    private static void aLongRunningWasmProgramIsKilled(LocalCluster c) throws Exception {
        {
            RemoteFileService fs = c.files("v");
            put(fs, "/sort.wasm", Files.readAllBytes(WASM.resolve("sort.wasm")));
            java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
            java.io.ByteArrayOutputStream err = new java.io.ByteArrayOutputStream();
            // some 200 MB sorted through a 2 MiB ExCache: minutes, unless killed
            var p = c.processes().start("v", "/sort.wasm", List.of("25000000", "1"), out, err);
            org.legoos.testkit.Await.until("the program runs", java.time.Duration.ofSeconds(60),
                    () -> c.processors().get(0).processCount() == 1);
            Thread.sleep(1000); // well into its loops
            long t0 = System.nanoTime();
            p.kill();
            Integer code = p.waitFor(java.time.Duration.ofSeconds(20));
            assertThat(code).as("exit code after kill; stderr: " + err).isEqualTo(137);
            assertThat((System.nanoTime() - t0) / 1_000_000).as("ms from kill to exit").isLessThan(20_000);
            assertThat(out.toString(StandardCharsets.UTF_8)).doesNotContain("sorted ok");
        }
    }
}
