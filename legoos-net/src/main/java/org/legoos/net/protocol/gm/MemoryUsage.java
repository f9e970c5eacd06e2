package org.legoos.net.protocol.gm;

import org.legoos.net.protocol.WireReader;
import org.legoos.net.protocol.WireWriter;

/**
 * GM_MEMORY_USAGE: a home memory component tells the GMM how many bytes process {@code pid} of vNode
 * {@code vnodeId} maps, so the GMM can hold the vNode's memory quota across all its processes and their homes.
 * The value is absolute (not a delta), so a repeated or lost message never skews the sum.
 *
 * @param reserve true: the process is about to grow to {@code mappedBytes}; refused with {@code QUOTA} if the
 *     vNode's processes together would then map more than its quota. False: the process now maps
 *     {@code mappedBytes} (after a shrink, a failed grow, or exit with 0); never refused.
 */
public record MemoryUsage(int vnodeId, long pid, long mappedBytes, boolean reserve)
        implements org.legoos.net.protocol.Request<org.legoos.net.protocol.Ack> {
    @Override
    public void encode(WireWriter out) {
        out.putInt(vnodeId);
        out.putLong(pid);
        out.putLong(mappedBytes);
        out.putBoolean(reserve);
    }

    public static MemoryUsage decode(WireReader in) {
        return new MemoryUsage(in.getInt(), in.getLong(), in.getLong(), in.getBoolean());
    }
}
