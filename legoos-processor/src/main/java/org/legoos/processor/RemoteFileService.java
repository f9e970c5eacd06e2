package org.legoos.processor;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.AccessDeniedException;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.Map;
import java.util.function.IntSupplier;
import org.legoos.api.ComponentUnavailableException;
import org.legoos.api.LegoException;
import org.legoos.net.protocol.Message;
import org.legoos.net.protocol.Request;
import org.legoos.net.protocol.gm.VNodeGet;
import org.legoos.net.protocol.gm.VNodeInfo;
import org.legoos.net.protocol.p2m.FileClose;
import org.legoos.net.protocol.p2m.FileRead;
import org.legoos.net.protocol.p2m.FileSync;
import org.legoos.net.protocol.p2m.FileWrite;
import org.legoos.net.protocol.p2m.FileWriteBatch;
import org.legoos.net.protocol.p2s.DirCreate;
import org.legoos.net.protocol.p2s.DirList;
import org.legoos.net.protocol.p2s.DirRead;
import org.legoos.net.protocol.p2s.DirRemove;
import org.legoos.net.protocol.p2s.FileData;
import org.legoos.net.protocol.p2s.FileOpen;
import org.legoos.net.protocol.p2s.FileRename;
import org.legoos.net.protocol.p2s.FileStat;
import org.legoos.net.protocol.p2s.FileStatRequest;
import org.legoos.net.protocol.p2s.FileTruncate;
import org.legoos.net.protocol.p2s.FileUnlink;
import org.legoos.net.rpc.RpcNode;
import org.legoos.net.rpc.Status;
import org.legoos.task.fs.FileService;

/**
 * The stateless file operations of one vNode as LegoOS splits them: file data goes through the storage
 * buffer cache on the vNode's cache memory component ({@code P2M_READ/WRITE/FSYNC/CLOSE}), names and
 * metadata go straight to the vNode's storage component ({@code P2S_*}). Before an operation that reads or
 * changes metadata of a file this processor wrote to, the cache is written back (and for truncate, unlink
 * and rename dropped) so storage sees the latest size.
 *
 * <p><b>The file cache's death.</b> When the cache memory component stops answering, the manager (once it declares it
 * dead) names another one for the vNode; a service made with {@link #of} asks the manager again, waiting up to
 * {@link Failover#WAIT_MILLIS} for a new name, and goes on there. What the dead cache held that storage had not
 * (writes since a file's last fsync or close) is gone: the next {@link #fsync} or {@link #close} of each such file
 * fails once with an {@link IOException} that says so (as Linux reports a lost write-back at the next fsync), and the
 * file then reads as storage has it.
 *
 * <p>Thread-safe.
 */
public final class RemoteFileService implements FileService {
    /** Largest single data request; bigger reads and writes are split. */
    static final int MAX_IO_BYTES = 1 << 20;
    private static final long CACHE_ASK_MILLIS = 250;

    private final RpcNode rpc;
    private final int vnodeId;
    private final int storageNode;
    /** Where the vNode's cache is now, as the manager says; null: it never moves (a caller without a manager). */
    private final IntSupplier cacheNodeNow;
    private volatile int cacheNode;
    /**
     * Files written since their last fsync or close: what a dying cache takes with it, and what a stat writes back
     * first (a synced file's bytes are all at storage already).
     */
    private final Set<String> unsynced = ConcurrentHashMap.newKeySet();
    /** Files whose unsynced writes a dead cache took, with that cache's node: reported at their next fsync or close. */
    private final Map<String, Integer> lost = new ConcurrentHashMap<>();

    /** A service whose cache never moves: for callers that cannot ask the manager. */
    public RemoteFileService(RpcNode rpc, int vnodeId, int storageNode, int cacheNode) {
        this(rpc, vnodeId, storageNode, cacheNode, null);
    }

    private RemoteFileService(RpcNode rpc, int vnodeId, int storageNode, int cacheNode, IntSupplier cacheNodeNow) {
        this.rpc = rpc;
        this.vnodeId = vnodeId;
        this.storageNode = storageNode;
        this.cacheNode = cacheNode;
        this.cacheNodeNow = cacheNodeNow;
    }

