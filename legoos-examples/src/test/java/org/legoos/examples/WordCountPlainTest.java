package org.legoos.examples;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.legoos.examples.workload.WordCountWorkload;
import org.legoos.examples.workload.Workload;

/** Word count's in-memory modes ({@code --generate}, {@code --in-memory}), their result line, and the plain-Java twin. */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class WordCountPlainTest {
    @TempDir
    Path dir;

    private record Run(int exit, String stdout, String stderr, long mappedAfter) {
        String result() {
            return Workload.resultLine(stdout);
        }
    }

    private static Run run(String... args) throws Exception {
        HeapAddressSpace mem = new HeapAddressSpace();
        TestContext ctx = new TestContext(mem);
        int exit = new WordCount().main(ctx, args);
        return new Run(exit, ctx.stdout(), ctx.stderr(), mem.mappedBytes());
    }

    private static byte[] corpus(long bytes, long seed, int vocabulary) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        CorpusGenerator.generate(out, bytes, seed, vocabulary);
        return out.toByteArray();
    }

    private static SortedMap<String, Long> plain(byte[] text) throws IOException {
        return WordCount.countPlain(new ByteArrayInputStream(text));
    }

    @ParameterizedTest
    @ValueSource(ints = {1, 2, 3})
    void generateModeMatchesTheTwinAndAnIndependentCount(int threads) throws Exception {
        Run r = run("--generate", "300000", "--seed", "7", "--vocabulary", "3000", "--threads", Integer.toString(threads),
                "--top", "12");
        assertThat(r.exit()).as(r.stderr()).isZero();
        SortedMap<String, Long> expected = plain(corpus(300_000, 7, 3_000));
        assertThat(r.stdout()).isEqualTo(WordCount.referenceSummary(expected, 12) + WordCount.referenceResult(expected) + "\n");
        WordCountPlain.Result twin = WordCountPlain.run(300_000, 7, 3_000, threads, 12);
        assertThat(twin.resultLine()).isEqualTo(r.result());
        assertThat(twin.summary()).isEqualTo(WordCount.referenceSummary(expected, 12));
        assertThat(r.mappedAfter()).as("everything mapped is unmapped at exit").isZero();
    }

    @Test
    void resultLineHasTheDocumentedShape() throws Exception {
        Run r = run("--generate", "50k", "--threads", "2");
        assertThat(r.exit()).as(r.stderr()).isZero();
        assertThat(r.result()).matches("result words=\\d+ distinct=\\d+ checksum=[0-9a-f]{16}");
        assertThat(r.stdout().lines().filter(l -> l.startsWith("result ")).count()).isEqualTo(1);
        Run otherSeed = run("--generate", "50k", "--threads", "2", "--seed", "2");
        assertThat(otherSeed.result()).isNotEqualTo(r.result());
    }

    @Test
    void generateTakesTheSameSizesAsLegoYaml() throws Exception {
        Run units = run("--generate", "48KiB", "--threads", "2");
        assertThat(units.exit()).as(units.stderr()).isZero();
        assertThat(run("--generate", "49152", "--threads", "2").result()).isEqualTo(units.result());
        assertThat(run("--generate", "48 KB", "--threads", "2").result()).isEqualTo(units.result());
        TestContext ctx = new TestContext(new HeapAddressSpace());
        assertThat(new WordCount().main(ctx, new String[] {"--generate", "256XB"})).isEqualTo(2);
        assertThat(ctx.stderr()).contains("--generate: '256XB' is not a size: unknown unit 'XB'")
                .contains("B, KiB, MiB, GiB, TiB or PiB");
        TestContext big = new TestContext(new HeapAddressSpace());
        assertThat(new WordCount().main(big, new String[] {"--generate", "2TiB"})).isEqualTo(2);
        assertThat(big.stderr()).contains("--generate: '2TiB' must be between 0 and 1TiB");
        TestContext huge = new TestContext(new HeapAddressSpace());
        assertThat(new WordCount().main(huge, new String[] {"--generate", "9000000PiB"})).isEqualTo(2);
        assertThat(huge.stderr()).contains("--generate: '9000000PiB' is too large");
    }

    @Test
    void defaultsAreTheCorpusProgramsSeedAndVocabulary() throws Exception {
        Run r = run("--generate", "100000", "--threads", "2", "--top", "3");
        SortedMap<String, Long> expected = plain(corpus(100_000, 1, CorpusGenerator.DEFAULT_VOCABULARY));
        assertThat(r.stdout()).isEqualTo(WordCount.referenceSummary(expected, 3) + WordCount.referenceResult(expected) + "\n");
    }

    @Test
    void inMemoryModeCountsAFileLikeTheFileMode() throws Exception {
        StringBuilder sb = new StringBuilder(new String(corpus(80_000, 3, 2_000), StandardCharsets.US_ASCII));
        sb.append(" ").append("z".repeat(70_000)).append(" Sixteen-LettersAbcdefghijklmnopq seventeenletterswordx\n");
        byte[] text = sb.toString().getBytes(StandardCharsets.US_ASCII);
        Path in = dir.resolve("in.txt");
        Files.write(in, text);
        SortedMap<String, Long> expected = plain(text);
        for (int threads : new int[] {1, 2, 5}) {
            Run file = run(in.toString(), "--threads", Integer.toString(threads), "--top", "7");
            Run memory = run(in.toString(), "--in-memory", "--threads", Integer.toString(threads), "--top", "7");
            assertThat(file.stdout()).as("the file mode's output is unchanged").isEqualTo(WordCount.referenceSummary(expected, 7));
            assertThat(memory.stdout()).isEqualTo(file.stdout() + WordCount.referenceResult(expected) + "\n");
            assertThat(WordCountPlain.count(text, threads, 7).resultLine()).isEqualTo(memory.result());
            assertThat(memory.mappedAfter()).isZero();
        }
    }

    @Test
    void inMemoryOutFileIsSortedLikeTheReference() throws Exception {
        byte[] text = "Beta alpha beta gamma Alpha alphabetically alphabetical alphabeticallyx".getBytes(StandardCharsets.US_ASCII);
        Path in = dir.resolve("small.txt");
        Files.write(in, text);
        Path out = dir.resolve("out.txt");
        Run r = run(in.toString(), "--in-memory", "--out", out.toString(), "--threads", "2");
        assertThat(r.exit()).isZero();
        assertThat(Files.readString(out)).isEqualTo(WordCount.referenceOutput(plain(text)));
    }

    @Test
    void emptyInputsHaveAResultLineToo() throws Exception {
        Run r = run("--generate", "0", "--threads", "3");
        assertThat(r.exit()).as(r.stderr()).isZero();
        assertThat(r.stdout()).isEqualTo("words=0 distinct=0\nresult words=0 distinct=0 checksum=0000000000000000\n");
        assertThat(WordCountPlain.count(new byte[0], 3, 10).resultLine()).isEqualTo(r.result());
        assertThat(r.mappedAfter()).isZero();
    }

    @Test
    void twinMatchesTheReferenceOnRandomText() throws Exception {
        long seed = Long.getLong("legoos.seed", System.nanoTime());
        System.out.println("twinMatchesTheReferenceOnRandomText seed=" + seed);
        Random rnd = new Random(seed);
        byte[] alphabet = "aabbcdeXYZ  \n.,7\u00e9".getBytes(StandardCharsets.ISO_8859_1);
        for (int iteration = 0; iteration < 30; iteration++) {
            byte[] text = new byte[rnd.nextInt(5_000)];
            for (int i = 0; i < text.length; i++) {
                text[i] = alphabet[rnd.nextInt(alphabet.length)];
            }
            int threads = 1 + rnd.nextInt(5);
            int top = rnd.nextInt(6);
            SortedMap<String, Long> expected = plain(text);
            WordCountPlain.Result twin = WordCountPlain.count(text, threads, top);
            assertThat(twin.summary()).isEqualTo(WordCount.referenceSummary(expected, top));
            assertThat(twin.resultLine()).isEqualTo(WordCount.referenceResult(expected));
        }
    }

    @Test
    void tableCountsEveryLengthAndArbitraryBytesExactly() {
        long seed = Long.getLong("legoos.seed", System.nanoTime());
        System.out.println("tableCountsEveryLengthAndArbitraryBytesExactly seed=" + seed);
        Random rnd = new Random(seed);
        List<byte[]> words = new ArrayList<>();
        for (int len = 1; len <= 40; len++) {
            for (int k = 0; k < 30; k++) {
                byte[] w = new byte[len];
                for (int i = 0; i < len; i++) {
                    w[i] = (byte) (k % 3 == 0 ? rnd.nextInt(256) : 'a' + rnd.nextInt(3)); // zero bytes included
                }
                words.add(w);
            }
        }
        words.add(new byte[] {0});
        words.add(new byte[] {0, 0});
        words.add(new byte[8]);
        words.add(new byte[9]);
        Map<String, Long> expected = new HashMap<>();
        HeapAddressSpace mem = new HeapAddressSpace();
        List<List<byte[]>> heapWords = new ArrayList<>(List.of(new ArrayList<>()));
        WordCountPlain.Table twin = new WordCountPlain.Table(heapWords, 0, 1);
        try (KeyArena arena = new KeyArena(mem); WordTable table = new WordTable(mem, arena, 1)) {
            for (int i = 0; i < 20_000; i++) {
                byte[] w = words.get(rnd.nextInt(words.size()));
                byte[] padded = rnd.nextBoolean() ? w : java.util.Arrays.copyOf(w, w.length + 20); // stale bytes after the word
                if (padded != w) {
                    java.util.Arrays.fill(padded, w.length, padded.length, (byte) 'q');
                }
                long delta = 1 + rnd.nextInt(3);
                table.add(padded, w.length, delta);
                twin.add(padded, w.length, delta);
                expected.merge(new String(w, StandardCharsets.ISO_8859_1), delta, Long::sum);
            }
            assertThat(table.size()).isEqualTo(expected.size());
            assertThat(twin.size).isEqualTo(expected.size());
            Map<String, Long> seen = new TreeMap<>();
            byte[][] buf = {new byte[8]};
            table.forEach((hash, len, count, key0, key1) -> {
                buf[0] = table.readKey(len, key0, key1, buf[0]);
                assertThat(hash).isEqualTo(WordTable.hash(buf[0], 0, len));
                assertThat(seen.put(new String(buf[0], 0, len, StandardCharsets.ISO_8859_1), count)).isNull();
            });
            assertThat(seen).isEqualTo(new TreeMap<>(expected));
            Map<String, Long> seenTwin = new TreeMap<>();
            twin.forEach((hash, len, count, key0, key1) -> {
                byte[] k = twin.readKey(len, key0, key1, new byte[8]);
                seenTwin.put(new String(k, 0, len, StandardCharsets.ISO_8859_1), count);
            });
            assertThat(seenTwin).isEqualTo(seen);
            try (WordTable merged = new WordTable(mem, null, 1)) {
                merged.mergeFrom(table);
                merged.mergeFrom(table);
                assertThat(merged.size()).isEqualTo(expected.size());
                assertThat(merged.total()).isEqualTo(2 * table.total());
            }
        }
        assertThat(mem.mappedBytes()).isZero();
    }

    @Test
    void inlineHashEqualsByteHash() {
        Random rnd = new Random(5);
        for (int len = 1; len <= WordTable.INLINE_BYTES; len++) {
            byte[] w = new byte[len];
            rnd.nextBytes(w);
            long k0 = WordTable.chunk(w, 0, Math.min(len, 8));
            long k1 = len > 8 ? WordTable.chunk(w, 8, len - 8) : 0;
            assertThat(WordTable.hashInline(k0, k1, len)).as("length %d", len).isEqualTo(WordTable.hash(w, 0, len));
        }
    }

    @Test
    void killedDuringGenerationExitsWith130AndUnmapsEverything() throws Exception {
        HeapAddressSpace mem = new HeapAddressSpace();
        TestContext ctx = new TestContext(mem);
        ctx.kill();
        assertThat(new WordCount().main(ctx, new String[] {"--generate", "1m"})).isEqualTo(130);
        assertThat(mem.mappedBytes()).isZero();
    }

    @Test
    void corpusLargerThanMemoryExitsWith1AndUnmapsEverything() throws Exception {
        HeapAddressSpace mem = new HeapAddressSpace(1 << 20);
        TestContext ctx = new TestContext(mem);
        assertThat(new WordCount().main(ctx, new String[] {"--generate", "2m"})).isEqualTo(1);
        assertThat(ctx.stderr()).contains("wordcount: out of memory");
        assertThat(mem.mappedBytes()).isZero();
    }

    @Test
    void badArgumentsExitWith2AndExplain() throws Exception {
        String[][] bad = {
            {"--generate", "-5"},
            {"--generate", "10", "input.txt"},
            {"--generate", "10", "--in-memory"},
            {"--in-memory"},
            {"input.txt", "--seed", "3"},
            {"input.txt", "--vocabulary", "3"},
            {"--generate", "10", "--vocabulary", "0"},
            {"--generate", "lots"},
        };
        for (String[] args : bad) {
            TestContext ctx = new TestContext(new HeapAddressSpace());
            assertThat(new WordCount().main(ctx, args)).as(String.join(" ", args)).isEqualTo(2);
            assertThat(ctx.stderr()).contains("usage: wordcount");
            assertThat(ctx.stdout()).isEmpty();
        }
        TestContext ctx = new TestContext(new HeapAddressSpace());
        new WordCount().main(ctx, new String[] {"--generate", "-5"});
        new WordCount().main(ctx, new String[] {"--generate", "10", "x"});
        new WordCount().main(ctx, new String[] {"x", "--seed", "1"});
        assertThat(ctx.stderr()).contains("--generate: '-5' is not a size").contains("--generate takes no input path")
                .contains("--seed needs --generate");
    }

    @Test
    void workloadRunsTheProgramWithItsArgumentsAndTheTwinAgrees() throws Exception {
        WordCountWorkload w = new WordCountWorkload();
        assertThat(w.program()).isEqualTo("wordcount");
        assertThat(Examples.bundled()).containsKey(w.program());
        assertThat(w.quickSize()).isEqualTo(16L << 20);
        assertThat(w.paperSize()).isGreaterThan(w.quickSize());
        assertThat(w.estimatedWorkingSetBytes(w.paperSize())).isGreaterThan(w.paperSize());
        for (int threads : new int[] {1, 2}) {
            Run r = run(w.programArgs(200_000, 9, threads).toArray(String[]::new));
            assertThat(r.exit()).as(r.stderr()).isZero();
            assertThat(r.result()).isEqualTo(w.runPlain(200_000, 9, threads));
            assertThat(r.result()).isEqualTo(WordCount.referenceResult(plain(corpus(200_000, 9, CorpusGenerator.DEFAULT_VOCABULARY))));
        }
    }
}
