package org.legoos.examples.workload;

import java.util.List;
import org.legoos.examples.CorpusGenerator;
import org.legoos.examples.WordCount;
import org.legoos.examples.WordCountPlain;

/**
 * The paper's headline workload: Phoenix-style word count over a generated Zipf corpus of {@code size} bytes
 * ({@link CorpusGenerator}, vocabulary {@value CorpusGenerator#DEFAULT_VOCABULARY}), which the program
 * ({@code wordcount --generate}, {@link WordCount}) writes into one region of disaggregated memory and counts from
 * there with per-thread hash tables that live in disaggregated memory too; the twin ({@link WordCountPlain}) does
 * the same on heap arrays.
 *
 * <p>{@link #quickSize()} is 16 MiB. The paper ran Phoenix on 1.7 GB of Wikipedia; {@link #paperSize()} is
 * 512 MiB, the largest power of two at which one LegoOS/J run with an ExCache larger than the working set stays
 * within about a minute on the two-core development machine (generating the corpus takes a single core about
 * 5 s of that). The twin needs a heap of about {@code size} plus 64 MiB.
 *
 * <p>Stateless and thread-safe.
 */
public final class WordCountWorkload implements Workload {
    /**
     * Disaggregated memory a run touches beyond the corpus, for up to four map threads: each map table grows from
     * 16384 to 131072 slots (what the default vocabulary needs), touching 0.5 + 1 + 2 + 4 MiB, plus a 256 KiB key
     * arena block; the merged table is 4 MiB; plus 4 MiB of slack. With two threads a run touches about 20 MiB.
     */
    static final long TABLES_BYTES = 4 * 8L * 1024 * 1024 + 4L * 1024 * 1024 + 4L * 1024 * 1024;

    @Override
    public String name() {
        return "wordcount";
    }

    @Override
    public String description() {
        return "Phoenix word count of a generated Zipf corpus (input region and hash tables in disaggregated memory)";
    }

    @Override
    public String program() {
        return "wordcount";
    }

    @Override
    public String sizeUnit() {
        return "corpus bytes";
    }

    @Override
    public long quickSize() {
        return 16L << 20;
    }

    @Override
    public long paperSize() {
        return 512L << 20;
    }

    /** The corpus (rounded up to pages) plus {@link #TABLES_BYTES}. */
    @Override
    public long estimatedWorkingSetBytes(long size) {
        checkSize(size);
        return ((size + 4095) & -4096L) + TABLES_BYTES;
    }

    @Override
    public List<String> programArgs(long size, long seed, int threads) {
        checkSize(size);
        return List.of("--generate", Long.toString(size), "--seed", Long.toString(seed),
                "--threads", Integer.toString(threads));
    }

    @Override
    public String runPlain(long size, long seed, int threads) throws Exception {
        checkSize(size);
        return WordCountPlain.run(size, seed, CorpusGenerator.DEFAULT_VOCABULARY, threads, WordCount.DEFAULT_TOP).resultLine();
    }

    private static void checkSize(long size) {
        if (size < 1 || size > WordCount.MAX_GENERATE_BYTES) {
            throw new IllegalArgumentException("wordcount size (corpus bytes) must be in [1, " + WordCount.MAX_GENERATE_BYTES
                    + "], got " + size);
        }
    }
}
