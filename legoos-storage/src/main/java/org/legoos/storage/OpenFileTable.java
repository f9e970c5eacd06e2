package org.legoos.storage;

import java.io.IOException;
import java.nio.channels.ClosedByInterruptException;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.FileChannel;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.Lock;
import java.util.function.Predicate;
import org.legoos.net.rpc.RpcException;
import org.legoos.net.rpc.Status;

/**
 * The storage monitor's hash table from full path to open file (LegoOS keeps one instead of per-client open
 * state): key {@code (vNode, normalised path)}, value an open {@link FileChannel}. It is a cache of open
 * descriptors, not state: losing it (a restart) only costs re-opens.
 *
 * <p>Bounded by {@code capacity}: inserting beyond it closes the least recently used file. A file in use
 * is never closed under its user: each entry is reference counted (one reference for the table, one per
 * call in progress) and its channel closes when the last reference goes, so eviction and invalidation
 * only take it out of the table.
 *
 * <p>Coherence with the namespace: a miss opens the file while holding the caller's {@code openLock} (the
 * read side of the vNode's namespace lock); unlink and rename take the write side and call
 * {@link #invalidate} for every path they change, so no channel to a replaced or removed file can be
 * inserted after they run.
 *
 * <p>Thread-safe. The hit path takes no lock.
 */
final class OpenFileTable implements AutoCloseable {
    private static final int MAX_ATTEMPTS = 3;

    /** Key of one open file: the vNode and the normalised full path. */
    record Key(int vnodeId, String path) {
    }

    /** Opens the file for a miss; may throw the I/O error to report. */
    @FunctionalInterface
    interface Opener {
        FileChannel open() throws IOException;
    }

    /** What a caller does with the channel while it holds it. */
    @FunctionalInterface
    interface ChannelFunction<T> {
        T apply(FileChannel channel) throws IOException;
    }

    private static final class Entry {
        final Key key;
        final FileChannel channel;
        /** 1 for the table while mapped, plus one per caller using the channel; 0 means closed. */
        final AtomicInteger refs = new AtomicInteger(1);
        volatile long lastUse;

        Entry(Key key, FileChannel channel) {
            this.key = key;
            this.channel = channel;
        }

        boolean retain() {
            for (;;) {
                int r = refs.get();
                if (r == 0) {
                    return false;
                }
                if (refs.compareAndSet(r, r + 1)) {
                    return true;
                }
            }
        }

        void release() {
            if (refs.decrementAndGet() == 0) {
                closeQuietly(channel);
            }
        }
    }

    private final int capacity;
    private final ConcurrentHashMap<Key, Entry> map = new ConcurrentHashMap<>();
    private final AtomicLong clock = new AtomicLong();
    private final AtomicLong opens = new AtomicLong();
    private final AtomicLong evictions = new AtomicLong();
    private final Object evictLock = new Object();
    private volatile boolean closed;

    OpenFileTable(int capacity) {
        if (capacity < 1) {
            throw new IllegalArgumentException("capacity must be at least 1, got " + capacity);
        }
        this.capacity = capacity;
    }

    /**
     * Runs {@code fn} with the open channel of {@code key}, opening it with {@code opener} (under
     * {@code openLock}) on a miss. The channel stays open until {@code fn} returns even if the entry is evicted
     * or invalidated meanwhile. {@code fn} must not close the channel.
     */
    <T> T withChannel(Key key, Lock openLock, Opener opener, ChannelFunction<T> fn) throws IOException {
        for (int attempt = 1; ; attempt++) {
            Entry e = acquire(key, openLock, opener);
            try {
                return fn.apply(e.channel);
            } catch (ClosedChannelException closed) {
                // An interrupted caller thread closes a FileChannel for every user (NIO's interruptible
                // channels). Drop the dead entry so the next call reopens the file; positional reads and
                // writes are idempotent, so retrying is safe.
                remove(e);
                if (closed instanceof ClosedByInterruptException || Thread.currentThread().isInterrupted()
                        || attempt >= MAX_ATTEMPTS) {
                    throw closed;
                }
            } finally {
                e.release();
            }
        }
    }

