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
import org.legoos.api.NoMemoryException;

/**
 * Phoenix-style word count, the LegoOS paper's headline workload, written so that all of its large state
 * lives in the disaggregated address space ({@link LegoContext#memory()}) and only a processor's ExCache
 * worth of it is hot.
 *
 * <pre>wordcount &lt;input&gt; [--in-memory] [--threads N] [--top K] [--table-slots S] [--out PATH] [--verbose]
 * wordcount --generate BYTES [--seed S] [--vocabulary V] [--threads N] [--top K] [--table-slots S] [--out PATH] [--verbose]</pre>
 *
 * <p><b>Tokenisation contract</b> (what checkers rely on; {@link #countPlain} implements the same): the
 * input is read as bytes; a word is a maximal run of ASCII letters {@code A-Z a-z}, folded to lower case, so
 * every word matches {@code [a-z]+}; every other byte (whitespace, digits, punctuation, any byte
 * {@code >= 0x80}) separates words. Words have no length limit.
 *
 * <p><b>Input.</b> With an input path alone, the map threads read the file through
 * {@link LegoContext#fileSystem()}. Phoenix (what the paper ran, on 1.7 GB of Wikipedia) instead maps the whole
 * input into memory and counts from there; {@code --in-memory} does that with the file (one thread copies it in
 * 64 KiB blocks into one mapped region of disaggregated memory), and {@code --generate BYTES} writes the
 * {@link CorpusGenerator} corpus of {@code (BYTES, S, V)} (default seed 1 and vocabulary
 * {@value CorpusGenerator#DEFAULT_VOCABULARY}, byte for byte what the {@code corpus} program would write) straight
 * into such a region, on one thread because the generator's text is one sequential pseudo-random stream.
 *
 * <p><b>Map</b>: the input is split into {@code N} (default: {@link LegoContext#cores()}) chunks whose
 * boundaries are moved forward to the next separator byte, so no word spans two chunks. Each of {@code N}
 * threads reads its chunk in blocks of at most 64 KiB into a local buffer (from the file, or with one bulk
 * read from the region), tokenises it and counts words into its own {@link WordTable} (open addressing,
 * {@code S} initial slots, default 16384, doubling at load 0.7) whose slots and long keys live in
 * disaggregated memory. <b>Reduce</b>: the tables are merged into one table (also in disaggregated memory),
 * the top {@code K} (default 10) words are selected by count descending then word ascending, and with
 * {@code --out} all words are sorted by word with a merge sort in disaggregated memory and written as
 * {@code <word> <count>} lines.
 *
 * <p><b>Output</b> on stdout, exactly: {@code words=<total> distinct=<distinct>} then {@code K} lines
 * {@code <count> <word>} (fewer if there are fewer words), each ending in {@code \n}; {@link #referenceSummary}
 * produces the same text from a plain map. In the in-memory modes ({@code --generate}, {@code --in-memory})
 * one more line follows, the benchmark's result line
 * {@code result words=<total> distinct=<distinct> checksum=<16 hex digits>} ({@link #referenceResult}): the
 * checksum is the sum modulo 2^64 of {@link #checksumTerm} over all (word, count) pairs, so it does not depend
 * on the order of the words or the number of threads. {@code --verbose} adds phase timings on stderr. Exit code 0
 * on success, 1 on an I/O error or if disaggregated memory cannot hold the input, 2 on bad arguments, 130 if
 * the process was killed.
 *
 * <p>Threading: {@link #main} is called once per process; the map threads share nothing but the
 * (thread-safe) address space and file system.
 */
public final class WordCount implements LegoProgram {
    static final long DEFAULT_TABLE_SLOTS = 16 * 1024;
    /** Top-K list length without {@code --top}. */
    public static final int DEFAULT_TOP = 10;
    /** The largest corpus {@code --generate} accepts (1 TiB). */
    public static final long MAX_GENERATE_BYTES = 1L << 40;
    /** The most bytes a map thread moves from the input into its local buffer at once. */
    static final int BLOCK_BYTES = 64 * 1024;
    private static final int READ_BUFFER = BLOCK_BYTES;
    private static final String USAGE =
            "usage: wordcount <input> [--in-memory] [--threads N] [--top K] [--table-slots S] [--out PATH] [--verbose]\n"
            + "       wordcount --generate BYTES [--seed S] [--vocabulary V] [--threads N] [--top K] [--table-slots S] "
            + "[--out PATH] [--verbose]";

