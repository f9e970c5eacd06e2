package org.legoos.task.channel;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import org.legoos.task.fs.FileService;

/**
 * The file system calls ({@code FS_*}) of a task, both sides in one place so their bodies cannot drift apart:
 * {@link #client} is the task's {@link FileService} over the channel, {@link #serve} the monitor's decoding of a
 * request into a call of the process's real {@link FileService} (which adds the vNode: a task never names one).
 * Data calls are bounded to {@link #MAX_IO_BYTES} per request.
 */
public final class FileSyscalls {
    /** Largest read or write in one request (bigger writes are split; reads return at most this). */
    public static final int MAX_IO_BYTES = 1 << 20;
    /** Longest path a task may send. */
    static final int MAX_PATH = 4096;

    private FileSyscalls() {
    }

    /** The file calls of the task whose channel is {@code client}. */
    public static FileService client(SyscallClient client) {
        return new ChannelFileService(client);
    }

    /**
     * Serves one file system call of a task on the monitor: decodes {@code body} (untrusted: a malformed body raises
     * {@link ChannelProtocolException}, a bad path IllegalArgumentException), calls {@code files} and encodes the answer.
     */
    public static byte[] serve(Syscall op, byte[] body, FileService files) throws IOException {
        Body.Reader r = Body.reader(body);
        String path = path(r);
        Body.Writer w = Body.writer();
        switch (op) {
            case FS_STAT -> {
                r.end();
                FileService.Stat s = files.stat(path);
                w.putBoolean(s.directory()).putLong(s.size()).putLong(s.lastModifiedMillis());
            }
            case FS_CREATE -> {
                boolean exclusive = r.getBoolean();
                r.end();
                files.create(path, exclusive);
            }
            case FS_READ -> {
                long offset = offset(r);
                int max = r.getInt();
                r.end();
                if (max < 0) {
                    throw new IllegalArgumentException("negative read length " + max);
                }
                ByteBuffer dst = ByteBuffer.allocate(Math.min(max, MAX_IO_BYTES));
                int n = files.read(path, offset, dst);
                w.putInt(n);
                if (n > 0) {
                    w.putBytes(dst.array(), 0, n);
                }
            }
            case FS_WRITE -> {
                long offset = offset(r);
                byte[] data = r.getBytes();
                r.end();
                files.write(path, offset, ByteBuffer.wrap(data));
            }
            case FS_WRITE_BATCH -> {
                int n = r.getInt();
                if (n < 0 || n > r.remaining() / 12) {
                    throw new ChannelProtocolException("bad extent count " + n);
                }
                List<FileService.Extent> extents = new ArrayList<>(n);
                for (int i = 0; i < n; i++) {
                    extents.add(new FileService.Extent(offset(r), ByteBuffer.wrap(r.getBytes())));
                }
                r.end();
                files.writeBatch(path, extents);
            }
            case FS_TRUNCATE -> {
                long size = offset(r);
                r.end();
                files.truncate(path, size);
            }
            case FS_UNLINK -> {
                r.end();
                files.unlink(path);
            }
            case FS_MKDIR -> {
                r.end();
                files.mkdir(path);
            }
            case FS_RMDIR -> {
                r.end();
                files.rmdir(path);
            }
            case FS_READDIR -> {
                r.end();
                List<FileService.DirEntry> list = files.readdir(path);
                w.putInt(list.size());
                for (FileService.DirEntry e : list) {
                    w.putString(e.name()).putBoolean(e.directory());
                }
            }
            case FS_RENAME -> {
                String to = path(r);
                r.end();
                files.rename(path, to);
            }
            case FS_FSYNC -> {
                r.end();
                files.fsync(path);
            }
            case FS_CLOSE -> {
                r.end();
                files.close(path);
            }
            default -> throw new IllegalArgumentException(op + " is not a file system call");
        }
        return w.toByteArray();
    }

    /** The file system calls, for registering handlers. */
    public static final List<Syscall> CALLS = List.of(Syscall.FS_STAT, Syscall.FS_CREATE, Syscall.FS_READ, Syscall.FS_WRITE,
            Syscall.FS_WRITE_BATCH, Syscall.FS_TRUNCATE, Syscall.FS_UNLINK, Syscall.FS_MKDIR, Syscall.FS_RMDIR, Syscall.FS_READDIR,
            Syscall.FS_RENAME, Syscall.FS_FSYNC, Syscall.FS_CLOSE);

    private static long offset(Body.Reader r) {
        long v = r.getLong();
        if (v < 0) {
            throw new IllegalArgumentException("negative offset or size " + v);
        }
        return v;
    }

