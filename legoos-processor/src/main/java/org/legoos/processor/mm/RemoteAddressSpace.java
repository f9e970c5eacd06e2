package org.legoos.processor.mm;

import org.legoos.api.AddressSpace;
import org.legoos.net.protocol.p2m.AddressSpaceInfo;
import org.legoos.net.protocol.p2m.Brk;
import org.legoos.net.protocol.p2m.CreateAddressSpace;
import org.legoos.net.protocol.p2m.DestroyAddressSpace;
import org.legoos.net.protocol.p2m.MapReply;
import org.legoos.net.protocol.p2m.Mmap;
import org.legoos.net.protocol.p2m.Mremap;
import org.legoos.net.protocol.p2m.Msync;
import org.legoos.net.protocol.p2m.Munmap;
import org.legoos.net.rpc.RpcNode;
import org.legoos.processor.excache.ExCache;

/**
 * A process's disaggregated address space as its program sees it: loads and stores go to the processor
 * component's shared {@link ExCache} (tagged with this space's asid); VM calls go to the process's home
 * memory component, whose replies update the local mirror of mapped ranges and vRegion owners.
 *
 * <p>Thread-safe: any thread of the process may use it.
 */
public final class RemoteAddressSpace implements AddressSpace, AutoCloseable {
    private static final long PAGE_MASK = PAGE_SIZE - 1;
    private final RpcNode rpc;
    private final ExCache cache;
    private final ExCacheBackend backend;
    private final long pid;
    private final int home;
    private final int asid;
    private final VmMirror vm;
    private final long heapStart;
    private long brk;
    private volatile boolean closed;

    /**
     * Creates the address space on the home memory component ({@code P2M_CREATE_AS}).
     */
    public static RemoteAddressSpace create(RpcNode rpc, ExCache cache, ExCacheBackend backend, long pid, int vnodeId,
                                            int home, long quotaBytes) {
        AddressSpaceInfo info = rpc.call(home, new CreateAddressSpace(vnodeId, pid, quotaBytes));
        return new RemoteAddressSpace(rpc, cache, backend, pid, home, info);
    }

    private RemoteAddressSpace(RpcNode rpc, ExCache cache, ExCacheBackend backend, long pid, int home, AddressSpaceInfo info) {
        this.rpc = rpc;
        this.cache = cache;
        this.backend = backend;
        this.pid = pid;
        this.home = home;
        this.vm = new VmMirror(info.vregionBytes());
        this.heapStart = info.heapStart();
        this.brk = info.heapStart();
        this.asid = backend.attach(this);
    }

    public long pid() {
        return pid;
    }

    /** The ExCache address-space id of this process on this processor component. */
    public int asid() {
        return asid;
    }

    /** The home memory component. */
    public int home() {
        return home;
    }

    VmMirror vm() {
        return vm;
    }

    /** Whether {@link #close()} was called: the process exited, its memory is going away. */
    boolean isClosed() {
        return closed;
    }

    /** The distinct memory components owning this space's vRegions. */
    public int[] owners() {
        return vm.owners();
    }

    /** Bytes currently mapped (anonymous mappings and heap). */
    public long mappedBytes() {
        return vm.mappedBytes();
    }

    private static long pageUp(long n) {
        return (n + PAGE_MASK) & ~PAGE_MASK;
    }

    private void checkRange(long addr, long length) {
        if (length <= 0) {
            throw new IllegalArgumentException("length must be positive, got " + length);
        }
        if (addr + pageUp(length) < addr) {
            throw new IllegalArgumentException("range overflows the address space");
        }
    }

    @Override
    public long mmap(long hint, long length, int prot) {
        checkRange(hint, length);
        MapReply r = rpc.call(home, new Mmap(pid, hint, length, prot));
        vm.updateOwners(r);
        vm.map(r.addr(), r.addr() + pageUp(length));
        return r.addr();
    }

    @Override
    public void munmap(long addr, long length) {
        checkRange(addr, length);
        long start = addr & ~PAGE_MASK;
        long end = pageUp(addr + length);
        // The data dies with the mapping: drop the lines without writing them back. The mirror forgets the range
        // first, so no miss or prefetch of another thread can install a line there after the invalidation.
        vm.unmap(start, end);
        cache.invalidateRange(asid, start, end - start, false);
        MapReply r = rpc.call(home, new Munmap(pid, addr, length));
        vm.updateOwners(r);
    }