    /** Parsed arguments: {@code input} is null with {@code --generate}, {@code generateBytes} is -1 without it. */
    private record Options(Path input, boolean inMemory, long generateBytes, long seed, int vocabulary, int threads,
                           int top, long tableSlots, Path out, boolean verbose) {
        boolean fromMemory() {
            return inMemory || generateBytes >= 0;
        }
    }

    @Override
    public int main(LegoContext ctx, String[] argv) throws Exception {
        Options o;
        try {
            o = parse(ctx, argv);
        } catch (IllegalArgumentException e) {
            ctx.err().println("wordcount: " + e.getMessage());
            ctx.err().println(USAGE);
            return 2;
        }
        try {
            return run(ctx, o);
        } catch (NoSuchFileException e) {
            ctx.err().println("wordcount: no such file: " + e.getFile());
            return 1;
        } catch (Killed e) {
            return 130;
        } catch (NoMemoryException e) {
            ctx.err().println("wordcount: out of memory: " + e.getMessage());
            return 1;
        } catch (IOException e) {
            ctx.err().println("wordcount: " + e);
            return 1;
        }
    }

    private static Options parse(LegoContext ctx, String[] argv) {
        Args args = Args.parse(argv, Set.of("verbose", "in-memory"));
        long generate = args.size("generate", -1, 0, MAX_GENERATE_BYTES);
        boolean inMemory = args.flag("in-memory");
        long seed = 1;
        int vocabulary = CorpusGenerator.DEFAULT_VOCABULARY;
        Path input = null;
        if (generate >= 0) {
            if (!args.positional().isEmpty()) {
                throw new IllegalArgumentException("--generate takes no input path, got " + args.positional());
            }
            if (inMemory) {
                throw new IllegalArgumentException("--in-memory needs an input path (--generate is already in memory)");
            }
            seed = args.longValue("seed", seed, Long.MIN_VALUE, Long.MAX_VALUE);
            vocabulary = args.intValue("vocabulary", vocabulary, 1, 1_000_000);
        } else {
            if (args.positional().size() != 1) {
                throw new IllegalArgumentException(args.positional().isEmpty()
                        ? "missing input path" : "expected one input path, got " + args.positional());
            }
            for (String generatorOption : new String[] {"seed", "vocabulary"}) {
                if (args.string(generatorOption, null) != null) {
                    throw new IllegalArgumentException("--" + generatorOption + " needs --generate");
                }
            }
        }
        int threads = args.intValue("threads", Math.max(1, ctx.cores()), 1, 1024);
        int top = args.intValue("top", DEFAULT_TOP, 0, 1_000_000);
        long tableSlots = args.longValue("table-slots", DEFAULT_TABLE_SLOTS, 1, 1L << 32);
        String out = args.string("out", null);
        boolean verbose = args.flag("verbose");
        args.finish();
        if (generate < 0) {
            input = ctx.fileSystem().getPath(args.positional().get(0));
        }
        return new Options(input, inMemory, generate, seed, vocabulary, threads, top, tableSlots,
                out == null ? null : ctx.fileSystem().getPath(out), verbose);
    }

    /** Thrown from inside a phase when the process is killed; {@link #main} turns it into exit code 130. */
    private static final class Killed extends IOException {
        Killed() {
            super("killed");
        }
    }

    /** Everything a run maps in the address space; {@link #close} unmaps it. Used by the main thread. */
    private static final class State implements AutoCloseable {
        final AddressSpace memory;
        final KeyArena[] arenas;
        final WordTable[] tables;
        WordTable merged;
        SortedWords sorted;
        long region;
        long regionBytes;

        State(AddressSpace memory, int threads) {
            this.memory = memory;
            this.arenas = new KeyArena[threads];
            this.tables = new WordTable[threads];
        }

