package org.legoos.wasm;

import com.dylibso.chicory.compiler.InterpreterFallback;
import com.dylibso.chicory.compiler.MachineFactoryCompiler;
import com.dylibso.chicory.runtime.ChicoryInterruptedException;
import com.dylibso.chicory.runtime.ExecutionCompletedException;
import com.dylibso.chicory.runtime.HostFunction;
import com.dylibso.chicory.runtime.ImportValues;
import com.dylibso.chicory.runtime.Instance;
import com.dylibso.chicory.runtime.Machine;
import com.dylibso.chicory.runtime.Memory;
import com.dylibso.chicory.wasi.WasiExitException;
import com.dylibso.chicory.wasi.WasiOptions;
import com.dylibso.chicory.wasi.WasiPreview1;
import com.dylibso.chicory.wasm.ChicoryException;
import com.dylibso.chicory.wasm.Parser;
import com.dylibso.chicory.wasm.WasmModule;
import com.dylibso.chicory.wasm.types.Export;
import com.dylibso.chicory.wasm.types.ExportSection;
import com.dylibso.chicory.wasm.types.ExternalType;
import com.dylibso.chicory.wasm.types.Import;
import com.dylibso.chicory.wasm.types.ImportSection;
import com.dylibso.chicory.wasm.types.MemoryLimits;
import com.dylibso.chicory.wasm.types.MemorySection;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileSystem;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.function.Function;
import org.legoos.api.LegoContext;
import org.legoos.api.LegoProgram;
import org.legoos.api.NoMemoryException;
import org.legoos.api.QuotaExceededException;

/**
 * A LegoOS/J program that runs an unmodified {@code wasm32-wasi} binary (WASI preview 1, a "command" with a
 * {@code _start} export): the portable equivalent of LegoOS running an unmodified Linux ELF binary.
 *
 * <p>Usage: {@code WasmProgram FILE.wasm [ARG...]}. {@code FILE.wasm} is read from the vNode's file system (relative to
 * the process's current directory); the program sees {@code argv = [FILE.wasm as given, ARG...]}, an empty
 * environment, the process's stdin, stdout and stderr, and the vNode's whole file system as its root directory
 * {@code /}. Like every wasi-libc program it starts in the directory {@code /} (WASI preview 1 has no way to give it
 * another), so relative paths in its arguments are relative to the vNode's root.
 *
 * <p>Its linear memory is an {@link AddressSpaceMemory}: every byte lives in the process's disaggregated address space.
 * The module is compiled to JVM bytecode by Chicory's compiler; the classes are cached in the vNode's file system under
 * {@value #CACHE_DIR} (see {@link CompileCache}) so later starts of the same binary skip the compilation. A cache that
 * cannot be used is reported once on stderr and otherwise ignored.
 *
 * <p>Exit codes: the program's own ({@code exit(n)}, or 0 when {@code _start} returns); {@link #EXIT_TRAP} (134,
 * as a shell reports SIGABRT) for a wasm trap, with {@code wasm trap: <message>} and the wasm backtrace on stderr;
 * {@link #EXIT_NOT_FOUND} (127) for a missing file; {@link #EXIT_CANNOT_EXECUTE} (126) for a file that is not a
 * runnable module (not wasm, invalid, imports WASI preview 1 does not provide, memory beyond 2 GiB, no
 * {@code _start}); {@link #EXIT_USAGE} (2) without arguments; 1 when the initial memory cannot be mapped. Each error is
 * one clear line on stderr, never a Java stack trace. The address space's own failures
 * ({@link org.legoos.api.SegmentationFault}, {@link org.legoos.api.ComponentUnavailableException}, the
 * {@link InternalError} of a poisoned page) are not wasm traps: they propagate unchanged to the process monitor, and
 * so does a kill (the interruption Chicory's compiled loops check for).
 *
 * <p>Start-up is timed (parse, compile or cache load, instantiate, run): {@link #lastTimings()} returns the last run's,
 * and with the system property {@value #TIMINGS_PROPERTY}{@code =true} one line goes to stderr after each run.
 *
 * <p>Thread-safety: each {@link #main} call is independent (one per process); {@link #lastTimings()} may be read from
 * any thread.
 */
