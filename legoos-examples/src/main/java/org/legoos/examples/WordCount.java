package org.legoos.examples;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.channels.SeekableByteChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.PriorityQueue;
import java.util.Set;
import java.util.SortedMap;
import java.util.TreeMap;
import org.legoos.api.AddressSpace;
import org.legoos.api.LegoContext;
import org.legoos.api.LegoProgram;

/**
 * Phoenix-style word count, the LegoOS paper's headline workload, written so that all of its large state
 * lives in the disaggregated address space ({@link LegoContext#memory()}) and only a processor's ExCache
 * worth of it is hot.
 *
 * <pre>wordcount &lt;input&gt; [--threads N] [--top K] [--table-slots S] [--out PATH] [--verbose]</pre>
 *
 * <p><b>Tokenisation contract</b> (what checkers rely on; {@link #countPlain} implements the same): the
 * file is read as bytes; a word is a maximal run of ASCII letters {@code A-Z a-z}, folded to lower case, so
 * every word matches {@code [a-z]+}; every other byte (whitespace, digits, punctuation, any byte
 * {@code >= 0x80}) separates words. Words have no length limit.
 *
 * <p><b>Map</b>: the file is split into {@code N} (default: {@link LegoContext#cores()}) chunks whose
 * boundaries are moved forward to the next separator byte, so no word spans two chunks. Each of {@code N}
 * threads reads its chunk through {@link LegoContext#fileSystem()} and counts words into its own
 * {@link WordTable} (open addressing, {@code S} initial slots, default 16384, doubling at load 0.7) whose
 * slots and key bytes live in disaggregated memory. <b>Reduce</b>: the tables are merged into one table
 * (also in disaggregated memory, referencing the map threads' keys), the top {@code K} (default 10) words
 * are selected by count descending then word ascending, and with {@code --out} all words are sorted by
 * word with a merge sort in disaggregated memory and written as {@code <word> <count>} lines.
 *
 * <p><b>Output</b> on stdout, exactly: {@code words=<total> distinct=<distinct>} then {@code K} lines
 * {@code <count> <word>} (fewer if there are fewer words), each ending in {@code \n}; {@link #referenceSummary}
 * produces the same text from a plain map. {@code --verbose} adds phase timings on stderr. Exit code 0 on
 * success, 1 on an I/O error, 2 on bad arguments.
 *
 * <p>Threading: {@link #main} is called once per process; the map threads share nothing but the
 * (thread-safe) address space and file system.
 */
public final class WordCount implements LegoProgram {
    static final long DEFAULT_TABLE_SLOTS = 16 * 1024;
    static final int DEFAULT_TOP = 10;
    private static final int READ_BUFFER = 64 * 1024;
    private static final String USAGE =
            "usage: wordcount <input> [--threads N] [--top K] [--table-slots S] [--out PATH] [--verbose]";

    @Override
    public int main(LegoContext ctx, String[] argv) throws Exception {
        Path input;
        int threads;
        int top;
        long tableSlots;
        String out;
        boolean verbose;
        try {
            Args args = Args.parse(argv, Set.of("verbose"));
            if (args.positional().size() != 1) {
                throw new IllegalArgumentException(args.positional().isEmpty()
                        ? "missing input path" : "expected one input path, got " + args.positional());
            }
            threads = args.intValue("threads", Math.max(1, ctx.cores()), 1, 1024);
            top = args.intValue("top", DEFAULT_TOP, 0, 1_000_000);
            tableSlots = args.longValue("table-slots", DEFAULT_TABLE_SLOTS, 1, 1L << 32);
            out = args.string("out", null);
            verbose = args.flag("verbose");
            args.finish();
            input = ctx.fileSystem().getPath(args.positional().get(0));
        } catch (IllegalArgumentException e) {
            ctx.err().println("wordcount: " + e.getMessage());
            ctx.err().println(USAGE);
            return 2;
        }
        try {
            return run(ctx, input, threads, top, tableSlots, out == null ? null : ctx.fileSystem().getPath(out), verbose);
        } catch (NoSuchFileException e) {
            ctx.err().println("wordcount: no such file: " + e.getFile());
            return 1;
        } catch (IOException e) {
            ctx.err().println("wordcount: " + e);
            return 1;
        }
    }

