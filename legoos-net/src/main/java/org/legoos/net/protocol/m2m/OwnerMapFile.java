package org.legoos.net.protocol.m2m;

import org.legoos.net.protocol.WireReader;
import org.legoos.net.protocol.WireWriter;

/**
 * M2M_MMAP_FILE: home to vRegion owner: as M2M_MMAP, for an area backed by the vNode file {@code path} from
 * {@code fileOffset} (that of {@code addr}), cached by memory component {@code cacheNode}; {@code fileSize} is the
 * file's size at map time.
 */
public record OwnerMapFile(long pid, int vnodeId, long addr, long length, int prot, boolean shared, int fileVnode,
                           int cacheNode, String path, long fileOffset, long fileSize)
        implements org.legoos.net.protocol.Request<org.legoos.net.protocol.Ack> {
    public OwnerMapFile {
        java.util.Objects.requireNonNull(path, "path");
    }

    @Override
    public void encode(WireWriter out) {
        out.putLong(pid);
        out.putInt(vnodeId);
        out.putLong(addr);
        out.putLong(length);
        out.putInt(prot);
        out.putBoolean(shared);
        out.putInt(fileVnode);
        out.putInt(cacheNode);
        out.putString(path);
        out.putLong(fileOffset);
        out.putLong(fileSize);
    }

    public static OwnerMapFile decode(WireReader in) {
        return new OwnerMapFile(in.getLong(), in.getInt(), in.getLong(), in.getLong(), in.getInt(), in.getBoolean(),
                in.getInt(), in.getInt(), in.getString(), in.getLong(), in.getLong());
    }
}
