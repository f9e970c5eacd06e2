package org.legoos.examples;

import java.util.Arrays;
import org.legoos.api.AddressSpace;
import org.legoos.api.LongArray;

/**
 * An open-addressing (linear probing) hash table from word to count whose slots live in the disaggregated
 * address space: the word-count "intermediate buffer" of Phoenix, placed on memory components as LegoOS
 * intends. The table doubles (rehashing by the stored hash, without touching keys) before its load factor
 * would exceed 0.7.
 *
 * <p><b>Slot layout</b>: four little-endian longs, 32 bytes, so slots never straddle a page:
 * <pre>
 *   meta  = count &lt;&lt; 16 | (hash &gt;&gt;&gt; 56) &lt;&lt; 8 | min(length, 255)     (0: empty slot)
 *   key0  = bytes 0..7 of the word        | the key's virtual address
 *   key1  = bytes 8..15 of the word       | the word's length
 *   hash  = {@link #hash} of the word
 * </pre>
 * A word of at most {@link #INLINE_BYTES} bytes is kept inline in {@code key0, key1} (little-endian, zero-padded):
 * counting it touches nothing but its slot, and a probe that hits costs two loads ({@code meta}, {@code key0};
 * a third, {@code key1}, for words of 9 to 16 bytes) and one store ({@code meta}). A probe past another word
 * usually costs one load, since {@code meta} holds eight bits of the hash and the length. Longer words (the
 * right column) live in a {@link KeyArena} and are compared with one bulk read. Words are never empty, so
 * {@code meta != 0} in an occupied slot and freshly mapped, zero-filled memory is an empty table.
 *
 * <p>The layout, hash, probing, growth and merge order are shared with the plain-Java twin
 * ({@link WordCountPlain}) through the static helpers here, so both compute the same tables.
 *
 * <p>Not thread-safe: a map thread owns its table; the reduce phase merges tables on one thread.
 */
final class WordTable implements AutoCloseable {
    static final int SLOT_BYTES = 32;
    /** Longs per slot. */
    static final int SLOT_LONGS = SLOT_BYTES / 8;
    /** The longest word kept inline in its slot. */
    static final int INLINE_BYTES = 16;
    /** The largest count of one word (48 bits). */
    static final long MAX_COUNT = (1L << 48) - 1;
    static final int META = 0;
    static final int KEY0 = 8;
    static final int KEY1 = 16;
    static final int HASH = 24;
    private static final long TAG_MASK = 0xFFFF;
    private static final int COUNT_SHIFT = 16;

    /**
     * Receives one occupied slot: for a word of at most {@link #INLINE_BYTES} bytes, {@code key0} and
     * {@code key1} are its bytes (see the class comment); for a longer one, {@code key0} is the address of its
     * bytes and {@code key1} its length.
     */
    @FunctionalInterface
    interface SlotVisitor {
        void visit(long hash, int length, long count, long key0, long key1);
    }

    private final AddressSpace memory;
    private final KeyArena arena;
    private LongArray slots;
    private long capacity;
    private long size;
    private long total;
    private int grows;
    private byte[] scratchA = new byte[64];
    private byte[] scratchB = new byte[64];
    private final byte[] slotBuffer = new byte[SLOT_BYTES];

    /**
     * @param arena where new long words are copied, or null for a table that only receives words from other
     *     tables ({@link #mergeFrom}) and so only references long words already in the address space
     * @param initialSlots rounded up to a power of two, at least 8
     */
    WordTable(AddressSpace memory, KeyArena arena, long initialSlots) {
        this.memory = memory;
        this.arena = arena;
        this.capacity = initialCapacity(initialSlots);
        this.slots = memory.allocateLongs(capacity * SLOT_LONGS);
    }

    /** The slot count of a new table asked for {@code initialSlots}: a power of two, at least 8. */
    static long initialCapacity(long initialSlots) {
        if (initialSlots < 1) {
            throw new IllegalArgumentException("initial slots must be >= 1, got " + initialSlots);
        }
        return Math.max(8, Long.highestOneBit(Math.min(initialSlots, 1L << 40) * 2 - 1));
    }

    // ---------------------------------------------------------------------------------------------------------
    // The layout and the hash, shared with the plain-Java twin.
    // ---------------------------------------------------------------------------------------------------------

    /**
     * The hash of {@code w[off..off+len)}: the bytes as little-endian 8-byte chunks, the last one zero-padded,
     * folded with a multiply-rotate step seeded by the length and finalised with {@link Mix#fmix64}. For a word
     * of at most {@link #INLINE_BYTES} bytes it equals {@link #hashInline} of its chunks.
     */
    static long hash(byte[] w, int off, int len) {
        long h = len * Mix.GOLDEN;
        int i = 0;
        for (; i + 8 <= len; i += 8) {
            h = step(h, Bytes.getLong(w, off + i));
        }
        if (i < len) {
            h = step(h, chunk(w, off + i, len - i));
        }
        return Mix.fmix64(h);
    }

