package org.legoos.examples;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The plain-Java twin of the {@link KvStore} benchmark: the same driver ({@link KvStore#execute}: load phase,
 * Zipfian get/put mix as a pure function of {@code (seed, op index)}, exact verification, checksum) over the
 * same store algorithm, with each shard's hash index in a {@code long[]} and its log segments in heap byte
 * arrays instead of disaggregated memory ({@link HeapShard} mirrors {@link KvShard} field for field). The
 * returned line is therefore exactly the program's {@code result} line for the same arguments.
 *
 * <p>Thread-safe: each call builds its own store and starts and joins its own plain threads.
 */
public final class KvStorePlain {
    private KvStorePlain() {
    }

    /**
     * Runs {@code kvstore --keys keys --ops ops --value-bytes valueBytes --get-ratio getRatio --zipf zipf --seed seed
     * --threads threads} on the heap and returns its result line
     * {@code result gets=G puts=P mismatches=X checksum=<16 hex digits>}.
     */
    public static String run(long keys, long ops, int valueBytes, double getRatio, double zipf, long seed, int threads)
            throws Exception {
        if (keys < 1 || keys > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException("keys must be in [1, " + (Integer.MAX_VALUE - 8) + "], got " + keys);
        }
        if (ops < 0 || valueBytes < 1 || valueBytes > (1 << 20) || threads < 1) {
            throw new IllegalArgumentException("bad kvstore configuration: ops " + ops + ", value bytes " + valueBytes
                    + ", threads " + threads);
        }
        if (!(getRatio >= 0 && getRatio <= 1) || !(zipf >= 0 && zipf < 1)) {
            throw new IllegalArgumentException("get ratio must be in [0, 1] and zipf in [0, 1), got " + getRatio + ", " + zipf);
        }
        KvStore.Config c = new KvStore.Config(keys, ops, valueBytes, getRatio, zipf, seed, threads,
                KvStore.defaultSegmentBytes(valueBytes));
        int shardCount = KvStore.shardCount(threads);
        HeapShard[] shards = new HeapShard[shardCount];
        for (int i = 0; i < shardCount; i++) {
            shards[i] = new HeapShard(KvStore.expectedKeysPerShard(c, shardCount), c.segmentBytes());
        }
        KvStore.Outcome o = KvStore.execute(c, shards, WordCountPlain::runThreads, () -> false);
        return o.resultLine();
    }

    /**
     * {@link KvShard} on the heap: the index is a {@code long[]} of the same 4-long slots
     * {@code (key, recordRef, segmentId, recordBytes)}, the log the same segments as byte arrays; a record's
     * reference is {@code (segmentId + 1) << 32 | offset}, so 0 still marks an empty slot. Appending, the cleaner's
     * victim choice and relocation are KvShard's. Not thread-safe: callers hold {@link #lock()}.
     */
    static final class HeapShard implements KvStore.Shard {
        private static final int SLOT = 4;
        private static final int S_KEY = 0;
        private static final int S_REF = 1;
        private static final int S_SEGMENT = 2;
        private static final int S_BYTES = 3;

        private final ReentrantLock lock = new ReentrantLock();
        private final long segmentBytes;
        private long[] index;
        private int capacity;
        private long size;
        private final List<Segment> segments = new ArrayList<>();
        private final List<Integer> freeIds = new ArrayList<>();
        private Segment head;
        private long usedBytes;
        private long liveBytes;
        private boolean cleaning;
        private long cleanedSegments;

        private static final class Segment {
            final int id;
            final byte[] data;
            int used;
            long live;

            Segment(int id, int capacity) {
                this.id = id;
                this.data = new byte[capacity];
            }
        }

        HeapShard(long expectedKeys, long segmentBytes) {
            this.segmentBytes = roundToPages(segmentBytes);
            long want = Math.max(8, expectedKeys * 10 / 7 + 1);
            this.capacity = Math.toIntExact(Long.highestOneBit(Math.min(want, 1L << 28) * 2 - 1));
            this.index = new long[capacity * SLOT];
        }

        @Override
        public ReentrantLock lock() {
            return lock;
        }

        @Override
        public void put(long key, int version, byte[] value, int offset, int length) {
            if ((size + 1) * 10 > (long) capacity * 7) {
                growIndex();
            }
            int recordBytes = align8(KvShard.HEADER + length);
            long ref = append(recordBytes); // may run the cleaner, which moves other records: find the slot after
            Segment seg = segments.get(segmentOf(ref));
            int at = (int) ref;
            Bytes.putLong(seg.data, at, key);
            Bytes.putInt(seg.data, at + 8, version);
            Bytes.putInt(seg.data, at + 12, length);
            System.arraycopy(value, offset, seg.data, at + KvShard.HEADER, length);
            int slot = find(key);
            if (index[slot + S_REF] != 0) {
                dropLive((int) index[slot + S_SEGMENT], index[slot + S_BYTES]);
            } else {
                size++;
            }
            index[slot + S_KEY] = key;
            index[slot + S_SEGMENT] = head.id;
            index[slot + S_BYTES] = recordBytes;
            index[slot + S_REF] = ref;
            head.live += recordBytes;
            liveBytes += recordBytes;
        }

        @Override
        public boolean get(long key, KvShard.Record out) {
            int slot = find(key);
            long ref = index[slot + S_REF];
            if (ref == 0) {
                return false;
            }
            int recordBytes = (int) index[slot + S_BYTES];
            if (out.data.length < recordBytes) {
                out.data = new byte[Math.max(recordBytes, out.data.length * 2)];
            }
            System.arraycopy(segments.get(segmentOf(ref)).data, (int) ref, out.data, 0, recordBytes);
            out.address = ref;
            out.recordBytes = recordBytes;
            out.key = Bytes.getLong(out.data, 0);
            out.version = Bytes.getInt(out.data, 8);
            out.length = Bytes.getInt(out.data, 12);
            return true;
        }

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

        @Override
        public long logBytes() {
            return usedBytes;
        }

        @Override
        public long cleanedSegments() {
            return cleanedSegments;
        }

        private static int segmentOf(long ref) {
            return (int) (ref >>> 32) - 1;
        }

        private int find(long key) {
            int mask = capacity - 1;
            for (int i = (int) Mix.fmix64(key) & mask; ; i = (i + 1) & mask) {
                int s = i * SLOT;
                if (index[s + S_REF] == 0 || index[s + S_KEY] == key) {
                    return s;
                }
            }
        }

        private void growIndex() {
            int newCapacity = Math.multiplyExact(capacity, 2);
            long[] fresh = new long[Math.multiplyExact(newCapacity, SLOT)];
            int mask = newCapacity - 1;
            for (int s = 0; s < index.length; s += SLOT) {
                if (index[s + S_REF] == 0) {
                    continue;
                }
                int i = (int) Mix.fmix64(index[s + S_KEY]) & mask;
                while (fresh[i * SLOT + S_REF] != 0) {
                    i = (i + 1) & mask;
                }
                System.arraycopy(index, s, fresh, i * SLOT, SLOT);
            }
            index = fresh;
            capacity = newCapacity;
        }

        private void dropLive(int segmentId, long recordBytes) {
            segments.get(segmentId).live -= recordBytes;
            liveBytes -= recordBytes;
        }

        private long append(int recordBytes) {
            if (head == null || head.used + recordBytes > head.data.length) {
                openSegment(Math.max(segmentBytes, roundToPages(recordBytes)));
                if (!cleaning) {
                    clean();
                    if (head.used + recordBytes > head.data.length) { // relocations filled the new head
                        openSegment(Math.max(segmentBytes, roundToPages(recordBytes)));
                    }
                }
            }
            long ref = (long) (head.id + 1) << 32 | head.used;
            head.used += recordBytes;
            usedBytes += recordBytes;
            return ref;
        }

        private void openSegment(long bytes) {
            int id;
            if (freeIds.isEmpty()) {
                id = segments.size();
                segments.add(null);
            } else {
                id = freeIds.removeLast();
            }
            head = new Segment(id, Math.toIntExact(bytes));
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
            int off = 0;
            while (off < victim.used) {
                long ref = (long) (victim.id + 1) << 32 | off;
                long key = Bytes.getLong(victim.data, off);
                int length = Bytes.getInt(victim.data, off + 12);
                if (length < 0 || off + KvShard.HEADER + (long) length > victim.used) {
                    throw new IllegalStateException("corrupt log segment " + victim.id + " at " + off
                            + ": record length " + length + " does not fit");
                }
                int recordBytes = align8(KvShard.HEADER + length);
                int slot = find(key);
                if (index[slot + S_REF] == ref) {
                    long to = append(recordBytes);
                    System.arraycopy(victim.data, off, segments.get(segmentOf(to)).data, (int) to, recordBytes);
                    slot = find(key);
                    index[slot + S_SEGMENT] = head.id;
                    index[slot + S_REF] = to;
                    victim.live -= recordBytes;
                    head.live += recordBytes;
                }
                off += recordBytes;
            }
            if (victim.live != 0) {
                throw new IllegalStateException("corrupt log segment " + victim.id + ": " + victim.live
                        + " live bytes not found by the scan");
            }
            usedBytes -= victim.used;
            segments.set(victim.id, null);
            freeIds.add(victim.id);
            cleanedSegments++;
        }

        private static int align8(int n) {
            return (n + 7) & ~7;
        }

        private static long roundToPages(long n) {
            return (n + 4095) & -4096L;
        }

        /** Drops the index and the segments (the garbage collector frees them). */
        @Override
        public void close() {
            index = null;
            segments.clear();
            head = null;
        }
    }
}
