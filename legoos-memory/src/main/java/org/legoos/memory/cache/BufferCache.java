package org.legoos.memory.cache;

import it.unimi.dsi.fastutil.longs.Long2ObjectOpenHashMap;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.ReentrantLock;
import org.legoos.api.ComponentUnavailableException;
import org.legoos.api.LegoException;
import org.legoos.net.protocol.Ack;
import org.legoos.net.protocol.Message;
import org.legoos.net.protocol.Request;
import org.legoos.net.protocol.gm.VNodeGet;
import org.legoos.net.protocol.gm.VNodeInfo;
import org.legoos.net.protocol.m2s.BlockRead;
import org.legoos.net.protocol.m2s.BlockSync;
import org.legoos.net.protocol.m2s.BlockWrite;
import org.legoos.net.protocol.p2m.FileClose;
import org.legoos.net.protocol.p2m.FileRead;
import org.legoos.net.protocol.p2m.FileSync;
import org.legoos.net.protocol.p2m.FileWrite;
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
 * {@code capacityBytes}. Serves the processor's {@code P2M_READ/WRITE/FSYNC/CLOSE}.
 *
 * <p>A chunk is filled with {@code M2S_READ} from the vNode's storage component (found once through the
 * manager's {@code VNODE_GET}). Writes stay in the cache (write-back); dirty bytes go to storage with
 * {@code M2S_WRITE} when the file is synced or closed and when a dirty chunk is evicted; {@code FSYNC} then
 * makes them durable with {@code M2S_FSYNC}. The cache tracks each file's size (first learnt with
 * {@code P2S_STAT}): reads past the end return fewer bytes, writes may extend the file, holes read as zeros.
 * {@code FSYNC} with {@code invalidate} also forgets the file, as the processor asks before it stats,
 * truncates, unlinks or renames it behind the cache.
 *
 * <p>Paths are used as given (the processor sends normalised absolute paths); files of different vNodes
 * never share an entry.
 *
 * <p>Thread-safety: thread-safe; one lock serialises the cache, including its round trips to storage (which
 * never calls back), so a file's size and chunks are always consistent.
 */
public final class BufferCache {
    private static final Logger log = LoggerFactory.getLogger(BufferCache.class);
    /** Largest read served by one request; longer reads return this many bytes (callers loop). */
    public static final int MAX_READ_BYTES = 16 << 20;

    private final RpcNode rpc;
    private final int managerNode;
    private final int chunkBytes;
    private final int chunkShift;
    private final int capacityChunks;
    private final ReentrantLock lock = new ReentrantLock();
    private final Map<FileKey, CachedFile> files = new HashMap<>(); // guarded by lock
    /** Every cached chunk, least recently used first. Guarded by lock. */
    private final LinkedHashMap<Chunk, Chunk> lru = new LinkedHashMap<>(16, 0.75f, true);
    private final Map<Integer, Integer> storageNodes = new ConcurrentHashMap<>();
    private long hits;
    private long misses;
    private long evictions;
    private long writeBacks;

    private record FileKey(int vnodeId, String path) {
    }

    private static final class CachedFile {
        final FileKey key;
        long size;
        /** Data was written to storage since its last M2S_FSYNC. */
        boolean unsynced;
        final Long2ObjectOpenHashMap<Chunk> chunks = new Long2ObjectOpenHashMap<>();

        CachedFile(FileKey key, long size) {
            this.key = key;
            this.size = size;
        }
    }

    /** One cached chunk; equality is identity (it is its own LRU key). */
    private static final class Chunk {
        final CachedFile file;
        final long index;
        final byte[] data;
        int dirtyFrom = Integer.MAX_VALUE;
        int dirtyTo;

        Chunk(CachedFile file, long index, byte[] data) {
            this.file = file;
            this.index = index;
            this.data = data;
        }

        boolean dirty() {
            return dirtyTo > dirtyFrom;
        }

        void markDirty(int from, int to) {
            dirtyFrom = Math.min(dirtyFrom, from);
            dirtyTo = Math.max(dirtyTo, to);
        }

        void clean() {
            dirtyFrom = Integer.MAX_VALUE;
            dirtyTo = 0;
        }
    }

    /** Counters of the cache. */
    public record Counters(long hits, long misses, long evictions, long writeBacks, long cachedBytes, long dirtyChunks,
                           int files) {
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
        this.capacityChunks = (int) Math.min(Integer.MAX_VALUE, capacityBytes / chunkBytes);
    }

    public Counters counters() {
        lock.lock();
        try {
            long dirty = lru.keySet().stream().filter(Chunk::dirty).count();
            return new Counters(hits, misses, evictions, writeBacks, (long) lru.size() * chunkBytes, dirty, files.size());
        } finally {
            lock.unlock();
        }
    }

    // ------------------------------------------------------------------ P2M

