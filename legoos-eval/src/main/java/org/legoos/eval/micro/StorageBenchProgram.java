package org.legoos.eval.micro;

import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Locale;
import org.legoos.api.LegoContext;
import org.legoos.api.LegoProgram;

/**
 * The paper's storage micro-benchmark as a LegoOS/J program ({@value #NAME}): 4 KiB reads and writes on a file of
 * the process's vNode through {@link LegoContext#fileSystem()}, where data goes through the buffer cache on the
 * vNode's cache memory component and metadata to its storage component, and fsync writes the buffer cache back
 * to the storage component, which forces its local file.
 *
 * <p>Usage: {@code storagebench <fileBytes> [seed] [path]} (default seed 42, path {@value #DEFAULT_PATH}). It
 * creates or truncates the file, then runs four timed phases with one 4 KiB operation per block (see
 * {@link StorageWorkload}): sequential write + fsync, random write + fsync, sequential read, random read. For each
 * it prints {@code phase=<seq-write|rand-write|seq-read|rand-read> ops=<n> bytes=<n> seconds=<s> opsPerSec=<x>},
 * then reads the whole file back (untimed) and prints {@code checksum=<crc32c hex> expected=<hex> verified=<b>}.
 * The file is left in place so the data can be checked from outside. Exits 0 if verified, else 2.
 *
 * <p>Runs on the process's main thread; checks {@link LegoContext#killed()} every 1024 operations.
 */
public final class StorageBenchProgram implements LegoProgram {
    /** The name the micro-benchmark drivers register this program under. */
    public static final String NAME = "storagebench";
    /** Where the file goes when no path is given. */
    public static final String DEFAULT_PATH = "/storagebench.dat";
    static final String USAGE = "storagebench <fileBytes> [seed] [path]";

    /** Needed by the program loader. */
    public StorageBenchProgram() {
    }

    @Override
    public int main(LegoContext ctx, String[] args) throws Exception {
        long fileBytes = MicroText.size(args, 0, "fileBytes", USAGE);
        StorageWorkload.checkFileBytes(fileBytes);
        long seed = args.length > 1 ? MicroText.number(args, 1, "seed", Long.MIN_VALUE, Long.MAX_VALUE, USAGE) : 42;
        Path path = ctx.fileSystem().getPath(args.length > 2 ? args[2] : DEFAULT_PATH);
        StorageWorkload.Outcome outcome;
        try (FileChannel ch = FileChannel.open(path, StandardOpenOption.CREATE, StandardOpenOption.READ,
                StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING)) {
            outcome = new StorageWorkload(ch, fileBytes, seed, ctx::killed).run();
        }
        print(ctx, outcome);
        return outcome.verified() ? 0 : 2;
    }

    static void print(LegoContext ctx, StorageWorkload.Outcome outcome) {
        for (StorageWorkload.PhaseResult r : outcome.phases()) {
            ctx.out().printf(Locale.ROOT, "phase=%s ops=%d bytes=%d seconds=%.6f opsPerSec=%.1f%n", r.phase().label(), r.ops(),
                    r.ops() * StorageWorkload.BLOCK, r.seconds(), r.opsPerSec());
        }
        ctx.out().printf(Locale.ROOT, "checksum=%08x expected=%08x verified=%b%n", outcome.checksum(), outcome.expectedChecksum(),
                outcome.verified());
        ctx.out().flush();
    }
}
