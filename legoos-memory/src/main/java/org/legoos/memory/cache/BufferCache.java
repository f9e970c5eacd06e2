package org.legoos.memory.cache;

import it.unimi.dsi.fastutil.longs.Long2ObjectOpenHashMap;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.ReentrantLock;
import org.legoos.api.ComponentUnavailableException;
import org.legoos.api.LegoException;
import org.legoos.api.Sizes;
import org.legoos.net.protocol.Ack;
import org.legoos.net.protocol.Message;
import org.legoos.net.protocol.Request;
import org.legoos.net.protocol.gm.VNodeGet;
import org.legoos.net.protocol.gm.VNodeInfo;
import org.legoos.net.protocol.m2s.BlockRead;
import org.legoos.net.protocol.m2s.BlockSync;
import org.legoos.net.protocol.m2s.BlockWrite;
import org.legoos.net.protocol.m2s.StorageUsage;
import org.legoos.net.protocol.m2s.UsageRequest;
import org.legoos.net.protocol.p2m.FileClose;
import org.legoos.net.protocol.p2m.FileRead;
import org.legoos.net.protocol.p2m.FileSync;
import org.legoos.net.protocol.p2m.FileWrite;
import org.legoos.net.protocol.p2m.FileWriteBatch;
import org.legoos.net.protocol.p2s.FileData;
import org.legoos.net.protocol.p2s.FileStat;
import org.legoos.net.protocol.p2s.FileStatRequest;
import org.legoos.net.rpc.RpcNode;
import org.legoos.net.rpc.Status;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The storage buffer cache (LegoOS keeps it on memory components, not on storage): file data of the vNodes
 * this component caches, in chunks of {@code chunkBytes} with least-recently-used replacement up to
 * {@code capacityBytes}. Serves the processor's {@code P2M_READ/WRITE/WRITEV/FSYNC/CLOSE}.
 *
 * <p>A chunk is the unit of allocation and replacement; inside it every page ({@value #PAGE_BYTES} bytes, or the
 * chunk if smaller) is tracked on its own as <em>valid</em> (holds the file's bytes) and <em>dirty</em> (newer
 * than storage). So:
 * <ul>
 *   <li>a read fetches only the pages it needs that are not valid, each run of adjacent missing pages with one
 *       {@code M2S_READ} from the vNode's storage component (found once through the manager's
 *       {@code VNODE_GET}); a read that continues where the previous read of the file ended (a sequential
 *       stream) also reads ahead up to {@link #readAheadBytes()} past its end in the same request;</li>
 *   <li>a write needs no fill for the pages it covers whole (or up to the end of the file); only a partly
 *       written page that is not valid is read first;</li>
 *   <li>writes stay in the cache (write-back); dirty pages go to storage with {@code M2S_WRITE} when the file
 *       is synced or closed and when their chunk is evicted, one request per run of dirty pages (clean valid
 *       pages between dirty ones ride along so a run is not split by them); {@code FSYNC} then makes them
 *       durable with {@code M2S_FSYNC}.</li>
 * </ul>
 * The cache tracks each file's size (first learnt with {@code P2S_STAT}): reads past the end return fewer bytes,
 * writes may extend the file, holes read as zeros. {@code FSYNC} with {@code invalidate} also forgets the file,
 * as the processor asks before it stats, truncates, unlinks or renames it behind the cache.
 *
 * <p>Paths are used as given (the processor sends normalised absolute paths); files of different vNodes
 * never share an entry.
 *
 * <p>Thread-safety: thread-safe. Each vNode has a lock that serialises its files' operations, including their round
 * trips to its storage component (which never calls back), so a file's size and pages are always consistent; a slow
 * or unreachable storage component stalls only the vNodes it serves. What all vNodes share (the chunk LRU, the free
 * slots) has a lock of its own that is never held across a call. Lock order: vNode locks, then the shared lock; with
 * the shared lock held a vNode lock is only tried, never waited for. Eviction takes the least recently used chunk whose
 * vNode it can lock at once (clean chunks, and the caller's own vNode's, first): a dirty chunk of another vNode is
 * written back to that vNode's storage under both vNodes' locks. If every chunk belongs to a vNode busy in another
 * thread, a chunk is added over the capacity and the next allocations evict back down to it.
 */
public final class BufferCache {
    private static final Logger log = LoggerFactory.getLogger(BufferCache.class);
    /** Largest read served by one request; longer reads return this many bytes (callers loop). */
    public static final int MAX_READ_BYTES = 16 << 20;
    /** Granularity of the valid and dirty state inside a chunk (smaller chunks are one page). */
    public static final int PAGE_BYTES = 4096;
    /** Most bytes a sequential read fetches past its end (less when the cache is small). */
    public static final int MAX_READ_AHEAD_BYTES = 256 << 10;
    /** Adjacent dirty runs of consecutive chunks are merged into one write-back request up to this size. */
    private static final int MAX_WRITE_BACK_BYTES = 256 << 10;
    /** A vNode's storage quota view older than this is refreshed from storage before a write grows a file. */
    private static final long QUOTA_VIEW_NANOS = 1_000_000_000L;

    private final RpcNode rpc;
    private final int managerNode;
    private final int chunkBytes;
    private final int chunkShift;
    private final int pageBytes;
    private final int pageShift;
    private final int pagesPerChunk;
    private final int capacityChunks;
    private final int readAheadBytes;
    /** One per vNode: held by each operation on its files, across their storage round trips. */
    private final Map<Integer, ReentrantLock> vnodeLocks = new ConcurrentHashMap<>();
    /** Guards {@link #lru} and {@link #freeSlots}; never held across a call, nor while waiting for a vNode lock. */
    private final ReentrantLock shared = new ReentrantLock();
    /** Cached files; a file's entry, size and chunks are changed under its vNode's lock. */
    private final Map<FileKey, CachedFile> files = new ConcurrentHashMap<>();
    /** Every cached chunk, least recently used first. Guarded by {@link #shared}. */
    private final LinkedHashMap<Chunk, Chunk> lru = new LinkedHashMap<>(16, 0.75f, true);
    private final Map<Integer, Integer> storageNodes = new ConcurrentHashMap<>();
    /** Storage quota views by vNode id, made when a vNode's file first grows here; each under its vNode's lock. */
    private final Map<Integer, StorageQuota> quotas = new ConcurrentHashMap<>();
    /**
     * Free chunk slots: a slab and an offset each. Chunk bytes live in slabs of {@link #SLAB_BYTES} (or one chunk
     * if bigger), allocated as needed and reused after evictions, so the garbage collector neither copies cached
     * data nor collects it. Guarded by {@link #shared}.
     */
    private final java.util.ArrayDeque<Slot> freeSlots = new java.util.ArrayDeque<>();
    private final LongAdder hits = new LongAdder();
    private final LongAdder misses = new LongAdder();
    private final LongAdder evictions = new LongAdder();
    private final LongAdder writeBacks = new LongAdder();
    private final LongAdder storageReads = new LongAdder();

    private record FileKey(int vnodeId, String path) {
    }

    private record Slot(byte[] slab, int base) {
    }

    /** How many of the least recently used chunks eviction looks at for one it can drop without another vNode's call. */
    private static final int EVICTION_WINDOW = 32;
    /** Chunk bytes are allocated in slabs of about this size. */
    private static final int SLAB_BYTES = 4 << 20;

    private static final class CachedFile {
        final FileKey key;
        long size;
        /** The file's size on its storage component as far as this cache knows (what it read, then wrote back). */
        long storedSize;
        /** Data was written to storage since its last M2S_FSYNC. */
        boolean unsynced;
        /** Where the last read ended: a read starting here continues a sequential stream. */
        long lastReadEnd = -1;
        final Long2ObjectOpenHashMap<Chunk> chunks = new Long2ObjectOpenHashMap<>();

        CachedFile(FileKey key, long size) {
            this.key = key;
            this.size = size;
            this.storedSize = size;
        }

        /** Bytes this file will grow its vNode's storage by when its dirty pages are written back. */
        long pendingGrowth() {
            return Math.max(0, size - storedSize);
        }
    }

    /**
     * What the cache knows of a vNode's storage quota: {@code stored} bytes its files take on storage (as storage last
     * said, plus what this cache wrote back since) and {@code pending} bytes its cached files will add when written back.
     * A write that would take {@code stored + pending} beyond {@code quota} is refused before the cache accepts it, so
     * nothing is accepted that storage would refuse at write-back.
     */
    private static final class StorageQuota {
        long quota;
        long stored;
        long pending;
        long askedAtNanos;
    }

    /**
     * One cached chunk; equality is identity (it is its own LRU key). A page that is not valid holds zeros
     * (pages never become invalid again: the chunk is dropped whole).
     */
    private static final class Chunk {
        final CachedFile file;
        final long index;
        /** The slab holding this chunk's bytes, from {@link #base} for {@code chunkBytes}. */
        final byte[] data;
        final int base;
        final long[] valid;
        final long[] dirty;
        int dirtyPages;

        Chunk(CachedFile file, long index, byte[] data, int base, int pages) {
            this.file = file;
            this.index = index;
            this.data = data;
            this.base = base;
            this.valid = new long[(pages + 63) >>> 6];
            this.dirty = new long[(pages + 63) >>> 6];
        }

        boolean dirty() {
            return dirtyPages > 0;
        }

        boolean isValid(int page) {
            return (valid[page >>> 6] & (1L << page)) != 0;
        }

        boolean isDirty(int page) {
            return (dirty[page >>> 6] & (1L << page)) != 0;
        }

        void setValid(int page) {
            valid[page >>> 6] |= 1L << page;
        }

        void setDirty(int page) {
            if (!isDirty(page)) {
                dirty[page >>> 6] |= 1L << page;
                dirtyPages++;
            }
        }

        void clean() {
            java.util.Arrays.fill(dirty, 0L);
            dirtyPages = 0;
        }
    }

    /**
     * Counters of the cache.
     *
     * @param hits pages (runs of pages) served from the cache
     * @param misses fetches from storage (a run of missing pages each) and chunks created
     * @param storageReads {@code M2S_READ}s sent
     */
    public record Counters(long hits, long misses, long evictions, long writeBacks, long cachedBytes, long dirtyChunks,
                           int files, long storageReads) {
    }

    /**
     * @param capacityBytes most bytes of file data held (at least one chunk is always allowed)
     * @param chunkBytes size of a chunk, a power of two
     */
    public BufferCache(RpcNode rpc, int managerNode, long capacityBytes, int chunkBytes) {
        if (Integer.bitCount(chunkBytes) != 1 || chunkBytes < 512) {
            throw new IllegalArgumentException("chunk size must be a power of two of at least 512 bytes, got " + chunkBytes);
        }
        if (capacityBytes < chunkBytes) {
            throw new IllegalArgumentException("buffer cache of " + capacityBytes + " bytes cannot hold one " + chunkBytes + "-byte chunk");
        }
        this.rpc = rpc;
        this.managerNode = managerNode;
        this.chunkBytes = chunkBytes;
        this.chunkShift = Integer.numberOfTrailingZeros(chunkBytes);
        this.pageBytes = Math.min(PAGE_BYTES, chunkBytes);
        this.pageShift = Integer.numberOfTrailingZeros(pageBytes);
        this.pagesPerChunk = chunkBytes / pageBytes;
        this.capacityChunks = (int) Math.min(Integer.MAX_VALUE, capacityBytes / chunkBytes);
        long ahead = Math.min(MAX_READ_AHEAD_BYTES, capacityBytes / 8);
        this.readAheadBytes = (int) (ahead >>> pageShift << pageShift);
    }

    /** How far past its end a sequential read fetches: {@value #MAX_READ_AHEAD_BYTES} or an eighth of the capacity. */
    public int readAheadBytes() {
        return readAheadBytes;
    }

    /** The counters; the dirty chunks are counted without their vNodes' locks (a moment's view). */
    public Counters counters() {
        long cached;
        long dirty;
        shared.lock();
        try {
            cached = (long) lru.size() * chunkBytes;
            dirty = lru.keySet().stream().filter(Chunk::dirty).count();
        } finally {
            shared.unlock();
        }
        return new Counters(hits.sum(), misses.sum(), evictions.sum(), writeBacks.sum(), cached, dirty, files.size(),
                storageReads.sum());
    }

    /** The lock of {@code vnodeId}'s files. */
    private ReentrantLock lockOf(int vnodeId) {
        return vnodeLocks.computeIfAbsent(vnodeId, v -> new ReentrantLock());
    }

    // ------------------------------------------------------------------ P2M

    /** {@code P2M_READ}: up to {@code length} bytes from {@code offset}; fewer at the end of the file, none past it. */
    public FileData read(FileRead q) {
        checkPath(q.path());
        if (q.offset() < 0 || q.length() < 0) {
            throw invalid("READ " + q.path() + ": offset and length must not be negative (" + q.offset() + ", " + q.length() + ")");
        }
        ReentrantLock lock = lockOf(q.vnodeId());
        lock.lock();
        try {
            CachedFile f = file(q.vnodeId(), q.path());
            if (q.offset() >= f.size || q.length() == 0) {
                return new FileData(ByteBuffer.allocate(0));
            }
            int n = (int) Math.min(Math.min(q.length(), MAX_READ_BYTES), f.size - q.offset());
            long from = q.offset();
            long to = from + n;
            boolean sequential = f.lastReadEnd == from;
            f.lastReadEnd = to;
            long fetchLimit = sequential ? Math.min(f.size, to + readAheadBytes) : to;
            byte[] out = new byte[n];
            long pos = from;
            while (pos < to) {
                long pageStart = pos >>> pageShift << pageShift;
                long pageEnd = pageStart + pageBytes;
                Chunk c = f.chunks.get(pos >>> chunkShift);
                int page = pageIn(pageStart);
                if (c != null && c.isValid(page)) {
                    touch(c);
                    hits.increment();
                    // copy the run of valid pages of this chunk that the read covers
                    long runEnd = pageEnd;
                    long chunkEnd = ((pos >>> chunkShift) + 1) << chunkShift;
                    while (runEnd < to && runEnd < chunkEnd && c.isValid(pageIn(runEnd))) {
                        runEnd += pageBytes;
                    }
                    int k = (int) (Math.min(runEnd, to) - pos);
                    System.arraycopy(c.data, c.base + (int) (pos & (chunkBytes - 1)), out, (int) (pos - from), k);
                    pos += k;
                    continue;
                }
                // a run of missing pages from here (read ahead past the request on a sequential stream)
                long runEnd = pageEnd;
                long limit = Math.max(to, fetchLimit);
                while (runEnd < limit && missing(f, runEnd)) {
                    runEnd += pageBytes;
                }
                byte[] got = fetch(f, pageStart, runEnd);
                int k = (int) (Math.min(runEnd, to) - pos);
                System.arraycopy(got, (int) (pos - pageStart), out, (int) (pos - from), k);
                pos += k;
            }
            return new FileData(ByteBuffer.wrap(out));
        } finally {
            lock.unlock();
        }
    }

    /** {@code P2M_WRITE}: writes into the cache (write-back), extending the file if it ends past its size. */
    public Ack write(FileWrite q) {
        checkPath(q.path());
        checkExtent(q.path(), q.offset(), q.data().remaining());
        ReentrantLock lock = lockOf(q.vnodeId());
        lock.lock();
        try {
            CachedFile f = file(q.vnodeId(), q.path());
            reserveGrowth(f, q.offset() + q.data().remaining());
            apply(f, q.offset(), q.data().duplicate());
            return Ack.INSTANCE;
        } finally {
            lock.unlock();
        }
    }

    /** {@code P2M_WRITEV}: the batch's writes in order, as {@link #write} would apply them one by one. */
    public Ack writeBatch(FileWriteBatch q) {
        checkPath(q.path());
        for (FileWriteBatch.Extent e : q.extents()) {
            checkExtent(q.path(), e.offset(), e.data().remaining());
        }
        ReentrantLock lock = lockOf(q.vnodeId());
        lock.lock();
        try {
            CachedFile f = file(q.vnodeId(), q.path());
            long end = 0;
            for (FileWriteBatch.Extent e : q.extents()) {
                end = Math.max(end, e.offset() + e.data().remaining());
            }
            reserveGrowth(f, end);
            for (FileWriteBatch.Extent e : q.extents()) {
                apply(f, e.offset(), e.data().duplicate());
            }
            return Ack.INSTANCE;
        } finally {
            lock.unlock();
        }
    }

    /**
     * {@code P2M_FSYNC}: writes the file's dirty pages back and makes them durable; with {@code invalidate}
     * forgets the file's chunks and size too, and does the same for every file cached under the path: the
     * processor invalidates before it renames a path behind the cache, and renaming a directory moves the files
     * under it (their entries, keyed by the old paths, would otherwise serve the next file created there and
     * write dirty data back to it). A file the cache knows nothing of needs nothing.
     */
    public Ack fsync(FileSync q) {
        checkPath(q.path());
        ReentrantLock lock = lockOf(q.vnodeId());
        lock.lock();
        try {
            CachedFile f = files.get(new FileKey(q.vnodeId(), q.path()));
            if (f != null) {
                syncFile(f, q.invalidate());
            }
            if (q.invalidate()) {
                String prefix = q.path().endsWith("/") ? q.path() : q.path() + "/";
                List<CachedFile> below = new ArrayList<>();
                for (CachedFile g : files.values()) {
                    if (g.key.vnodeId() == q.vnodeId() && g.key.path().startsWith(prefix)) {
                        below.add(g);
                    }
                }
                for (CachedFile g : below) {
                    syncFile(g, true);
                }
            }
            return Ack.INSTANCE;
        } finally {
            lock.unlock();
        }
    }

    /** Writes {@code f}'s dirty pages back and makes them durable; forgets the file if {@code invalidate}. */
    private void syncFile(CachedFile f, boolean invalidate) {
        writeBackFile(f);
        if (f.unsynced) {
            storage(f.key.vnodeId(), new BlockSync(f.key.vnodeId(), f.key.path()));
            f.unsynced = false;
        }
        if (invalidate) {
            drop(f);
        }
    }

    /** {@code P2M_CLOSE}: writes the file's dirty pages back (not yet durable); clean chunks stay cached. */
    public Ack close(FileClose q) {
        checkPath(q.path());
        ReentrantLock lock = lockOf(q.vnodeId());
        lock.lock();
        try {
            CachedFile f = files.get(new FileKey(q.vnodeId(), q.path()));
            if (f != null) {
                writeBackFile(f);
            }
            return Ack.INSTANCE;
        } finally {
            lock.unlock();
        }
    }

    /**
     * Writes back and syncs every dirty file, as at shutdown. Failures are logged; the data of a file whose
     * storage component cannot be reached stays cached (and is lost if the component then stops).
     *
     * @return the number of files that could not be written back
     */
    public int flushAll() {
        int failed = 0;
        for (CachedFile f : new ArrayList<>(files.values())) {
            ReentrantLock lock = lockOf(f.key.vnodeId());
            lock.lock();
            try {
                if (files.get(f.key) != f) {
                    continue; // dropped meanwhile (written back first)
                }
                writeBackFile(f);
                if (f.unsynced) {
                    storage(f.key.vnodeId(), new BlockSync(f.key.vnodeId(), f.key.path()));
                    f.unsynced = false;
                }
            } catch (LegoException e) {
                failed++;
                log.warn("buffer cache: could not write back {} of vNode {}: {}", f.key.path(), f.key.vnodeId(), e.getMessage());
            } finally {
                lock.unlock();
            }
        }
        return failed;
    }

    // ------------------------------------------------------------------ internals (the file's vNode lock held)

    private CachedFile file(int vnodeId, String path) {
        FileKey key = new FileKey(vnodeId, path);
        CachedFile f = files.get(key);
        if (f == null) {
            FileStat st = storage(vnodeId, new FileStatRequest(vnodeId, path));
            if (st.directory()) {
                throw Status.IS_DIRECTORY.toException(path + " is a directory");
            }
            f = new CachedFile(key, st.size());
            files.put(key, f);
        }
        return f;
    }

    /** The page number inside its chunk of the page starting at file offset {@code pageStart}. */
    private int pageIn(long pageStart) {
        return (int) ((pageStart & (chunkBytes - 1)) >>> pageShift);
    }

    /** The page at {@code pageStart} is not cached as valid. */
    private boolean missing(CachedFile f, long pageStart) {
        Chunk c = f.chunks.get(pageStart >>> chunkShift);
        return c == null || !c.isValid(pageIn(pageStart));
    }

    /**
     * Reads pages [{@code start}, {@code end}) (all missing, {@code start} below the file size) from storage with
     * one request, installs them in their chunks and returns them ({@code end - start} bytes, zeros past what
     * storage has).
     */
    private byte[] fetch(CachedFile f, long start, long end) {
        misses.increment();
        storageReads.increment();
        int want = (int) (Math.min(end, f.size) - start);
        byte[] got = new byte[(int) (end - start)];
        FileData d = storage(f.key.vnodeId(), new BlockRead(f.key.vnodeId(), f.key.path(), start, want));
        ByteBuffer b = d.data();
        b.get(b.position(), got, 0, Math.min(b.remaining(), want));
        for (long p = start; p < end; p += pageBytes) {
            Chunk c = chunk(f, p >>> chunkShift);
            int page = pageIn(p);
            if (!c.isValid(page)) {
                System.arraycopy(got, (int) (p - start), c.data, c.base + (int) (p & (chunkBytes - 1)), pageBytes);
                c.setValid(page);
            }
        }
        return got;
    }

    /** Writes {@code src} at {@code offset} into the cache, filling only partly written pages that are not valid. */
    private void apply(CachedFile f, long offset, ByteBuffer src) {
        long pos = offset;
        while (src.hasRemaining()) {
            long pageStart = pos >>> pageShift << pageShift;
            long pageEnd = pageStart + pageBytes;
            int k = (int) Math.min(pageEnd - pos, src.remaining());
            Chunk c = chunk(f, pos >>> chunkShift);
            int page = pageIn(pageStart);
            if (!c.isValid(page)) {
                // an invalid page holds zeros; it needs the file's bytes unless this write covers all of them
                boolean whole = pos == pageStart && pos + k >= Math.min(pageEnd, f.size);
                if (!whole && pageStart < f.size) {
                    fetch(f, pageStart, pageEnd);
                } else {
                    c.setValid(page);
                }
            }
            src.get(c.data, c.base + (int) (pos & (chunkBytes - 1)), k);
            c.setDirty(page);
            pos += k;
            f.size = Math.max(f.size, pos);
        }
    }

    /** Marks {@code c} most recently used. */
    private void touch(Chunk c) {
        shared.lock();
        try {
            lru.get(c);
        } finally {
            shared.unlock();
        }
    }

    /** The chunk, from the cache or made room for (its pages not yet valid). */
    private Chunk chunk(CachedFile f, long index) {
        Chunk c = f.chunks.get(index);
        if (c != null) {
            touch(c);
            return c;
        }
        misses.increment();
        while (true) {
            Chunk victim;
            ReentrantLock victimLock;
            shared.lock();
            try {
                if (lru.size() < capacityChunks || (victim = evictable(f.key.vnodeId())) == null) {
                    return allocate(f, index); // over the capacity if every chunk's vNode is busy elsewhere
                }
                victimLock = lockOf(victim.file.key.vnodeId()); // held: evictable() took it
                if (!victim.dirty()) {
                    forget(victim);
                    victimLock.unlock();
                    continue;
                }
            } finally {
                shared.unlock();
            }
            try { // a dirty victim: written back under its vNode's lock, without the shared one
                writeBack(List.of(victim)); // throws (and keeps the chunk) if storage cannot take it
                shared.lock();
                try {
                    forget(victim);
                } finally {
                    shared.unlock();
                }
            } finally {
                victimLock.unlock();
            }
        }
    }

    /**
     * The chunk to evict, its vNode's lock taken (reentrantly if it is {@code own}'s), or null if every chunk's vNode
     * is busy in another thread: among the {@value #EVICTION_WINDOW} least recently used, the first clean one or one of
     * {@code own}'s (no other vNode's storage round trip), else the least recently used one that can be locked.
     * {@link #shared} held.
     */
    private Chunk evictable(int own) {
        Chunk fallback = null;
        int seen = 0;
        for (Chunk c : lru.keySet()) {
            if (seen++ >= EVICTION_WINDOW && fallback != null) {
                break;
            }
            ReentrantLock l = lockOf(c.file.key.vnodeId());
            if (c.file.key.vnodeId() == own || !c.dirty()) {
                if (l.tryLock()) {
                    if (fallback != null) {
                        lockOf(fallback.file.key.vnodeId()).unlock();
                    }
                    return c;
                }
            } else if (fallback == null && l.tryLock()) {
                fallback = c;
            }
        }
        return fallback;
    }

    /** A new chunk of {@code f} in a free slot. {@link #shared} held. */
    private Chunk allocate(CachedFile f, long index) {
        Slot slot = freeSlots.poll();
        if (slot == null) {
            int perSlab = Math.max(1, Math.min(SLAB_BYTES / chunkBytes, capacityChunks - lru.size()));
            byte[] slab = new byte[perSlab * chunkBytes];
            for (int i = 1; i < perSlab; i++) {
                freeSlots.add(new Slot(slab, i * chunkBytes));
            }
            slot = new Slot(slab, 0);
        }
        Chunk c = new Chunk(f, index, slot.slab(), slot.base(), pagesPerChunk);
        f.chunks.put(index, c);
        lru.put(c, c);
        return c;
    }

    /** Drops an evicted chunk: {@link #shared} and its vNode's lock held. */
    private void forget(Chunk victim) {
        lru.remove(victim);
        victim.file.chunks.remove(victim.index);
        release(victim);
        evictions.increment();
    }

    private void writeBackFile(CachedFile f) {
        List<Chunk> dirty = new ArrayList<>();
        for (Chunk c : f.chunks.values()) {
            if (c.dirty()) {
                dirty.add(c);
            }
        }
        if (dirty.isEmpty()) {
            return;
        }
        dirty.sort(Comparator.comparingLong(c -> c.index));
        writeBack(dirty);
    }

    /** One run of bytes to write back: {@code length} bytes of {@code chunk.data} from {@code from}. */
    private record Run(Chunk chunk, int from, int length) {
        long fileOffset(int chunkShift) {
            return (chunk.index << chunkShift) + from;
        }
    }

    /**
     * Writes the dirty pages of {@code chunks} (one file, in index order) to storage: each run from a dirty page to
     * the last dirty page before an invalid one, clean valid pages inside included; runs that continue each other
     * across chunks go in one request up to {@value #MAX_WRITE_BACK_BYTES} bytes. Marks the chunks clean.
     */
    private void writeBack(List<Chunk> chunks) {
        CachedFile f = chunks.getFirst().file;
        List<Run> runs = new ArrayList<>();
        for (Chunk c : chunks) {
            long chunkStart = c.index << chunkShift;
            int p = 0;
            while (p < pagesPerChunk) {
                if (!c.isDirty(p)) {
                    p++;
                    continue;
                }
                int first = p;
                int lastDirty = p;
                while (p < pagesPerChunk && c.isValid(p)) {
                    if (c.isDirty(p)) {
                        lastDirty = p;
                    }
                    p++;
                }
                int from = first << pageShift;
                long end = Math.min(chunkStart + ((long) (lastDirty + 1) << pageShift), f.size);
                int len = (int) (end - chunkStart - from);
                if (len > 0) {
                    runs.add(new Run(c, from, len));
                }
            }
        }
        int i = 0;
        while (i < runs.size()) {
            Run r = runs.get(i);
            long start = r.fileOffset(chunkShift);
            long end = start + r.length();
            int j = i + 1;
            while (j < runs.size() && runs.get(j).fileOffset(chunkShift) == end
                    && end - start + runs.get(j).length() <= MAX_WRITE_BACK_BYTES) {
                end += runs.get(j).length();
                j++;
            }
            ByteBuffer data;
            if (j == i + 1) {
                data = ByteBuffer.wrap(r.chunk().data, r.chunk().base + r.from(), r.length());
            } else {
                byte[] merged = new byte[(int) (end - start)];
                int at = 0;
                for (int k = i; k < j; k++) {
                    Run m = runs.get(k);
                    System.arraycopy(m.chunk().data, m.chunk().base + m.from(), merged, at, m.length());
                    at += m.length();
                }
                data = ByteBuffer.wrap(merged);
            }
            storage(f.key.vnodeId(), new BlockWrite(f.key.vnodeId(), f.key.path(), start, data));
            stored(f, end);
            f.unsynced = true;
            writeBacks.increment();
            i = j;
        }
        for (Chunk c : chunks) {
            c.clean();
        }
    }

    /**
     * Before a write that leaves {@code f} at least {@code end} bytes long is accepted: takes its growth from the
     * vNode's storage quota, asking storage how much its files take when the view is over a second old or the growth
     * does not fit it.
     *
     * @throws LegoException QUOTA (nothing written) if the vNode's files would exceed the quota
     */
    private void reserveGrowth(CachedFile f, long end) {
        long grows = Math.max(0, end - Math.max(f.size, f.storedSize));
        if (grows == 0) {
            return;
        }
        int vnodeId = f.key.vnodeId();
        StorageQuota q = quotas.get(vnodeId);
        if (q == null || System.nanoTime() - q.askedAtNanos > QUOTA_VIEW_NANOS || q.stored + q.pending + grows > q.quota) {
            StorageUsage u = storage(vnodeId, new UsageRequest(vnodeId));
            if (q == null) {
                q = new StorageQuota();
                quotas.put(vnodeId, q);
            }
            q.quota = u.quotaBytes();
            q.stored = u.usedBytes();
            q.pending = 0; // recounted, so a write that failed half way leaves no reservation behind
            for (CachedFile g : files.values()) {
                if (g.key.vnodeId() == vnodeId) {
                    q.pending += g.pendingGrowth();
                }
            }
            q.askedAtNanos = System.nanoTime();
        }
        if (q.stored + q.pending + grows > q.quota) {
            throw Status.QUOTA.toException("vNode " + vnodeId + ": " + f.key.path() + ": writing " + Sizes.human(grows)
                    + " more would exceed the vNode's storage quota of " + Sizes.human(q.quota) + " (its files take "
                    + Sizes.human(q.stored) + (q.pending > 0 ? ", " + Sizes.human(q.pending) + " more waiting to be written"
                    : "") + ")");
        }
        q.pending += grows;
    }

    /** Storage has {@code f}'s bytes up to {@code end}: growth moves from pending to stored. */
    private void stored(CachedFile f, long end) {
        if (end <= f.storedSize) {
            return;
        }
        long pendingBefore = f.pendingGrowth();
        long grew = end - f.storedSize;
        f.storedSize = end;
        StorageQuota q = quotas.get(f.key.vnodeId());
        if (q != null) {
            q.pending += f.pendingGrowth() - pendingBefore;
            q.stored += grew;
        }
    }

    /** Gives a dropped chunk's bytes back, zeroed (pages that are not valid must hold zeros). {@link #shared} held. */
    private void release(Chunk c) {
        java.util.Arrays.fill(c.data, c.base, c.base + chunkBytes, (byte) 0);
        freeSlots.add(new Slot(c.data, c.base));
    }

    private void drop(CachedFile f) {
        StorageQuota q = quotas.get(f.key.vnodeId());
        if (q != null) {
            q.pending -= f.pendingGrowth();
        }
        shared.lock();
        try {
            for (Chunk c : f.chunks.values()) {
                lru.remove(c);
                release(c);
            }
        } finally {
            shared.unlock();
        }
        f.chunks.clear();
        files.remove(f.key);
    }

    /** Calls the vNode's storage component; forgets where it is if it cannot be reached. */
    private <R extends Message> R storage(int vnodeId, Request<R> q) {
        int node = storageNode(vnodeId);
        try {
            return rpc.call(node, q);
        } catch (ComponentUnavailableException e) {
            storageNodes.remove(vnodeId, node);
            throw e;
        }
    }

    private int storageNode(int vnodeId) {
        Integer node = storageNodes.get(vnodeId);
        if (node == null) {
            VNodeInfo v = rpc.call(managerNode, new VNodeGet(String.valueOf(vnodeId)));
            if (v.storageNode() < 0) {
                throw Status.UNAVAILABLE.toException("vNode " + vnodeId + " has no storage component");
            }
            node = v.storageNode();
            storageNodes.put(vnodeId, node);
        }
        return node;
    }

    private static void checkPath(String path) {
        if (path.isEmpty()) {
            throw invalid("empty path");
        }
    }

    private static void checkExtent(String path, long offset, int length) {
        if (offset < 0 || offset > Long.MAX_VALUE - length) {
            throw invalid("WRITE " + path + ": bad offset " + offset);
        }
    }

    private static LegoException invalid(String message) {
        return Status.INVALID_ARGUMENT.toException(message);
    }
}