public final class WasmProgram implements LegoProgram {
    /** Exit code of a wasm trap (an abort: 128 + SIGABRT). */
    public static final int EXIT_TRAP = 134;
    /** Exit code when the wasm file does not exist (a shell's "command not found"). */
    public static final int EXIT_NOT_FOUND = 127;
    /** Exit code when the file exists but is not a module this runtime can run (a shell's "cannot execute"). */
    public static final int EXIT_CANNOT_EXECUTE = 126;
    /** Exit code for a usage error (no file given). */
    public static final int EXIT_USAGE = 2;
    /** Where the compiled modules are cached in the vNode's file system. */
    public static final String CACHE_DIR = "/.cache/wasm";
    /** System property: {@code true} prints the start-up timings of every run on stderr. */
    public static final String TIMINGS_PROPERTY = "legoos.wasm.timings";

    private static final byte[] MAGIC = {0x00, 0x61, 0x73, 0x6D};
    private static final String WASI_MODULE = "wasi_snapshot_preview1";

    private static volatile Timings lastTimings;

    /** The cache directory in the vNode's file system, or null for no cache. */
    private final String cacheDir;

    /** A program that caches compiled modules under {@link #CACHE_DIR}. */
    public WasmProgram() {
        this(CACHE_DIR);
    }

    /**
     * A program that caches compiled modules under {@code cacheDir} of the vNode's file system, or never if it is null.
     */
    public WasmProgram(String cacheDir) {
        this.cacheDir = cacheDir;
    }

    /**
     * How long the phases of a run took, in nanoseconds: parsing the binary, compiling it to JVM classes (or loading
     * them from the cache, {@code compileCached}), instantiating it (memory mapping, data segments, linking), and
     * running {@code _start}. A phase that did not happen (the run stopped before it) is -1.
     *
     * <p>{@code interpretedFunctions}: how many functions the compilation left to Chicory's interpreter because their
     * JVM bytecode would exceed a method's 64 KiB (they run, only slower; the run says so once on its stderr); -1 when
     * not known (no compilation: the run stopped before it, or the classes came from the cache).
     */
    public record Timings(long parseNanos, long compileNanos, boolean compileCached, int interpretedFunctions,
                          long instantiateNanos, long runNanos) {
        @Override
        public String toString() {
            return "parse " + ms(parseNanos) + ", " + (compileCached ? "cache load " : "compile ") + ms(compileNanos)
                    + (interpretedFunctions > 0 ? " (" + interpretedFunctions + " functions interpreted)" : "")
                    + ", instantiate " + ms(instantiateNanos) + ", run " + ms(runNanos);
        }

        private static String ms(long nanos) {
            return nanos < 0 ? "-" : String.format(Locale.ROOT, "%.1f ms", nanos / 1e6);
        }
    }

    /**
     * A class from each library this program needs at run time beyond the LegoOS/J API, for a launcher that builds a
     * class path from code sources (a process-mode task JVM): Chicory's parser ({@code wasm}), runtime, WASI, compiler
     * and logger, and the ASM jars its compiler generates bytecode with (and verifies it with, after a VerifyError).
     */
    public static List<Class<?>> libraries() {
        return List.of(WasmModule.class, Instance.class, WasiPreview1.class, MachineFactoryCompiler.class,
                com.dylibso.chicory.log.Logger.class, org.objectweb.asm.ClassWriter.class,
                org.objectweb.asm.commons.InstructionAdapter.class, org.objectweb.asm.util.CheckClassAdapter.class,
                org.objectweb.asm.tree.ClassNode.class, org.objectweb.asm.tree.analysis.Analyzer.class);
    }

    /** The timings of the last run (by any process of this JVM) that got past reading its file, or null. */
    public static Timings lastTimings() {
        return lastTimings;
    }

    /** A run that ends with a message on stderr and an exit code. */
    private static final class Failure extends Exception {
        private static final long serialVersionUID = 1L;
        final int exitCode;

        Failure(int exitCode, String message) {
            super(message, null, false, false);
            this.exitCode = exitCode;
        }
    }

    @Override
    public int main(LegoContext ctx, String[] args) {
        PrintStream err = ctx.err();
        try {
            if (args.length == 0 || args[0].isEmpty()) {
                throw new Failure(EXIT_USAGE, "usage: WasmProgram FILE.wasm [ARG...]");
            }
            return run(ctx, args);
        } catch (Failure f) {
            err.println("wasm: " + f.getMessage());
            return f.exitCode;
        } finally {
            ctx.out().flush();
            err.flush();
        }
    }