    /** {@link #hash} of a word of 1 to {@link #INLINE_BYTES} bytes given as its two zero-padded chunks. */
    static long hashInline(long key0, long key1, int len) {
        long h = step(len * Mix.GOLDEN, key0);
        if (len > 8) {
            h = step(h, key1);
        }
        return Mix.fmix64(h);
    }

    private static long step(long h, long chunk) {
        return Long.rotateLeft((h ^ chunk) * 0xC2B2AE3D27D4EB4FL, 31);
    }

    /** Bytes {@code w[off..off+n)}, {@code 0 <= n <= 8}, as a little-endian long, zero above them. */
    static long chunk(byte[] w, int off, int n) {
        if (n > 0 && off + 8 <= w.length) {
            return Bytes.getLong(w, off) & (-1L >>> (64 - 8 * n));
        }
        long v = 0;
        for (int i = n - 1; i >= 0; i--) {
            v = (v << 8) | (w[off + i] & 0xFF);
        }
        return v;
    }

    /** The low 16 bits of {@code meta}: eight bits of the hash and the length (capped at 255). */
    static long tag(long hash, int length) {
        return (hash >>> 56) << 8 | Math.min(length, 255);
    }

    /** A slot's {@code meta} for {@code count} and {@link #tag}. */
    static long meta(long count, long tag) {
        return count << COUNT_SHIFT | tag;
    }

    static long countOf(long meta) {
        return meta >>> COUNT_SHIFT;
    }

    static boolean sameTag(long meta, long tag) {
        return (meta & TAG_MASK) == tag;
    }

    /** The word's length given a slot's {@code meta} and {@code key1}. */
    static int lengthOf(long meta, long key1) {
        int l = (int) (meta & 0xFF);
        return l <= INLINE_BYTES ? l : (int) key1;
    }

    /** Writes the {@code len} bytes of an inline word's chunks into {@code buf} (grown if too small) and returns it. */
    static byte[] inlineKey(long key0, long key1, int len, byte[] buf) {
        if (buf.length < INLINE_BYTES) {
            buf = new byte[Math.max(64, len)];
        }
        Bytes.putLong(buf, 0, key0);
        Bytes.putLong(buf, 8, key1);
        return buf;
    }

    /** Checks a count increment: at least 1, and the sum stays within {@link #MAX_COUNT}. */
    static void checkDelta(long count, long delta) {
        if (delta < 1 || delta > MAX_COUNT - count) {
            throw new IllegalStateException("count " + count + " + " + delta + " leaves [1, " + MAX_COUNT + "]");
        }
    }

    // ---------------------------------------------------------------------------------------------------------
    // Counting.
    // ---------------------------------------------------------------------------------------------------------

    /** Adds {@code delta} (at least 1) to the count of {@code word[0..length)}, a word of at least one byte. */
    void add(byte[] word, int length, long delta) {
        if (length <= INLINE_BYTES) {
            if (length < 1) {
                throw new IllegalArgumentException("words are not empty");
            }
            long key0 = chunk(word, 0, Math.min(length, 8));
            long key1 = length > 8 ? chunk(word, 8, length - 8) : 0;
            addInline(hashInline(key0, key1, length), length, key0, key1, delta);
        } else {
            addLong(hash(word, 0, length), word, length, 0, delta);
        }
    }

    private void addInline(long hash, int length, long key0, long key1, long delta) {
        ensureRoomForOne();
        long tag = tag(hash, length);
        long mask = capacity - 1;
        long base = slots.address();
        for (long i = hash & mask; ; i = (i + 1) & mask) {
            long s = base + i * SLOT_BYTES;
            long m = memory.getLong(s + META);
            if (m == 0) {
                occupy(s, meta(delta, tag), key0, key1, hash, delta);
                return;
            }
            if (sameTag(m, tag) && memory.getLong(s + KEY0) == key0 && (length <= 8 || memory.getLong(s + KEY1) == key1)) {
                bump(s, m, delta);
                return;
            }
        }
    }

    /** Adds to a word longer than {@link #INLINE_BYTES}; {@code keyVa} is where its bytes already are, or 0. */
    private void addLong(long hash, byte[] word, int length, long keyVa, long delta) {
        ensureRoomForOne();
        long tag = tag(hash, length);
        long mask = capacity - 1;
        long base = slots.address();
        for (long i = hash & mask; ; i = (i + 1) & mask) {
            long s = base + i * SLOT_BYTES;
            long m = memory.getLong(s + META);
            if (m == 0) {
                if (keyVa == 0) {
                    if (arena == null) {
                        throw new IllegalStateException("this table has no key arena: add long words with mergeFrom");
                    }
                    keyVa = arena.store(word, length);
                }
                occupy(s, meta(delta, tag), keyVa, length, hash, delta);
                return;
            }
            if (sameTag(m, tag) && memory.getLong(s + HASH) == hash && memory.getLong(s + KEY1) == length) {
                long otherVa = memory.getLong(s + KEY0);
                if (otherVa == keyVa || keyEquals(otherVa, word, length)) {
                    bump(s, m, delta);
                    return;
                }
            }
        }
    }

