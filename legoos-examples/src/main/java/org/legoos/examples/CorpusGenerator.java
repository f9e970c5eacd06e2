package org.legoos.examples;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.legoos.api.LegoContext;
import org.legoos.api.LegoProgram;

/**
 * Generates a deterministic English-like text corpus for {@link WordCount}: pseudo-words built from
 * syllables (a vocabulary of 50,000 by default, shorter words more frequent), drawn from a Zipf
 * distribution of skew 0.99 (the word of rank {@code i} has probability proportional to {@code (i+1)^-0.99},
 * sampled in O(1) with Walker's alias method), in lines of 10 to 15 words. The first word of a
 * line is capitalised, a line ends with {@code ".\n"}, and now and then a comma or a number appears,
 * so the tokeniser's separators and case folding are exercised. The output is exactly the requested
 * number of bytes (the last line is cut there) and a pure function of {@code (bytes, seed, vocabulary)}.
 *
 * <p>As a program: {@code corpus <path> --bytes N [--seed S] [--vocabulary V]} writes the corpus into the
 * vNode's file system. The static methods are thread-safe (no shared state) and write tens of MB per second
 * of a single core into a buffered stream.
 */
public final class CorpusGenerator implements LegoProgram {
    public static final int DEFAULT_VOCABULARY = 50_000;
    public static final double THETA = 0.99;
    private static final String USAGE = "usage: corpus <path> --bytes N [--seed S] [--vocabulary V]";

    private static final String[] ONSETS = {"", "", "b", "c", "d", "f", "g", "h", "j", "k", "l", "m", "n", "p", "qu",
        "r", "s", "t", "v", "w", "y", "z", "bl", "br", "ch", "cl", "cr", "dr", "fl", "fr", "gl", "gr", "pl", "pr",
        "sc", "sh", "sl", "sm", "sn", "sp", "st", "str", "sw", "th", "tr", "wh"};
    private static final String[] VOWELS = {"a", "e", "i", "o", "u", "a", "e", "i", "o", "ai", "ea", "ee", "ie", "oa",
        "oo", "ou", "y"};
    private static final String[] CODAS = {"", "", "", "", "n", "r", "s", "t", "l", "m", "d", "ng", "ck", "st", "nd",
        "rt", "sh", "th", "x"};

    @Override
    public int main(LegoContext ctx, String[] argv) throws Exception {
        Path path;
        long bytes;
        long seed;
        int vocabulary;
        try {
            Args a = Args.parse(argv, Set.of());
            if (a.positional().size() != 1) {
                throw new IllegalArgumentException("expected one output path");
            }
            bytes = a.size("bytes", -1, 0, Long.MAX_VALUE);
            if (bytes < 0) {
                throw new IllegalArgumentException("--bytes is required");
            }
            seed = a.longValue("seed", 1, Long.MIN_VALUE, Long.MAX_VALUE);
            vocabulary = a.intValue("vocabulary", DEFAULT_VOCABULARY, 1, 1_000_000);
            a.finish();
            path = ctx.fileSystem().getPath(a.positional().get(0));
        } catch (IllegalArgumentException e) {
            ctx.err().println("corpus: " + e.getMessage());
            ctx.err().println(USAGE);
            return 2;
        }
        try (OutputStream out = new BufferedOutputStream(Files.newOutputStream(path), 1 << 16)) {
            generate(out, bytes, seed, vocabulary);
        } catch (IOException e) {
            ctx.err().println("corpus: " + e);
            return 1;
        }
        ctx.out().printf("corpus: wrote %d bytes to %s (seed %d, vocabulary %d)%n", bytes, path, seed, vocabulary);
        return 0;
    }

    /** Writes exactly {@code bytes} bytes of corpus for {@code seed} with the default vocabulary. Does not close {@code out}. */
    public static void generate(OutputStream out, long bytes, long seed) throws IOException {
        generate(out, bytes, seed, DEFAULT_VOCABULARY);
    }

