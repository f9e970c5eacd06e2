package org.legoos.net.protocol.gm;

import org.legoos.net.protocol.WireReader;
import org.legoos.net.protocol.WireWriter;
import static org.legoos.net.protocol.Codecs.*;

/** GM_PLACE_PROCESS: GPM picks a processor, GMM a home memory component, and a cluster-unique pid is assigned. */
public record PlaceProcess(int vnodeId, int threads) implements org.legoos.net.protocol.Request<Placement> {
    @Override
    public void encode(WireWriter out) {
        out.putInt(vnodeId);
        out.putInt(threads);
    }

    public static PlaceProcess decode(WireReader in) {
        return new PlaceProcess(in.getInt(), in.getInt());
    }
}
