package org.legoos.examples;

import java.util.Arrays;
import org.legoos.api.AddressSpace;
import org.legoos.api.LongArray;

/**
 * The reduce phase's final sort: every distinct word of a {@link WordTable} as a 32-byte record
 * {@code (prefix, rest, keyLength, count)} in the disaggregated address space, sorted by word with a
 * bottom-up merge sort whose two record arrays both live on memory components. {@code prefix} is the first
 * eight key bytes, big-endian and zero-padded, so almost every comparison is one unsigned {@code long}
 * compare; {@code rest} is bytes 8 to 15 of a word of at most {@link WordTable#INLINE_BYTES} bytes (as the table
 * keeps them inline) or the address of a longer word's bytes, which only comparisons of long words sharing
 * eight leading bytes read.
 *
 * <p>For ExCache locality the sort first orders each page (128 records) locally, then merges runs with
 * sequential, page-at-a-time readers and writers. Not thread-safe; used by the reduce thread only.
 */
final class SortedWords implements AutoCloseable {
    private static final int RECORD = 32;
    private static final int RUN = AddressSpace.PAGE_SIZE / RECORD;

    /** Receives words in order; only {@code word[0..length)} is valid, and only during the call. */
    @FunctionalInterface
    interface WordVisitor {
        void visit(byte[] word, int length, long count) throws java.io.IOException;
    }

    private final AddressSpace memory;
    private final long count;
    private LongArray records;
    private byte[] keyA = new byte[64];
    private byte[] keyB = new byte[64];

    private SortedWords(AddressSpace memory, long count) {
        this.memory = memory;
        this.count = count;
    }

    /** Copies the table's words into records and sorts them; the table's long words must stay mapped while this is used. */
    static SortedWords of(AddressSpace memory, WordTable table) {
        SortedWords s = new SortedWords(memory, table.size());
        s.records = memory.allocateLongs(s.count * 4);
        try {
            RecordWriter w = new RecordWriter(memory, s.records.address());
            byte[] head = new byte[8];
            table.forEach((hash, len, cnt, key0, key1) -> {
                if (len <= WordTable.INLINE_BYTES) {
                    w.put(Long.reverseBytes(key0), key1, len, cnt);
                } else {
                    memory.read(key0, head, 0, 8);
                    w.put(prefixOf(head), key0, len, cnt);
                }
            });
            w.flush();
            s.sort();
        } catch (RuntimeException | Error e) {
            s.close();
            throw e;
        }
        return s;
    }

    long size() {
        return count;
    }

    /** Visits the words in ascending byte order. */
    void forEach(WordVisitor visitor) throws java.io.IOException {
        RecordReader r = new RecordReader(memory, records.address(), count);
        byte[] word = new byte[64];
        while (r.next()) {
            int len = (int) r.length;
            if (len <= WordTable.INLINE_BYTES) {
                Bytes.putLong(word, 0, Long.reverseBytes(r.prefix));
                Bytes.putLong(word, 8, r.key);
            } else {
                word = grow(word, len);
                memory.read(r.key, word, 0, len);
            }
            visitor.visit(word, len, r.count);
        }
    }

    private static long prefixOf(byte[] head) {
        long p = 0;
        for (int i = 0; i < 8; i++) {
            p = (p << 8) | (head[i] & 0xFF);
        }
        return p;
    }

    /** Compares two records' words: {@code p} prefix, {@code k} rest (see the class comment), {@code l} length. */
    private int compare(long pa, long ka, long la, long pb, long kb, long lb) {
        int c = Long.compareUnsigned(pa, pb);
        if (c != 0) {
            return c;
        }
        if (la <= 8 || lb <= 8) {
            // equal zero-padded prefixes: a word of <= 8 bytes is then a prefix of (or equal to) the other
            return Long.compare(la, lb);
        }
        int inline = WordTable.INLINE_BYTES;
        if (la <= inline && lb <= inline) {
            c = Long.compareUnsigned(Long.reverseBytes(ka), Long.reverseBytes(kb));
            return c != 0 ? c : Long.compare(la, lb); // the same argument for bytes 8..15
        }
        if (ka == kb && la == lb) {
            return 0; // the same long word
        }
        keyA = rest(ka, (int) la, keyA);
        keyB = rest(kb, (int) lb, keyB);
        return Arrays.compareUnsigned(keyA, 0, (int) la - 8, keyB, 0, (int) lb - 8);
    }

    /** Bytes 8.. of a word of more than 8 bytes, from its record's {@code rest}, into {@code buf} (grown if needed). */
    private byte[] rest(long rest, int length, byte[] buf) {
        buf = grow(buf, Math.max(8, length - 8));
        if (length <= WordTable.INLINE_BYTES) {
            Bytes.putLong(buf, 0, rest);
        } else {
            memory.read(rest + 8, buf, 0, length - 8);
        }
        return buf;
    }

