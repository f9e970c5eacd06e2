package org.legoos.net.protocol.m2s;

import org.legoos.net.protocol.WireReader;
import org.legoos.net.protocol.WireWriter;

/** M2S_USAGE: how many bytes a vNode's files take on its storage component, and its storage quota. */
public record UsageRequest(int vnodeId) implements org.legoos.net.protocol.Request<StorageUsage> {
    @Override
    public void encode(WireWriter out) {
        out.putInt(vnodeId);
    }

    public static UsageRequest decode(WireReader in) {
        return new UsageRequest(in.getInt());
    }
}
