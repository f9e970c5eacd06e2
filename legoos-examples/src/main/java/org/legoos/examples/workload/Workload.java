package org.legoos.examples.workload;

import java.util.List;

/**
 * One workload of the paper's evaluation (see {@code lego bench}): a bundled LegoOS/J program whose large
 * state lives in disaggregated memory, and its plain-Java twin, which does the same work with the same
 * algorithm on heap arrays of one JVM. Both are deterministic functions of {@code (size, seed)}, so the
 * harness can check that they agree.
 *
 * <p><b>Result line.</b> The program prints exactly one stdout line that starts with {@code "result "}; the
 * twin's {@link #runPlain} returns the same line (without the newline). It holds what the run computed (a
 * checksum, counts, a loss), never a timing; it depends only on {@code (size, seed, threads)}, never on
 * scheduling.
 *
 * <p><b>Local scratch.</b> A program may keep small, bounded buffers on its heap (at most
 * {@link #MAX_LOCAL_SCRATCH_BYTES} per thread, whatever the size): they stand for a processor's registers
 * and on-chip caches, which LegoOS programs have too. Everything whose size grows with {@code size} lives
 * in {@link org.legoos.api.LegoContext#memory()}.
 *
 * <p>Implementations are stateless and thread-safe.
 */
public interface Workload {
    /** The most heap a workload program keeps per thread, whatever its size. */
    int MAX_LOCAL_SCRATCH_BYTES = 256 * 1024;

    /** Short name, as given to {@code lego bench --workload}. */
    String name();

    /** One line for tables: what runs and on what. */
    String description();

    /** The bundled program's name ({@link org.legoos.examples.Examples#bundled()}). */
    String program();

    /** What {@code size} counts, e.g. "corpus bytes" or "images". */
    String sizeUnit();

    /** A size that runs in a few seconds in one JVM, for CI and {@code lego bench --quick}. */
    long quickSize();

    /** The size the harness uses by default: as close to the paper's as this machine allows in minutes. */
    long paperSize();

    /** A rough upper bound of the bytes of disaggregated memory a run of this size touches. */
    long estimatedWorkingSetBytes(long size);

    /** Arguments for the program (after its name). */
    List<String> programArgs(long size, long seed, int threads);

    /**
     * The ExCache share of the working set at which the paper reports this workload, if it is not one of the
     * harness's 50/25/12.5% points (e.g. 0.28 for the classifier: 256 MB of 0.9 GB); 0 for none.
     */
    default double paperCacheFraction() {
        return 0;
    }

    /** Runs the plain-Java twin in this JVM and returns its result line. */
    String runPlain(long size, long seed, int threads) throws Exception;

    /** The result line in a program's stdout, or null if there is none. */
    static String resultLine(String stdout) {
        for (String line : stdout.split("\n", -1)) {
            if (line.startsWith("result ")) {
                return line.strip();
            }
        }
        return null;
    }
}
