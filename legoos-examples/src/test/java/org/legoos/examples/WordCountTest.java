package org.legoos.examples;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

@Timeout(value = 20, unit = TimeUnit.SECONDS)
class WordCountTest {
    @TempDir
    Path dir;

    private record Run(int exit, String stdout, String stderr, String outFile, long mappedAfter) {
    }

    private Run run(byte[] input, String... extra) throws Exception {
        Path in = dir.resolve("in-" + System.nanoTime() + ".txt");
        Files.write(in, input);
        Path out = dir.resolve("out-" + System.nanoTime() + ".txt");
        List<String> args = new ArrayList<>(List.of(in.toString(), "--out", out.toString()));
        args.addAll(List.of(extra));
        HeapAddressSpace mem = new HeapAddressSpace();
        TestContext ctx = new TestContext(mem);
        int exit = new WordCount().main(ctx, args.toArray(String[]::new));
        String outFile = Files.exists(out) ? Files.readString(out, StandardCharsets.US_ASCII) : null;
        return new Run(exit, ctx.stdout(), ctx.stderr(), outFile, mem.mappedBytes());
    }

    private static SortedMap<String, Long> plain(byte[] input) throws IOException {
        return WordCount.countPlain(new ByteArrayInputStream(input));
    }

    private void assertMatchesReference(byte[] input, int top, String... extra) throws Exception {
        List<String> args = new ArrayList<>(List.of(extra));
        args.addAll(List.of("--top", Integer.toString(top)));
        Run r = run(input, args.toArray(String[]::new));
        SortedMap<String, Long> expected = plain(input);
        assertThat(r.exit()).as(r.stderr()).isZero();
        assertThat(r.stdout()).isEqualTo(WordCount.referenceSummary(expected, top));
        assertThat(r.outFile()).isEqualTo(WordCount.referenceOutput(expected));
        assertThat(r.mappedAfter()).as("everything mapped is unmapped at exit").isZero();
    }

