package org.legoos.memory.vm;

import java.nio.ByteBuffer;
import org.legoos.net.protocol.WireReader;
import org.legoos.net.protocol.WireWriter;
import org.legoos.net.rpc.Status;

/**
 * The encoding of a home's whole metadata of one address space ({@link HomeSpace}) for its home replica
 * ({@code M2M_HOME_SYNC}): the VMA tree, the break, the vRegion owner map with its version, the owners' replicas and
 * the quota bookkeeping. Small (a few bytes per area and vRegion), so it is sent whole after every change.
 */
final class HomeState {
    private HomeState() {
    }

    static byte[] encode(HomeSpace s) {
        var areas = s.areas.areas();
        WireWriter w = new WireWriter(64 + areas.size() * 40 + s.owners.size() * 12);
        w.putInt(s.vnodeId);
        w.putLong(s.quotaBytes);
        w.putLong(s.brk);
        w.putLong(s.reportedBytes);
        w.putLong(s.ownersVersion);
        w.putLong(s.epoch);
        w.putInt(areas.size());
        for (Vma a : areas) {
            w.putLong(a.start()).putLong(a.end()).putInt(a.prot());
            FileBacking f = a.file();
            w.putBoolean(f != null);
            if (f != null) {
                w.putInt(f.vnodeId()).putInt(f.cacheNode()).putString(f.path()).putLong(f.offset()).putBoolean(f.shared())
                        .putLong(f.size());
            }
        }
        w.putInt(s.owners.size());
        for (var e : s.owners.long2IntEntrySet()) {
            w.putLong(e.getLongKey()).putInt(e.getIntValue());
        }
        w.putInt(s.replicaOf.size());
        for (var e : s.replicaOf.int2IntEntrySet()) {
            w.putInt(e.getIntKey()).putInt(e.getIntValue());
        }
        w.putInt(s.lostOwners.size());
        for (int lost : s.lostOwners) {
            w.putInt(lost);
        }
        ByteBuffer b = w.finish();
        byte[] out = new byte[b.remaining()];
        b.get(out);
        return out;
    }

    /**
     * The metadata {@code state} describes, as a fresh space of {@code pid} (no home replica yet).
     *
     * @throws org.legoos.api.LegoException INVALID_ARGUMENT if {@code state} cannot be read
     */
    static HomeSpace decode(byte[] state, long pid, long heapStart) {
        try {
            WireReader in = new WireReader(ByteBuffer.wrap(state));
            int vnode = in.getInt();
            long quota = in.getLong();
            HomeSpace s = new HomeSpace(pid, vnode, quota, heapStart);
            s.brk = in.getLong();
            s.reportedBytes = in.getLong();
            s.ownersVersion = in.getLong();
            s.epoch = in.getLong() + 1_000_000; // past any pairing the old home may have named after its last sync
            for (int n = in.getCount(1 << 24, "areas"); n > 0; n--) {
                long start = in.getLong();
                long end = in.getLong();
                int prot = in.getInt();
                FileBacking f = in.getBoolean() ? new FileBacking(in.getInt(), in.getInt(), in.getString(), in.getLong(),
                        in.getBoolean(), in.getLong()) : null;
                s.areas.add(new Vma(start, end, prot, f));
            }
            for (int n = in.getCount(1 << 24, "vRegions"); n > 0; n--) {
                s.owners.put(in.getLong(), in.getInt());
            }
            for (int n = in.getCount(1 << 24, "replicas"); n > 0; n--) {
                s.replicaOf.put(in.getInt(), in.getInt());
            }
            for (int n = in.getCount(1 << 16, "lost owners"); n > 0; n--) {
                s.lostOwners.add(in.getInt());
            }
            in.expectEnd();
            // the adopted state is newer than any owner map a processor holds, including one the old home may have
            // sent after its last sync (it was only stopped, and answered calls it had received before its fence)
            s.ownersVersion += 1_000_000;
            return s;
        } catch (RuntimeException e) {
            throw Status.INVALID_ARGUMENT.toException("pid " + pid + ": unreadable home metadata: " + e.getMessage());
        }
    }
}