    /** The files of {@code v}, following its cache to another memory component when the manager moves it. */
    public static RemoteFileService of(RpcNode rpc, int managerNode, VNodeInfo v) {
        String id = String.valueOf(v.id());
        return new RemoteFileService(rpc, v.id(), v.storageNode(), v.cacheMemoryNode(),
                () -> rpc.call(managerNode, new VNodeGet(id)).cacheMemoryNode());
    }

    /** The memory component caching the vNode's files, as this service last learnt. */
    public int cacheNode() {
        return cacheNode;
    }

    /** Calls the vNode's cache; if it does not answer, the one the manager names instead (see the class doc). */
    private <R extends Message> R cache(Request<R> q) {
        int node = cacheNode;
        try {
            return rpc.call(node, q);
        } catch (ComponentUnavailableException e) {
            if (cacheNodeNow == null || !movedFrom(node)) {
                throw e;
            }
            return rpc.call(cacheNode, q);
        }
    }

    /**
     * After {@code failed} did not answer: true once the manager names another cache (the files written since their
     * last sync are then marked lost), false if it still names {@code failed} after {@link Failover#WAIT_MILLIS}.
     */
    private boolean movedFrom(int failed) {
        long deadline = System.nanoTime() + Failover.WAIT_MILLIS * 1_000_000L;
        while (true) {
            if (cacheNode != failed) {
                return true; // another thread learnt it
            }
            int now;
            try {
                now = cacheNodeNow.getAsInt();
            } catch (LegoException e) {
                now = failed; // the manager is briefly unreachable: ask again
            }
            if (now != failed && now >= 0) {
                synchronized (this) {
                    if (cacheNode == failed) {
                        for (String path : unsynced) {
                            lost.put(path, failed);
                        }
                        unsynced.clear();
                        cacheNode = now;
                    }
                }
                return true;
            }
            if (System.nanoTime() - deadline > 0) {
                return false;
            }
            try {
                Thread.sleep(CACHE_ASK_MILLIS);
            } catch (InterruptedException ie) {
                Thread.currentThread().interrupt();
                return false;
            }
        }
    }

    /** Throws once for {@code path} if a dead cache took writes of it that storage never got. */
    private void reportLost(String path) throws IOException {
        Integer node = lost.remove(path);
        if (node != null) {
            throw new IOException(path + ": data written since its last fsync or close was lost: memory component "
                    + node + ", which cached this vNode's files, died before writing it to storage; the file holds "
                    + "what was written back before");
        }
    }

    @Override
    public Stat stat(String path) throws IOException {
        try {
            if (unsynced.contains(path)) {
                cache(new FileSync(vnodeId, path, false));
            }
            FileStat s = rpc.call(storageNode, new FileStatRequest(vnodeId, path));
            return new Stat(s.directory(), s.size(), s.lastModifiedMillis());
        } catch (LegoException e) {
            throw translate(e, path, null);
        }
    }

    @Override
    public void create(String path, boolean exclusive) throws IOException {
        try {
            rpc.call(storageNode, new FileOpen(vnodeId, path, true, exclusive));
        } catch (LegoException e) {
            throw translate(e, path, null);
        }
    }

    @Override
    public int read(String path, long offset, ByteBuffer dst) throws IOException {
        if (!dst.hasRemaining()) {
            return 0;
        }
        try {
            int want = Math.min(dst.remaining(), MAX_IO_BYTES);
            FileData d = cache(new FileRead(vnodeId, path, offset, want));
            int n = d.data().remaining();
            if (n == 0) {
                return -1;
            }
            dst.put(d.data());
            return n;
        } catch (LegoException e) {
            throw translate(e, path, null);
        }
    }

    @Override
    public void write(String path, long offset, ByteBuffer src) throws IOException {
        try {
            unsynced.add(path);
            while (src.hasRemaining()) {
                int n = Math.min(src.remaining(), MAX_IO_BYTES);
                ByteBuffer part = src.slice(src.position(), n);
                cache(new FileWrite(vnodeId, path, offset, part));
                src.position(src.position() + n);
                offset += n;
            }
        } catch (LegoException e) {
            throw translate(e, path, null);
        }
    }