    /** {@code P2M_READ}: up to {@code length} bytes from {@code offset}; fewer at the end of the file, none past it. */
    public FileData read(FileRead q) {
        checkPath(q.path());
        if (q.offset() < 0 || q.length() < 0) {
            throw invalid("READ " + q.path() + ": offset and length must not be negative (" + q.offset() + ", " + q.length() + ")");
        }
        lock.lock();
        try {
            CachedFile f = file(q.vnodeId(), q.path());
            if (q.offset() >= f.size || q.length() == 0) {
                return new FileData(ByteBuffer.allocate(0));
            }
            int n = (int) Math.min(Math.min(q.length(), MAX_READ_BYTES), f.size - q.offset());
            byte[] out = new byte[n];
            long pos = q.offset();
            int done = 0;
            while (done < n) {
                Chunk c = chunk(f, pos >>> chunkShift, true);
                int in = (int) (pos & (chunkBytes - 1));
                int k = Math.min(chunkBytes - in, n - done);
                System.arraycopy(c.data, in, out, done, k);
                done += k;
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
        ByteBuffer src = q.data().duplicate();
        long offset = q.offset();
        if (offset < 0 || offset > Long.MAX_VALUE - src.remaining()) {
            throw invalid("WRITE " + q.path() + ": bad offset " + offset);
        }
        lock.lock();
        try {
            CachedFile f = file(q.vnodeId(), q.path());
            long pos = offset;
            while (src.hasRemaining()) {
                long index = pos >>> chunkShift;
                long chunkStart = index << chunkShift;
                int in = (int) (pos - chunkStart);
                int k = Math.min(chunkBytes - in, src.remaining());
                // read the chunk from storage first unless this write covers all the file bytes it holds
                long validEnd = Math.min(chunkStart + chunkBytes, f.size);
                boolean needData = chunkStart < f.size && !(in == 0 && pos + k >= validEnd);
                Chunk c = chunk(f, index, needData);
                src.get(c.data, in, k);
                c.markDirty(in, in + k);
                pos += k;
                f.size = Math.max(f.size, pos);
            }
            return Ack.INSTANCE;
        } finally {
            lock.unlock();
        }
    }

    /**
     * {@code P2M_FSYNC}: writes the file's dirty chunks back and makes them durable; with {@code invalidate}
     * forgets the file's chunks and size too. A file the cache knows nothing of needs nothing.
     */
    public Ack fsync(FileSync q) {
        checkPath(q.path());
        lock.lock();
        try {
            CachedFile f = files.get(new FileKey(q.vnodeId(), q.path()));
            if (f == null) {
                return Ack.INSTANCE;
            }
            writeBackFile(f);
            if (f.unsynced) {
                storage(f.key.vnodeId(), new BlockSync(f.key.vnodeId(), f.key.path()));
                f.unsynced = false;
            }
            if (q.invalidate()) {
                drop(f);
            }
            return Ack.INSTANCE;
        } finally {
            lock.unlock();
        }
    }

    /** {@code P2M_CLOSE}: writes the file's dirty chunks back (not yet durable); clean chunks stay cached. */
    public Ack close(FileClose q) {
        checkPath(q.path());
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
        lock.lock();
        try {
            int failed = 0;
            for (CachedFile f : new ArrayList<>(files.values())) {
                try {
                    writeBackFile(f);
                    if (f.unsynced) {
                        storage(f.key.vnodeId(), new BlockSync(f.key.vnodeId(), f.key.path()));
                        f.unsynced = false;
                    }
                } catch (LegoException e) {
                    failed++;
                    log.warn("buffer cache: could not write back {} of vNode {}: {}", f.key.path(), f.key.vnodeId(), e.getMessage());
                }
            }
            return failed;
        } finally {
            lock.unlock();
        }
    }

    // ------------------------------------------------------------------ internals (lock held)

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

    /** The chunk, from the cache or made room for and filled (from storage when {@code needData}). */
    private Chunk chunk(CachedFile f, long index, boolean needData) {
        Chunk c = f.chunks.get(index);
        if (c != null) {
            hits++;
            lru.get(c);
            return c;
        }
        misses++;
        while (lru.size() >= capacityChunks) {
            evictOne();
        }
        byte[] data = new byte[chunkBytes];
        long start = index << chunkShift;
        if (needData && start < f.size) {
            int want = (int) Math.min(chunkBytes, f.size - start);
            FileData d = storage(f.key.vnodeId(), new BlockRead(f.key.vnodeId(), f.key.path(), start, want));
            ByteBuffer got = d.data();
            got.get(data, 0, Math.min(got.remaining(), want));
        }
        c = new Chunk(f, index, data);
        f.chunks.put(index, c);
        lru.put(c, c);
        return c;
    }

    private void evictOne() {
        Chunk victim = lru.keySet().iterator().next();
        if (victim.dirty()) {
            writeBack(victim); // throws (and keeps the chunk) if storage cannot take it
        }
        lru.remove(victim);
        victim.file.chunks.remove(victim.index);
        evictions++;
    }

    private void writeBackFile(CachedFile f) {
        List<Chunk> dirty = new ArrayList<>();
        for (Chunk c : f.chunks.values()) {
            if (c.dirty()) {
                dirty.add(c);
            }
        }
        dirty.sort(Comparator.comparingLong(c -> c.index));
        for (Chunk c : dirty) {
            writeBack(c);
        }
    }

    private void writeBack(Chunk c) {
        CachedFile f = c.file;
        long start = (c.index << chunkShift) + c.dirtyFrom;
        int len = (int) Math.min(c.dirtyTo - c.dirtyFrom, f.size - start);
        if (len > 0) {
            storage(f.key.vnodeId(), new BlockWrite(f.key.vnodeId(), f.key.path(), start, ByteBuffer.wrap(c.data, c.dirtyFrom, len)));
            f.unsynced = true;
            writeBacks++;
        }
        c.clean();
    }

    private void drop(CachedFile f) {
        for (Chunk c : f.chunks.values()) {
            lru.remove(c);
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

    private static LegoException invalid(String message) {
        return Status.INVALID_ARGUMENT.toException(message);
    }
}