        @Override
        public void close() {
            if (sorted != null) {
                sorted.close();
            }
            if (merged != null) {
                merged.close();
            }
            for (int i = 0; i < tables.length; i++) {
                if (tables[i] != null) {
                    tables[i].close();
                }
                if (arenas[i] != null) {
                    arenas[i].close();
                }
            }
            if (regionBytes > 0) {
                memory.munmap(region, regionBytes);
            }
        }
    }

    private static int run(LegoContext ctx, Options o) throws Exception {
        AddressSpace memory = ctx.memory();
        long t0 = System.nanoTime();
        try (State st = new State(memory, o.threads())) {
            long size;
            long[] bounds;
            if (o.fromMemory()) {
                size = o.generateBytes() >= 0 ? o.generateBytes() : Files.size(o.input());
                if (size > 0) {
                    st.region = memory.mmap(size);
                    st.regionBytes = size;
                }
                if (o.generateBytes() >= 0) {
                    try (RegionWriter w = new RegionWriter(ctx, memory, st.region, size)) {
                        CorpusGenerator.generate(w, size, o.seed(), o.vocabulary());
                    }
                } else {
                    size = load(ctx, o.input(), memory, st.region, size);
                }
                bounds = chunkBounds(memory, st.region, size, o.threads());
            } else {
                size = Files.size(o.input());
                try (SeekableByteChannel ch = Files.newByteChannel(o.input())) {
                    bounds = chunkBounds(ch, size, o.threads());
                }
            }
            long t1 = System.nanoTime();
            Workers.run(ctx, "wordcount-map", o.threads(), t -> {
                st.arenas[t] = new KeyArena(memory);
                st.tables[t] = new WordTable(memory, st.arenas[t], o.tableSlots());
                if (o.fromMemory()) {
                    mapRegion(ctx, memory, st.region + bounds[t], st.region + bounds[t + 1], st.tables[t]);
                } else {
                    mapChunk(ctx, o.input(), bounds[t], bounds[t + 1], st.tables[t]);
                }
            });
            if (ctx.killed()) {
                return 130;
            }
            long t2 = System.nanoTime();
            WordTable merged = st.merged = merge(memory, st.tables);
            List<Map.Entry<String, Long>> best = topK(merged, o.top());
            StringBuilder stdout = new StringBuilder(formatSummary(merged.total(), merged.size(), best));
            if (o.fromMemory()) {
                stdout.append(formatResult(merged.total(), merged.size(), checksum(merged))).append('\n');
            }
            ctx.out().print(stdout);
            ctx.out().flush();
            long t3 = System.nanoTime();
            if (o.out() != null) {
                st.sorted = SortedWords.of(memory, merged);
                writeAll(st.sorted, o.out());
            }
            long t4 = System.nanoTime();
            if (o.verbose()) {
                StringBuilder sb = new StringBuilder();
                sb.append(String.format("wordcount: %d bytes, %d threads; %s %.1f ms, map %.1f ms, reduce %.1f ms, output %.1f ms%n",
                        size, o.threads(), o.generateBytes() >= 0 ? "generate" : o.inMemory() ? "load" : "split",
                        (t1 - t0) / 1e6, (t2 - t1) / 1e6, (t3 - t2) / 1e6, (t4 - t3) / 1e6));
                sb.append(String.format("wordcount: merged table: %d distinct, %d slots, grew %d times%n",
                        merged.size(), merged.capacity(), merged.grows()));
                for (int i = 0; i < o.threads(); i++) {
                    WordTable t = st.tables[i];
                    sb.append(String.format("wordcount: map thread %d: bytes [%d, %d), %d words, %d distinct, %d slots, grew %d times%n",
                            i, bounds[i], bounds[i + 1], t.total(), t.size(), t.capacity(), t.grows()));
                }
                ctx.err().print(sb);
                ctx.err().flush();
            }
            return 0;
        }
    }

