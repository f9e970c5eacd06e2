package org.legoos.examples;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.locks.ReentrantLock;
import org.legoos.api.AddressSpace;
import org.legoos.api.LongArray;

/**
 * One shard of the {@link KvStore} benchmark's key-value store, entirely in the disaggregated address space:
 * a hash index (open addressing over 32-byte slots {@code (key, recordVa, segmentId, recordBytes)};
 * {@code recordVa == 0} marks an empty slot) and a log-structured value arena of mapped segments. A put
 * appends a record {@code [key:8][version:4][length:4][value][pad to 8]} at the log head and repoints the
 * index; the old record becomes garbage. When a new segment is opened and garbage exceeds the live data by
 * more than a segment, the cleaner relocates the live records of the emptiest sealed segments to the head
 * and unmaps them, so the log stays within about twice the live size.
 *
 * <p>Keys are arbitrary 8-byte values; values are 0 to 2^30 bytes. Not thread-safe by itself: callers
 * hold {@link #lock} around every call (the benchmark shards keys so that threads rarely contend).
 */
final class KvShard implements KvStore.Shard {
    /** Bytes before the value in a record. */
    static final int HEADER = 16;
    private static final int SLOT_BYTES = 32;
    private static final int S_KEY = 0;
    private static final int S_VA = 8;
    private static final int S_SEGMENT = 16;
    private static final int S_BYTES = 24;

    /** Guards the shard; hold it around every other method. */
    final ReentrantLock lock = new ReentrantLock();

    private final AddressSpace memory;
    private final long segmentBytes;
    private LongArray index;
    private long capacity;
    private long size;
    private final List<Segment> segments = new ArrayList<>(); // by id; null for unmapped ids
    private final List<Integer> freeIds = new ArrayList<>();
    private Segment head;
    private long usedBytes;
    private long liveBytes;
    private boolean cleaning;
    private long cleanedSegments;
    private long relocatedRecords;
    private byte[] scratch = new byte[256]; // put's record under construction
    private byte[] cleanerBuffer = new byte[256]; // the cleaner's record in flight (the cleaner runs inside put)

    /** A record read by {@link #get}: the value is {@code data[HEADER .. HEADER + length)}. Reusable, one per thread. */
    static final class Record {
        long address;
        long key;
        int version;
        int length;
        int recordBytes;
        byte[] data = new byte[256];
    }

    private static final class Segment {
        final int id;
        final long va;
        final long capacity;
        long used;
        long live;

        Segment(int id, long va, long capacity) {
            this.id = id;
            this.va = va;
            this.capacity = capacity;
        }
    }

    /**
     * @param expectedKeys sizes the index (it grows beyond that when needed)
     * @param segmentBytes log segment size, rounded up to whole pages; larger records get a segment of their own size
     */
    KvShard(AddressSpace memory, long expectedKeys, long segmentBytes) {
        if (segmentBytes < 1) {
            throw new IllegalArgumentException("segment bytes must be >= 1, got " + segmentBytes);
        }
        this.memory = memory;
        this.segmentBytes = roundToPages(segmentBytes);
        long want = Math.max(8, expectedKeys * 10 / 7 + 1);
        this.capacity = Long.highestOneBit(Math.min(want, 1L << 40) * 2 - 1);
        this.index = memory.allocateLongs(capacity * (SLOT_BYTES / 8));
    }

    @Override
    public ReentrantLock lock() {
        return lock;
    }