    private int run(LegoContext ctx, String[] args) throws Failure {
        String file = args[0];
        FileSystem fs = ctx.fileSystem();
        byte[] bytes = read(fs, file);
        checkHeader(bytes, file);

        long t0 = System.nanoTime();
        WasmModule module;
        try {
            module = Parser.parse(bytes);
        } catch (ChicoryException e) {
            throw new Failure(EXIT_CANNOT_EXECUTE, file + " is not a valid WebAssembly module: " + e.getMessage());
        }
        long parse = System.nanoTime() - t0;
        record(new Timings(parse, -1, false, -1, -1, -1));

        WasiOptions options = WasiOptions.builder()
                .withArguments(List.of(args))
                .withStdin(ctx.in(), false)
                .withStdout(ctx.out(), false)
                .withStderr(ctx.err(), false)
                .withDirectory("/", fs.getPath("/"))
                .build();
        try (WasiPreview1 wasi = WasiPreview1.builder().withOptions(options).build()) {
            HostFunction[] host = wasi.toHostFunctions();
            checkModule(module, file, host);

            t0 = System.nanoTime();
            CompileCache cache = openCache(fs, ctx.err());
            Compiled compiled = compile(module, file, cache);
            Function<Instance, Machine> machine = compiled.machine();
            long compile = System.nanoTime() - t0;
            boolean cached = cache != null && cache.lastLookupHit(); // loaded, not compiled
            int interpreted = cached ? -1 : compiled.interpreted().size();
            record(new Timings(parse, compile, cached, interpreted, -1, -1));
            if (interpreted > 0) {
                ctx.err().println("wasm: " + file + ": " + interpreted + " function" + (interpreted == 1 ? "" : "s")
                        + " too large for a JVM method run in Chicory's interpreter (slower): "
                        + describe(compiled.interpreted(), module));
            }

            List<AddressSpaceMemory> memories = new ArrayList<>();
            Throwable failure = null;
            try {
                t0 = System.nanoTime();
                Instance instance = instantiate(ctx, module, file, host, machine, memories);
                long instantiate = System.nanoTime() - t0;
                record(new Timings(parse, compile, cached, interpreted, instantiate, -1));

                t0 = System.nanoTime();
                int code;
                try {
                    code = start(instance, module, ctx.err());
                } finally {
                    Timings done = new Timings(parse, compile, cached, interpreted, instantiate,
                            System.nanoTime() - t0);
                    record(done);
                    if (Boolean.getBoolean(TIMINGS_PROPERTY)) {
                        ctx.err().println("wasm: " + file + ": " + done);
                    }
                }
                return code;
            } catch (Throwable t) {
                failure = t;
                throw t;
            } finally {
                unmap(memories, failure);
            }
        }
    }

    /**
     * Unmaps the memories (the process's exit would too, but a runner may outlive its program). A failure to unmap
     * never hides the error that ended the run: it is added to it as suppressed, the error itself goes on unchanged.
     */
    private static void unmap(List<AddressSpaceMemory> memories, Throwable failure) {
        for (AddressSpaceMemory m : memories) {
            try {
                m.close();
            } catch (RuntimeException e) {
                if (failure == null) {
                    throw e;
                }
                failure.addSuppressed(e);
            }
        }
    }

    private static void record(Timings t) {
        lastTimings = t;
    }

    private static byte[] read(FileSystem fs, String file) throws Failure {
        try {
            return Files.readAllBytes(fs.getPath(file));
        } catch (InvalidPathException e) {
            throw new Failure(EXIT_NOT_FOUND, file + ": not a valid path (" + e.getReason() + ")");
        } catch (NoSuchFileException e) {
            throw new Failure(EXIT_NOT_FOUND, file + ": no such file");
        } catch (AccessDeniedException e) {
            throw new Failure(EXIT_CANNOT_EXECUTE, file + ": permission denied");
        } catch (IOException e) {
            String why = e.getMessage();
            throw new Failure(EXIT_CANNOT_EXECUTE, "cannot read " + file + ": " + (why == null ? e.toString() : why));
        }
    }