    /** Adds every word of {@code other} with its count; long words are referenced where {@code other} keeps them. */
    void mergeFrom(WordTable other) {
        other.forEach((hash, length, count, key0, key1) -> {
            if (length <= INLINE_BYTES) {
                addInline(hash, length, key0, key1, count);
            } else {
                scratchB = readLongKey(key0, length, scratchB);
                addLong(hash, scratchB, length, key0, count);
            }
        });
    }

    /** Visits every occupied slot in slot order, reading the table a page at a time. */
    void forEach(SlotVisitor visitor) {
        byte[] page = new byte[AddressSpace.PAGE_SIZE];
        long bytes = capacity * SLOT_BYTES;
        for (long off = 0; off < bytes; off += page.length) {
            int n = (int) Math.min(page.length, bytes - off);
            memory.read(slots.address() + off, page, 0, n);
            for (int p = 0; p < n; p += SLOT_BYTES) {
                long m = Bytes.getLong(page, p + META);
                if (m != 0) {
                    long key1 = Bytes.getLong(page, p + KEY1);
                    visitor.visit(Bytes.getLong(page, p + HASH), lengthOf(m, key1), countOf(m), Bytes.getLong(page, p + KEY0), key1);
                }
            }
        }
    }

    /** Number of distinct words. */
    long size() {
        return size;
    }

    /** Sum of all counts. */
    long total() {
        return total;
    }

    long capacity() {
        return capacity;
    }

    /** How many times the table has doubled. */
    int grows() {
        return grows;
    }

    /**
     * The bytes of a word as {@link #forEach} reports it: written into {@code buf} (grown if too small), which is
     * returned; only {@code [0, length)} is meaningful.
     */
    byte[] readKey(int length, long key0, long key1, byte[] buf) {
        return length <= INLINE_BYTES ? inlineKey(key0, key1, length, buf) : readLongKey(key0, length, buf);
    }

    private byte[] readLongKey(long keyVa, int length, byte[] buf) {
        if (buf.length < length) {
            buf = new byte[Math.max(length, buf.length * 2)];
        }
        memory.read(keyVa, buf, 0, length);
        return buf;
    }

    private boolean keyEquals(long keyVa, byte[] word, int length) {
        scratchA = readLongKey(keyVa, length, scratchA);
        return Arrays.equals(scratchA, 0, length, word, 0, length);
    }

    private void bump(long s, long m, long delta) {
        checkDelta(countOf(m), delta);
        memory.putLong(s + META, m + (delta << COUNT_SHIFT));
        total += delta;
    }

    private void occupy(long s, long meta, long key0, long key1, long hash, long delta) {
        checkDelta(0, delta);
        byte[] slot = slotBuffer;
        Bytes.putLong(slot, META, meta);
        Bytes.putLong(slot, KEY0, key0);
        Bytes.putLong(slot, KEY1, key1);
        Bytes.putLong(slot, HASH, hash);
        memory.write(s, slot, 0, SLOT_BYTES);
        size++;
        total += delta;
    }

    private void ensureRoomForOne() {
        if ((size + 1) * 10 > capacity * 7) {
            grow();
        }
    }

    private void grow() {
        long newCapacity = Math.multiplyExact(capacity, 2);
        LongArray fresh = memory.allocateLongs(newCapacity * SLOT_LONGS);
        long mask = newCapacity - 1;
        long base = fresh.address();
        byte[] page = new byte[AddressSpace.PAGE_SIZE];
        long bytes = capacity * SLOT_BYTES;
        for (long off = 0; off < bytes; off += page.length) {
            int n = (int) Math.min(page.length, bytes - off);
            memory.read(slots.address() + off, page, 0, n);
            for (int p = 0; p < n; p += SLOT_BYTES) {
                if (Bytes.getLong(page, p + META) == 0) {
                    continue;
                }
                long i = Bytes.getLong(page, p + HASH) & mask;
                while (memory.getLong(base + i * SLOT_BYTES + META) != 0) {
                    i = (i + 1) & mask;
                }
                memory.write(base + i * SLOT_BYTES, page, p, SLOT_BYTES);
            }
        }
        slots.free();
        slots = fresh;
        capacity = newCapacity;
        grows++;
    }

    /** Unmaps the slots (not the long words, which belong to the arena). */
    @Override
    public void close() {
        if (slots != null) {
            slots.free();
            slots = null;
        }
    }
}