    /** Sends the extents as {@code P2M_WRITEV} messages of at most {@link #MAX_IO_BYTES} bytes each (bigger extents alone). */
    @Override
    public void writeBatch(String path, List<Extent> extents) throws IOException {
        try {
            unsynced.add(path);
            List<FileWriteBatch.Extent> batch = new ArrayList<>();
            long bytes = 0;
            for (Extent e : extents) {
                int n = e.data().remaining();
                if (n > MAX_IO_BYTES) {
                    sendBatch(path, batch);
                    bytes = 0;
                    write(path, e.offset(), e.data().duplicate());
                    continue;
                }
                if (bytes + n > MAX_IO_BYTES || batch.size() == FileWriteBatch.MAX_EXTENTS) {
                    sendBatch(path, batch);
                    bytes = 0;
                }
                batch.add(new FileWriteBatch.Extent(e.offset(), e.data().duplicate()));
                bytes += n;
            }
            sendBatch(path, batch);
        } catch (LegoException e) {
            throw translate(e, path, null);
        }
    }

    private void sendBatch(String path, List<FileWriteBatch.Extent> batch) {
        if (batch.isEmpty()) {
            return;
        }
        if (batch.size() == 1) {
            FileWriteBatch.Extent e = batch.getFirst();
            cache(new FileWrite(vnodeId, path, e.offset(), e.data()));
        } else {
            cache(new FileWriteBatch(vnodeId, path, batch));
        }
        batch.clear();
    }

    /** Writes back and drops the cache of {@code path} before a metadata change. */
    private void dropCache(String path) {
        cache(new FileSync(vnodeId, path, true));
        unsynced.remove(path);
    }

    @Override
    public void truncate(String path, long size) throws IOException {
        try {
            dropCache(path);
            rpc.call(storageNode, new FileTruncate(vnodeId, path, size));
        } catch (LegoException e) {
            throw translate(e, path, null);
        }
    }

    @Override
    public void unlink(String path) throws IOException {
        try {
            dropCache(path);
            rpc.call(storageNode, new FileUnlink(vnodeId, path));
        } catch (LegoException e) {
            throw translate(e, path, null);
        }
    }

    @Override
    public void mkdir(String path) throws IOException {
        try {
            rpc.call(storageNode, new DirCreate(vnodeId, path));
        } catch (LegoException e) {
            throw translate(e, path, null);
        }
    }

    @Override
    public void rmdir(String path) throws IOException {
        try {
            rpc.call(storageNode, new DirRemove(vnodeId, path));
        } catch (LegoException e) {
            throw translate(e, path, null);
        }
    }

    @Override
    public List<DirEntry> readdir(String path) throws IOException {
        try {
            DirList l = rpc.call(storageNode, new DirRead(vnodeId, path));
            List<DirEntry> out = new ArrayList<>(l.names().size());
            for (int i = 0; i < l.names().size(); i++) {
                out.add(new DirEntry(l.names().get(i), l.directoryFlags()[i] != 0));
            }
            return out;
        } catch (LegoException e) {
            throw translate(e, path, null);
        }
    }

    @Override
    public void rename(String from, String to) throws IOException {
        try {
            dropCache(from);
            dropCache(to);
            rpc.call(storageNode, new FileRename(vnodeId, from, to));
        } catch (LegoException e) {
            throw translate(e, from, to);
        }
    }

    @Override
    public void fsync(String path) throws IOException {
        try {
            cache(new FileSync(vnodeId, path, false));
            unsynced.remove(path);
        } catch (LegoException e) {
            throw translate(e, path, null);
        }
        reportLost(path);
    }

    @Override
    public void close(String path) throws IOException {
        try {
            cache(new FileClose(vnodeId, path));
            unsynced.remove(path);
        } catch (LegoException e) {
            throw translate(e, path, null);
        }
        reportLost(path);
    }

    /** Maps a wire status to the java.nio.file exception programs expect. */
    static IOException translate(LegoException e, String path, String other) {
        return switch (Status.of(e)) {
            case NOT_FOUND -> new NoSuchFileException(path, other, e.getMessage());
            case EXISTS -> new FileAlreadyExistsException(path, other, e.getMessage());
            case NOT_EMPTY -> new DirectoryNotEmptyException(path);
            case NOT_DIRECTORY -> new NotDirectoryException(path);
            case DENIED -> new AccessDeniedException(path, other, e.getMessage());
            case IS_DIRECTORY -> new FileSystemException(path, other, "is a directory: " + e.getMessage());
            case QUOTA -> new FileSystemException(path, other, "disk quota exceeded: " + e.getMessage());
            default -> new IOException(path + ": " + e.status() + ": " + e.getMessage(), e);
        };
    }
}