    /** The binary starts with {@code \0asm} and version 1 (a core module, not a component). */
    private static void checkHeader(byte[] bytes, String file) throws Failure {
        if (bytes.length < 8 || !Arrays.equals(bytes, 0, 4, MAGIC, 0, 4)) {
            throw new Failure(EXIT_CANNOT_EXECUTE, file + " is not a WebAssembly module");
        }
        int version = (bytes[4] & 0xFF) | (bytes[5] & 0xFF) << 8;
        int layer = (bytes[6] & 0xFF) | (bytes[7] & 0xFF) << 8;
        if (layer == 1) {
            throw new Failure(EXIT_CANNOT_EXECUTE, file + " is a WebAssembly component, not a core module: only "
                    + "core wasm32-wasi (preview 1) modules run here");
        }
        if (version != 1 || layer != 0) {
            throw new Failure(EXIT_CANNOT_EXECUTE, file + " is a WebAssembly module of binary version "
                    + ((long) version | (long) layer << 16) + "; this runtime runs version 1");
        }
    }

    /** Imports all provided by WASI preview 1, memories within 2 GiB and unshared, and a {@code _start} to call. */
    private static void checkModule(WasmModule module, String file, HostFunction[] host) throws Failure {
        Set<String> provided = new HashSet<>();
        for (HostFunction f : host) {
            provided.add(f.module() + "." + f.name());
        }
        List<String> missing = new ArrayList<>();
        ImportSection imports = module.importSection();
        for (int i = 0; i < imports.importCount(); i++) {
            Import imp = imports.getImport(i);
            String name = imp.module() + "." + imp.name();
            if (imp.importType() != ExternalType.FUNCTION) {
                missing.add(name + " (" + imp.importType().name().toLowerCase(Locale.ROOT) + ")");
            } else if (!provided.contains(name)) {
                missing.add(name);
            }
        }
        if (!missing.isEmpty()) {
            throw new Failure(EXIT_CANNOT_EXECUTE, file + " imports what this runtime does not provide (only the "
                    + WASI_MODULE + " functions of WASI preview 1): " + String.join(", ", missing));
        }
        if (module.memorySection().isPresent()) {
            MemorySection memories = module.memorySection().get();
            for (int i = 0; i < memories.memoryCount(); i++) {
                MemoryLimits limits = memories.getMemory(i).limits();
                if (limits.initialPages() > Memory.RUNTIME_MAX_PAGES) {
                    throw new Failure(EXIT_CANNOT_EXECUTE, file + ": " + AddressSpaceMemory.tooLarge(
                            limits.initialPages()));
                }
                if (limits.shared()) {
                    throw new Failure(EXIT_CANNOT_EXECUTE, file + " needs a shared memory (wasm threads), which WASI "
                            + "preview 1 here does not support");
                }
            }
        }
        ExportSection exports = module.exportSection();
        for (int i = 0; i < exports.exportCount(); i++) {
            Export e = exports.getExport(i);
            if (e.name().equals(Instance.START_FUNCTION_NAME) && e.exportType() == ExternalType.FUNCTION) {
                return;
            }
        }
        throw new Failure(EXIT_CANNOT_EXECUTE, file + " has no " + Instance.START_FUNCTION_NAME + " function: not a "
                + "WASI command (a library or reactor module cannot run as a program)");
    }

    private CompileCache openCache(FileSystem fs, PrintStream err) {
        if (cacheDir == null) {
            return null;
        }
        try {
            return new CompileCache(fs.getPath(cacheDir), err);
        } catch (IllegalStateException | InvalidPathException e) {
            err.println("wasm: compile cache unavailable (" + e.getMessage() + "); running without it");
            return null;
        }
    }

    /**
     * The compiled module and the functions (indices) left to the interpreter: empty when the classes came from the
     * cache (not known then).
     */
    private record Compiled(Function<Instance, Machine> machine, Set<Integer> interpreted) {
    }

    /** Compiles the module to JVM classes, loading them from the cache when it has them. */
    private static Compiled compile(WasmModule module, String file, CompileCache cache) throws Failure {
        try {
            try {
                return compileCounting(module, cache);
            } catch (RuntimeException | LinkageError e) {
                if (cache == null || !cache.lastLookupHit()) {
                    throw e;
                }
                cache.discard(e); // a damaged entry: compile afresh (and publish the good classes)
                return compileCounting(module, cache);
            }
        } catch (ChicoryException e) {
            throw new Failure(EXIT_CANNOT_EXECUTE, "cannot compile " + file + ": " + e.getMessage());
        }
    }