    /** Stores {@code value[offset..offset+length)} as the value of {@code key}, tagged with {@code version}. */
    @Override
    public void put(long key, int version, byte[] value, int offset, int length) {
        if (length < 0 || length > (1 << 30)) {
            throw new IllegalArgumentException("value length must be in [0, 2^30], got " + length);
        }
        if ((size + 1) * 10 > capacity * 7) {
            growIndex();
        }
        int recordBytes = align8(HEADER + length);
        if (scratch.length < recordBytes) {
            scratch = new byte[Math.max(recordBytes, scratch.length * 2)];
        }
        byte[] rec = scratch;
        Bytes.putLong(rec, 0, key);
        Bytes.putInt(rec, 8, version);
        Bytes.putInt(rec, 12, length);
        System.arraycopy(value, offset, rec, HEADER, length);
        long va = append(recordBytes); // may run the cleaner, which moves other records: find the slot after
        memory.write(va, rec, 0, recordBytes);
        long slot = find(key);
        if (memory.getLong(slot + S_VA) != 0) {
            dropLive((int) memory.getLong(slot + S_SEGMENT), memory.getLong(slot + S_BYTES));
        } else {
            size++;
        }
        memory.putLong(slot + S_KEY, key);
        memory.putLong(slot + S_SEGMENT, head.id);
        memory.putLong(slot + S_BYTES, recordBytes);
        memory.putLong(slot + S_VA, va);
        head.live += recordBytes;
        liveBytes += recordBytes;
    }

    /**
     * Reads the record of {@code key} into {@code out}: its header fields as stored (a checker compares them with
     * what it expects) and {@code recordBytes} bytes of data, as the index recorded them.
     *
     * @return false if the key was never put
     */
    @Override
    public boolean get(long key, Record out) {
        long slot = find(key);
        long va = memory.getLong(slot + S_VA);
        if (va == 0) {
            return false;
        }
        int recordBytes = (int) memory.getLong(slot + S_BYTES);
        if (out.data.length < recordBytes) {
            out.data = new byte[Math.max(recordBytes, out.data.length * 2)];
        }
        memory.read(va, out.data, 0, recordBytes);
        out.address = va;
        out.recordBytes = recordBytes;
        out.key = Bytes.getLong(out.data, 0);
        out.version = Bytes.getInt(out.data, 8);
        out.length = Bytes.getInt(out.data, 12);
        return true;
    }

    /** Virtual address of the current record of {@code key}, or 0 if absent. */
    long recordAddress(long key) {
        return memory.getLong(find(key) + S_VA);
    }

    long size() {
        return size;
    }

    /** Mapped log segments. */
    @Override
    public int segmentCount() {
        int n = 0;
        for (Segment s : segments) {
            if (s != null) {
                n++;
            }
        }
        return n;
    }

    /** Bytes of log written and not yet reclaimed (live plus garbage). */
    @Override
    public long logBytes() {
        return usedBytes;
    }

    long liveBytes() {
        return liveBytes;
    }

    @Override
    public long cleanedSegments() {
        return cleanedSegments;
    }

    long relocatedRecords() {
        return relocatedRecords;
    }

    private long find(long key) {
        long mask = capacity - 1;
        long base = index.address();
        for (long i = Mix.fmix64(key) & mask; ; i = (i + 1) & mask) {
            long s = base + i * SLOT_BYTES;
            if (memory.getLong(s + S_VA) == 0 || memory.getLong(s + S_KEY) == key) {
                return s;
            }
        }
    }

    private void growIndex() {
        long newCapacity = Math.multiplyExact(capacity, 2);
        LongArray fresh = memory.allocateLongs(newCapacity * (SLOT_BYTES / 8));
        long mask = newCapacity - 1;
        byte[] page = new byte[AddressSpace.PAGE_SIZE];
        long bytes = capacity * SLOT_BYTES;
        for (long off = 0; off < bytes; off += page.length) {
            int n = (int) Math.min(page.length, bytes - off);
            memory.read(index.address() + off, page, 0, n);
            for (int p = 0; p < n; p += SLOT_BYTES) {
                if (Bytes.getLong(page, p + S_VA) == 0) {
                    continue;
                }
                long key = Bytes.getLong(page, p + S_KEY);
                long i = Mix.fmix64(key) & mask;
                while (memory.getLong(fresh.address() + i * SLOT_BYTES + S_VA) != 0) {
                    i = (i + 1) & mask;
                }
                memory.write(fresh.address() + i * SLOT_BYTES, page, p, SLOT_BYTES);
            }
        }
        index.free();
        index = fresh;
        capacity = newCapacity;
    }