    /** The reduce phase's merge: one table holding the sum of all map tables' counts. */
    private static WordTable merge(AddressSpace memory, WordTable[] tables) {
        long lowerBound = 0; // the largest map table: the merged one holds at least that many words
        for (WordTable t : tables) {
            lowerBound = Math.max(lowerBound, t.size());
        }
        WordTable merged = new WordTable(memory, null, lowerBound * 10 / 7 + 1);
        try {
            for (WordTable t : tables) {
                merged.mergeFrom(t);
            }
        } catch (RuntimeException | Error e) {
            merged.close();
            throw e;
        }
        return merged;
    }

    /**
     * Copies the file into the region [va, va+size) with one thread, in blocks of {@link #BLOCK_BYTES}.
     *
     * @return the bytes copied: {@code size}, or less if the file shrank meanwhile
     */
    private static long load(LegoContext ctx, Path input, AddressSpace memory, long va, long size) throws IOException {
        byte[] block = new byte[BLOCK_BYTES];
        long done = 0;
        try (InputStream in = Files.newInputStream(input)) {
            while (done < size) {
                if (ctx.killed()) {
                    throw new Killed();
                }
                int want = (int) Math.min(block.length, size - done);
                int n = in.readNBytes(block, 0, want);
                if (n > 0) {
                    memory.write(va + done, block, 0, n);
                    done += n;
                }
                if (n < want) {
                    break;
                }
            }
        }
        return done;
    }

    /**
     * Writes a stream into the region [va, va+limit) of disaggregated memory in blocks of {@link #BLOCK_BYTES}
     * (one bulk write each); {@link #close} writes the last, partial block. Not thread-safe.
     */
    private static final class RegionWriter extends OutputStream {
        private final LegoContext ctx;
        private final AddressSpace memory;
        private final long va;
        private final long limit;
        private final byte[] block = new byte[BLOCK_BYTES];
        private int fill;
        private long written;

        RegionWriter(LegoContext ctx, AddressSpace memory, long va, long limit) {
            this.ctx = ctx;
            this.memory = memory;
            this.va = va;
            this.limit = limit;
        }

        @Override
        public void write(int b) throws IOException {
            write(new byte[] {(byte) b}, 0, 1);
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            java.util.Objects.checkFromIndexSize(off, len, b.length);
            if (len > limit - written - fill) {
                throw new IOException("stream overflows its region of " + limit + " bytes");
            }
            while (len > 0) {
                int k = Math.min(len, block.length - fill);
                System.arraycopy(b, off, block, fill, k);
                fill += k;
                off += k;
                len -= k;
                if (fill == block.length) {
                    flushBlock();
                }
            }
        }

        private void flushBlock() throws IOException {
            if (ctx.killed()) {
                throw new Killed();
            }
            memory.write(va + written, block, 0, fill);
            written += fill;
            fill = 0;
        }

        @Override
        public void close() throws IOException {
            if (fill > 0) {
                flushBlock();
            }
        }
    }

    /** {@link #chunkBounds(SeekableByteChannel, long, int)} for an input in the region at {@code va}. */
    static long[] chunkBounds(AddressSpace memory, long va, long size, int n) {
        long[] b = new long[n + 1];
        b[n] = size;
        byte[] buf = new byte[AddressSpace.PAGE_SIZE];
        for (int i = 1; i < n; i++) {
            long pos = Math.max(Workers.split(size, i, n), b[i - 1]);
            b[i] = size;
            scan:
            while (pos < size) {
                int k = (int) Math.min(buf.length, size - pos);
                memory.read(va + pos, buf, 0, k);
                for (int j = 0; j < k; j++) {
                    if (!WordTokenizer.isLetter(buf[j])) {
                        b[i] = pos + j;
                        break scan;
                    }
                }
                pos += k;
            }
        }
        return b;
    }

