package org.legoos.examples;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.SortedMap;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

@Timeout(value = 15, unit = TimeUnit.SECONDS)
class CorpusGeneratorTest {
    private static byte[] gen(long bytes, long seed) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        CorpusGenerator.generate(out, bytes, seed);
        return out.toByteArray();
    }

    @Test
    void sameSeedSameBytesOtherSeedOtherBytes() throws IOException {
        byte[] first = gen(100_000, 1);
        assertThat(gen(100_000, 1)).isEqualTo(first);
        assertThat(gen(100_000, 2)).isNotEqualTo(first);
        byte[] longer = gen(150_000, 1);
        assertThat(java.util.Arrays.copyOf(longer, 100_000)).as("a shorter corpus is a prefix").isEqualTo(first);
    }

    @Test
    void writesExactlyTheRequestedBytes() throws IOException {
        for (long n : new long[] {0, 1, 2, 999, 65_536, 123_457}) {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            CorpusGenerator.generate(out, n, 7, 500);
            assertThat(out.toByteArray()).hasSize((int) n);
        }
    }

    @Test
    void looksLikeTextWithSkewedWordFrequencies() throws IOException {
        byte[] corpus = gen(1_000_000, 3);
        String text = new String(corpus, StandardCharsets.US_ASCII);
        String[] lines = text.split("\n");
        assertThat(lines.length).isGreaterThan(1000);
        String firstLine = lines[0];
        assertThat(Character.isUpperCase(firstLine.charAt(0))).isTrue();
        assertThat(firstLine).endsWith(".");
        int words = firstLine.split(" ").length;
        assertThat(words).isBetween(10, 40);
        assertThat(text).contains(",");
        assertThat(text.chars().anyMatch(Character::isDigit)).isTrue();
        SortedMap<String, Long> counts = WordCount.countPlain(new ByteArrayInputStream(corpus));
        long total = counts.values().stream().mapToLong(Long::longValue).sum();
        long top = counts.values().stream().mapToLong(Long::longValue).max().orElseThrow();
        assertThat(top / (double) total).as("most frequent word's share").isBetween(0.03, 0.2);
        assertThat(counts.size()).isBetween(5_000, CorpusGenerator.DEFAULT_VOCABULARY + 10_000);
    }

    @Test
    void aliasTableReproducesZipfProbabilities() {
        int n = 5_000;
        long[] threshold = new long[n];
        int[] alias = new int[n];
        CorpusGenerator.aliasTable(n, 0.99, threshold, alias);
        double[] mass = new double[n];
        for (int col = 0; col < n; col++) {
            double keep = threshold[col] * 0x1.0p-32;
            mass[col] += keep / n;
            mass[alias[col]] += (1 - keep) / n;
        }
        double zeta = ZipfGenerator.zeta(n, 0.99);
        for (int i = 0; i < n; i++) {
            assertThat(mass[i]).as("P(rank %d)", i).isCloseTo(Math.pow(i + 1, -0.99) / zeta, org.assertj.core.api.Assertions.within(1e-9));
        }
    }

    @Test
    void vocabularyIsDistinctLowerCaseAndShortestFirst() {
        byte[][] v = CorpusGenerator.vocabulary(5, 50_000);
        assertThat(v.length).isEqualTo(50_000);
        HashSet<String> set = new HashSet<>();
        int prev = 0;
        for (byte[] w : v) {
            String s = new String(w, StandardCharsets.US_ASCII);
            assertThat(s).matches("[a-z]+");
            assertThat(set.add(s)).isTrue();
            assertThat(s.length()).isGreaterThanOrEqualTo(prev);
            prev = s.length();
        }
    }

    @Test
    void streamsMegabytesWithoutBuffering() throws IOException {
        long[] written = {0};
        OutputStream sink = new OutputStream() {
            @Override
            public void write(int b) {
                written[0]++;
            }

            @Override
            public void write(byte[] b, int off, int len) {
                written[0] += len;
            }
        };
        long t0 = System.nanoTime();
        CorpusGenerator.generate(sink, 16L << 20, 11);
        long ms = (System.nanoTime() - t0) / 1_000_000;
        System.out.println("streamsMegabytesWithoutBuffering: 16 MiB in " + ms + " ms"); // timing is informative only
        assertThat(written[0]).isEqualTo(16L << 20);
    }

    @Test
    void programWritesCorpusIntoTheFileSystem(@TempDir Path dir) throws Exception {
        Path out = dir.resolve("corpus.txt");
        TestContext ctx = new TestContext(new HeapAddressSpace());
        int exit = new CorpusGenerator().main(ctx, new String[] {out.toString(), "--bytes", "64KiB", "--seed", "5"});
        assertThat(exit).isZero();
        assertThat(Files.readAllBytes(out)).isEqualTo(gen(65_536, 5));
        assertThat(new CorpusGenerator().main(ctx, new String[] {out.toString()})).isEqualTo(2);
        assertThat(ctx.stderr()).contains("--bytes is required");
    }
}
