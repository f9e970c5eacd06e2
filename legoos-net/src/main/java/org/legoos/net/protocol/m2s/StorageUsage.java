package org.legoos.net.protocol.m2s;

import org.legoos.net.protocol.WireReader;
import org.legoos.net.protocol.WireWriter;

/**
 * Reply to M2S_USAGE: the sum of the sizes of a vNode's regular files on its storage component ({@code usedBytes},
 * holes included, as {@code ls -l} counts) and the most they may reach ({@code quotaBytes}; {@link #UNLIMITED} where the
 * storage component cannot learn the quota).
 */
public record StorageUsage(long usedBytes, long quotaBytes) implements org.legoos.net.protocol.Message {
    /** The quota of a vNode whose storage component has no manager to ask (a storage component alone, in tests). */
    public static final long UNLIMITED = Long.MAX_VALUE;

    @Override
    public void encode(WireWriter out) {
        out.putLong(usedBytes);
        out.putLong(quotaBytes);
    }

    public static StorageUsage decode(WireReader in) {
        return new StorageUsage(in.getLong(), in.getLong());
    }
}