    /** A path as FileService wants it: absolute, normalised, no "." or ".." segments, no NUL. */
    private static String path(Body.Reader r) {
        String p = r.getString();
        if (p.length() > MAX_PATH || !p.startsWith("/") || p.indexOf('\0') >= 0 || (p.length() > 1 && p.endsWith("/"))
                || p.contains("//") || p.contains("/./") || p.contains("/../") || p.endsWith("/.") || p.endsWith("/..")) {
            throw new IllegalArgumentException("not an absolute normalised path: " + (p.length() > 100 ? p.substring(0, 100) + "..." : p));
        }
        return p;
    }

    /** The task's {@link FileService}: every call is a system call to the monitor. */
    private record ChannelFileService(SyscallClient client) implements FileService {
        private Body.Writer req(String path) {
            return Body.writer().putString(path);
        }

        @Override
        public Stat stat(String path) throws IOException {
            Body.Reader r = Body.reader(client.call(Syscall.FS_STAT, req(path).toByteArray()));
            return new Stat(r.getBoolean(), r.getLong(), r.getLong());
        }

        @Override
        public void create(String path, boolean exclusive) throws IOException {
            client.call(Syscall.FS_CREATE, req(path).putBoolean(exclusive).toByteArray());
        }

        @Override
        public int read(String path, long offset, ByteBuffer dst) throws IOException {
            if (!dst.hasRemaining()) {
                return 0;
            }
            int want = Math.min(dst.remaining(), MAX_IO_BYTES);
            Body.Reader r = Body.reader(client.call(Syscall.FS_READ, req(path).putLong(offset).putInt(want).toByteArray()));
            int n = r.getInt();
            if (n <= 0) {
                return n == 0 ? 0 : -1;
            }
            byte[] data = r.getBytes();
            if (data.length != n || n > want) {
                throw new IOException("bad FS_READ reply: " + n + " bytes announced, " + data.length + " sent");
            }
            dst.put(data);
            return n;
        }

        @Override
        public void write(String path, long offset, ByteBuffer src) throws IOException {
            do {
                int n = Math.min(src.remaining(), MAX_IO_BYTES);
                ByteBuffer part = src.slice(src.position(), n);
                client.call(Syscall.FS_WRITE, req(path).putLong(offset).putBytes(part).toByteArray());
                src.position(src.position() + n);
                offset += n;
            } while (src.hasRemaining());
        }

        @Override
        public void writeBatch(String path, List<Extent> extents) throws IOException {
            List<Extent> batch = new ArrayList<>();
            long bytes = 0;
            for (Extent e : extents) {
                int n = e.data().remaining();
                if (n > MAX_IO_BYTES / 2) {
                    sendBatch(path, batch);
                    bytes = 0;
                    write(path, e.offset(), e.data().duplicate());
                    continue;
                }
                if (bytes + n > MAX_IO_BYTES) {
                    sendBatch(path, batch);
                    bytes = 0;
                }
                batch.add(e);
                bytes += n;
            }
            sendBatch(path, batch);
        }

        private void sendBatch(String path, List<Extent> batch) throws IOException {
            if (batch.isEmpty()) {
                return;
            }
            Body.Writer w = req(path).putInt(batch.size());
            for (Extent e : batch) {
                w.putLong(e.offset()).putBytes(e.data());
            }
            client.call(Syscall.FS_WRITE_BATCH, w.toByteArray());
            batch.clear();
        }

        @Override
        public void truncate(String path, long size) throws IOException {
            client.call(Syscall.FS_TRUNCATE, req(path).putLong(size).toByteArray());
        }

        @Override
        public void unlink(String path) throws IOException {
            client.call(Syscall.FS_UNLINK, req(path).toByteArray());
        }

        @Override
        public void mkdir(String path) throws IOException {
            client.call(Syscall.FS_MKDIR, req(path).toByteArray());
        }

        @Override
        public void rmdir(String path) throws IOException {
            client.call(Syscall.FS_RMDIR, req(path).toByteArray());
        }

        @Override
        public List<DirEntry> readdir(String path) throws IOException {
            Body.Reader r = Body.reader(client.call(Syscall.FS_READDIR, req(path).toByteArray()));
            int n = r.getInt();
            List<DirEntry> list = new ArrayList<>(Math.min(Math.max(n, 0), 4096));
            for (int i = 0; i < n; i++) {
                list.add(new DirEntry(r.getString(), r.getBoolean()));
            }
            return list;
        }

        @Override
        public void rename(String from, String to) throws IOException {
            client.call(Syscall.FS_RENAME, req(from).putString(to).toByteArray());
        }

        @Override
        public void fsync(String path) throws IOException {
            client.call(Syscall.FS_FSYNC, req(path).toByteArray());
        }

        @Override
        public void close(String path) throws IOException {
            client.call(Syscall.FS_CLOSE, req(path).toByteArray());
        }
    }

}