    /** Counts the words of [from, to) of the address space into {@code table}, one bulk read per block. */
    static void mapRegion(LegoContext ctx, AddressSpace memory, long from, long to, WordTable table) {
        WordTokenizer tokenizer = new WordTokenizer();
        WordTokenizer.Sink sink = (word, len) -> table.add(word, len, 1);
        byte[] block = new byte[BLOCK_BYTES];
        for (long va = from; va < to && !ctx.killed(); ) {
            int n = (int) Math.min(block.length, to - va);
            memory.read(va, block, 0, n);
            tokenizer.feed(block, 0, n, sink);
            va += n;
        }
        tokenizer.finish(sink);
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

    /**
     * The top-K selection of the reduce phase, shared with the plain-Java twin: a bounded heap ordered by count
     * descending, then word ascending. {@link #admits} tells a caller whether fetching a word's bytes is worth
     * it. Not thread-safe.
     */
    static final class TopK {
        private record Ranked(long count, String word) {
        }

        /** Count descending, then word ascending: the order of the top-K list. */
        private static final Comparator<Ranked> BEST_FIRST =
                Comparator.comparingLong(Ranked::count).reversed().thenComparing(Ranked::word);

        private final int k;
        private final PriorityQueue<Ranked> heap = new PriorityQueue<>(BEST_FIRST.reversed()); // worst on top

        TopK(int k) {
            this.k = k;
        }

        /** False if a word with this count cannot enter the list. */
        boolean admits(long count) {
            return k > 0 && (heap.size() < k || count >= heap.peek().count());
        }

        void offer(long count, byte[] word, int length) {
            if (!admits(count)) {
                return;
            }
            Ranked r = new Ranked(count, new String(word, 0, length, StandardCharsets.ISO_8859_1));
            if (heap.size() < k) {
                heap.add(r);
            } else if (BEST_FIRST.compare(r, heap.peek()) < 0) {
                heap.poll();
                heap.add(r);
            }
        }

        /** The best words, best first. */
        List<Map.Entry<String, Long>> result() {
            List<Ranked> ranked = new ArrayList<>(heap);
            ranked.sort(BEST_FIRST);
            List<Map.Entry<String, Long>> result = new ArrayList<>();
            for (Ranked r : ranked) {
                result.add(Map.entry(r.word(), r.count()));
            }
            return result;
        }
    }

    private static List<Map.Entry<String, Long>> topK(WordTable table, int k) {
        TopK best = new TopK(k);
        byte[][] buf = {new byte[64]};
        table.forEach((hash, len, count, key0, key1) -> {
            if (best.admits(count)) { // else no need to fetch the word
                buf[0] = table.readKey(len, key0, key1, buf[0]);
                best.offer(count, buf[0], len);
            }
        });
        return best.result();
    }

    private static void writeAll(SortedWords sorted, Path out) throws IOException {
        try (OutputStream os = new BufferedOutputStream(Files.newOutputStream(out), 64 * 1024)) {
            sorted.forEach((word, len, count) -> {
                os.write(word, 0, len);
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

    /**
     * The result line of the in-memory modes for these counts (what the program prints, without the newline);
     * tests compare the program and its plain-Java twin against it.
     */
    public static String referenceResult(SortedMap<String, Long> counts) {
        long total = 0;
        long checksum = 0;
        for (Map.Entry<String, Long> e : counts.entrySet()) {
            byte[] w = e.getKey().getBytes(StandardCharsets.ISO_8859_1);
            total += e.getValue();
            checksum += checksumTerm(WordTable.hash(w, 0, w.length), e.getValue());
        }
        return formatResult(total, counts.size(), checksum);
    }

    /**
     * One (word, count) pair's share of the result checksum, from the word's {@link WordTable#hash} and its
     * count; the checksum is the sum of the terms modulo 2^64, so the order of the pairs does not matter.
     */
    static long checksumTerm(long wordHash, long count) {
        return Mix.fmix64(wordHash + count * Mix.GOLDEN);
    }

    static String formatResult(long total, long distinct, long checksum) {
        return String.format("result words=%d distinct=%d checksum=%016x", total, distinct, checksum);
    }

    private static long checksum(WordTable table) {
        long[] sum = {0};
        table.forEach((hash, len, count, key0, key1) -> sum[0] += checksumTerm(hash, count));
        return sum[0];
    }

    static String formatSummary(long total, long distinct, List<Map.Entry<String, Long>> top) {
        StringBuilder sb = new StringBuilder();
        sb.append("words=").append(total).append(" distinct=").append(distinct).append('\n');
        for (Map.Entry<String, Long> e : top) {
            sb.append(e.getValue()).append(' ').append(e.getKey()).append('\n');
        }
        return sb.toString();
    }
}
