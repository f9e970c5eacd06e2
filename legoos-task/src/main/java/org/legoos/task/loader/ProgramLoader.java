package org.legoos.task.loader;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.file.FileSystem;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.util.HashMap;
import java.util.Map;
import java.util.jar.Attributes;
import java.util.jar.JarEntry;
import java.util.jar.JarInputStream;
import org.legoos.api.LegoProgram;

/**
 * Finds the program a process runs, like the loader of an ELF binary: either a bundled program by short
 * name (the examples), or a jar stored in the vNode's file system, named {@code /path/app.jar} (main class from
 * the manifest's {@code Lego-Program} or {@code Main-Class}) or {@code /path/app.jar!com.example.Main}, or a file
 * a bundled runner interprets, as a {@code #!} line names an interpreter: {@code /path/prog.wasm} runs with the
 * bundled program {@value #WASM_RUNNER}, the path its first argument. Each jar-loaded process gets its own class
 * loader, whose parent shares only the LegoOS/J API with the monitor.
 *
 * <p>Thread-safe.
 */
public final class ProgramLoader {
    /** The bundled program that runs {@code .wasm} files (WebAssembly/WASI binaries), when there is one. */
    public static final String WASM_RUNNER = "wasm";

    private final Map<String, Class<? extends LegoProgram>> bundled;
    private final Map<Class<?>, java.util.List<Class<?>>> libraries;

    public ProgramLoader(Map<String, Class<? extends LegoProgram>> bundled) {
        this(bundled, Map.of());
    }

    /**
     * @param libraries for a bundled program, a class of each library it needs beyond the LegoOS/J API (each class
     *     stands for its jar and top package), which a process in its own JVM gets on its class path
     */
    public ProgramLoader(Map<String, Class<? extends LegoProgram>> bundled, Map<Class<?>, java.util.List<Class<?>>> libraries) {
        this.bundled = Map.copyOf(bundled);
        this.libraries = Map.copyOf(libraries);
    }

    /** The libraries {@code program}'s class needs beyond the API (see the constructor); empty for most. */
    public java.util.List<Class<?>> libraries(Class<?> program) {
        return libraries.getOrDefault(program, java.util.List.of());
    }

    /**
     * The name of the bundled program that runs {@code program}: the runner of a file it interprets
     * ({@value #WASM_RUNNER} for {@code /path/prog.wasm}), else {@code program} itself.
     */
    public static String bundledName(String program) {
        return program.endsWith(".wasm") && program.indexOf('/') >= 0 ? WASM_RUNNER : program;
    }

    /** Whether {@code program} is a file a bundled runner interprets (its path then goes first in the arguments). */
    public static boolean runsWithRunner(String program) {
        return !bundledName(program).equals(program);
    }

    /** Short names of the bundled programs. */
    public java.util.Set<String> bundledNames() {
        return new java.util.TreeSet<>(bundled.keySet());
    }

    /**
     * The class of bundled program {@code name}, or of the runner of a file it names ({@link #bundledName}), or null
     * if there is none.
     */
    public Class<? extends LegoProgram> bundledClass(String name) {
        return bundled.get(bundledName(name));
    }

    /**
     * The jar path of a program that is not bundled: {@code /path/app.jar} or {@code /path/app.jar!com.example.Main}.
     *
     * @throws NoSuchFileException if it does not name a jar
     */
    public static String jarPath(String program, java.util.Set<String> bundledNames) throws NoSuchFileException {
        int bang = program.indexOf('!');
        String jarPath = bang > 0 ? program.substring(0, bang) : program;
        if (!jarPath.endsWith(".jar")) {
            throw new NoSuchFileException(program, null, "no bundled program of that name (bundled: " + bundledNames
                    + ") and not a .jar path");
        }
        return jarPath;
    }

    /**
     * Loads and instantiates a program.
     *
     * @throws NoSuchFileException if neither a bundled program nor a jar of that name exists
     * @throws IllegalArgumentException if the jar has no usable main class
     */
    public LegoProgram load(String program, FileSystem vnodeFs) throws IOException {
        Class<? extends LegoProgram> type = bundledClass(program);
        if (type == null && runsWithRunner(program)) {
            throw new NoSuchFileException(program, null, "no runner for it here (bundled: " + bundledNames() + ")");
        }
        if (type == null) {
            type = loadFromJar(program, vnodeFs);
        }
        LegoProgram p;
        try {
            p = type.getDeclaredConstructor().newInstance();
        } catch (ReflectiveOperationException e) {
            throw new IllegalArgumentException("cannot instantiate " + type.getName() + ": it needs a public no-argument constructor", e);
        }
        if (!runsWithRunner(program)) {
            return p;
        }
        return (ctx, args) -> {
            String[] withPath = new String[args.length + 1];
            withPath[0] = program;
            System.arraycopy(args, 0, withPath, 1, args.length);
            return p.main(ctx, withPath);
        };
    }

    private Class<? extends LegoProgram> loadFromJar(String program, FileSystem fs) throws IOException {
        String jarPath = jarPath(program, bundledNames());
        String mainClass = null;
        int bang = program.indexOf('!');
        if (bang > 0) {
            mainClass = program.substring(bang + 1);
        }
        byte[] jar = Files.readAllBytes(fs.getPath(jarPath));
        Map<String, byte[]> classes = new HashMap<>();
        try (JarInputStream in = new JarInputStream(new ByteArrayInputStream(jar))) {
            if (mainClass == null && in.getManifest() != null) {
                Attributes a = in.getManifest().getMainAttributes();
                mainClass = a.getValue("Lego-Program") != null ? a.getValue("Lego-Program") : a.getValue(Attributes.Name.MAIN_CLASS);
            }
            JarEntry e;
            while ((e = in.getNextJarEntry()) != null) {
                if (e.getName().endsWith(".class")) {
                    String name = e.getName().substring(0, e.getName().length() - 6).replace('/', '.');
                    classes.put(name, in.readAllBytes());
                }
            }
        }
        if (mainClass == null) {
            throw new IllegalArgumentException(jarPath + " names no program class: add Lego-Program or Main-Class to its manifest, or run "
                    + jarPath + "!<class>");
        }
        ClassLoader loader = new JarBytesClassLoader(jarPath, classes, LegoProgram.class.getClassLoader());
        try {
            Class<?> c = Class.forName(mainClass, true, loader);
            if (!LegoProgram.class.isAssignableFrom(c)) {
                throw new IllegalArgumentException(mainClass + " in " + jarPath + " does not implement " + LegoProgram.class.getName());
            }
            return c.asSubclass(LegoProgram.class);
        } catch (ClassNotFoundException | LinkageError e) {
            throw new IllegalArgumentException("cannot load " + mainClass + " from " + jarPath + ": " + e, e);
        }
    }

    /** Defines classes from a jar's bytes; one per process. */
    private static final class JarBytesClassLoader extends ClassLoader {
        private final Map<String, byte[]> classes;

        JarBytesClassLoader(String name, Map<String, byte[]> classes, ClassLoader parent) {
            super(name, parent);
            this.classes = classes;
        }

        @Override
        protected Class<?> findClass(String name) throws ClassNotFoundException {
            byte[] b = classes.get(name);
            if (b == null) {
                throw new ClassNotFoundException(name);
            }
            return defineClass(name, b, 0, b.length);
        }
    }
}
