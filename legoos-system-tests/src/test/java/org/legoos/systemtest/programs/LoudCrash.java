package org.legoos.systemtest.programs;

import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.nio.charset.StandardCharsets;
import org.legoos.api.LegoContext;
import org.legoos.api.LegoProgram;

/**
 * A hostile program of the isolation suite: like a JVM that crashes with a long report, {@code LoudCrash BYTES} writes
 * about {@code BYTES} of numbered lines straight to its JVM's file descriptor 2 (in process mode the task's raw stderr,
 * a pipe the processor component drains and forwards as the process's stderr), the last one {@value #LAST_LINE}, and
 * halts the JVM with exit code {@value #EXIT_CODE} at once, without any clean-up. It first widens the pipe to
 * {@code BYTES} ({@code fcntl(F_SETPIPE_SZ)}, best effort) so the whole report can sit unread in the pipe when the JVM
 * is gone: every line must still reach the launcher before the exit does.
 */
public final class LoudCrash implements LegoProgram {
    public static final String LAST_LINE = "loud crash: last line of the report";
    public static final int EXIT_CODE = 5;
    private static final int F_SETPIPE_SZ = 1031;

    @Override
    public int main(LegoContext ctx, String[] args) throws IOException {
        int bytes = args.length > 0 ? Integer.parseInt(args[0]) : 1 << 20;
        int pipe = widenStderrPipe(bytes);
        ctx.out().println("stderr pipe holds " + pipe + " bytes");
        ctx.out().flush();
        StringBuilder b = new StringBuilder();
        for (int i = 0; b.length() < bytes - 200; i++) {
            b.append("loud crash: report line ").append(i).append('\n');
        }
        b.append(LAST_LINE).append('\n');
        OutputStream raw = new FileOutputStream(FileDescriptor.err);
        raw.write(b.toString().getBytes(StandardCharsets.UTF_8));
        raw.flush();
        Runtime.getRuntime().halt(EXIT_CODE);
        return 0; // not reached
    }

    /** fcntl(2, F_SETPIPE_SZ, bytes): the new capacity, or -1 if that failed (not a pipe, no native access...). */
    private static int widenStderrPipe(int bytes) {
        try {
            Linker linker = Linker.nativeLinker();
            MethodHandle fcntl = linker.downcallHandle(linker.defaultLookup().find("fcntl").orElseThrow(),
                    FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_INT),
                    Linker.Option.firstVariadicArg(2));
            return (int) fcntl.invokeExact(2, F_SETPIPE_SZ, bytes);
        } catch (Throwable t) {
            return -1;
        }
    }
}
