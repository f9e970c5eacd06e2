package com.example;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.zip.Adler32;
import org.legoos.api.LegoContext;
import org.legoos.api.LegoProgram;
import org.legoos.api.LongArray;

/**
 * A LegoOS/J program to start your own from: reads a text file of its vNode and prints a letter histogram.
 *
 * <pre>lego run --vnode VNODE /bin/hist.jar FILE</pre>
 *
 * <p>It reads {@code FILE} through {@link LegoContext#fileSystem()} (the vNode's files, kept by a storage component),
 * counts the ASCII letters {@code A-Z a-z} folded to lower case into 26 counters that live in the process's
 * disaggregated memory ({@link LegoContext#memory()}: a {@link LongArray} on memory components, cached by the
 * processor's ExCache), and prints
 * <pre>
 * FILE: BYTES bytes, LINES lines, LETTERS letters, adler32 HEX
 * e    123 ########################################
 * ...                                   (the 10 most frequent letters, most frequent first, ties a to z)
 * </pre>
 * where LINES counts newline bytes (as {@code wc -l}) and the bar of a letter is its count scaled to 40 characters
 * for the most frequent one, rounded up. Exit code 0, 1 if the file cannot be read, 2 for a usage error.
 */
public final class HistogramProgram implements LegoProgram {
    private static final int LETTERS = 26;
    private static final int TOP = 10;
    private static final int BAR = 40;

    @Override
    public int main(LegoContext ctx, String[] args) throws IOException {
        if (args.length != 1) {
            ctx.err().println("usage: lego run --vnode VNODE /bin/hist.jar FILE");
            return 2;
        }
        Path file = ctx.fileSystem().getPath(args[0]);

        // 26 zeroed longs in disaggregated memory: an anonymous mmap of the process's address space
        LongArray counts = ctx.memory().allocateLongs(LETTERS);
        long bytes = 0;
        long lines = 0;
        Adler32 adler = new Adler32();
        byte[] buf = new byte[64 * 1024]; // heap objects are the program's registers and stack: keep them small
        try (InputStream in = Files.newInputStream(file)) {
            int n;
            while ((n = in.read(buf)) > 0) {
                adler.update(buf, 0, n);
                bytes += n;
                for (int i = 0; i < n; i++) {
                    int b = buf[i] & 0xFF;
                    if (b == '\n') {
                        lines++;
                    }
                    int upper = b & 0xDF; // ASCII: clearing bit 5 folds a-z to A-Z
                    if (upper >= 'A' && upper <= 'Z') {
                        counts.set(upper - 'A', counts.get(upper - 'A') + 1);
                    }
                }
            }
        } catch (NoSuchFileException e) {
            ctx.err().println("hist: " + args[0] + ": no such file");
            return 1;
        }

        long letters = 0;
        long max = 0;
        for (int i = 0; i < LETTERS; i++) {
            letters += counts.get(i);
            max = Math.max(max, counts.get(i));
        }
        ctx.out().printf("%s: %d bytes, %d lines, %d letters, adler32 %08x%n", args[0], bytes, lines, letters, adler.getValue());
        boolean[] printed = new boolean[LETTERS];
        for (int rank = 0; rank < TOP; rank++) {
            int best = -1;
            for (int i = 0; i < LETTERS; i++) {
                if (!printed[i] && counts.get(i) > 0 && (best < 0 || counts.get(i) > counts.get(best))) {
                    best = i;
                }
            }
            if (best < 0) {
                break; // fewer than TOP distinct letters
            }
            printed[best] = true;
            long c = counts.get(best);
            ctx.out().printf("%c %6d %s%n", (char) ('a' + best), c, "#".repeat((int) ((c * BAR + max - 1) / max)));
        }
        counts.free(); // munmap; the process's memory is freed at exit anyway
        ctx.out().flush();
        return 0;
    }
}
