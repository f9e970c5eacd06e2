package org.legoos.net.protocol.m2m;

import org.legoos.net.protocol.WireReader;
import org.legoos.net.protocol.WireWriter;

/**
 * M2M_HOME_SYNC: a home to the replica of its metadata of pid: the whole of it as of change {@code seq} (the VMA
 * tree, the break, the vRegion owner map and their replicas, the quota), encoded by the home; the replica keeps the
 * newest and takes over as home with it if the home dies. An empty {@code state} drops the copy (the process exited,
 * or the home chose another replica).
 */
public record HomeSync(long pid, int home, long seq, java.nio.ByteBuffer state)
        implements org.legoos.net.protocol.Request<org.legoos.net.protocol.Ack> {
    public HomeSync {
        java.util.Objects.requireNonNull(state, "state");
    }

    @Override
    public int sizeHint() {
        return 32 + state.remaining();
    }

    @Override
    public void encode(WireWriter out) {
        out.putLong(pid);
        out.putInt(home);
        out.putLong(seq);
        out.putInt(state.remaining()).putRaw(state.duplicate());
    }

    public static HomeSync decode(WireReader in) {
        return new HomeSync(in.getLong(), in.getInt(), in.getLong(), in.getSlice(in.getCount(1 << 30, "state bytes")));
    }
}