    private static byte[] corpus(long bytes, long seed, int vocabulary) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        CorpusGenerator.generate(out, bytes, seed, vocabulary);
        return out.toByteArray();
    }

    @ParameterizedTest
    @ValueSource(ints = {1, 4})
    void generatedCorpusMatchesPlainReference(int threads) throws Exception {
        assertMatchesReference(corpus(300_000, 11, 5_000), 10, "--threads", Integer.toString(threads));
    }

    @Test
    void oneAndFourThreadsAgree() throws Exception {
        byte[] input = corpus(120_000, 5, 3_000);
        Run one = run(input, "--threads", "1", "--top", "25");
        Run four = run(input, "--threads", "4", "--top", "25");
        assertThat(four.stdout()).isEqualTo(one.stdout());
        assertThat(four.outFile()).isEqualTo(one.outFile());
    }

    @Test
    void wordsAcrossChunkBoundariesAreCountedOnce() throws Exception {
        // Long words with rare separators: every raw boundary i*size/7 falls inside a word.
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < 40; i++) {
            sb.append("x".repeat(97 + i)).append(i % 3 == 0 ? " " : "-");
        }
        assertMatchesReference(sb.toString().getBytes(StandardCharsets.US_ASCII), 5, "--threads", "7");
        // One word filling the whole file: every boundary moves to the end.
        Run r = run("abcdefghij".repeat(1000).getBytes(StandardCharsets.US_ASCII), "--threads", "4", "--top", "1");
        assertThat(r.stdout()).isEqualTo("words=1 distinct=1\n1 " + "abcdefghij".repeat(1000) + "\n");
    }

    @Test
    void moreThreadsThanBytesStillWorks() throws Exception {
        assertMatchesReference("a b a".getBytes(StandardCharsets.US_ASCII), 3, "--threads", "16");
    }

    @Test
    void emptyFileHasNoWords() throws Exception {
        Run r = run(new byte[0], "--threads", "3");
        assertThat(r.exit()).isZero();
        assertThat(r.stdout()).isEqualTo("words=0 distinct=0\n");
        assertThat(r.outFile()).isEmpty();
        assertThat(r.mappedAfter()).isZero();
    }

    @Test
    void tinyTableGrowsAndStaysCorrect() throws Exception {
        byte[] input = corpus(200_000, 3, 20_000);
        assertMatchesReference(input, 10, "--table-slots", "1", "--threads", "2");
        Run r = run(input, "--table-slots", "1", "--threads", "2", "--verbose");
        Matcher m = Pattern.compile("map thread 0: .* grew (\\d+) times").matcher(r.stderr());
        assertThat(m.find()).as(r.stderr()).isTrue();
        assertThat(Integer.parseInt(m.group(1))).isGreaterThan(5);
    }

    @Test
    void veryLongWordsWork() throws Exception {
        String huge = "q".repeat(200_000); // beyond a quarter arena block: a mapping of its own
        String text = huge + " short " + huge + "\n" + "Short." + huge.substring(1);
        assertMatchesReference(text.getBytes(StandardCharsets.US_ASCII), 3, "--threads", "3");
    }

    @Test
    void caseIsFoldedAndNonLettersSeparate() throws Exception {
        byte[] input = "Hello, HELLO hello! h\u00e9llo x1y_Z\tz\n".getBytes(StandardCharsets.UTF_8);
        SortedMap<String, Long> expected = new TreeMap<>();
        expected.put("hello", 3L);
        expected.put("h", 1L);
        expected.put("llo", 1L);
        expected.put("x", 1L);
        expected.put("y", 1L);
        expected.put("z", 2L);
        assertThat(plain(input)).isEqualTo(expected);
        assertMatchesReference(input, 10, "--threads", "2");
    }

    @Test
    void topKOrdersByCountThenWord() throws Exception {
        Run r = run("b a c b a d".getBytes(StandardCharsets.US_ASCII), "--top", "3");
        assertThat(r.stdout()).isEqualTo("words=6 distinct=4\n2 a\n2 b\n1 c\n");
        assertThat(r.outFile()).isEqualTo("a 2\nb 2\nc 1\nd 1\n");
    }

    @Test
    void randomInputsMatchPlainReference() throws Exception {
        long seed = System.nanoTime();
        System.out.println("randomInputsMatchPlainReference seed=" + seed);
        Random rnd = new Random(seed);
        byte[] alphabet = "aabbcdeXYZ  \n.,7\u00e9".getBytes(StandardCharsets.ISO_8859_1);
        for (int iteration = 0; iteration < 40; iteration++) {
            byte[] input = new byte[rnd.nextInt(3_000)];
            for (int i = 0; i < input.length; i++) {
                input[i] = alphabet[rnd.nextInt(alphabet.length)];
            }
            assertMatchesReference(input, rnd.nextInt(6), "--threads", Integer.toString(1 + rnd.nextInt(6)),
                    "--table-slots", Integer.toString(1 + rnd.nextInt(64)));
        }
    }

    @Test
    void withoutOutOnlyTheSummaryIsPrinted() throws Exception {
        Path in = dir.resolve("plain.txt");
        Files.writeString(in, "one two two");
        TestContext ctx = new TestContext(new HeapAddressSpace());
        assertThat(new WordCount().main(ctx, new String[] {in.toString()})).isZero();
        assertThat(ctx.stdout()).isEqualTo("words=3 distinct=2\n2 two\n1 one\n");
    }

    @Test
    void badArgumentsExitWith2AndExplain() throws Exception {
        TestContext ctx = new TestContext(new HeapAddressSpace());
        assertThat(new WordCount().main(ctx, new String[0])).isEqualTo(2);
        assertThat(new WordCount().main(ctx, new String[] {"x", "--threads", "0"})).isEqualTo(2);
        assertThat(new WordCount().main(ctx, new String[] {"x", "--bogus", "1"})).isEqualTo(2);
        assertThat(ctx.stderr()).contains("missing input path").contains("--threads must be in").contains("unknown option --bogus")
                .contains("usage: wordcount");
    }

    @Test
    void missingInputExitsWith1() throws Exception {
        HeapAddressSpace mem = new HeapAddressSpace();
        TestContext ctx = new TestContext(mem);
        assertThat(new WordCount().main(ctx, new String[] {dir.resolve("nope.txt").toString()})).isEqualTo(1);
        assertThat(ctx.stderr()).contains("no such file");
        assertThat(mem.mappedBytes()).isZero();
    }

    @Test
    void tableCountsDistinctKeysAcrossGrowth() {
        HeapAddressSpace mem = new HeapAddressSpace();
        try (KeyArena arena = new KeyArena(mem); WordTable table = new WordTable(mem, arena, 8)) {
            for (int round = 0; round < 3; round++) {
                for (int i = 0; i < 5_000; i++) {
                    byte[] w = ("w" + Integer.toString(i, 26).replace('0', 'q')).getBytes(StandardCharsets.US_ASCII);
                    table.add(w, w.length, 1);
                }
            }
            assertThat(table.size()).isEqualTo(5_000);
            assertThat(table.total()).isEqualTo(15_000);
            assertThat(table.capacity()).isGreaterThanOrEqualTo(5_000 * 10 / 7);
            long[] seen = {0, 0};
            table.forEach((hash, len, count, key0, key1) -> {
                seen[0]++;
                seen[1] += count;
            });
            assertThat(seen).containsExactly(5_000, 15_000);
        }
        assertThat(mem.mappedBytes()).isZero();
    }
}
