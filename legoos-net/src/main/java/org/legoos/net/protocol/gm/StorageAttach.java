package org.legoos.net.protocol.gm;

import org.legoos.net.protocol.WireReader;
import org.legoos.net.protocol.WireWriter;
import static org.legoos.net.protocol.Codecs.*;

/** GM_STORAGE_ATTACH: GSM tells a storage component to serve a vNode (creates its directory). */
public record StorageAttach(int vnodeId, String vnodeName) implements org.legoos.net.protocol.Request<org.legoos.net.protocol.Ack> {
    public StorageAttach {
        java.util.Objects.requireNonNull(vnodeName, "vnodeName");
    }

    @Override
    public void encode(WireWriter out) {
        out.putInt(vnodeId);
        out.putString(vnodeName);
    }

    public static StorageAttach decode(WireReader in) {
        return new StorageAttach(in.getInt(), in.getString());
    }
}