    /**
     * Puts a channel the caller has just opened (for example with {@code CREATE_NEW}) into the table. The
     * caller must hold the open lock of {@code key}'s vNode. If the key is already present, {@code channel} is
     * closed instead: both name the same file.
     */
    void adopt(Key key, FileChannel channel) {
        if (closed) {
            closeQuietly(channel);
            ensureOpen();
        }
        Entry fresh = new Entry(key, channel);
        opens.incrementAndGet();
        fresh.lastUse = clock.incrementAndGet();
        if (map.putIfAbsent(key, fresh) != null) {
            closeQuietly(channel);
            return;
        }
        if (closed) {
            remove(fresh);
            return;
        }
        evictBeyondCapacity(fresh);
    }

    private Entry acquire(Key key, Lock openLock, Opener opener) throws IOException {
        for (;;) {
            ensureOpen();
            Entry e = map.get(key);
            if (e != null) {
                if (e.retain()) {
                    e.lastUse = clock.incrementAndGet();
                    return e;
                }
                // Released to 0 only after removal from the map: look again.
                continue;
            }
            Entry fresh;
            openLock.lock();
            try {
                if (map.containsKey(key)) {
                    continue;
                }
                fresh = new Entry(key, opener.open());
                opens.incrementAndGet();
                fresh.refs.incrementAndGet(); // the caller's reference
                fresh.lastUse = clock.incrementAndGet();
                Entry raced = map.putIfAbsent(key, fresh);
                if (raced != null) {
                    closeQuietly(fresh.channel);
                    continue;
                }
            } finally {
                openLock.unlock();
            }
            if (closed) { // close() may have swept the table before our insert
                remove(fresh);
                fresh.release();
                ensureOpen();
            }
            evictBeyondCapacity(fresh);
            return fresh;
        }
    }

    private void evictBeyondCapacity(Entry keep) {
        if (map.size() <= capacity) {
            return;
        }
        synchronized (evictLock) {
            while (map.size() > capacity) {
                Entry victim = null;
                for (Entry e : map.values()) {
                    if (e != keep && (victim == null || e.lastUse < victim.lastUse)) {
                        victim = e;
                    }
                }
                if (victim == null) {
                    return;
                }
                if (remove(victim)) {
                    evictions.incrementAndGet();
                }
            }
        }
    }

    /** Takes {@code e} out of the table and drops the table's reference; false if it was already out. */
    private boolean remove(Entry e) {
        if (map.remove(e.key, e)) {
            e.release();
            return true;
        }
        return false;
    }

    /** Forgets the open file of exactly {@code key} (its channel closes when its last user is done). */
    void invalidate(Key key) {
        Entry e = map.get(key);
        if (e != null) {
            remove(e);
        }
    }

    /** Forgets every open file of {@code vnodeId} at {@code path} or below it (a directory rename). */
    void invalidateTree(int vnodeId, String path) {
        invalidateIf(k -> k.vnodeId() == vnodeId && PathNormalizer.isSameOrBelow(k.path(), path));
    }

    private void invalidateIf(Predicate<Key> which) {
        for (Map.Entry<Key, Entry> me : map.entrySet()) {
            if (which.test(me.getKey())) {
                remove(me.getValue());
            }
        }
    }

    /** Files currently in the table. */
    int size() {
        return map.size();
    }

    /** Misses that opened a file, since creation. */
    long opens() {
        return opens.get();
    }

    /** Files closed to stay within capacity, since creation. */
    long evictions() {
        return evictions.get();
    }

    /** Whether {@code key} is in the table now (for tests). */
    boolean contains(Key key) {
        return map.containsKey(key);
    }

    private void ensureOpen() {
        if (closed) {
            throw new RpcException(Status.UNAVAILABLE, "storage monitor is closed");
        }
    }

    /** Empties the table; channels in use close when their callers finish. Further use is refused. */
    @Override
    public void close() {
        closed = true;
        invalidateIf(k -> true);
    }

    private static void closeQuietly(FileChannel ch) {
        try {
            ch.close();
        } catch (IOException ignored) {
            // closing a descriptor we only read and wrote through: nothing left to report to anyone
        }
    }
}
