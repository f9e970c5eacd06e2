package org.legoos.net.protocol.p2m;

import org.legoos.net.protocol.WireReader;
import org.legoos.net.protocol.WireWriter;

/**
 * P2M_MMAP_FILE: map {@code length} bytes of the vNode file {@code path} from {@code offset} (to the home node);
 * {@code cacheNode} is the memory component caching the vNode's files, {@code fileSize} the file's size now.
 */
public record MmapFile(long pid, long hint, long length, int prot, boolean shared, int vnodeId, int cacheNode,
                       String path, long offset, long fileSize) implements org.legoos.net.protocol.Request<MapReply> {
    public MmapFile {
        java.util.Objects.requireNonNull(path, "path");
    }

    @Override
    public void encode(WireWriter out) {
        out.putLong(pid);
        out.putLong(hint);
        out.putLong(length);
        out.putInt(prot);
        out.putBoolean(shared);
        out.putInt(vnodeId);
        out.putInt(cacheNode);
        out.putString(path);
        out.putLong(offset);
        out.putLong(fileSize);
    }

    public static MmapFile decode(WireReader in) {
        return new MmapFile(in.getLong(), in.getLong(), in.getLong(), in.getInt(), in.getBoolean(), in.getInt(),
                in.getInt(), in.getString(), in.getLong(), in.getLong());
    }
}
