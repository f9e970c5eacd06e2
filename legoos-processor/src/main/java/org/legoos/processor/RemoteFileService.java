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
import org.legoos.api.LegoException;
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
 * <p>Thread-safe.
 */
public final class RemoteFileService implements FileService {
    /** Largest single data request; bigger reads and writes are split. */
    static final int MAX_IO_BYTES = 1 << 20;

    private final RpcNode rpc;
    private final int vnodeId;
    private final int storageNode;
    private final int cacheNode;
    private final Set<String> written = ConcurrentHashMap.newKeySet();

    public RemoteFileService(RpcNode rpc, int vnodeId, int storageNode, int cacheNode) {
        this.rpc = rpc;
        this.vnodeId = vnodeId;
        this.storageNode = storageNode;
        this.cacheNode = cacheNode;
    }

    @Override
    public Stat stat(String path) throws IOException {
        try {
            if (written.contains(path)) {
                rpc.call(cacheNode, new FileSync(vnodeId, path, false));
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
            FileData d = rpc.call(cacheNode, new FileRead(vnodeId, path, offset, want));
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
            written.add(path);
            while (src.hasRemaining()) {
                int n = Math.min(src.remaining(), MAX_IO_BYTES);
                ByteBuffer part = src.slice(src.position(), n);
                rpc.call(cacheNode, new FileWrite(vnodeId, path, offset, part));
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
            written.add(path);
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
            rpc.call(cacheNode, new FileWrite(vnodeId, path, e.offset(), e.data()));
        } else {
            rpc.call(cacheNode, new FileWriteBatch(vnodeId, path, batch));
        }
        batch.clear();
    }

    /** Writes back and drops the cache of {@code path} before a metadata change. */
    private void dropCache(String path) {
        rpc.call(cacheNode, new FileSync(vnodeId, path, true));
        written.remove(path);
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
            rpc.call(cacheNode, new FileSync(vnodeId, path, false));
        } catch (LegoException e) {
            throw translate(e, path, null);
        }
    }

    @Override
    public void close(String path) throws IOException {
        try {
            rpc.call(cacheNode, new FileClose(vnodeId, path));
            written.remove(path);
        } catch (LegoException e) {
            throw translate(e, path, null);
        }
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
