package org.legoos.processor.excache;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The ExCache of a processor component (LegoOS paper, section 4.3): the component's local DRAM used as a cache
 * of its processes' virtual memory, whose every byte lives on memory components. One ExCache serves all
 * processes of the processor; lines are tagged with the address-space id ({@code asid}) and virtual page number.
 *
 * <h2>Layout</h2>
 * One off-heap slab of {@code capacityBytes} holds 4 KiB lines, {@code sets * ways} of them. A page goes to set
 * {@code (va >>> 12) & (sets - 1)} (VA bits {@code [12, 12 + log2(sets))}) and may live in any way of it. Each
 * line has a tag (asid, vpn), a dirty bit and a count of stores in flight. A miss takes a free line of the set
 * (the free list) or evicts one chosen by the {@link EvictionPolicy}; a dirty victim is handed to
 * {@link LineBackend#fill} so it can ride on the miss (piggyback), a clean one is dropped. With
 * {@link ExCacheConfig#piggyback()} off, a dirty victim is written back with {@link LineBackend#flush} first.
 *
 * <h2>Prefetch (beyond LegoOS)</h2>
 * Each thread's misses feed a small table of access streams ({@link StreamDetector}: a page, a stride of any
 * nonzero number of pages, a confidence), looked up in a {@code ThreadLocal} on the miss path only. When a miss
 * continues a confirmed stream, the next pages of the stream (4 at first, doubling per continuation up to
 * {@link ExCacheConfig#prefetchPages()}) are filled by the same backend call as the missed page
 * ({@link LineBackend#fillBatch}: one {@code P2M_PCACHE_MISS}). Only pages the backend accepts
 * ({@link LineBackend#prefetchable}: same memory component, written back before) and that are not cached are
 * fetched, and only as far as the first one that is not. A prefetched line is installed like a missed one, in
 * its own set, whose lock the missing thread takes with {@code tryLock} while holding its own set's lock: a busy
 * set, the missed page's set, or a set already in the batch ends the batch, so no thread ever waits for a lock
 * while holding one. The dirty victims of prefetched lines are handed to the backend in the same call, which
 * writes them back before it overwrites their lines and before the sets are unlocked, so no other thread can
 * miss on a victim before its data is on its memory component.
 *
 * <h2>Threading contract</h2>
 * All access methods may be called by any number of threads at once. As on hardware, concurrent unsynchronised
 * stores to the same bytes leave one of the values, and a load racing with a store to the same bytes returns
 * either value; a value that crosses a page boundary is not atomic. Everything else is exact: no store is lost
 * to a concurrent eviction, flush or invalidation, and no store ever lands in a line after it was given to
 * another page.
 *
 * <ul>
 * <li><b>Hits</b> take no lock and allocate nothing. Each set has a sequence stamp (seqlock) that is odd while a
 *     line of the set changes its tag. A load reads the stamp, finds the tag (the set's most recently used way
 *     first, then a scan of the set), reads the value and re-reads the stamp; if the stamp moved it retries.
 * <li><b>Stores</b> on a hit announce themselves in the line's state word (an atomic add), re-check the stamp,
 *     write, then set the dirty bit and retire in one atomic update. An evictor first changes the tag under the
 *     odd stamp and then waits for the line's stores in flight to retire before it reads the dirty bit and
 *     reuses the line, so a store either completes before the eviction (and is written back) or sees the moved
 *     stamp and is redone through the miss path. A hit store therefore costs two atomic instructions; a hit load
 *     costs none.
 * <li><b>Misses</b> take the set's lock (one small lock per set), look again (another thread may have filled the
 *     page), pick a line, call the backend with the lock held (other sets, and hits on other lines of this set,
 *     proceed), publish the new tag and perform the access before releasing the lock.
 * <li><b>Prefetch</b> installs lines only in sets whose locks the missing thread holds (see above), with the
 *     same unpublish and publish steps as a miss, and publishes or frees every line before releasing its set.
 * <li><b>Flush and invalidation</b> take the lock of each set they touch. {@link #flushRange} clears the dirty
 *     bit before the backend copies the line, so a store racing with it leaves the line dirty again.
 * </ul>
 * Calls after {@link #close()} fail with {@link IllegalStateException}; {@code close()} must not race with
 * accesses (they may fail with {@code IllegalStateException}, never touch freed memory).
 *
 * <h2>Performance notes</h2>
 * The hit path is what the JIT inlines into a program's loop: set index, stamp (acquire), the set's hint line
 * (kept in the stamp's cache line), a two-long tag compare, the slab load, a load-load fence and the stamp
 * again, then a plain increment of the caller's hit-counter stripe. On x86 the fences emit no instruction, but
 * they stop the JIT from hoisting the slab's bounds and liveness checks out of the loop, which is most of the
 * cost (see {@code ExCacheHitBench}). Measured and rejected: a per-thread last-page entry in a
 * {@code ThreadLocal} (about 1 ns slower per hit than the per-set hint) and per-thread hint tables indexed by
 * thread id (about 1.5 ns slower: the thread lookup precedes the tag compare). The per-set hint is written only
 * when a hit had to scan the set, i.e. once per page for sequential access; random access over many pages of one
 * set writes it on most hits, which costs coherence traffic when several threads do so on the same sets.
 *
 * <p>Prefetch adds nothing to the hit path. The first use of a prefetched line is counted
 * ({@link ExCacheStats#prefetchHits()}) on the slow path: a prefetched line is never its set's hint when it is
 * published (the hint is moved to another way), so its first access scans the set. With one-way sets the hint
 * cannot move and such first uses are not counted.
 */
public final class ExCache extends AbstractPageCache implements AutoCloseable {
    /** Line and page size. */
    public static final int LINE_SIZE = ExCacheConfig.LINE_SIZE;
    private static final int LINE_SHIFT = 12;
    private static final int OFFSET_MASK = LINE_SIZE - 1;
    /** Tag of a free line; no page has it because {@code va >>> 12 < 2^52}. */
    private static final long FREE = -1L;

    /**
     * Per-set metadata, one 64-byte cache line per set: {@code meta[(set << META_SHIFT) + STAMP]} is the set's
     * sequence stamp, {@code + HINT} the line the set last hit (a guess, checked against the tag). Sequential
     * access stays on one page for 512 longs, so the hit path almost always finds its line at the hint without
     * scanning the set.
     */
    private static final int META_SHIFT = 3;
    private static final int STAMP = 0;
    private static final int HINT = 1;

    /**
     * Line state word: bit 0 dirty, bit 1 writable, the rest counts stores in flight (in units of WRITER). A line
     * is installed without the writable bit; the first store to it asks the backend ({@link LineBackend#checkWrite})
     * under the set's lock, so a store to a read-only page faults at the access, and mprotect takes the bit away
     * ({@link #revokeWrite}) before it changes the page's protection.
     */
    private static final int DIRTY = 1;
    private static final int WRITABLE = 2;
    private static final int WRITER = 4;

    /**
     * Hits are counted in {@code HIT_STRIPES} cells picked by thread id, 16 longs (128 bytes) apart so two threads
     * never share a cache line pair. A constant stripe count keeps the mask out of the hit path's loads.
     */
    private static final int HIT_STRIPES = 256;
    private static final int HIT_CELL_SHIFT = 4;
    private static final int OPTIMISTIC_TRIES = 4;

    private static final ValueLayout.OfByte BYTE = ValueLayout.JAVA_BYTE;
    private static final ValueLayout.OfInt INT_LE = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfLong LONG_LE = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final VarHandle LONGS = MethodHandles.arrayElementVarHandle(long[].class);
    private static final VarHandle INTS = MethodHandles.arrayElementVarHandle(int[].class);
    private static final VarHandle BYTES = MethodHandles.arrayElementVarHandle(byte[].class);
    /** Largest virtual page number ({@code va >>> 12} of the last address). */
    private static final long MAX_VPN = -1L >>> LINE_SHIFT;

    // Access kinds of the shared slow paths.
    private static final int GET_BYTE = 0;
    private static final int GET_INT = 1;
    private static final int GET_LONG = 2;
    private static final int PUT_BYTE = 3;
    private static final int PUT_INT = 4;
    private static final int PUT_LONG = 5;
    private static final int READ = 6;
    private static final int WRITE = 7;

    private final ExCacheConfig config;
    private final EvictionPolicy policy;
    private final Arena arena;
    private final MemorySegment slab;
    private final int ways;
    private final int lines;
    private final int setMask;

    private final long[] meta;
    /** Hashed (asid, vpn) -> line + 1 guesses that make a lookup outside the set's last-hit line O(1). */
    private final int[] wayHints;
    /** Per line {@code tags[2 * line]} = vpn (FREE if the line is free), {@code tags[2 * line + 1]} = asid. */
    private final long[] tags;
    /** Per line: dirty bit and stores in flight (see DIRTY, WRITER). */
    private final int[] state;
    /** CLOCK reference bits per line, or null when the policy does not use them. */
    private final byte[] referenced;
    private final ReentrantLock[] setLocks;
    /** Per line: 1 while a line installed by prefetch has not been used; null when prefetch is off. */
    private final byte[] unusedPrefetch;
    /** Each thread's streams and batch scratch; null when prefetch is off. */
    private final ThreadLocal<Prefetch> prefetchState;

    private final long[] hitCells;
    private final LongAdder misses = new LongAdder();
    private final LongAdder zeroFills = new LongAdder();
    private final LongAdder evictions = new LongAdder();
    private final LongAdder flushes = new LongAdder();
    private final LongAdder piggybacks = new LongAdder();
    private final LongAdder prefetchHits = new LongAdder();
    private final LongAdder prefetched = new LongAdder();
    private final LongAdder prefetchMessages = new LongAdder();
    private volatile ExCacheStats baseline = ExCacheStats.ZERO;
    private final AtomicBoolean closed = new AtomicBoolean();

    /** A cache with the configured policy. */
    public ExCache(ExCacheConfig config, LineBackend backend) {
        this(config, backend, Objects.requireNonNull(config, "config").policy()
                .create(config.sets(), config.ways(), config.randomSeed()));
    }

    /**
     * A cache with a policy instance of the caller's (it must be fresh and sized for this geometry;
     * {@code config.policy()} is then ignored).
     */
    public ExCache(ExCacheConfig config, LineBackend backend, EvictionPolicy policy) {
        super(backend);
        this.config = Objects.requireNonNull(config, "config");
        this.policy = Objects.requireNonNull(policy, "policy");
        this.ways = config.ways();
        this.lines = config.lines();
        int sets = config.sets();
        this.setMask = sets - 1;
        this.meta = new long[sets << META_SHIFT];
        for (int set = 0; set < sets; set++) {
            meta[(set << META_SHIFT) + HINT] = (long) set * ways;
        }
        this.tags = new long[2 * lines];
        this.wayHints = new int[Integer.highestOneBit(Math.max(1, lines)) * 4];
        for (int line = 0; line < lines; line++) {
            tags[2 * line] = FREE;
        }
        this.state = new int[lines];
        this.referenced = policy.usesReferenceBits() ? new byte[lines] : null;
        this.setLocks = new ReentrantLock[sets];
        for (int set = 0; set < sets; set++) {
            setLocks[set] = new ReentrantLock();
        }
        this.hitCells = new long[HIT_STRIPES << HIT_CELL_SHIFT];
        int prefetchPages = config.prefetchPages();
        this.unusedPrefetch = prefetchPages > 0 ? new byte[lines] : null;
        this.prefetchState = prefetchPages > 0 ? ThreadLocal.withInitial(() -> new Prefetch(prefetchPages)) : null;
        this.arena = Arena.ofShared();
        this.slab = arena.allocate(config.capacityBytes(), LINE_SIZE);
    }

    // ------------------------------------------------------------------------------------------------------
    // Loads and stores. The fast paths look only at the way the set last hit (the hint): sequential access
    // stays on one page for 512 longs, so the hint is right almost always and no scan is needed. They are small
    // so the JIT inlines them into the caller's loop; everything else (scan of the set, retries, misses, values
    // crossing a page) is in separate methods.
    // ------------------------------------------------------------------------------------------------------

    public byte getByte(int asid, long va) {
        long vpn = va >>> LINE_SHIFT;
        int m = ((int) vpn & setMask) << META_SHIFT;
        long[] mt = meta;
        long stamp = (long) LONGS.getAcquire(mt, m);
        int line = (int) mt[m + HINT];
        long[] tg = tags;
        if (tg[2 * line] == vpn && tg[2 * line + 1] == asid) {
            byte value = slab.get(BYTE, lineAddress(line) + ((int) va & OFFSET_MASK));
            if (validate(mt, m, stamp)) {
                hit(line);
                return value;
            }
        }
        return (byte) loadSlow(asid, va, GET_BYTE);
    }

    /** Little-endian; a value crossing a page boundary is read byte by byte. */
    public int getInt(int asid, long va) {
        int offset = (int) va & OFFSET_MASK;
        if (offset <= LINE_SIZE - Integer.BYTES) {
            long vpn = va >>> LINE_SHIFT;
            int m = ((int) vpn & setMask) << META_SHIFT;
            long[] mt = meta;
            long stamp = (long) LONGS.getAcquire(mt, m);
            int line = (int) mt[m + HINT];
            long[] tg = tags;
            if (tg[2 * line] == vpn && tg[2 * line + 1] == asid) {
                int value = slab.get(INT_LE, lineAddress(line) + offset);
                if (validate(mt, m, stamp)) {
                    hit(line);
                    return value;
                }
            }
        }
        return (int) loadSlow(asid, va, GET_INT);
    }

    /** Little-endian; a value crossing a page boundary is read byte by byte. */
    public long getLong(int asid, long va) {
        int offset = (int) va & OFFSET_MASK;
        if (offset <= LINE_SIZE - Long.BYTES) {
            long vpn = va >>> LINE_SHIFT;
            int m = ((int) vpn & setMask) << META_SHIFT;
            long[] mt = meta;
            long stamp = (long) LONGS.getAcquire(mt, m);
            int line = (int) mt[m + HINT];
            long[] tg = tags;
            if (tg[2 * line] == vpn && tg[2 * line + 1] == asid) {
                long value = slab.get(LONG_LE, lineAddress(line) + offset);
                if (validate(mt, m, stamp)) {
                    hit(line);
                    return value;
                }
            }
        }
        return loadSlow(asid, va, GET_LONG);
    }

    public void putByte(int asid, long va, byte value) {
        long vpn = va >>> LINE_SHIFT;
        int m = ((int) vpn & setMask) << META_SHIFT;
        long[] mt = meta;
        long stamp = (long) LONGS.getAcquire(mt, m);
        int line = (int) mt[m + HINT];
        long[] tg = tags;
        if (tg[2 * line] == vpn && tg[2 * line + 1] == asid) {
            if (beginWrite(mt, m, line, stamp)) {
                try {
                    slab.set(BYTE, lineAddress(line) + ((int) va & OFFSET_MASK), value);
                } finally {
                    endWrite(line);
                }
                hit(line);
                return;
            }
        }
        storeSlow(asid, va, PUT_BYTE, value);
    }

    /** Little-endian; a value crossing a page boundary is written byte by byte. */
    public void putInt(int asid, long va, int value) {
        int offset = (int) va & OFFSET_MASK;
        if (offset <= LINE_SIZE - Integer.BYTES) {
            long vpn = va >>> LINE_SHIFT;
            int m = ((int) vpn & setMask) << META_SHIFT;
            long[] mt = meta;
            long stamp = (long) LONGS.getAcquire(mt, m);
            int line = (int) mt[m + HINT];
            long[] tg = tags;
            if (tg[2 * line] == vpn && tg[2 * line + 1] == asid) {
                if (beginWrite(mt, m, line, stamp)) {
                    try {
                        slab.set(INT_LE, lineAddress(line) + offset, value);
                    } finally {
                        endWrite(line);
                    }
                    hit(line);
                    return;
                }
            }
        }
        storeSlow(asid, va, PUT_INT, value);
    }

    /** Little-endian; a value crossing a page boundary is written byte by byte. */
    public void putLong(int asid, long va, long value) {
        int offset = (int) va & OFFSET_MASK;
        if (offset <= LINE_SIZE - Long.BYTES) {
            long vpn = va >>> LINE_SHIFT;
            int m = ((int) vpn & setMask) << META_SHIFT;
            long[] mt = meta;
            long stamp = (long) LONGS.getAcquire(mt, m);
            int line = (int) mt[m + HINT];
            long[] tg = tags;
            if (tg[2 * line] == vpn && tg[2 * line + 1] == asid) {
                if (beginWrite(mt, m, line, stamp)) {
                    try {
                        slab.set(LONG_LE, lineAddress(line) + offset, value);
                    } finally {
                        endWrite(line);
                    }
                    hit(line);
                    return;
                }
            }
        }
        storeSlow(asid, va, PUT_LONG, value);
    }

    /** Copies {@code len} bytes at {@code va} into {@code dst[off..]}, page by page. */
    public void read(int asid, long va, byte[] dst, int off, int len) {
        Objects.checkFromIndexSize(off, len, dst.length);
        checkRange(va, len);
        while (len > 0) {
            int n = Math.min(len, LINE_SIZE - ((int) va & OFFSET_MASK));
            bulk(asid, va, READ, dst, off, n);
            va += n;
            off += n;
            len -= n;
        }
    }

    /** Copies {@code src[off..off+len)} to {@code va}, page by page. */
    public void write(int asid, long va, byte[] src, int off, int len) {
        Objects.checkFromIndexSize(off, len, src.length);
        checkRange(va, len);
        while (len > 0) {
            int n = Math.min(len, LINE_SIZE - ((int) va & OFFSET_MASK));
            bulk(asid, va, WRITE, src, off, n);
            va += n;
            off += n;
            len -= n;
        }
    }

    // ------------------------------------------------------------------------------------------------------
    // Counters and lifecycle
    // ------------------------------------------------------------------------------------------------------

    /**
     * A snapshot of the counters since creation or the last {@link #resetStats()}. Each counter is read
     * separately, so a snapshot taken under load is not one instant. Hits are counted without atomic
     * instructions in cells striped by thread id (an atomic add would cost more than the rest of the hit); two
     * threads whose ids are equal modulo the stripe count (256) hitting at the same instant can lose an
     * increment, so under heavy concurrency hits may be very slightly under-counted. The other counters are exact.
     */
    @Override
    public ExCacheStats stats() {
        return raw().minus(baseline);
    }

    /** Starts the counters from zero (earlier counts are subtracted, nothing is written on the hot path). */
    public void resetStats() {
        baseline = raw();
    }

    /** Size of the slab. */
    public long capacityBytes() {
        return config.capacityBytes();
    }

    public ExCacheConfig config() {
        return config;
    }

    /**
     * Frees the slab. Dirty lines are not written back (call {@link #invalidateAll} per process first).
     * Idempotent.
     */
    @Override
    public void close() {
        if (closed.compareAndSet(false, true)) {
            arena.close();
        }
    }

    // ------------------------------------------------------------------------------------------------------
    // Hit-path helpers
    // ------------------------------------------------------------------------------------------------------

    private static long lineAddress(int line) {
        return (long) line << LINE_SHIFT;
    }

    /** After reading a line optimistically: true if the set did not change since {@code stamp} was read. */
    private static boolean validate(long[] d, int m, long stamp) {
        VarHandle.loadLoadFence();
        return (stamp & 1) == 0 && (long) LONGS.getAcquire(d, m) == stamp;
    }

    /**
     * Announces a store to {@code line}, found under {@code stamp}. The atomic add is a full fence, so either the
     * stamp re-read below sees an evictor's tag change, or the evictor (which changes the stamp before it reads
     * the state word) sees this store in flight and waits for {@link #endWrite}. A line without the writable bit
     * refuses the store (the caller takes the locked path, which asks the backend), and {@link #revokeWrite} waits for
     * the stores that saw the bit before it cleared it.
     */
    private boolean beginWrite(long[] d, int m, int line, long stamp) {
        if ((stamp & 1) != 0) {
            return false;
        }
        int before = (int) INTS.getAndAdd(state, line, WRITER);
        if ((before & WRITABLE) != 0 && (long) LONGS.getVolatile(d, m) == stamp) {
            return true;
        }
        INTS.getAndAdd(state, line, -WRITER);
        return false;
    }

    /** Marks the line dirty and retires the store in one atomic update, after the data was written. */
    private void endWrite(int line) {
        int current = (int) INTS.getVolatile(state, line);
        while (!INTS.compareAndSet(state, line, current, (current - WRITER) | DIRTY)) {
            current = (int) INTS.getVolatile(state, line);
        }
    }

    private void hit(int line) {
        byte[] ref = referenced;
        if (ref != null && ref[line] == 0) {
            ref[line] = 1;
        }
        hitCells[((int) Thread.currentThread().threadId() & (HIT_STRIPES - 1)) << HIT_CELL_SHIFT]++;
    }

    /**
     * A hit found by a slow path (scan of the set, retry, or under the lock), which is where the first use of a
     * prefetched line always is: the line is never its set's hint when it is installed. Counts the prefetch hit
     * (racily: a line reused between the caller's validation and this check may be counted for its new page).
     */
    private void slowHit(int line) {
        hit(line);
        byte[] unused = unusedPrefetch;
        if (unused != null && unused[line] != 0 && BYTES.compareAndSet(unused, line, (byte) 1, (byte) 0)) {
            prefetchHits.increment();
        }
    }

    /**
     * The way of (asid, vpn) in {@code set}, or -1. Reads tags racily: callers validate with the stamp or hold
     * the set's lock.
     */
    private int find(int set, int asid, long vpn) {
        long[] tg = tags;
        int base = set * ways;
        // O(1) for random access: a hashed guess of the line, checked against the tag like the set's own hint
        int slot = wayHintSlot(asid, vpn);
        int guess = wayHints[slot] - 1;
        if (guess >= base && guess < base + ways && tg[2 * guess] == vpn && tg[2 * guess + 1] == asid) {
            return guess - base;
        }
        for (int way = 0, t = 2 * base; way < ways; way++, t += 2) {
            if (tg[t] == vpn && tg[t + 1] == asid) {
                wayHints[slot] = base + way + 1;
                return way;
            }
        }
        return -1;
    }

    /**
     * Slot of (asid, vpn) in {@link #wayHints}. The table holds line + 1 (0: nothing) per slot; collisions only cost a
     * scan. Plain racy int writes are fine: every guess is checked against the tag and, by the caller, the set stamp.
     */
    private int wayHintSlot(int asid, long vpn) {
        long h = (vpn ^ ((long) asid << 40)) * 0x9E3779B97F4A7C15L;
        return (int) (h >>> 32) & (wayHints.length - 1);
    }

    // ------------------------------------------------------------------------------------------------------
    // Slow paths: values crossing a page, hint misses (scan of the set), validation failures, misses
    // ------------------------------------------------------------------------------------------------------

    private long loadSlow(int asid, long va, int kind) {
        int size = kind == GET_BYTE ? 1 : kind == GET_INT ? 4 : 8;
        if (((int) va & OFFSET_MASK) > LINE_SIZE - size) {
            long value = 0;
            for (int i = 0; i < size; i++) {
                value |= (getByte(asid, va + i) & 0xFFL) << (8 * i);
            }
            return value;
        }
        long vpn = va >>> LINE_SHIFT;
        int set = (int) vpn & setMask;
        int m = set << META_SHIFT;
        long offset = (int) va & OFFSET_MASK;
        for (int attempt = 0; attempt < OPTIMISTIC_TRIES; attempt++) {
            long stamp = (long) LONGS.getAcquire(meta, m);
            if ((stamp & 1) != 0) {
                Thread.onSpinWait();
                continue;
            }
            int way = find(set, asid, vpn);
            if (way < 0) {
                break;
            }
            int line = set * ways + way;
            long value = load(kind, lineAddress(line) + offset);
            if (validate(meta, m, stamp)) {
                meta[m + HINT] = line;
                slowHit(line);
                return value;
            }
        }
        return accessLocked(asid, va, kind, 0L, null, 0, 0);
    }

    private long load(int kind, long address) {
        return switch (kind) {
            case GET_BYTE -> slab.get(BYTE, address);
            case GET_INT -> slab.get(INT_LE, address);
            default -> slab.get(LONG_LE, address);
        };
    }

    private void storeSlow(int asid, long va, int kind, long value) {
        int size = kind == PUT_BYTE ? 1 : kind == PUT_INT ? 4 : 8;
        if (((int) va & OFFSET_MASK) > LINE_SIZE - size) {
            for (int i = 0; i < size; i++) {
                putByte(asid, va + i, (byte) (value >>> (8 * i)));
            }
            return;
        }
        long vpn = va >>> LINE_SHIFT;
        int set = (int) vpn & setMask;
        int m = set << META_SHIFT;
        long offset = (int) va & OFFSET_MASK;
        for (int attempt = 0; attempt < OPTIMISTIC_TRIES; attempt++) {
            long stamp = (long) LONGS.getAcquire(meta, m);
            if ((stamp & 1) != 0) {
                Thread.onSpinWait();
                continue;
            }
            int way = find(set, asid, vpn);
            if (way < 0) {
                break;
            }
            int line = set * ways + way;
            if (!writable(line)) {
                break; // the first store to the line: the locked path asks whether the page may be written
            }
            if (beginWrite(meta, m, line, stamp)) {
                try {
                    store(kind, lineAddress(line) + offset, value);
                } finally {
                    endWrite(line);
                }
                meta[m + HINT] = line;
                slowHit(line);
                return;
            }
        }
        accessLocked(asid, va, kind, value, null, 0, 0);
    }

    private void store(int kind, long address, long value) {
        switch (kind) {
            case PUT_BYTE -> slab.set(BYTE, address, (byte) value);
            case PUT_INT -> slab.set(INT_LE, address, (int) value);
            default -> slab.set(LONG_LE, address, value);
        }
    }

    /** One page's part of a bulk read or write: {@code [va, va+n)} lies in one page. */
    private void bulk(int asid, long va, int kind, byte[] array, int off, int n) {
        long vpn = va >>> LINE_SHIFT;
        int set = (int) vpn & setMask;
        int m = set << META_SHIFT;
        long offset = (int) va & OFFSET_MASK;
        for (int attempt = 0; attempt < OPTIMISTIC_TRIES; attempt++) {
            long stamp = (long) LONGS.getAcquire(meta, m);
            if ((stamp & 1) != 0) {
                Thread.onSpinWait();
                continue;
            }
            int way = find(set, asid, vpn);
            if (way < 0) {
                break;
            }
            int line = set * ways + way;
            if (kind == READ) {
                MemorySegment.copy(slab, BYTE, lineAddress(line) + offset, array, off, n);
                if (validate(meta, m, stamp)) {
                    meta[m + HINT] = line;
                    slowHit(line);
                    return;
                }
            } else if (!writable(line)) {
                break; // the first store to the line: the locked path asks whether the page may be written
            } else if (beginWrite(meta, m, line, stamp)) {
                try {
                    MemorySegment.copy(array, off, slab, BYTE, lineAddress(line) + offset, n);
                } finally {
                    endWrite(line);
                }
                meta[m + HINT] = line;
                slowHit(line);
                return;
            }
        }
        accessLocked(asid, va, kind, 0L, array, off, n);
    }

    /**
     * The access under the set's lock: no line of the set can change its tag meanwhile, so no validation is
     * needed. Fills the page on a miss.
     */
    private long accessLocked(int asid, long va, int kind, long value, byte[] array, int off, int n) {
        long vpn = va >>> LINE_SHIFT;
        int set = (int) vpn & setMask;
        int m = set << META_SHIFT;
        ReentrantLock lock = setLocks[set];
        lock.lock();
        try {
            ensureOpen();
            int way = find(set, asid, vpn);
            if (way >= 0) {
                slowHit(set * ways + way);
            } else {
                way = fillLocked(set, asid, vpn);
            }
            int line = set * ways + way;
            meta[m + HINT] = line;
            if (kind != READ && kind >= PUT_BYTE && !writable(line)) { // a store (PUT_* or WRITE)
                backend.checkWrite(asid, vpn); // throws SegmentationFault for a read-only page; the line stays
                INTS.getAndBitwiseOr(state, line, WRITABLE);
            }
            long address = lineAddress(line) + ((int) va & OFFSET_MASK);
            switch (kind) {
                case GET_BYTE, GET_INT, GET_LONG -> {
                    return load(kind, address);
                }
                case READ -> MemorySegment.copy(slab, BYTE, address, array, off, n);
                case WRITE -> {
                    MemorySegment.copy(array, off, slab, BYTE, address, n);
                    INTS.getAndBitwiseOr(state, line, DIRTY);
                }
                default -> {
                    store(kind, address, value);
                    INTS.getAndBitwiseOr(state, line, DIRTY);
                }
            }
            return 0;
        } finally {
            lock.unlock();
        }
    }

    /**
     * Miss: installs page (asid, vpn) in {@code set}, whose lock is held, and returns its way. Takes a free way
     * (the free list) or evicts the policy's victim; a dirty victim goes to the backend with the fill (or, with
     * piggyback off, is written back first). If the thread's misses form a stream, pages further along it that
     * the backend can send in the same message are installed too (see {@link #fillBatchLocked}).
     */
    private int fillLocked(int set, int asid, long vpn) {
        misses.increment();
        if (prefetchState == null) {
            return fillOneLocked(set, asid, vpn, false);
        }
        Prefetch pf = prefetchState.get();
        int depth = pf.streams.onMiss(asid, vpn);
        if (depth == 0) {
            return fillOneLocked(set, asid, vpn, false);
        }
        long stride = pf.streams.stride();
        pf.filled = 0;
        try {
            int count = lockPrefetchSets(pf, set, asid, vpn, stride, depth);
            return count == 0 ? fillOneLocked(set, asid, vpn, true) : fillBatchLocked(pf, set, asid, vpn, stride, count);
        } finally {
            for (int i = pf.locked - 1; i >= 0; i--) {
                setLocks[pf.sets[i]].unlock();
            }
            pf.locked = 0;
            pf.streams.prefetched(pf.filled);
        }
    }

    /** The demand fill alone: {@link #fillLocked} without prefetch. */
    private int fillOneLocked(int set, int asid, long vpn, boolean streaming) {
        int way = chooseWay(set);
        int line = set * ways + way;
        Victim victim = evictForFillLocked(set, way);
        MemorySegment dst = slab.asSlice(lineAddress(line), LINE_SIZE);
        LineBackend.Fill result;
        try {
            result = backend.fill(asid, vpn, dst, victim.asid(), victim.vpn(), victim.dirty() ? dst : null);
        } catch (RuntimeException | Error e) {
            policy.invalidated(set, way); // the line stays free; the backend answered for the victim
            throw e;
        }
        if (result == null) {
            policy.invalidated(set, way);
            throw new IllegalStateException("LineBackend.fill returned null for asid " + asid + " vpn " + vpn);
        }
        filledLocked(result, victim.dirty(), line);
        installLocked(set, way, asid, vpn, streaming);
        return way;
    }

    /**
     * Miss with prefetch: the {@code count} pages {@code vpn + i * stride} ({@code i = 1 .. count}) whose sets this
     * thread holds ({@code pf.sets}) get a line each, as the missed page does in {@code set}: ways are chosen first
     * (nothing changes if the policy fails), then the victims are unpublished, then one backend call writes back
     * the dirty victims, fetches the pages and fills the lines. The backend fills a prefix of the prefetch lines;
     * the others, and on failure all lines, end up free. Every set stays locked until its line is published or
     * freed, so a victim is written back before anyone can miss on it, and no other thread can install a page of
     * the batch meanwhile. Sets {@code pf.filled} to the number of pages prefetched.
     */
    private int fillBatchLocked(Prefetch pf, int set, int asid, long vpn, long stride, int count) {
        int way = chooseWay(set);
        for (int i = 0; i < count; i++) {
            pf.ways[i] = chooseWay(pf.sets[i]);
        }
        int line = set * ways + way;
        Victim victim = evictForFillLocked(set, way);
        // From here on nothing throws before the backend call: every victim unpublished is handed to it.
        List<LineBackend.PrefetchLine> batch = new ArrayList<>(count);
        int dirtyVictims = 0;
        for (int i = 0; i < count; i++) {
            int s = pf.sets[i];
            int w = pf.ways[i];
            int l = s * ways + w;
            long page = vpn + (i + 1) * stride;
            MemorySegment dst = slab.asSlice(lineAddress(l), LINE_SIZE);
            int pt = 2 * l;
            if (tags[pt] != FREE) {
                int oldAsid = (int) tags[pt + 1];
                long oldVpn = tags[pt];
                boolean dirty = unpublishLocked(s, w);
                evictions.increment();
                if (dirty) {
                    dirtyVictims++;
                    batch.add(new LineBackend.PrefetchLine(page, dst, oldAsid, oldVpn, dst));
                    continue;
                }
            }
            batch.add(new LineBackend.PrefetchLine(page, dst, 0, -1, null));
        }
        MemorySegment dst = slab.asSlice(lineAddress(line), LINE_SIZE);
        LineBackend.BatchFill result;
        try {
            result = backend.fillBatch(asid, vpn, dst, victim.asid(), victim.vpn(), victim.dirty() ? dst : null, stride,
                    batch);
            if (result == null || result.prefetched() > count) {
                throw new IllegalStateException("LineBackend.fillBatch returned " + result + " for asid " + asid
                        + " vpn " + vpn + " and " + count + " prefetch lines");
            }
        } catch (RuntimeException | Error e) {
            policy.invalidated(set, way); // every line stays free; the backend answered for the victims
            for (int i = 0; i < count; i++) {
                policy.invalidated(pf.sets[i], pf.ways[i]);
            }
            throw e;
        }
        filledLocked(result.fill(), victim.dirty(), line);
        flushes.add(dirtyVictims);
        installLocked(set, way, asid, vpn, true); // a miss that continues a stream: its page is streamed too
        int n = result.prefetched();
        for (int i = 0; i < count; i++) {
            int s = pf.sets[i];
            int w = pf.ways[i];
            if (i >= n) {
                policy.invalidated(s, w);
                continue;
            }
            int l = s * ways + w;
            if (referenced != null) {
                referenced[l] = 0; // no second chance until it is used
            }
            unusedPrefetch[l] = 1;
            int m = s << META_SHIFT;
            if (ways > 1 && meta[m + HINT] == l) {
                // Its first use must take a slow path (to count it): the fast path only tries the hint.
                meta[m + HINT] = (long) s * ways + (w + 1) % ways;
            }
            publishLocked(s, w, asid, vpn + (i + 1) * stride);
            policy.installedStreaming(s, w);
        }
        if (n > 0) {
            prefetched.add(n);
            prefetchMessages.increment();
        }
        pf.filled = n;
        return way;
    }

    /**
     * Locks, without waiting, the sets of the pages {@code vpn + i * stride}, {@code i = 1, 2, ...}, up to
     * {@code depth} of them, and returns how many it holds ({@code pf.sets[0 .. pf.locked)}, released by the
     * caller). Stops at the first page that is cached, whose set is busy, is the missed page's or already in the
     * batch, or that the backend would not send along ({@link LineBackend#prefetchable}, asked once before as a
     * pre-check and once with the sets locked; only that answer counts).
     */
    private int lockPrefetchSets(Prefetch pf, int demandSet, int asid, long vpn, long stride, int depth) {
        int max = Math.min(depth, backend.prefetchable(asid, vpn, stride, depth));
        int n = 0;
        long page = vpn;
        while (n < max) {
            page += stride;
            if (page < 0 || page > MAX_VPN) {
                break;
            }
            int s = (int) page & setMask;
            if (s == demandSet || pf.holds(s)) {
                break;
            }
            ReentrantLock lock = setLocks[s];
            if (!lock.tryLock()) {
                break; // another thread works on the set: never wait for a set while holding one
            }
            if (find(s, asid, page) >= 0) {
                lock.unlock();
                break;
            }
            pf.sets[n++] = s;
            pf.locked = n;
        }
        if (n == 0) {
            return 0;
        }
        int count = Math.max(0, Math.min(n, backend.prefetchable(asid, vpn, stride, n)));
        while (pf.locked > count) {
            setLocks[pf.sets[--pf.locked]].unlock();
        }
        return count;
    }

    /** A free way of {@code set}, else the policy's victim (checked). Changes no line. The set's lock is held. */
    private int chooseWay(int set) {
        int way = find(set, 0, FREE); // free lines are tagged (asid 0, FREE)
        if (way >= 0) {
            return way;
        }
        way = policy.victim(set, referenced);
        if (way < 0 || way >= ways) {
            throw new IllegalStateException("eviction policy " + policy.getClass().getSimpleName()
                    + " chose way " + way + " of a " + ways + "-way set");
        }
        return way;
    }

    /**
     * Evicts the valid line at {@code way} of {@code set} (page victimAsid, victimVpn) and returns whether the
     * caller must hand it to the backend as a dirty victim. With piggyback off a dirty victim is written back
     * here with a flush of its own; if that fails the line is given back to its page, dirty, and the failure
     * propagates. The set's lock is held.
     */
    private boolean evictLocked(int set, int way, int victimAsid, long victimVpn) {
        boolean dirty = unpublishLocked(set, way);
        if (dirty && !piggyback()) {
            int line = set * ways + way;
            try {
                backend.flush(victimAsid, victimVpn, slab.asSlice(lineAddress(line), LINE_SIZE));
            } catch (RuntimeException | Error e) {
                INTS.getAndBitwiseOr(state, line, DIRTY);
                publishLocked(set, way, victimAsid, victimVpn);
                throw e;
            }
            flushes.increment();
            dirty = false;
        }
        evictions.increment();
        return dirty;
    }

    private boolean piggyback() {
        return config.piggyback();
    }

    /** The page that had the line a fill takes: written back by the backend with the fill if it was dirty. */
    private record Victim(int asid, long vpn, boolean dirty) {
        static final Victim NONE = new Victim(0, -1, false);
    }

    /** Evicts the page at {@code way} of {@code set} (lock held) if there is one; {@link Victim#NONE} if free or clean. */
    private Victim evictForFillLocked(int set, int way) {
        int t = 2 * (set * ways + way);
        if (tags[t] == FREE) {
            return Victim.NONE;
        }
        int asid = (int) tags[t + 1];
        long vpn = tags[t];
        return evictLocked(set, way, asid, vpn) ? new Victim(asid, vpn, true) : Victim.NONE;
    }

    /** After the backend filled {@code line}: counters, and a restored page's line stays dirty. */
    private void filledLocked(LineBackend.Fill result, boolean victimDirty, int line) {
        countFill(result, victimDirty);
        if (result == LineBackend.Fill.RESTORED) {
            INTS.getAndBitwiseOr(state, line, DIRTY); // its contents exist nowhere else yet
        }
    }

    private void countFill(LineBackend.Fill result, boolean victimDirty) {
        switch (result) {
            case ZERO_FILLED -> zeroFills.increment();
            case FETCHED_WITH_PIGGYBACK -> {
                if (victimDirty) {
                    piggybacks.increment();
                }
            }
            case FETCHED, RESTORED -> {
            }
        }
        if (victimDirty) {
            flushes.increment();
        }
    }

    /**
     * Publishes the filled line at {@code way} of {@code set} for page (asid, vpn) and tells the policy;
     * {@code streaming} for a page of a sequential stream ({@link EvictionPolicy#installedStreaming}).
     */
    private void installLocked(int set, int way, int asid, long vpn, boolean streaming) {
        if (referenced != null) {
            referenced[set * ways + way] = 1;
        }
        publishLocked(set, way, asid, vpn);
        if (streaming) {
            policy.installedStreaming(set, way);
        } else {
            policy.installed(set, way);
        }
    }

    /**
     * Takes the line at {@code way} of {@code set} away from its page: stamp odd, tag freed, stamp even (the
     * volatile stamp writes order the state reads below after them); then waits for the stores in flight on the
     * line to retire and takes its dirty bit. Returns whether the line was dirty. The set's lock is held.
     */
    private boolean unpublishLocked(int set, int way) {
        int m = set << META_SHIFT;
        int line = set * ways + way;
        long stamp = meta[m + STAMP];
        LONGS.setVolatile(meta, m + STAMP, stamp + 1);
        VarHandle.storeStoreFence();
        tags[2 * line] = FREE;
        tags[2 * line + 1] = 0;
        LONGS.setVolatile(meta, m + STAMP, stamp + 2);
        if (unusedPrefetch != null) {
            unusedPrefetch[line] = 0;
        }
        for (int spins = 0; ; spins++) {
            int current = (int) INTS.getVolatile(state, line);
            if (current < WRITER) {
                if (INTS.compareAndSet(state, line, current, 0)) {
                    return (current & DIRTY) != 0;
                }
            } else {
                awaitStore(spins);
            }
        }
    }

    /** Gives the (filled) line at {@code way} of {@code set} to page (asid, vpn). The set's lock is held. */
    private void publishLocked(int set, int way, int asid, long vpn) {
        int m = set << META_SHIFT;
        int t = 2 * (set * ways + way);
        long stamp = meta[m + STAMP];
        LONGS.setVolatile(meta, m + STAMP, stamp + 1);
        VarHandle.storeStoreFence();
        tags[t + 1] = asid;
        tags[t] = vpn;
        LONGS.setVolatile(meta, m + STAMP, stamp + 2);
    }

    // ------------------------------------------------------------------------------------------------------
    // Range operations (msync, munmap, mremap, mprotect, exit: AbstractPageCache)
    // ------------------------------------------------------------------------------------------------------

    @Override
    protected long capacityPages() {
        return lines;
    }

    @Override
    protected void rangePages(int asid, long first, long last, RangeOp op) {
        for (long vpn = first; vpn <= last; vpn++) {
            int set = (int) vpn & setMask;
            ReentrantLock lock = setLocks[set];
            lock.lock();
            try {
                int way = find(set, asid, vpn);
                if (way >= 0) {
                    apply(set, way, op);
                }
            } finally {
                lock.unlock();
            }
        }
    }

    /** Applies {@code op} to every line of {@code asid} whose page is in {@code [first, last]}, set by set. */
    @Override
    protected void scanPages(int asid, long first, long last, RangeOp op) {
        for (int set = 0; set <= setMask; set++) {
            ReentrantLock lock = setLocks[set];
            lock.lock();
            try {
                for (int way = 0; way < ways; way++) {
                    int t = 2 * (set * ways + way);
                    long vpn = tags[t];
                    if (vpn != FREE && tags[t + 1] == asid && vpn >= first && vpn <= last) {
                        apply(set, way, op);
                    }
                }
            } finally {
                lock.unlock();
            }
        }
    }

    private void apply(int set, int way, RangeOp op) {
        switch (op) {
            case FLUSH -> flushLocked(set, way);
            case DROP -> dropLocked(set, way, false);
            case DROP_WRITE_BACK -> dropLocked(set, way, true);
            case REVOKE_WRITE -> revokeWriteLocked(set * ways + way);
        }
    }

    /**
     * One round of waiting for a store in flight to retire: it is between beginWrite and endWrite, a few
     * instructions, so spin first; then yield, in case its thread was descheduled there.
     */
    private static void awaitStore(int spins) {
        if (spins < 100) {
            Thread.onSpinWait();
        } else {
            Thread.yield();
        }
    }

    /** Whether the line may take stores without asking the backend (set after the first store's check). */
    private boolean writable(int line) {
        return ((int) INTS.getOpaque(state, line) & WRITABLE) != 0;
    }

    /** Clears the line's writable bit and waits for the stores that saw it. The set's lock is held. */
    private void revokeWriteLocked(int line) {
        INTS.getAndBitwiseAnd(state, line, ~WRITABLE);
        for (int spins = 0; (int) INTS.getVolatile(state, line) >= WRITER; spins++) {
            awaitStore(spins);
        }
    }

    /**
     * Writes back the line at {@code way} of {@code set} if dirty and keeps it. The dirty bit is cleared
     * (atomically, stores in flight keep their count) before the backend copies the line: a store racing with
     * the copy retires after the clear and sets the bit again, or retired before it and is in the copy.
     */
    private void flushLocked(int set, int way) {
        int line = set * ways + way;
        int t = 2 * line;
        int current;
        do {
            current = (int) INTS.getVolatile(state, line);
            if ((current & DIRTY) == 0) {
                return;
            }
        } while (!INTS.compareAndSet(state, line, current, current & ~DIRTY));
        try {
            backend.flush((int) tags[t + 1], tags[t], slab.asSlice(lineAddress(line), LINE_SIZE));
        } catch (RuntimeException | Error e) {
            INTS.getAndBitwiseOr(state, line, DIRTY);
            throw e;
        }
        flushes.increment();
    }

    /** Drops the line at {@code way} of {@code set}, writing it back first if asked and dirty; on a failed write-back it stays. */
    private void dropLocked(int set, int way, boolean writeBack) {
        int line = set * ways + way;
        int t = 2 * line;
        int asid = (int) tags[t + 1];
        long vpn = tags[t];
        boolean dirty = unpublishLocked(set, way);
        if (dirty && writeBack) {
            try {
                backend.flush(asid, vpn, slab.asSlice(lineAddress(line), LINE_SIZE));
            } catch (RuntimeException | Error e) {
                INTS.getAndBitwiseOr(state, line, DIRTY);
                publishLocked(set, way, asid, vpn);
                throw e;
            }
            flushes.increment();
        }
        policy.invalidated(set, way);
    }

    // ------------------------------------------------------------------------------------------------------
    // Test hooks (package-private)
    // ------------------------------------------------------------------------------------------------------

    /** Whether the page of {@code va} is cached for {@code asid}. */
    boolean isCached(int asid, long va) {
        long vpn = va >>> LINE_SHIFT;
        int set = (int) vpn & setMask;
        setLocks[set].lock();
        try {
            return find(set, asid, vpn) >= 0;
        } finally {
            setLocks[set].unlock();
        }
    }

    /** Whether the page of {@code va} is cached for {@code asid} and dirty. */
    boolean isDirty(int asid, long va) {
        long vpn = va >>> LINE_SHIFT;
        int set = (int) vpn & setMask;
        setLocks[set].lock();
        try {
            int way = find(set, asid, vpn);
            return way >= 0 && ((int) INTS.getVolatile(state, set * ways + way) & DIRTY) != 0;
        } finally {
            setLocks[set].unlock();
        }
    }

    /**
     * Checks the structure while no access is in flight: stamps even, hints in range, every page in its own set
     * at most once, free lines clean, no store announced. Throws {@link AssertionError} naming the first violation.
     */
    void checkInvariants() {
        for (int set = 0; set <= setMask; set++) {
            setLocks[set].lock();
            try {
                int m = set << META_SHIFT;
                if ((meta[m + STAMP] & 1) != 0) {
                    throw new AssertionError("set " + set + " has odd stamp " + meta[m + STAMP]);
                }
                if (meta[m + HINT] < (long) set * ways || meta[m + HINT] >= (long) (set + 1) * ways) {
                    throw new AssertionError("set " + set + " has hint line " + meta[m + HINT]);
                }
                for (int way = 0; way < ways; way++) {
                    int line = set * ways + way;
                    int t = 2 * line;
                    int st = (int) INTS.getVolatile(state, line);
                    if (st >= WRITER) {
                        throw new AssertionError("line " + line + " has stores in flight: state " + st);
                    }
                    long vpn = tags[t];
                    if (vpn == FREE) {
                        if (st != 0 || tags[t + 1] != 0) {
                            throw new AssertionError("free line " + line + " has state " + st + " asid " + tags[t + 1]);
                        }
                        if (unusedPrefetch != null && unusedPrefetch[line] != 0) {
                            throw new AssertionError("free line " + line + " is marked as an unused prefetched line");
                        }
                        continue;
                    }
                    if (((int) vpn & setMask) != set) {
                        throw new AssertionError("vpn 0x" + Long.toHexString(vpn) + " is in set " + set);
                    }
                    for (int other = way + 1; other < ways; other++) {
                        int o = 2 * (set * ways + other);
                        if (tags[o] == vpn && tags[o + 1] == tags[t + 1]) {
                            throw new AssertionError("asid " + tags[t + 1] + " vpn 0x" + Long.toHexString(vpn)
                                    + " is cached twice, ways " + way + " and " + other + " of set " + set);
                        }
                    }
                }
            } finally {
                setLocks[set].unlock();
            }
        }
    }

    // ------------------------------------------------------------------------------------------------------

    @Override
    protected void ensureOpen() {
        if (closed.get()) {
            throw new IllegalStateException("ExCache is closed");
        }
    }

    private ExCacheStats raw() {
        long hits = 0;
        for (int i = 0; i < HIT_STRIPES; i++) {
            hits += (long) LONGS.getOpaque(hitCells, i << HIT_CELL_SHIFT);
        }
        return new ExCacheStats(hits, misses.sum(), zeroFills.sum(), evictions.sum(), flushes.sum(),
                piggybacks.sum(), prefetchHits.sum(), prefetched.sum(), prefetchMessages.sum());
    }

    /**
     * A thread's prefetch state for one cache: its streams and the scratch of the batch it is filling. Used only
     * by its thread, on the miss path.
     */
    private static final class Prefetch {
        final StreamDetector streams;
        /** Sets of the batch's prefetch pages, in page order; the first {@link #locked} are held. */
        final int[] sets;
        /** The way chosen in each of {@link #sets}. */
        final int[] ways;
        int locked;
        /** Pages the last miss prefetched. */
        int filled;

        Prefetch(int maxPages) {
            streams = new StreamDetector(maxPages);
            sets = new int[maxPages];
            ways = new int[maxPages];
        }

        boolean holds(int set) {
            for (int i = 0; i < locked; i++) {
                if (sets[i] == set) {
                    return true;
                }
            }
            return false;
        }
    }
}
