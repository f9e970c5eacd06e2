package org.legoos.memory;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import org.legoos.net.protocol.p2m.AddressSpaceInfo;
import org.legoos.net.protocol.p2m.Brk;
import org.legoos.net.protocol.p2m.CreateAddressSpace;
import org.legoos.net.protocol.p2m.DestroyAddressSpace;
import org.legoos.net.protocol.p2m.MapReply;
import org.legoos.net.protocol.p2m.Mmap;
import org.legoos.net.protocol.p2m.Mremap;
import org.legoos.net.protocol.p2m.Msync;
import org.legoos.net.protocol.p2m.Munmap;
import org.legoos.net.protocol.p2m.PcacheFlush;
import org.legoos.net.protocol.p2m.PcacheMiss;

/**
 * One process as the memory components see it, driven from the test's client endpoint the way a processor
 * drives them: VM calls to the home, misses and flushes straight to the owner the last MapReply names.
 */
final class Proc {
    static final int PAGE = 4096;
    private static final ByteBuffer NO_VICTIM = ByteBuffer.allocate(0);
    final TestCluster cluster;
    final long pid;
    final int home;
    final AddressSpaceInfo info;
    volatile MapReply map;

    private Proc(TestCluster cluster, long pid, int home, AddressSpaceInfo info) {
        this.cluster = cluster;
        this.pid = pid;
        this.home = home;
        this.info = info;
    }

    static Proc create(TestCluster c, int home, long pid, long quotaBytes) {
        AddressSpaceInfo info = c.call(home, new CreateAddressSpace(TestCluster.VNODE, pid, quotaBytes));
        return new Proc(c, pid, home, info);
    }

    private MapReply update(MapReply r) {
        map = r;
        return r;
    }

    long mmap(long hint, long length, int prot) {
        return update(cluster.call(home, new Mmap(pid, hint, length, prot))).addr();
    }

    long mmap(long length) {
        return mmap(0, length, 3);
    }

    void munmap(long addr, long length) {
        update(cluster.call(home, new Munmap(pid, addr, length)));
    }

    long mremap(long oldAddr, long oldLength, long newLength, boolean mayMove) {
        return update(cluster.call(home, new Mremap(pid, oldAddr, oldLength, newLength, mayMove))).addr();
    }

    long brk(long newBreak) {
        return update(cluster.call(home, new Brk(pid, newBreak))).addr();
    }

    void msync(long addr, long length) {
        cluster.call(home, new Msync(pid, addr, length));
    }

    void destroy() {
        cluster.call(home, new DestroyAddressSpace(pid));
    }

    /** The owner of the vRegion of {@code va} per the last MapReply, or -1. */
    int ownerOf(long va) {
        MapReply m = map;
        if (m == null) {
            return -1;
        }
        long region = va / m.vregionBytes();
        for (int i = 0; i < m.regions().length; i++) {
            if (m.regions()[i] == region) {
                return m.owners()[i];
            }
        }
        return -1;
    }

    int requireOwner(long va) {
        int o = ownerOf(va);
        if (o < 0) {
            throw new AssertionError("no owner for 0x" + Long.toHexString(va));
        }
        return o;
    }

    byte[] miss(long va) {
        return miss(va, 1);
    }

    byte[] miss(long va, int pages) {
        return missAt(requireOwner(va), va, pages);
    }

    byte[] missAt(int node, long va, int pages) {
        ByteBuffer b = cluster.call(node, new PcacheMiss(pid, va, pages, 0, NO_VICTIM)).data();
        byte[] out = new byte[b.remaining()];
        b.get(out);
        return out;
    }

    /** A miss carrying a dirty victim page (piggyback). */
    byte[] missWithVictim(long va, long victimVa, byte[] victim) {
        ByteBuffer b = cluster.call(requireOwner(va), new PcacheMiss(pid, va, 1, victimVa, ByteBuffer.wrap(victim))).data();
        byte[] out = new byte[b.remaining()];
        b.get(out);
        return out;
    }

    void flush(long va, byte[] page) {
        flushAt(requireOwner(va), new long[] {va}, page);
    }

    void flushAt(int node, long[] vas, byte[] data) {
        cluster.call(node, new PcacheFlush(pid, vas, ByteBuffer.wrap(data)));
    }

    /** A page whose every long is {@code seed + index}. */
    static byte[] page(long seed) {
        ByteBuffer b = ByteBuffer.allocate(PAGE).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < PAGE / 8; i++) {
            b.putLong(seed + i);
        }
        return b.array();
    }

    /** The seed of a page made by {@link #page}, checking all of it; or 0 for a zero page. */
    static long seedOf(byte[] page, int offset) {
        ByteBuffer b = ByteBuffer.wrap(page, offset, PAGE).order(ByteOrder.LITTLE_ENDIAN);
        long seed = b.getLong(offset);
        for (int i = 0; i < PAGE / 8; i++) {
            long v = b.getLong(offset + i * 8);
            long want = seed == 0 ? 0 : seed + i;
            if (v != want) {
                throw new AssertionError("page corrupted at long " + i + ": " + v + " != " + want);
            }
        }
        return seed;
    }

    static long seedOf(byte[] page) {
        return seedOf(page, 0);
    }
}