    /**
     * Compiles with Chicory's {@link InterpreterFallback#FAIL}, so that a function too large for one JVM method is
     * reported here, not silently (or on the JVM's own stderr, not the process's, as {@code WARN} would): each such
     * function is added to the set Chicory interprets and the module compiled again, until it compiles. (A rare
     * case: each one costs a compilation.)
     */
    private static Compiled compileCounting(WasmModule module, CompileCache cache) {
        Set<Integer> interpreted = new java.util.TreeSet<>();
        while (true) {
            try {
                return new Compiled(compiler(module, cache, interpreted).compile(), interpreted);
            } catch (ChicoryException e) {
                int f = tooLarge(e);
                if (f < 0 || !interpreted.add(f)) {
                    throw e;
                }
            }
        }
    }

    /** The index of the wasm function whose JVM method was too large, if that is what {@code e} reports; else -1. */
    static int tooLarge(Throwable e) {
        for (Throwable c = e; c != null; c = c.getCause() == c ? null : c.getCause()) {
            if (c instanceof org.objectweb.asm.MethodTooLargeException m) {
                String name = m.getMethodName();
                if (name != null && name.startsWith("func_")) {
                    try {
                        return Integer.parseInt(name, "func_".length(), name.length(), 10);
                    } catch (NumberFormatException notOurs) {
                        return -1;
                    }
                }
            }
        }
        return -1;
    }

    private static MachineFactoryCompiler.Builder compiler(WasmModule module, CompileCache cache,
                                                           Set<Integer> interpreted) {
        MachineFactoryCompiler.Builder b = MachineFactoryCompiler.builder(module)
                .withInterpreterFallback(InterpreterFallback.FAIL);
        if (!interpreted.isEmpty()) {
            b = b.withInterpretedFunctions(interpreted);
        }
        return cache == null ? b : b.withCache(cache);
    }

    /** {@code func[i] name, ...} of the functions (names from the name section, if any). */
    private static String describe(Set<Integer> functions, WasmModule module) {
        List<String> parts = new ArrayList<>();
        for (int f : functions) {
            String name = module.nameSection() == null ? null : module.nameSection().nameOfFunction(f);
            parts.add("func[" + f + "]" + (name == null ? "" : " " + name));
        }
        return String.join(", ", parts);
    }

    /** Links WASI, maps the memories in the address space and copies the data segments in; does not start. */
    private static Instance instantiate(LegoContext ctx, WasmModule module, String file, HostFunction[] host,
                                        Function<Instance, Machine> machine, List<AddressSpaceMemory> memories)
            throws Failure {
        try {
            return Instance.builder(module)
                    .withImportValues(ImportValues.builder().addFunction(host).build())
                    .withMemoryFactory(limits -> {
                        AddressSpaceMemory m = new AddressSpaceMemory(ctx.memory(), limits);
                        memories.add(m);
                        return m;
                    })
                    .withMachineFactory(machine)
                    .withStart(false)
                    .build();
        } catch (NoMemoryException | QuotaExceededException e) {
            throw new Failure(1, "cannot map the linear memory of " + file + " in the address space: "
                    + e.getMessage());
        } catch (ChicoryException e) {
            throw new Failure(EXIT_CANNOT_EXECUTE, "cannot instantiate " + file + ": " + e.getMessage());
        }
    }

    /** Runs {@code _start}: its exit code, or {@link #EXIT_TRAP} after reporting a trap. */
    private static int start(Instance instance, WasmModule module, PrintStream err) {
        try {
            instance.export(Instance.START_FUNCTION_NAME).apply();
            return 0;
        } catch (WasiExitException e) {
            return e.exitCode();
        } catch (ExecutionCompletedException e) {
            return 0; // proc_exit(0) when exit 0 does not throw
        } catch (ChicoryInterruptedException e) {
            Thread.currentThread().interrupt(); // killed: the process monitor reports it
            throw e;
        } catch (ChicoryException e) {
            trap(e, e.getMessage(), module, err);
            return EXIT_TRAP;
        } catch (StackOverflowError e) {
            trap(e, "call stack exhausted", module, err);
            return EXIT_TRAP;
        }
    }

    private static void trap(Throwable e, String message, WasmModule module, PrintStream err) {
        err.println("wasm trap: " + (message == null ? e.getClass().getSimpleName() : message));
        List<String> lines = WasmBacktrace.format(e, module.nameSection());
        if (!lines.isEmpty()) {
            err.println("wasm backtrace:");
            for (String line : lines) {
                err.println(line);
            }
        }
    }
}