    private static int run(LegoContext ctx, Path input, int threads, int top, long tableSlots, Path out, boolean verbose)
            throws Exception {
        AddressSpace memory = ctx.memory();
        long t0 = System.nanoTime();
        long size = Files.size(input);
        long[] bounds;
        try (SeekableByteChannel ch = Files.newByteChannel(input)) {
            bounds = chunkBounds(ch, size, threads);
        }
        KeyArena[] arenas = new KeyArena[threads];
        WordTable[] tables = new WordTable[threads];
        WordTable merged = null;
        SortedWords sorted = null;
        try {
            Workers.run(ctx, "wordcount-map", threads, t -> {
                arenas[t] = new KeyArena(memory);
                tables[t] = new WordTable(memory, arenas[t], tableSlots);
                mapChunk(ctx, input, bounds[t], bounds[t + 1], tables[t]);
            });
            if (ctx.killed()) {
                return 130;
            }
            long t1 = System.nanoTime();
            long lowerBound = 0; // the largest map table: the merged one holds at least that many words
            for (WordTable t : tables) {
                lowerBound = Math.max(lowerBound, t.size());
            }
            merged = new WordTable(memory, null, lowerBound * 10 / 7 + 1);
            for (WordTable t : tables) {
                WordTable m = merged;
                t.forEach(m::addShared);
            }
            List<Map.Entry<String, Long>> best = topK(merged, top);
            ctx.out().print(formatSummary(merged.total(), merged.size(), best));
            ctx.out().flush();
            long t2 = System.nanoTime();
            if (out != null) {
                sorted = SortedWords.of(memory, merged);
                writeAll(merged, sorted, out);
            }
            long t3 = System.nanoTime();
            if (verbose) {
                StringBuilder sb = new StringBuilder();
                sb.append(String.format("wordcount: %d bytes, %d threads; map %.1f ms, reduce %.1f ms, output %.1f ms%n",
                        size, threads, (t1 - t0) / 1e6, (t2 - t1) / 1e6, (t3 - t2) / 1e6));
                sb.append(String.format("wordcount: merged table: %d distinct, %d slots, grew %d times%n",
                        merged.size(), merged.capacity(), merged.grows()));
                for (int i = 0; i < threads; i++) {
                    sb.append(String.format("wordcount: map thread %d: bytes [%d, %d), %d words, %d distinct, %d slots, grew %d times%n",
                            i, bounds[i], bounds[i + 1], tables[i].total(), tables[i].size(), tables[i].capacity(), tables[i].grows()));
                }
                ctx.err().print(sb);
                ctx.err().flush();
            }
            return 0;
        } finally {
            if (sorted != null) {
                sorted.close();
            }
            if (merged != null) {
                merged.close();
            }
            for (int i = 0; i < threads; i++) {
                if (tables[i] != null) {
                    tables[i].close();
                }
                if (arenas[i] != null) {
                    arenas[i].close();
                }
            }
        }
    }

    /**
     * Chunk boundaries {@code b[0]=0 <= b[1] <= ... <= b[n]=size}: each inner boundary is the first separator
     * byte at or after {@code i*size/n} (or {@code size}), so chunk {@code [b[i], b[i+1])} holds whole words only.
     */
    static long[] chunkBounds(SeekableByteChannel ch, long size, int n) throws IOException {
        long[] b = new long[n + 1];
        b[n] = size;
        ByteBuffer buf = ByteBuffer.allocate(4096);
        for (int i = 1; i < n; i++) {
            long raw = Workers.split(size, i, n);
            b[i] = nextSeparator(ch, Math.max(raw, b[i - 1]), size, buf);
        }
        return b;
    }

    private static long nextSeparator(SeekableByteChannel ch, long from, long size, ByteBuffer buf) throws IOException {
        long pos = from;
        ch.position(pos);
        while (pos < size) {
            buf.clear();
            int n = ch.read(buf);
            if (n <= 0) {
                return size; // the file shrank under us; treat what is there as the end
            }
            for (int i = 0; i < n; i++) {
                if (!WordTokenizer.isLetter(buf.get(i))) {
                    return pos + i;
                }
            }
            pos += n;
        }
        return size;
    }

    private static void mapChunk(LegoContext ctx, Path input, long start, long end, WordTable table) throws IOException {
        if (start >= end) {
            return;
        }
        WordTokenizer tokenizer = new WordTokenizer();
        WordTokenizer.Sink sink = (word, len) -> table.add(word, len, 1);
        byte[] data = new byte[READ_BUFFER];
        ByteBuffer buf = ByteBuffer.wrap(data);
        try (SeekableByteChannel ch = Files.newByteChannel(input)) {
            ch.position(start);
            long pos = start;
            while (pos < end && !ctx.killed()) {
                buf.clear();
                buf.limit((int) Math.min(data.length, end - pos));
                int n = ch.read(buf);
                if (n <= 0) {
                    break;
                }
                tokenizer.feed(data, 0, n, sink);
                pos += n;
            }
        }
        tokenizer.finish(sink);
    }

