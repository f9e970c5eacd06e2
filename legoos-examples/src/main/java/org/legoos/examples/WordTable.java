package org.legoos.examples;

import java.util.Arrays;
import org.legoos.api.AddressSpace;
import org.legoos.api.LongArray;

/**
 * An open-addressing (linear probing) hash table from word to count whose slots live in the disaggregated
 * address space: the word-count "intermediate buffer" of Phoenix, placed on memory components as LegoOS
 * intends. Each slot is four longs, {@code (hash, keyVa, keyLength, count)}, 32 bytes, so slots never straddle
 * a page; {@code keyLength == 0} marks an empty slot (words are never empty), which makes freshly mapped,
 * zero-filled memory an empty table. The key bytes live in a {@link KeyArena}. The table doubles (rehashing
 * by the stored hash, without touching keys) before its load factor would exceed 0.7.
 *
 * <p>Not thread-safe: a map thread owns its table; the reduce phase merges tables on one thread.
 */
final class WordTable implements AutoCloseable {
    static final int SLOT_BYTES = 32;
    private static final int HASH = 0;
    private static final int KEY = 8;
    private static final int LENGTH = 16;
    private static final int COUNT = 24;

    /** Receives one occupied slot. */
    @FunctionalInterface
    interface SlotVisitor {
        void visit(long hash, long keyVa, int keyLength, long count);
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
     * @param arena where new keys are copied, or null for a table that only references keys already in the
     *     address space ({@link #addShared})
     * @param initialSlots rounded up to a power of two, at least 8
     */
    WordTable(AddressSpace memory, KeyArena arena, long initialSlots) {
        if (initialSlots < 1) {
            throw new IllegalArgumentException("initial slots must be >= 1, got " + initialSlots);
        }
        this.memory = memory;
        this.arena = arena;
        this.capacity = Math.max(8, Long.highestOneBit(Math.min(initialSlots, 1L << 40) * 2 - 1));
        this.slots = memory.allocateLongs(capacity * (SLOT_BYTES / 8));
    }

    /**
     * The hash of {@code w[off..off+len)}: the bytes as little-endian 8-byte chunks, the last one zero-padded,
     * folded with a multiply-rotate step seeded by the length and finalised with {@link Mix#fmix64}.
     */
    static long hash(byte[] w, int off, int len) {
        long h = len * 0x9E3779B97F4A7C15L;
        int i = 0;
        for (; i + 8 <= len; i += 8) {
            h = step(h, Bytes.getLong(w, off + i));
        }
        if (i < len) {
            h = step(h, chunk(w, off + i, len - i));
        }
        return Mix.fmix64(h);
    }

    private static long step(long h, long chunk) {
        return Long.rotateLeft((h ^ chunk) * 0xC2B2AE3D27D4EB4FL, 31);
    }

    /** Bytes {@code w[off..off+n)}, {@code n <= 8}, as a little-endian long, zero above them. */
    static long chunk(byte[] w, int off, int n) {
        if (off + 8 <= w.length) {
            return Bytes.getLong(w, off) & (-1L >>> (64 - 8 * n));
        }
        long v = 0;
        for (int i = n - 1; i >= 0; i--) {
            v = (v << 8) | (w[off + i] & 0xFF);
        }
        return v;
    }

    /** Adds {@code delta} to the count of {@code word[0..length)}, copying the word into the arena if new. */
    void add(byte[] word, int length, long delta) {
        long hash = Mix.hashBytes(word, 0, length);
        ensureRoomForOne();
        long mask = capacity - 1;
        long base = slots.address();
        byte[] slot = slotBuffer;
        for (long i = hash & mask; ; i = (i + 1) & mask) {
            long s = base + i * SLOT_BYTES;
            memory.read(s, slot, 0, SLOT_BYTES); // one bulk load per probe instead of one per field
            long len = Bytes.getLong(slot, LENGTH);
            if (len == 0) {
                long keyVa = arena.store(word, length);
                occupy(s, hash, keyVa, length, delta);
                return;
            }
            if (len == length && Bytes.getLong(slot, HASH) == hash && keyEquals(Bytes.getLong(slot, KEY), word, length)) {
                memory.putLong(s + COUNT, Bytes.getLong(slot, COUNT) + delta);
                total += delta;
                return;
            }
        }
    }

    /** Adds {@code delta} to a word whose bytes are already in the address space at {@code keyVa}; a new slot references them. */
    void addShared(long hash, long keyVa, int length, long delta) {
        ensureRoomForOne();
        long mask = capacity - 1;
        long base = slots.address();
        byte[] slot = slotBuffer;
        boolean keyLoaded = false;
        for (long i = hash & mask; ; i = (i + 1) & mask) {
            long s = base + i * SLOT_BYTES;
            memory.read(s, slot, 0, SLOT_BYTES);
            long len = Bytes.getLong(slot, LENGTH);
            if (len == 0) {
                occupy(s, hash, keyVa, length, delta);
                return;
            }
            if (len == length && Bytes.getLong(slot, HASH) == hash) {
                long otherVa = Bytes.getLong(slot, KEY);
                boolean same = otherVa == keyVa;
                if (!same) {
                    if (!keyLoaded) {
                        scratchB = readKey(keyVa, length, scratchB);
                        keyLoaded = true;
                    }
                    same = keyEquals(otherVa, scratchB, length);
                }
                if (same) {
                    memory.putLong(s + COUNT, Bytes.getLong(slot, COUNT) + delta);
                    total += delta;
                    return;
                }
            }
        }
    }

    /** Visits every occupied slot in slot order, reading the table a page at a time. */
    void forEach(SlotVisitor visitor) {
        byte[] page = new byte[AddressSpace.PAGE_SIZE];
        long bytes = capacity * SLOT_BYTES;
        for (long off = 0; off < bytes; off += page.length) {
            int n = (int) Math.min(page.length, bytes - off);
            memory.read(slots.address() + off, page, 0, n);
            for (int p = 0; p < n; p += SLOT_BYTES) {
                long len = Bytes.getLong(page, p + LENGTH);
                if (len != 0) {
                    visitor.visit(Bytes.getLong(page, p + HASH), Bytes.getLong(page, p + KEY), (int) len,
                            Bytes.getLong(page, p + COUNT));
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

    /** Reads {@code length} key bytes at {@code keyVa} into {@code buf} (grown if too small) and returns the buffer. */
    byte[] readKey(long keyVa, int length, byte[] buf) {
        if (buf.length < length) {
            buf = new byte[Math.max(length, buf.length * 2)];
        }
        memory.read(keyVa, buf, 0, length);
        return buf;
    }

    private boolean keyEquals(long keyVa, byte[] word, int length) {
        scratchA = readKey(keyVa, length, scratchA);
        return Arrays.equals(scratchA, 0, length, word, 0, length);
    }

    private void occupy(long s, long hash, long keyVa, int length, long delta) {
        byte[] slot = slotBuffer;
        Bytes.putLong(slot, HASH, hash);
        Bytes.putLong(slot, KEY, keyVa);
        Bytes.putLong(slot, LENGTH, length);
        Bytes.putLong(slot, COUNT, delta);
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
        LongArray fresh = memory.allocateLongs(newCapacity * (SLOT_BYTES / 8));
        long mask = newCapacity - 1;
        long base = fresh.address();
        forEach((hash, keyVa, len, count) -> {
            long i = hash & mask;
            while (memory.getLong(base + i * SLOT_BYTES + LENGTH) != 0) {
                i = (i + 1) & mask;
            }
            long s = base + i * SLOT_BYTES;
            memory.putLong(s + HASH, hash);
            memory.putLong(s + KEY, keyVa);
            memory.putLong(s + COUNT, count);
            memory.putLong(s + LENGTH, len);
        });
        slots.free();
        slots = fresh;
        capacity = newCapacity;
        grows++;
    }

    /** Unmaps the slots (not the keys, which belong to the arena). */
    @Override
    public void close() {
        if (slots != null) {
            slots.free();
            slots = null;
        }
    }
}
