package org.legoos.examples;

/**
 * The word-count tokenisation contract, in one place so {@link WordCount}'s map phase and its plain-Java
 * reference {@link WordCount#countPlain} agree byte for byte.
 *
 * <p>The input is a sequence of bytes (no character decoding). A word is a maximal run of ASCII letters
 * ({@code A-Z}, {@code a-z}), folded to lower case, so every word matches {@code [a-z]+}. Every other byte
 * (whitespace, digits, punctuation, control bytes, and every byte of a non-ASCII UTF-8 sequence) separates
 * words. Words have no length limit.
 *
 * <p>Not thread-safe: one tokenizer per thread. It keeps the word in progress across {@link #feed} calls,
 * so input may be fed in arbitrary pieces; call {@link #finish} at the end of the input.
 */
final class WordTokenizer {
    /** Receives each word; the array is reused, only {@code word[0..length)} is valid, and only during the call. */
    @FunctionalInterface
    interface Sink {
        void word(byte[] word, int length);
    }

    private byte[] word = new byte[64];
    private int length;

    /** True for exactly the bytes that form words: ASCII {@code A-Z} and {@code a-z}. */
    static boolean isLetter(byte b) {
        int l = b | 0x20;
        return l >= 'a' && l <= 'z';
    }

    void feed(byte[] data, int offset, int count, Sink sink) {
        byte[] w = word;
        int len = length;
        for (int i = offset, end = offset + count; i < end; i++) {
            int l = data[i] | 0x20;
            if (l >= 'a' && l <= 'z') {
                if (len == w.length) {
                    w = word = java.util.Arrays.copyOf(w, Math.addExact(w.length, w.length));
                }
                w[len++] = (byte) l;
            } else if (len > 0) {
                sink.word(w, len);
                len = 0;
            }
        }
        length = len;
    }

    /** Ends the input: emits the word in progress, if any. */
    void finish(Sink sink) {
        if (length > 0) {
            sink.word(word, length);
            length = 0;
        }
    }
}
