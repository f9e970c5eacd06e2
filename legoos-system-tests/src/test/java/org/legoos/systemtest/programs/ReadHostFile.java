package org.legoos.systemtest.programs;

import java.io.FileInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.legoos.api.LegoContext;
import org.legoos.api.LegoProgram;

/**
 * A hostile program of the isolation suite: {@code ReadHostFile PATH} tries to read the host file {@code PATH} (e.g.
 * {@code /etc/hostname}) with NIO and with {@code java.io}, and to list its directory. Prints one line per attempt,
 * {@code denied: ...} or {@code READ ...}. Exit code {@value #ALL_DENIED} if every attempt was denied, 0 if any
 * succeeded (a sandbox breach), 2 for bad arguments.
 */
public final class ReadHostFile implements LegoProgram {
    public static final int ALL_DENIED = 42;

    @Override
    public int main(LegoContext ctx, String[] args) {
        if (args.length != 1) {
            ctx.err().println("usage: ReadHostFile PATH");
            return 2;
        }
        Path file = Path.of(args[0]);
        int succeeded = 0;
        try {
            byte[] b = Files.readAllBytes(file);
            ctx.out().println("READ " + b.length + " bytes of " + file + " with nio: " + new String(b).strip());
            succeeded++;
        } catch (IOException | SecurityException e) {
            ctx.out().println("denied: nio read of " + file + ": " + e);
        }
        try (InputStream in = new FileInputStream(file.toFile())) {
            ctx.out().println("READ " + in.readAllBytes().length + " bytes of " + file + " with java.io");
            succeeded++;
        } catch (IOException | SecurityException e) {
            ctx.out().println("denied: java.io read of " + file + ": " + e);
        }
        Path dir = file.toAbsolutePath().getParent();
        try (Stream<Path> s = Files.list(dir)) {
            ctx.out().println("READ directory " + dir + ": " + s.count() + " entries");
            succeeded++;
        } catch (IOException | SecurityException e) {
            ctx.out().println("denied: listing " + dir + ": " + e);
        }
        return succeeded == 0 ? ALL_DENIED : 0;
    }
}
