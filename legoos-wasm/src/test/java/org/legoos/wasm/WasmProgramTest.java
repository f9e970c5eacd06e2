package org.legoos.wasm;

import org.legoos.examples.ForwardingAddressSpace;
import org.legoos.examples.HeapAddressSpace;
import org.legoos.examples.TestContext;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.legoos.api.AddressSpace;
import org.legoos.api.ComponentUnavailableException;
import org.legoos.api.SegmentationFault;

/**
 * {@link WasmProgram} running real wasm32-wasi binaries built by {@code scripts/wasm-build} (the C programs of
 * {@code src/main/c}, checked against their native build) and the fixtures of {@code src/test/c} (traps, exit codes,
 * stdin, imports, memory growth), in both memory modes, plus its errors and its compile cache.
 *
 * <p>The binaries are in {@code target/wasm} (system property {@code legoos.wasm.dir}), built by Maven in the
 * {@code generate-test-resources} phase. The file system is the default one: the guest's {@code /} is the host's and
 * every path handed to a program is absolute under a JUnit temp directory. The compile cache is shared by the tests
 * of this class, so each module is compiled once.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class WasmProgramTest {
    private static final Path WASM = Path.of(System.getProperty("legoos.wasm.dir", "target/wasm")).toAbsolutePath();
    private static final Path FIXTURES = WASM.resolve("test");

    @TempDir
    static Path shared;
    @TempDir
    Path tmp;

    private static String cacheDir;

    enum Mode {
        /** Thread mode: the memory is reached through address-space calls. */
        CALLS,
        /** Process mode: the memory is reached through segments. */
        SEGMENTS
    }

    @BeforeAll
    static void binariesAreBuilt() {
        for (String name : List.of("wordcount", "kvstore", "sort")) {
            assertThat(WASM.resolve(name + ".wasm")).as("built by scripts/wasm-build (mvn generate-test-resources)")
                    .isRegularFile();
            assertThat(WASM.resolve("native").resolve(name)).isRegularFile();
        }
        assertThat(FIXTURES.resolve("traps.wasm")).as("built by src/test/c/build-fixtures").isRegularFile();
        cacheDir = shared.resolve("cache").toString();
    }

    /** The output of one run. */
    private record Run(int exit, String stdout, String stderr) {
    }

    private static AddressSpace space(Mode mode) {
        return mode == Mode.CALLS ? new HeapAddressSpace() : new SegmentAddressSpace(64L << 20);
    }

    private static Run wasm(Mode mode, byte[] stdin, String... args) throws Exception {
        AddressSpace space = space(mode);
        try {
            return wasm(new TestContext(space).stdin(stdin), new WasmProgram(cacheDir), args);
        } finally {
            if (space instanceof SegmentAddressSpace s) {
                s.close();
            }
        }
    }

    private static Run wasm(TestContext ctx, WasmProgram program, String... args) {
        int exit = program.main(ctx, args);
        return new Run(exit, ctx.stdout(), ctx.stderr());
    }

    private Run nativeRun(String name, byte[] stdin, String... args) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>();
        cmd.add(WASM.resolve("native").resolve(name).toString());
        cmd.addAll(List.of(args));
        Path in = Files.write(tmp.resolve("stdin-" + System.nanoTime()), stdin);
        Path out = tmp.resolve("stdout-" + System.nanoTime());
        Path err = tmp.resolve("stderr-" + System.nanoTime());
        Process p = new ProcessBuilder(cmd).directory(tmp.toFile()).redirectInput(in.toFile())
                .redirectOutput(out.toFile()).redirectError(err.toFile()).start();
        assertThat(p.waitFor(30, TimeUnit.SECONDS)).as("native " + name + " finished").isTrue();
        return new Run(p.exitValue(), Files.readString(out), Files.readString(err));
    }

    private static String fixture(String name) {
        return FIXTURES.resolve(name + ".wasm").toString();
    }

    private static String program(String name) {
        return WASM.resolve(name + ".wasm").toString();
    }

    // ------------------------------------------------------------------ real programs against their native build

    @ParameterizedTest
    @EnumSource(Mode.class)
    void wordCountMatchesNativeIncludingTheFileItGenerates(Mode mode) throws Exception {
        Path nativeText = tmp.resolve("native.txt");
        Path wasmText = tmp.resolve("wasm.txt");
        Run gen = nativeRun("wordcount", new byte[0], "--generate", "300000", nativeText.toString(), "11");
        assertThat(gen.exit()).isZero();
        Run wasmGen = wasm(mode, new byte[0], program("wordcount"), "--generate", "300000", wasmText.toString(), "11");
        assertThat(wasmGen).isEqualTo(gen);
        assertThat(Files.readAllBytes(wasmText)).as("written through WASI").isEqualTo(Files.readAllBytes(nativeText));

        Run expected = nativeRun("wordcount", new byte[0], nativeText.toString(), "15");
        assertThat(expected.stdout()).startsWith("words ");
        assertThat(wasm(mode, new byte[0], program("wordcount"), nativeText.toString(), "15")).isEqualTo(expected);
    }

    @ParameterizedTest
    @EnumSource(Mode.class)
    void kvStoreMatchesNative(Mode mode) throws Exception {
        Run expected = nativeRun("kvstore", new byte[0], "3000", "30000", "5");
        assertThat(expected.exit()).isZero();
        assertThat(wasm(mode, new byte[0], program("kvstore"), "3000", "30000", "5")).isEqualTo(expected);
    }

    @ParameterizedTest
    @EnumSource(Mode.class)
    void sortMatchesNative(Mode mode) throws Exception {
        Run expected = nativeRun("sort", new byte[0], "60000", "3");
        assertThat(expected.stdout()).contains("sorted ok");
        assertThat(wasm(mode, new byte[0], program("sort"), "60000", "3")).isEqualTo(expected);
    }

    @Test
    void usageErrorsOfTheProgramsMatchNative() throws Exception {
        for (String name : List.of("wordcount", "kvstore", "sort")) {
            Run expected = nativeRun(name, new byte[0]);
            assertThat(expected.exit()).isEqualTo(2);
            assertThat(wasm(Mode.CALLS, new byte[0], program(name))).as(name).isEqualTo(expected);
        }
        Run missing = nativeRun("wordcount", new byte[0], tmp.resolve("absent.txt").toString());
        assertThat(wasm(Mode.CALLS, new byte[0], program("wordcount"), tmp.resolve("absent.txt").toString()))
                .isEqualTo(missing);
    }

    // ------------------------------------------------------------------ fixtures: exit codes, stdin, traps, growth

    @ParameterizedTest
    @EnumSource(Mode.class)
    void exitCodeAndArgumentsReachTheProcess(Mode mode) throws Exception {
        Run r = wasm(mode, new byte[0], fixture("exitcode"), "3", "two words", "");
        assertThat(r.exit()).isEqualTo(3);
        assertThat(r.stdout()).isEqualTo("argv[0]=" + fixture("exitcode") + "\nargv[1]=3\nargv[2]=two words\n"
                + "argv[3]=\n");
        assertThat(r.stderr()).isEqualTo("exiting with 3\n");
        assertThat(wasm(mode, new byte[0], fixture("exitcode"), "0").exit()).isZero();
        assertThat(wasm(mode, new byte[0], fixture("exitcode"), "255").exit()).isEqualTo(255);
    }

    @ParameterizedTest
    @EnumSource(Mode.class)
    void stdinIsEchoedByteForByte(Mode mode) throws Exception {
        byte[] input = new byte[150_000];
        new Random(3).nextBytes(input);
        Run r = wasm(mode, input, fixture("echo"));
        assertThat(r.exit()).isZero();
        assertThat(r.stderr()).isEqualTo(input.length + " bytes\n");
        TestContext ctx = new TestContext(space(Mode.CALLS)).stdin(input);
        assertThat(new WasmProgram(cacheDir).main(ctx, new String[] {fixture("echo")})).isZero();
        assertThat(ctx.stdoutBytes()).isEqualTo(input);
    }

    @ParameterizedTest
    @EnumSource(Mode.class)
    void aTrapReportsTheMessageAndTheNamedWasmBacktrace(Mode mode) throws Exception {
        Run r = wasm(mode, new byte[0], fixture("traps"), "unreachable");
        assertThat(r.exit()).isEqualTo(WasmProgram.EXIT_TRAP).isEqualTo(134);
        assertThat(r.stdout()).isEqualTo("before the trap\n");
        assertThat(r.stderr()).startsWith("wasm trap: ").contains("unreachable").contains("wasm backtrace:\n");
        List<String> frames = r.stderr().lines().filter(l -> l.startsWith("  #")).toList();
        assertThat(frames.get(0)).matches("  #0 func\\[\\d+\\] fixture_inner_trap");
        assertThat(frames.get(1)).matches("  #1 func\\[\\d+\\] fixture_outer_trap");
        assertThat(r.stderr()).contains(" main").doesNotContain("at org.").doesNotContain("Exception");
    }

    @ParameterizedTest
    @EnumSource(Mode.class)
    void divisionByZeroAndAWildStoreTrap(Mode mode) throws Exception {
        Run div = wasm(mode, new byte[0], fixture("traps"), "divzero");
        assertThat(div.exit()).isEqualTo(WasmProgram.EXIT_TRAP);
        assertThat(div.stderr()).startsWith("wasm trap: ").contains("divide by zero").contains("fixture_divide");
        Run oob = wasm(mode, new byte[0], fixture("traps"), "oob");
        assertThat(oob.exit()).isEqualTo(WasmProgram.EXIT_TRAP);
        assertThat(oob.stderr()).startsWith("wasm trap: out of bounds memory access").contains("fixture_store_far");
        Run deep = wasm(mode, new byte[0], fixture("traps"), "recurse", "1000");
        assertThat(deep).isEqualTo(new Run(0, "before the trap\ndepth 1000\n", ""));
    }

    @Test
    void aJvmStackOverflowIsATrapWithAFoldedBacktrace() throws Exception {
        // (module (func $spin call $spin) (export "_start" (func $spin))) with a name section naming it
        Path module = Files.write(tmp.resolve("spin.wasm"), hex("""
                0061736d 01000000
                01 04 01 60 00 00
                03 02 01 00
                07 0a 01 06 5f7374617274 00 00
                0a 06 01 04 00 10 00 0b
                00 0e 04 6e616d65 01 07 01 00 04 7370696e
                """));
        Run r = wasm(Mode.CALLS, new byte[0], module.toString());
        assertThat(r.exit()).isEqualTo(WasmProgram.EXIT_TRAP);
        assertThat(r.stderr()).startsWith("wasm trap: call stack exhausted\nwasm backtrace:\n");
        assertThat(r.stderr().lines().filter(l -> l.startsWith("  #")).toList()).hasSize(1).first().asString()
                .matches("  #0 func\\[0\\] spin \\(x \\d+\\)");
    }

    @ParameterizedTest
    @EnumSource(Mode.class)
    void mallocGrowsTheLinearMemoryInTheAddressSpace(Mode mode) throws Exception {
        Run r = wasm(mode, new byte[0], fixture("grow"), "96", "64");
        assertThat(r).isEqualTo(new Run(0, "allocated 96 of 96 blocks\n", ""));
    }

    @Test
    void aFullAddressSpaceMakesMallocFailInsteadOfCrashing() {
        HeapAddressSpace small = new HeapAddressSpace(3L << 20); // 3 MiB for all of the wasm memory
        Run r = wasm(new TestContext(small), new WasmProgram(cacheDir), fixture("grow"), "96", "64");
        assertThat(r.exit()).isEqualTo(1);
        assertThat(r.stdout()).matches("allocated \\d+ of 96 blocks\n");
        assertThat(r.stderr()).isEmpty();
        assertThat(small.mappedBytes()).as("the memory is unmapped at exit").isZero();
    }

    // ------------------------------------------------------------------ LegoOS/J's memory errors are not traps

    @Test
    void theAddressSpacesErrorsPropagateUnchanged() {
        for (Throwable error : AddressSpaceMemoryTest.memoryErrors()) {
            ThrowingAddressSpace space = new ThrowingAddressSpace(new HeapAddressSpace());
            space.arm(error, 20_000);
            TestContext ctx = new TestContext(space);
            assertThatThrownBy(() -> new WasmProgram(cacheDir).main(ctx, new String[] {program("sort"), "20000", "1"}))
                    .as(error.toString()).isSameAs(error);
            assertThat(ctx.stderr()).doesNotContain("wasm trap");
        }
        assertThat(AddressSpaceMemoryTest.memoryErrors()).hasAtLeastOneElementOfType(SegmentationFault.class)
                .hasAtLeastOneElementOfType(ComponentUnavailableException.class);
    }

    @Test
    void aFailedUnmapAtTheEndDoesNotHideTheErrorThatEndedTheRun() {
        ComponentUnavailableException unmapFailure = new ComponentUnavailableException("home is gone");
        ThrowingAddressSpace loads = new ThrowingAddressSpace(new HeapAddressSpace());
        AddressSpace space = new ForwardingAddressSpace(loads) {
            @Override
            public void munmap(long addr, long length) {
                if (loads.thrown() > 0) {
                    throw unmapFailure; // only the unmap after the fault (instantiation remaps once to zero)
                }
                super.munmap(addr, length);
            }
        };
        SegmentationFault fault = new SegmentationFault("address 0x1 is not mapped");
        loads.arm(fault, 5_000);
        assertThatThrownBy(() -> new WasmProgram(cacheDir).main(new TestContext(space),
                new String[] {program("sort"), "20000", "1"})).isSameAs(fault);
        assertThat(fault.getSuppressed()).contains(unmapFailure);
    }

    // ------------------------------------------------------------------ files that cannot run

    @Test
    void aFileThatIsNotWasmIsRefusedClearly() throws Exception {
        Path text = Files.writeString(tmp.resolve("notes.wasm"), "hello, world\n");
        Run r = wasm(Mode.CALLS, new byte[0], text.toString());
        assertThat(r).isEqualTo(new Run(WasmProgram.EXIT_CANNOT_EXECUTE, "",
                "wasm: " + text + " is not a WebAssembly module\n"));
        Path empty = Files.write(tmp.resolve("empty.wasm"), new byte[0]);
        assertThat(wasm(Mode.CALLS, new byte[0], empty.toString()).stderr()).contains("is not a WebAssembly module");
        Path component = Files.write(tmp.resolve("component.wasm"), hex("0061736d 0d000100"));
        assertThat(wasm(Mode.CALLS, new byte[0], component.toString()).stderr()).contains("is a WebAssembly component");
        Path v2 = Files.write(tmp.resolve("v2.wasm"), hex("0061736d 02000000"));
        assertThat(wasm(Mode.CALLS, new byte[0], v2.toString()).stderr()).contains("binary version 2");
        Path truncated = Files.write(tmp.resolve("truncated.wasm"), hex("0061736d 01000000 01 09 01 60"));
        Run bad = wasm(Mode.CALLS, new byte[0], truncated.toString());
        assertThat(bad.exit()).isEqualTo(WasmProgram.EXIT_CANNOT_EXECUTE);
        assertThat(bad.stderr()).startsWith("wasm: " + truncated + " is not a valid WebAssembly module: ");
    }

    @Test
    void aMissingFileOrNoArgumentIsAClearError() throws Exception {
        Path absent = tmp.resolve("absent.wasm");
        assertThat(wasm(Mode.CALLS, new byte[0], absent.toString()))
                .isEqualTo(new Run(WasmProgram.EXIT_NOT_FOUND, "", "wasm: " + absent + ": no such file\n"));
        assertThat(wasm(Mode.CALLS, new byte[0], tmp.toString()).exit()).isEqualTo(WasmProgram.EXIT_CANNOT_EXECUTE);
        Run usage = wasm(Mode.CALLS, new byte[0]);
        assertThat(usage.exit()).isEqualTo(WasmProgram.EXIT_USAGE);
        assertThat(usage.stderr()).startsWith("wasm: usage: ");
    }

    @Test
    void importsWasiDoesNotProvideAreListed() throws Exception {
        Run r = wasm(Mode.CALLS, new byte[0], fixture("envimport"));
        assertThat(r.exit()).isEqualTo(WasmProgram.EXIT_CANNOT_EXECUTE);
        assertThat(r.stderr()).startsWith("wasm: " + fixture("envimport") + " imports what this runtime does not "
                + "provide").contains("env.host_add").contains("env.host_log").doesNotContain("fd_write")
                .endsWith("\n").hasLineCount(1);
        // a memory import is not provided either
        Path memImport = Files.write(tmp.resolve("memimport.wasm"), hex("""
                0061736d 01000000
                02 0f 01 03 656e76 06 6d656d6f7279 02 00 01
                """));
        assertThat(wasm(Mode.CALLS, new byte[0], memImport.toString()).stderr()).contains("env.memory (memory)");
    }

    @Test
    void aMemoryBeyondTwoGibOrNoStartFunctionIsRefused() throws Exception {
        Path huge = Files.write(tmp.resolve("huge.wasm"), hex("0061736d 01000000 05 05 01 00 c0b802"));
        Run r = wasm(Mode.CALLS, new byte[0], huge.toString());
        assertThat(r.exit()).isEqualTo(WasmProgram.EXIT_CANNOT_EXECUTE);
        assertThat(r.stderr()).contains("40000 pages").contains("2 GiB");
        Path library = Files.write(tmp.resolve("library.wasm"), hex("0061736d 01000000"));
        assertThat(wasm(Mode.CALLS, new byte[0], library.toString()).stderr()).contains("has no _start function");
    }

    // ------------------------------------------------------------------ the compile cache and the timings

    @Test
    void theSecondStartLoadsTheCompiledClassesFromTheCache() throws Exception {
        String cache = tmp.resolve("fresh-cache").toString();
        TestContext first = new TestContext(new HeapAddressSpace());
        assertThat(new WasmProgram(cache).main(first, new String[] {fixture("exitcode"), "4"})).isEqualTo(4);
        WasmProgram.Timings cold = WasmProgram.lastTimings();
        assertThat(cold.compileCached()).isFalse();
        assertThat(cold.parseNanos()).isPositive();
        assertThat(cold.compileNanos()).isPositive();
        assertThat(cold.instantiateNanos()).isPositive();
        assertThat(cold.runNanos()).isPositive();
        List<Path> entries = entries(Path.of(cache));
        assertThat(entries).hasSize(1);
        assertThat(entries.get(0).toString()).contains("chicory-" + CompileCache.CHICORY_VERSION).endsWith(".jar");
        assertThat(entries.get(0).getFileName().toString()).startsWith("sha-256-");

        TestContext second = new TestContext(new HeapAddressSpace());
        assertThat(new WasmProgram(cache).main(second, new String[] {fixture("exitcode"), "4"})).isEqualTo(4);
        WasmProgram.Timings warm = WasmProgram.lastTimings();
        assertThat(warm.compileCached()).as("loaded, not compiled").isTrue();
        assertThat(second.stdout()).isEqualTo(first.stdout());
        assertThat(second.stderr()).isEqualTo("exiting with 4\n");
        assertThat(entries(Path.of(cache))).isEqualTo(entries);
        System.out.println("exitcode.wasm cold " + cold + "; cached " + warm);
    }

    // ------------------------------------------------------------------ functions left to the interpreter

    @Test
    void theBundledProgramsCompileWithoutInterpreterFallbackAndKeepTheirFunctionNames() throws Exception {
        for (String name : List.of("wordcount", "kvstore", "sort", "ls")) {
            TestContext ctx = new TestContext(new HeapAddressSpace());
            // without a cache, so each start compiles; no argument: the program's usage error, at once
            assertThat(new WasmProgram(null).main(ctx, new String[] {program(name)})).as(ctx.stderr()).isEqualTo(2);
            assertThat(WasmProgram.lastTimings().compileCached()).isFalse();
            assertThat(WasmProgram.lastTimings().interpretedFunctions()).as(name + ": functions interpreted").isZero();
            assertThat(ctx.stderr()).doesNotContain("interpreter");
            // linked with --strip-debug, not --strip-all: a trap's backtrace can name the C functions
            var names = com.dylibso.chicory.wasm.Parser.parse(Files.readAllBytes(Path.of(program(name))))
                    .nameSection();
            assertThat(names).as(name + ": name section").isNotNull();
            assertThat(names.functionNameCount()).as(name).isGreaterThan(10);
        }
    }

    @Test
    void aFunctionTooLargeForTheJvmRunsInTheInterpreterCountedAndReportedOnce() throws Exception {
        // _start ("huge", in the name section): 30000 x (i32.const 1000000; drop), some 120 kB of JVM bytecode
        java.io.ByteArrayOutputStream body = new java.io.ByteArrayOutputStream();
        body.write(0x00); // no locals
        for (int i = 0; i < 30_000; i++) {
            body.writeBytes(hex("41 c0843d 1a"));
        }
        body.write(0x0b);
        java.io.ByteArrayOutputStream code = new java.io.ByteArrayOutputStream();
        code.write(0x01);
        leb(code, body.size());
        code.writeBytes(body.toByteArray());
        java.io.ByteArrayOutputStream module = new java.io.ByteArrayOutputStream();
        module.writeBytes(hex("0061736d 01000000  01 04 01 60 00 00  03 02 01 00  07 0a 01 06 5f7374617274 00 00"));
        module.write(0x0a);
        leb(module, code.size());
        module.writeBytes(code.toByteArray());
        module.writeBytes(hex("00 0e 04 6e616d65 01 07 01 00 04 68756765"));
        Path file = Files.write(tmp.resolve("huge-function.wasm"), module.toByteArray());
        String cache = tmp.resolve("fallback-cache").toString();

        TestContext first = new TestContext(new HeapAddressSpace());
        assertThat(new WasmProgram(cache).main(first, new String[] {file.toString()})).as(first.stderr()).isZero();
        assertThat(WasmProgram.lastTimings().interpretedFunctions()).isOne();
        assertThat(WasmProgram.lastTimings().toString()).contains("(1 functions interpreted)");
        assertThat(first.stderr()).isEqualTo("wasm: " + file + ": 1 function too large for a JVM method run in "
                + "Chicory's interpreter (slower): func[0] huge\n");

        // cached with its interpreted function: loads and runs; not known (nor said) again
        TestContext second = new TestContext(new HeapAddressSpace());
        assertThat(new WasmProgram(cache).main(second, new String[] {file.toString()})).as(second.stderr()).isZero();
        assertThat(WasmProgram.lastTimings().compileCached()).isTrue();
        assertThat(WasmProgram.lastTimings().interpretedFunctions()).isEqualTo(-1);
        assertThat(second.stderr()).isEmpty();
    }

    private static void leb(java.io.ByteArrayOutputStream out, int value) {
        do {
            int b = value & 0x7f;
            value >>>= 7;
            out.write(value == 0 ? b : b | 0x80);
        } while (value != 0);
    }

    private static List<Path> entries(Path cache) throws IOException {
        try (Stream<Path> s = Files.walk(cache)) {
            return s.filter(Files::isRegularFile).sorted().toList();
        }
    }

    @Test
    void anUnusableCacheIsReportedOnceAndTheProgramStillRuns() throws Exception {
        Path notADirectory = Files.writeString(tmp.resolve("plain-file"), "x");
        TestContext ctx = new TestContext(new HeapAddressSpace());
        int exit = new WasmProgram(notADirectory.resolve("cache").toString()).main(ctx,
                new String[] {fixture("exitcode"), "6"});
        assertThat(exit).isEqualTo(6);
        assertThat(ctx.stderr()).startsWith("wasm: compile cache unavailable (").endsWith("exiting with 6\n");
        assertThat(ctx.stderr().lines().filter(l -> l.contains("compile cache")).count()).isOne();
        assertThat(WasmProgram.lastTimings().compileCached()).isFalse();
    }

    @Test
    void aDamagedCacheEntryIsReplacedByAFreshCompilation() throws Exception {
        String cache = tmp.resolve("damaged-cache").toString();
        assertThat(new WasmProgram(cache).main(new TestContext(new HeapAddressSpace()),
                new String[] {fixture("exitcode"), "1"})).isEqualTo(1);
        Path entry = entries(Path.of(cache)).get(0);
        byte[] good = Files.readAllBytes(entry);
        Files.write(entry, "not a jar".getBytes(StandardCharsets.US_ASCII));

        TestContext ctx = new TestContext(new HeapAddressSpace());
        assertThat(new WasmProgram(cache).main(ctx, new String[] {fixture("exitcode"), "1"})).isEqualTo(1);
        assertThat(ctx.stderr()).startsWith("wasm: ignoring the damaged compile cache entry " + entry);
        assertThat(WasmProgram.lastTimings().compileCached()).isFalse();
        // republished whole: the same classes (not the same bytes: Chicory's entry holds a properties file with the
        // time of its writing, so its compressed size varies by a byte or two)
        assertThat(zipEntries(Files.readAllBytes(entry))).as("republished").isEqualTo(zipEntries(good)).isNotEmpty();

        assertThat(new WasmProgram(cache).main(new TestContext(new HeapAddressSpace()),
                new String[] {fixture("exitcode"), "1"})).isEqualTo(1);
        assertThat(WasmProgram.lastTimings().compileCached()).isTrue();
    }

    @Test
    void withoutACacheDirectoryEveryStartCompiles() {
        TestContext ctx = new TestContext(new HeapAddressSpace());
        assertThat(new WasmProgram(null).main(ctx, new String[] {fixture("exitcode"), "0"})).isZero();
        assertThat(WasmProgram.lastTimings().compileCached()).isFalse();
        assertThat(ctx.stderr()).isEqualTo("exiting with 0\n");
    }

    @Test
    void librariesNameOneClassOfEachRuntimeJar() {
        List<Class<?>> libraries = WasmProgram.libraries();
        assertThat(libraries.stream().map(c -> c.getProtectionDomain().getCodeSource().getLocation().toString())
                .distinct()).as("one class per jar").hasSize(libraries.size());
        assertThat(libraries).contains(com.dylibso.chicory.compiler.MachineFactoryCompiler.class,
                com.dylibso.chicory.wasi.WasiPreview1.class, org.objectweb.asm.ClassWriter.class);
    }

    /** The names of the entries of zip (jar) {@code data}, in order; throws if it is not one. */
    private static List<String> zipEntries(byte[] data) throws java.io.IOException {
        List<String> names = new java.util.ArrayList<>();
        try (var in = new java.util.zip.ZipInputStream(new java.io.ByteArrayInputStream(data))) {
            for (var e = in.getNextEntry(); e != null; e = in.getNextEntry()) {
                names.add(e.getName());
                in.readAllBytes(); // checks the entry's data and CRC
            }
        }
        return names;
    }

    /** Bytes from hex digits, whitespace ignored. */
    private static byte[] hex(String digits) {
        return HexFormat.of().parseHex(digits.replaceAll("\\s+", ""));
    }
}