    /** Writes exactly {@code bytes} bytes of corpus for {@code seed} over {@code vocabulary} distinct words. Does not close {@code out}. */
    public static void generate(OutputStream out, long bytes, long seed, int vocabulary) throws IOException {
        if (bytes < 0) {
            throw new IllegalArgumentException("bytes must be >= 0, got " + bytes);
        }
        if (bytes == 0) {
            return;
        }
        byte[][] words = vocabulary(seed, vocabulary);
        int n = words.length;
        long[] threshold = new long[n];
        int[] alias = new int[n];
        aliasTable(n, THETA, threshold, alias);
        byte[] buf = new byte[1 << 16];
        int pos = 0;
        long remaining = bytes;
        long state = Mix.fmix64(seed ^ 0x636F72707573L);
        while (remaining > 0) {
            state += Mix.GOLDEN;
            int lineWords = 10 + (int) (((Mix.splitmix(state) >>> 32) * 6) >>> 32);
            for (int w = 0; w < lineWords; w++) {
                state += Mix.GOLDEN;
                long r = Mix.splitmix(state);
                int column = (int) (((r >>> 32) * n) >>> 32);
                byte[] word = words[(r & 0xFFFFFFFFL) < threshold[column] ? column : alias[column]];
                System.arraycopy(word, 0, buf, pos, word.length);
                if (w == 0) {
                    buf[pos] -= 'a' - 'A';
                }
                pos += word.length;
                if (w + 1 < lineWords) {
                    state += Mix.GOLDEN;
                    long extra = Mix.splitmix(state);
                    int roll = (int) (extra & 0x3FF);
                    if (roll < 48) {
                        buf[pos++] = ',';
                    } else if (roll < 52) {
                        buf[pos++] = ' ';
                        pos = appendNumber(buf, pos, (extra >>> 10) & 0xFFF);
                    }
                    buf[pos++] = ' ';
                }
            }
            buf[pos++] = '.';
            buf[pos++] = '\n';
            if (pos > buf.length - 2048) {
                int k = (int) Math.min(pos, remaining);
                out.write(buf, 0, k);
                remaining -= k;
                pos = 0;
            }
        }
    }

    /**
     * Walker's alias method (Vose's construction) for P(rank i) proportional to (i+1)^-theta: draw a column
     * uniformly, keep it if a uniform 32-bit number is below {@code threshold[column]}, else take {@code alias[column]}.
     */
    static void aliasTable(int n, double theta, long[] threshold, int[] alias) {
        double[] p = new double[n];
        double sum = 0;
        for (int i = n - 1; i >= 0; i--) {
            sum += p[i] = Math.pow(i + 1, -theta);
        }
        int[] small = new int[n];
        int[] large = new int[n];
        int ns = 0;
        int nl = 0;
        for (int i = 0; i < n; i++) {
            p[i] = p[i] * n / sum;
            if (p[i] < 1.0) {
                small[ns++] = i;
            } else {
                large[nl++] = i;
            }
        }
        while (ns > 0 && nl > 0) {
            int s = small[--ns];
            int l = large[--nl];
            threshold[s] = (long) (p[s] * 0x1.0p32);
            alias[s] = l;
            p[l] = (p[l] + p[s]) - 1.0;
            if (p[l] < 1.0) {
                small[ns++] = l;
            } else {
                large[nl++] = l;
            }
        }
        while (nl > 0) {
            int l = large[--nl];
            threshold[l] = 1L << 32;
            alias[l] = l;
        }
        while (ns > 0) { // only rounding leftovers, whose probability is 1 up to rounding
            int s = small[--ns];
            threshold[s] = 1L << 32;
            alias[s] = s;
        }
    }

    private static int appendNumber(byte[] buf, int pos, long v) {
        String s = Long.toString(v);
        for (int i = 0; i < s.length(); i++) {
            buf[pos++] = (byte) s.charAt(i);
        }
        return pos;
    }

    private static int pick(long bits, int n) {
        return (int) (((bits & 0xFFFF) * n) >>> 16);
    }

    /** The corpus's distinct lower-case words, most frequent (shortest) first; a pure function of the arguments. */
    static byte[][] vocabulary(long seed, int size) {
        if (size < 1 || size > 1_000_000) {
            throw new IllegalArgumentException("vocabulary must be in [1, 1000000], got " + size);
        }
        Set<String> seen = new HashSet<>(size * 2);
        List<String> words = new ArrayList<>(size);
        long state = Mix.fmix64(seed ^ 0x766F636162L);
        StringBuilder sb = new StringBuilder();
        while (words.size() < size) {
            state += Mix.GOLDEN;
            long r = Mix.splitmix(state);
            int p = (int) (r & 0xFF);
            int syllables = p < 64 ? 1 : p < 160 ? 2 : p < 224 ? 3 : p < 248 ? 4 : 5;
            sb.setLength(0);
            for (int syl = 0; syl < syllables; syl++) {
                state += Mix.GOLDEN;
                r = Mix.splitmix(state); // 16 bits for each of onset, vowel, coda
                sb.append(ONSETS[pick(r, ONSETS.length)]);
                sb.append(VOWELS[pick(r >>> 16, VOWELS.length)]);
                sb.append(CODAS[pick(r >>> 32, CODAS.length)]);
            }
            String w = sb.toString();
            if (seen.add(w)) {
                words.add(w);
            }
        }
        words.sort(Comparator.comparingInt(String::length)); // stable: generation order within a length
        byte[][] out = new byte[words.size()][];
        for (int i = 0; i < out.length; i++) {
            out[i] = words.get(i).getBytes(java.nio.charset.StandardCharsets.US_ASCII);
        }
        return out;
    }
}