    private record Ranked(long count, String word) {
    }

    /** Count descending, then word ascending: the order of the top-K list. */
    private static final Comparator<Ranked> BEST_FIRST =
            Comparator.comparingLong(Ranked::count).reversed().thenComparing(Ranked::word);

    private static List<Map.Entry<String, Long>> topK(WordTable table, int k) {
        List<Map.Entry<String, Long>> result = new ArrayList<>();
        if (k == 0) {
            return result;
        }
        PriorityQueue<Ranked> heap = new PriorityQueue<>(BEST_FIRST.reversed()); // worst on top
        byte[][] buf = {new byte[64]};
        table.forEach((hash, keyVa, len, count) -> {
            if (heap.size() == k && count < heap.peek().count()) {
                return; // cannot enter: no need to fetch the key
            }
            buf[0] = table.readKey(keyVa, len, buf[0]);
            Ranked r = new Ranked(count, new String(buf[0], 0, len, StandardCharsets.ISO_8859_1));
            if (heap.size() < k) {
                heap.add(r);
            } else if (BEST_FIRST.compare(r, heap.peek()) < 0) {
                heap.poll();
                heap.add(r);
            }
        });
        List<Ranked> ranked = new ArrayList<>(heap);
        ranked.sort(BEST_FIRST);
        for (Ranked r : ranked) {
            result.add(Map.entry(r.word(), r.count()));
        }
        return result;
    }

    private static void writeAll(WordTable table, SortedWords sorted, Path out) throws IOException {
        try (OutputStream os = new BufferedOutputStream(Files.newOutputStream(out), 64 * 1024)) {
            byte[][] buf = {new byte[64]};
            sorted.forEach((keyVa, len, count) -> {
                buf[0] = table.readKey(keyVa, len, buf[0]);
                os.write(buf[0], 0, len);
                os.write(' ');
                os.write(Long.toString(count).getBytes(StandardCharsets.US_ASCII));
                os.write('\n');
            });
        }
    }

    /**
     * The plain-Java reference: counts the words of {@code in} on the heap with exactly the tokenisation
     * contract of the program (see the class comment). Reads the stream to its end; does not close it.
     *
     * @return word to count, sorted by word
     */
    public static SortedMap<String, Long> countPlain(InputStream in) throws IOException {
        Map<String, long[]> counts = new HashMap<>();
        WordTokenizer tokenizer = new WordTokenizer();
        WordTokenizer.Sink sink = (word, len) ->
                counts.computeIfAbsent(new String(word, 0, len, StandardCharsets.ISO_8859_1), w -> new long[1])[0]++;
        byte[] buf = new byte[READ_BUFFER];
        for (int n; (n = in.read(buf)) >= 0; ) {
            tokenizer.feed(buf, 0, n, sink);
        }
        tokenizer.finish(sink);
        SortedMap<String, Long> sorted = new TreeMap<>();
        counts.forEach((w, c) -> sorted.put(w, c[0]));
        return sorted;
    }

    /** The exact stdout of the program for these counts and {@code --top k}; the demo and tests compare against it. */
    public static String referenceSummary(SortedMap<String, Long> counts, int k) {
        long total = 0;
        for (long c : counts.values()) {
            total += c;
        }
        List<Map.Entry<String, Long>> entries = new ArrayList<>(counts.entrySet());
        entries.sort(Map.Entry.<String, Long>comparingByValue().reversed().thenComparing(Map.Entry.comparingByKey()));
        return formatSummary(total, counts.size(), entries.subList(0, Math.min(k, entries.size())));
    }

    /** The exact text the program writes with {@code --out} for these counts: {@code <word> <count>} lines sorted by word. */
    public static String referenceOutput(SortedMap<String, Long> counts) {
        StringBuilder sb = new StringBuilder();
        counts.forEach((w, c) -> sb.append(w).append(' ').append(c).append('\n'));
        return sb.toString();
    }

    private static String formatSummary(long total, long distinct, List<Map.Entry<String, Long>> top) {
        StringBuilder sb = new StringBuilder();
        sb.append("words=").append(total).append(" distinct=").append(distinct).append('\n');
        for (Map.Entry<String, Long> e : top) {
            sb.append(e.getValue()).append(' ').append(e.getKey()).append('\n');
        }
        return sb.toString();
    }
}
