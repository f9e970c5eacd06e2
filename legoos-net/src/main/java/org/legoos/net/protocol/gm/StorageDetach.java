package org.legoos.net.protocol.gm;

import org.legoos.net.protocol.WireReader;
import org.legoos.net.protocol.WireWriter;

/**
 * GM_STORAGE_DETACH: the vNode was removed; the storage component stops serving it and frees its files (the
 * reverse of {@link StorageAttach}). Idempotent: detaching a vNode not served is a no-op.
 */
public record StorageDetach(int vnodeId, String vnodeName) implements org.legoos.net.protocol.Request<org.legoos.net.protocol.Ack> {
    public StorageDetach {
        java.util.Objects.requireNonNull(vnodeName, "vnodeName");
    }

    @Override
    public void encode(WireWriter out) {
        out.putInt(vnodeId);
        out.putString(vnodeName);
    }

    public static StorageDetach decode(WireReader in) {
        return new StorageDetach(in.getInt(), in.getString());
    }
}
