package org.legoos.net.protocol.p2m;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import org.legoos.net.protocol.Ack;
import org.legoos.net.protocol.Request;
import org.legoos.net.protocol.WireReader;
import org.legoos.net.protocol.WireWriter;

/**
 * P2M_WRITEV: several writes to one file in one message, applied by the storage buffer cache in list order (so a
 * later extent overlapping an earlier one wins, as if they had been sent one by one). A processor's write-behind
 * buffer flushes with it.
 *
 * @param extents the writes, in order
 */
public record FileWriteBatch(int vnodeId, String path, List<Extent> extents) implements Request<Ack> {
    /** Most extents one message may carry. */
    public static final int MAX_EXTENTS = 1 << 16;
    /** Bytes of an extent before its data: offset (long) and data length (int). */
    private static final int EXTENT_HEADER_BYTES = 12;

    /** One write of the batch: {@code data} (position to limit) at file offset {@code offset}. */
    public record Extent(long offset, ByteBuffer data) {
        public Extent {
            Objects.requireNonNull(data, "data");
        }
    }

    public FileWriteBatch {
        Objects.requireNonNull(path, "path");
        extents = List.copyOf(extents);
    }

    @Override
    public int sizeHint() {
        int n = 64 + path.length() * 3;
        for (Extent e : extents) {
            n += 12 + e.data().remaining();
        }
        return n;
    }

    @Override
    public void encode(WireWriter out) {
        out.putInt(vnodeId);
        out.putString(path);
        out.putInt(extents.size());
        for (Extent e : extents) {
            out.putLong(e.offset());
            out.putInt(e.data().remaining()).putRaw(e.data().duplicate());
        }
    }

    public static FileWriteBatch decode(WireReader in) {
        int vnodeId = in.getInt();
        String path = in.getString();
        // each extent takes at least 12 bytes (offset, length), so a count the rest of the body cannot hold is refused
        // before anything is allocated for it (a short body claiming 65536 extents allocated room for them: found by
        // MessageCodecFuzzTest)
        int n = in.getCount(Math.min(MAX_EXTENTS, in.remaining() / EXTENT_HEADER_BYTES), "extents");
        List<Extent> extents = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            long offset = in.getLong();
            extents.add(new Extent(offset, in.getSlice(in.getCount(1 << 30, "data bytes"))));
        }
        return new FileWriteBatch(vnodeId, path, extents);
    }
}
