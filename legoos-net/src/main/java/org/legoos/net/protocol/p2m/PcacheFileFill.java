package org.legoos.net.protocol.p2m;

import org.legoos.net.protocol.WireReader;
import org.legoos.net.protocol.WireWriter;

/**
 * P2M_PCACHE_FILE_FILL: an ExCache miss on a page of a file-backed area that was never written back (to the vRegion's
 * owner): the owner reads it from the file through the buffer cache; BAD_ADDRESS past the end of the file.
 */
public record PcacheFileFill(long pid, long vaddr) implements org.legoos.net.protocol.Request<PageData> {
    @Override
    public void encode(WireWriter out) {
        out.putLong(pid);
        out.putLong(vaddr);
    }

    public static PcacheFileFill decode(WireReader in) {
        return new PcacheFileFill(in.getLong(), in.getLong());
    }
}
