package org.legoos.systemtest.programs;

import java.io.File;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.legoos.api.LegoContext;
import org.legoos.api.LegoProgram;

/**
 * A hostile program of the isolation suite: {@code WriteHostFile PATH} tries to create the host file {@code PATH} with
 * NIO and with {@code java.io}, and a temp file in its JVM's {@code java.io.tmpdir}. Prints one line per attempt,
 * {@code denied: ...} or {@code WROTE ...}. Exit code {@value #ALL_DENIED} if every attempt was denied, 0 if any
 * succeeded (a sandbox breach), 2 for bad arguments.
 */
public final class WriteHostFile implements LegoProgram {
    public static final int ALL_DENIED = 43;

    @Override
    public int main(LegoContext ctx, String[] args) {
        if (args.length != 1) {
            ctx.err().println("usage: WriteHostFile PATH");
            return 2;
        }
        Path file = Path.of(args[0]);
        int succeeded = 0;
        try {
            Files.writeString(file, "written by a sandboxed task with nio\n");
            ctx.out().println("WROTE " + file + " with nio");
            succeeded++;
        } catch (IOException | SecurityException e) {
            ctx.out().println("denied: nio write of " + file + ": " + e);
        }
        try (OutputStream o = new FileOutputStream(file.toFile(), true)) {
            o.write("written by a sandboxed task with java.io\n".getBytes(StandardCharsets.UTF_8));
            ctx.out().println("WROTE " + file + " with java.io");
            succeeded++;
        } catch (IOException | SecurityException e) {
            ctx.out().println("denied: java.io write of " + file + ": " + e);
        }
        try {
            File tmp = File.createTempFile("hostile-", ".tmp");
            ctx.out().println("WROTE temp file " + tmp);
            succeeded++;
        } catch (IOException | SecurityException e) {
            ctx.out().println("denied: temp file in " + System.getProperty("java.io.tmpdir") + ": " + e);
        }
        return succeeded == 0 ? ALL_DENIED : 0;
    }
}