    @Override
    public long mremap(long oldAddr, long oldLength, long newLength, boolean mayMove) {
        checkRange(oldAddr, oldLength);
        checkRange(oldAddr, newLength);
        long oldLen = pageUp(oldLength);
        long newLen = pageUp(newLength);
        // the home moves page contents between owners: they must hold the latest data
        cache.invalidateRange(asid, oldAddr, oldLen, true);
        MapReply r = rpc.call(home, new Mremap(pid, oldAddr, oldLength, newLength, mayMove));
        vm.updateOwners(r);
        long newAddr = r.addr();
        if (newAddr != oldAddr) {
            vm.unmap(newAddr, newAddr + newLen); // clears stale marks; the moved ones follow
            vm.movePages(oldAddr, newAddr, Math.min(oldLen, newLen));
            vm.unmap(oldAddr, oldAddr + oldLen);
            vm.map(newAddr, newAddr + newLen);
            // a prefetch of another thread may have brought old pages back in meanwhile: they are stale now
            cache.invalidateRange(asid, oldAddr, oldLen, false);
        } else if (newLen < oldLen) {
            vm.unmap(oldAddr + newLen, oldAddr + oldLen);
            cache.invalidateRange(asid, oldAddr + newLen, oldLen - newLen, false);
        } else {
            vm.map(oldAddr, oldAddr + newLen);
        }
        return newAddr;
    }

    @Override
    public synchronized long brk(long newBreak) {
        if (newBreak == 0) {
            return brk;
        }
        if (newBreak < heapStart) {
            throw new IllegalArgumentException("break 0x" + Long.toHexString(newBreak) + " is below the heap start 0x"
                    + Long.toHexString(heapStart));
        }
        long oldTop = pageUp(brk);
        long newTop = pageUp(newBreak);
        if (newTop < oldTop) {
            cache.invalidateRange(asid, newTop, oldTop - newTop, false);
        }
        MapReply r = rpc.call(home, new Brk(pid, newBreak));
        vm.updateOwners(r);
        if (newTop < oldTop) {
            vm.unmap(newTop, oldTop);
            // a prefetch of another thread may have brought pages back in meanwhile
            cache.invalidateRange(asid, newTop, oldTop - newTop, false);
        } else if (newTop > oldTop) {
            vm.map(oldTop, newTop);
        }
        brk = r.addr();
        return brk;
    }

    @Override
    public void msync(long addr, long length) {
        checkRange(addr, length);
        cache.flushRange(asid, addr & ~PAGE_MASK, pageUp(addr + length) - (addr & ~PAGE_MASK));
        rpc.call(home, new Msync(pid, addr, length));
    }

    @Override
    public byte getByte(long va) {
        return cache.getByte(asid, va);
    }

    @Override
    public void putByte(long va, byte value) {
        cache.putByte(asid, va, value);
    }

    @Override
    public int getInt(long va) {
        return cache.getInt(asid, va);
    }

    @Override
    public void putInt(long va, int value) {
        cache.putInt(asid, va, value);
    }

    @Override
    public long getLong(long va) {
        return cache.getLong(asid, va);
    }

    @Override
    public void putLong(long va, long value) {
        cache.putLong(asid, va, value);
    }

    @Override
    public void read(long va, byte[] dst, int offset, int length) {
        java.util.Objects.checkFromIndexSize(offset, length, dst.length);
        cache.read(asid, va, dst, offset, length);
    }

    @Override
    public void write(long va, byte[] src, int offset, int length) {
        java.util.Objects.checkFromIndexSize(offset, length, src.length);
        cache.write(asid, va, src, offset, length);
    }

    /**
     * Process exit: drops the ExCache lines (no write-back: the data dies) and frees the address space on its
     * home and every owner ({@code P2M_DESTROY_AS}).
     */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        // Once closed the backend fills and prefetches nothing more for this space (it checks under the set
        // lock), so no line of a straggling thread survives the invalidation to be seen by the asid's next owner.
        closed = true;
        cache.invalidateAll(asid, false);
        backend.detach(asid);
        rpc.call(home, new DestroyAddressSpace(pid));
    }
}