    private void dropLive(int segmentId, long recordBytes) {
        Segment s = segments.get(segmentId);
        s.live -= recordBytes;
        liveBytes -= recordBytes;
    }

    /** Reserves {@code recordBytes} at the log head, opening a new segment (and cleaning) when the head is full. */
    private long append(int recordBytes) {
        if (head == null || head.used + recordBytes > head.capacity) {
            openSegment(Math.max(segmentBytes, roundToPages(recordBytes)));
            if (!cleaning) {
                clean();
                if (head.used + recordBytes > head.capacity) { // relocations filled the new head
                    openSegment(Math.max(segmentBytes, roundToPages(recordBytes)));
                }
            }
        }
        long va = head.va + head.used;
        head.used += recordBytes;
        usedBytes += recordBytes;
        return va;
    }

    private void openSegment(long bytes) {
        long va = memory.mmap(bytes);
        int id;
        if (freeIds.isEmpty()) {
            id = segments.size();
            segments.add(null);
        } else {
            id = freeIds.removeLast();
        }
        head = new Segment(id, va, bytes);
        segments.set(id, head);
    }

    private void clean() {
        cleaning = true;
        try {
            while (usedBytes - liveBytes > liveBytes + segmentBytes) {
                Segment victim = null;
                for (Segment s : segments) {
                    if (s != null && s != head && (victim == null || s.live * victim.used < victim.live * s.used)) {
                        victim = s;
                    }
                }
                if (victim == null || victim.live == victim.used) {
                    return; // nothing reclaimable
                }
                relocate(victim);
            }
        } finally {
            cleaning = false;
        }
    }

    private void relocate(Segment victim) {
        byte[] header = new byte[HEADER];
        long off = 0;
        while (off < victim.used) {
            long va = victim.va + off;
            memory.read(va, header, 0, HEADER);
            long key = Bytes.getLong(header, 0);
            int length = Bytes.getInt(header, 12);
            if (length < 0 || off + HEADER + (long) length > victim.used) {
                throw new IllegalStateException(String.format(
                        "corrupt log segment %d at 0x%x: record length %d does not fit", victim.id, va, length));
            }
            int recordBytes = align8(HEADER + length);
            long slot = find(key);
            if (memory.getLong(slot + S_VA) == va) {
                if (cleanerBuffer.length < recordBytes) {
                    cleanerBuffer = new byte[Math.max(recordBytes, cleanerBuffer.length * 2)];
                }
                byte[] rec = cleanerBuffer;
                memory.read(va, rec, 0, recordBytes);
                long to = append(recordBytes);
                memory.write(to, rec, 0, recordBytes);
                slot = find(key); // append never grows the index, but stay obviously correct
                memory.putLong(slot + S_SEGMENT, head.id);
                memory.putLong(slot + S_VA, to);
                victim.live -= recordBytes;
                head.live += recordBytes;
                relocatedRecords++;
            }
            off += recordBytes;
        }
        if (victim.live != 0) {
            throw new IllegalStateException(String.format(
                    "corrupt log segment %d: %d live bytes not found by the scan", victim.id, victim.live));
        }
        memory.munmap(victim.va, victim.capacity);
        usedBytes -= victim.used;
        segments.set(victim.id, null);
        freeIds.add(victim.id);
        cleanedSegments++;
    }

    private static int align8(int n) {
        return (n + 7) & ~7;
    }

    private static long roundToPages(long n) {
        return (n + AddressSpace.PAGE_SIZE - 1) & -AddressSpace.PAGE_SIZE;
    }

    /** Unmaps the index and every segment. */
    @Override
    public void close() {
        if (index != null) {
            index.free();
            index = null;
        }
        for (int i = 0; i < segments.size(); i++) {
            Segment s = segments.get(i);
            if (s != null) {
                memory.munmap(s.va, s.capacity);
                segments.set(i, null);
            }
        }
        head = null;
    }
}
