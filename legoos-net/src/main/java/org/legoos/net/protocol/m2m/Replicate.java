package org.legoos.net.protocol.m2m;

import org.legoos.net.protocol.Message;
import org.legoos.net.protocol.Op;
import org.legoos.net.protocol.Protocol;
import org.legoos.net.protocol.ProtocolException;
import org.legoos.net.protocol.WireReader;
import org.legoos.net.protocol.WireWriter;

/**
 * M2M_REPLICATE: a vRegion owner (the primary) to the replica of one of its address spaces: apply {@code change}, a
 * change the primary has just applied to its own copy of pid's pages or areas, to the replica's copy of them. The
 * primary acknowledges a flush to the processor only after this is acknowledged. {@code change} is an M2M request
 * that changes state: MMAP, MMAP_FILE, MUNMAP, MPROTECT, MOVE_PAGES, WRITE_PAGES (flushed pages, whatever the
 * protection) or DESTROY; its {@code pid} must be {@code pid}. {@code epoch} is that of the pairing the home named
 * (M2M_SET_REPLICA or M2M_PROMOTE).
 */
public record Replicate(int primary, long pid, long epoch, Message change) implements org.legoos.net.protocol.Request<org.legoos.net.protocol.Ack> {
    public Replicate {
        java.util.Objects.requireNonNull(change, "change");
        if (!replicable(change)) {
            throw new IllegalArgumentException(change.getClass().getSimpleName() + " is not a change a replica applies");
        }
    }

    /** Whether {@code m} is one of the changes a replica applies. */
    public static boolean replicable(Message m) {
        return m != null && replicable(m.getClass());
    }

    /** Whether messages of {@code type} are changes a replica applies. */
    public static boolean replicable(Class<?> type) {
        return type == OwnerMap.class || type == OwnerMapFile.class || type == OwnerUnmap.class || type == OwnerProtect.class
                || type == OwnerMovePages.class || type == OwnerWritePages.class || type == OwnerDestroy.class;
    }

    @Override
    public int sizeHint() {
        return 32 + change.sizeHint();
    }

    @Override
    public void encode(WireWriter out) {
        out.putInt(primary);
        out.putLong(pid);
        out.putLong(epoch);
        out.putInt(Protocol.of(change.getClass()).code());
        change.encode(out); // last: its decoder reads to the end of the body
    }

    public static Replicate decode(WireReader in) {
        int primary = in.getInt();
        long pid = in.getLong();
        long epoch = in.getLong();
        int code = in.getInt();
        Op op = Protocol.byCode(code);
        if (op == null || op.link() != org.legoos.net.protocol.Link.M2M) {
            throw new ProtocolException("M2M_REPLICATE: opcode 0x" + Integer.toHexString(code) + " is not an M2M request");
        }
        // checked before the change is decoded: an M2M_REPLICATE inside an M2M_REPLICATE inside ... would otherwise
        // recurse once per 24 bytes of body, and a 64 MiB body overflows any stack (found by MessageCodecFuzzTest)
        if (!replicable(op.requestType())) {
            throw new ProtocolException("M2M_REPLICATE: " + op.wireName() + " is not a change a replica applies");
        }
        Message change = op.requestDecoder().apply(in);
        return new Replicate(primary, pid, epoch, change);
    }
}