    private static byte[] grow(byte[] b, int n) {
        return b.length >= n ? b : new byte[Math.max(n, b.length * 2)];
    }

    private void sort() {
        if (count <= 1) {
            return;
        }
        sortRunsLocally();
        if (count <= RUN) {
            return;
        }
        LongArray other = memory.allocateLongs(count * 4);
        LongArray src = records;
        LongArray dst = other;
        try {
            for (long width = RUN; width < count; width *= 2) {
                RecordWriter w = new RecordWriter(memory, dst.address());
                for (long lo = 0; lo < count; lo += 2 * width) {
                    long mid = Math.min(lo + width, count);
                    long hi = Math.min(lo + 2 * width, count);
                    merge(src.address(), lo, mid, hi, w);
                }
                w.flush();
                LongArray t = src;
                src = dst;
                dst = t;
            }
        } finally {
            dst.free(); // the array not holding the result
            records = src;
        }
    }

    private void merge(long base, long lo, long mid, long hi, RecordWriter out) {
        RecordReader a = new RecordReader(memory, base + lo * RECORD, mid - lo);
        RecordReader b = new RecordReader(memory, base + mid * RECORD, hi - mid);
        boolean hasA = a.next();
        boolean hasB = b.next();
        while (hasA && hasB) {
            if (compare(a.prefix, a.key, a.length, b.prefix, b.key, b.length) <= 0) {
                out.put(a.prefix, a.key, a.length, a.count);
                hasA = a.next();
            } else {
                out.put(b.prefix, b.key, b.length, b.count);
                hasB = b.next();
            }
        }
        for (; hasA; hasA = a.next()) {
            out.put(a.prefix, a.key, a.length, a.count);
        }
        for (; hasB; hasB = b.next()) {
            out.put(b.prefix, b.key, b.length, b.count);
        }
    }

    private void sortRunsLocally() {
        byte[] page = new byte[RUN * RECORD];
        byte[] sorted = new byte[RUN * RECORD];
        Integer[] order = new Integer[RUN];
        for (long lo = 0; lo < count; lo += RUN) {
            int n = (int) Math.min(RUN, count - lo);
            long va = records.address() + lo * RECORD;
            memory.read(va, page, 0, n * RECORD);
            for (int i = 0; i < n; i++) {
                order[i] = i;
            }
            Arrays.sort(order, 0, n, (x, y) -> compare(
                    Bytes.getLong(page, x * RECORD), Bytes.getLong(page, x * RECORD + 8), Bytes.getLong(page, x * RECORD + 16),
                    Bytes.getLong(page, y * RECORD), Bytes.getLong(page, y * RECORD + 8), Bytes.getLong(page, y * RECORD + 16)));
            for (int i = 0; i < n; i++) {
                System.arraycopy(page, order[i] * RECORD, sorted, i * RECORD, RECORD);
            }
            memory.write(va, sorted, 0, n * RECORD);
        }
    }

    /** Unmaps the records (not the keys). */
    @Override
    public void close() {
        if (records != null) {
            records.free();
            records = null;
        }
    }

    /** Sequential reader of records, one page-sized bulk read at a time. */
    private static final class RecordReader {
        private final AddressSpace memory;
        private final byte[] buf = new byte[AddressSpace.PAGE_SIZE];
        private long va;
        private long remaining;
        private int pos;
        private int limit;
        long prefix;
        long key;
        long length;
        long count;

        RecordReader(AddressSpace memory, long va, long records) {
            this.memory = memory;
            this.va = va;
            this.remaining = records;
        }

        boolean next() {
            if (pos == limit) {
                if (remaining == 0) {
                    return false;
                }
                int n = (int) Math.min(buf.length / RECORD, remaining);
                memory.read(va, buf, 0, n * RECORD);
                va += (long) n * RECORD;
                remaining -= n;
                pos = 0;
                limit = n * RECORD;
            }
            prefix = Bytes.getLong(buf, pos);
            key = Bytes.getLong(buf, pos + 8);
            length = Bytes.getLong(buf, pos + 16);
            count = Bytes.getLong(buf, pos + 24);
            pos += RECORD;
            return true;
        }
    }

    /** Sequential writer of records, one page-sized bulk write at a time. */
    private static final class RecordWriter {
        private final AddressSpace memory;
        private final byte[] buf = new byte[AddressSpace.PAGE_SIZE];
        private long va;
        private int pos;

        RecordWriter(AddressSpace memory, long va) {
            this.memory = memory;
            this.va = va;
        }

        void put(long prefix, long key, long length, long count) {
            Bytes.putLong(buf, pos, prefix);
            Bytes.putLong(buf, pos + 8, key);
            Bytes.putLong(buf, pos + 16, length);
            Bytes.putLong(buf, pos + 24, count);
            pos += RECORD;
            if (pos == buf.length) {
                flush();
            }
        }

        void flush() {
            if (pos > 0) {
                memory.write(va, buf, 0, pos);
                va += pos;
                pos = 0;
            }
        }
    }
}
