package org.legoos.net.protocol.m2m;

import org.legoos.net.protocol.WireReader;
import org.legoos.net.protocol.WireWriter;

/**
 * M2M_FILE_SYNC: home to vRegion owner: write the stored pages of the shared file-backed areas of
 * [addr, addr+length) held here back to their files (msync, munmap, exit of a shared file mapping).
 */
public record OwnerFileSync(long pid, long addr, long length) implements org.legoos.net.protocol.Request<org.legoos.net.protocol.Ack> {
    @Override
    public void encode(WireWriter out) {
        out.putLong(pid);
        out.putLong(addr);
        out.putLong(length);
    }

    public static OwnerFileSync decode(WireReader in) {
        return new OwnerFileSync(in.getLong(), in.getLong(), in.getLong());
    }
}
