package org.legoos.systemtest;

import java.io.IOException;
import java.io.OutputStream;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.jar.Attributes;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;
import java.util.stream.Stream;
import org.legoos.api.LegoProgram;

/**
 * Packs a user program into a jar that a processor component's loader runs from a vNode's file system: every class
 * of the program's package (compiled with these tests, so the compiler checks it against the API), and a manifest
 * whose {@code Lego-Program} names the main class.
 *
 * <p>Stateless; thread-safe.
 */
final class ProgramJar {
    private ProgramJar() {
    }

    /** Writes the jar of {@code program} (and its package's other classes) to {@code jar}; returns {@code jar}. */
    static Path write(Class<? extends LegoProgram> program, Path jar) throws IOException {
        Path classes;
        try {
            classes = Path.of(program.getProtectionDomain().getCodeSource().getLocation().toURI());
        } catch (URISyntaxException e) {
            throw new IOException("cannot locate the classes of " + program.getName(), e);
        }
        String dir = program.getPackageName().replace('.', '/');
        Manifest mf = new Manifest();
        mf.getMainAttributes().put(Attributes.Name.MANIFEST_VERSION, "1.0");
        mf.getMainAttributes().putValue("Lego-Program", program.getName());
        List<Path> files;
        try (Stream<Path> s = Files.list(classes.resolve(dir))) {
            files = s.filter(f -> f.toString().endsWith(".class")).sorted().toList();
        }
        try (OutputStream out = Files.newOutputStream(jar); JarOutputStream j = new JarOutputStream(out, mf)) {
            for (Path f : files) {
                j.putNextEntry(new JarEntry(dir + "/" + f.getFileName()));
                j.write(Files.readAllBytes(f));
                j.closeEntry();
            }
        }
        return jar;
    }
}
