package org.legoos.processor.mm;

import java.util.List;
import org.legoos.api.AddressSpace;
import org.legoos.api.SegmentationFault;
import org.legoos.api.UserSpace;
import org.legoos.net.protocol.p2m.AddressSpaceInfo;
import org.legoos.net.protocol.p2m.Brk;
import org.legoos.net.protocol.p2m.CreateAddressSpace;
import org.legoos.net.protocol.p2m.DestroyAddressSpace;
import org.legoos.net.protocol.p2m.MapReply;
import org.legoos.net.protocol.p2m.Mmap;
import org.legoos.net.protocol.p2m.MmapFile;
import org.legoos.net.protocol.p2m.Mprotect;
import org.legoos.net.protocol.p2m.Mremap;
import org.legoos.net.protocol.p2m.Msync;
import org.legoos.net.protocol.p2m.Munmap;
import org.legoos.net.rpc.RpcNode;
import org.legoos.processor.Failover;
import org.legoos.processor.excache.ExCache;
import org.legoos.processor.excache.PageCache;

/**
 * A process's disaggregated address space as its process monitor keeps it: VM calls go to the process's home
 * memory component, whose replies update the local mirror of mapped ranges and vRegion owners, and act on the
 * processor component's cache of the process's pages ({@link PageCache}, tagged with this space's asid).
 *
 * <p>Thread mode: it is also the program's {@link AddressSpace}, its loads and stores going to the shared software
 * {@link ExCache}. Process mode: the program's loads and stores are hardware accesses in its own JVM, the cache is
 * the {@link org.legoos.processor.excache.FaultExCache}, and this object serves the task's VM system calls; its
 * load and store methods are not used (they throw).
 *
 * <p>Thread-safe: any thread of the process may use it.
 */
public final class RemoteAddressSpace implements AddressSpace, AutoCloseable {
    private static final long PAGE_MASK = PAGE_SIZE - 1;
    private final RpcNode rpc;
    private final PageCache cache;
    /** Thread mode's software cache for the program's loads and stores; null in process mode. */
    private final ExCache lines;
    private final ExCacheBackend backend;
    private final long pid;
    /** The home memory component; changes when its home replica takes over after the home's death. */
    private volatile int home;
    /** The memory component with a copy of the home's metadata (-1: none), as of the last reply of the home. */
    private volatile int homeReplica;
    private final int asid;
    private final VmMirror vm;
    private final long heapStart;
    private long brk;
    private volatile boolean closed;
    private volatile FileMapper files = FileMapper.NONE;
    /**
     * Serialises the VM calls of the process (not its loads and stores), as Linux's mmap lock does: each call's
     * request to the home and its update of the mirror happen together, so a range the home freed for one thread
     * and gave to another's mmap is never forgotten or invalidated by the first thread's late mirror update. The
     * home serialises the calls of one process anyway, so this costs no parallelism.
     */
    private final java.util.concurrent.locks.ReentrantLock vmLock = new java.util.concurrent.locks.ReentrantLock();
    /** ExCache misses of this process (fills, zero-fills included); counted on the miss path, read by ps and metrics. */
    private final java.util.concurrent.atomic.LongAdder misses = new java.util.concurrent.atomic.LongAdder();
    /** A write-back of this process's dirty pages that failed on another process's thread; sticky. */
    private volatile RuntimeException failure;

    /**
     * Creates the address space on the home memory component ({@code P2M_CREATE_AS}).
     */
    public static RemoteAddressSpace create(RpcNode rpc, ExCache cache, ExCacheBackend backend, long pid, int vnodeId,
                                            int home, long quotaBytes) {
        AddressSpaceInfo info = rpc.call(home, new CreateAddressSpace(vnodeId, pid, quotaBytes));
        return new RemoteAddressSpace(rpc, cache, cache, backend, pid, home, info);
    }

    /**
     * Process mode: creates the address space on the home ({@code P2M_CREATE_AS}) with {@code pages} (the resident
     * pages of the task) as its cache; loads and stores happen in the task.
     */
    public static RemoteAddressSpace createForTask(RpcNode rpc, PageCache pages, ExCacheBackend backend, long pid,
                                                   int vnodeId, int home, long quotaBytes) {
        AddressSpaceInfo info = rpc.call(home, new CreateAddressSpace(vnodeId, pid, quotaBytes));
        return new RemoteAddressSpace(rpc, pages, null, backend, pid, home, info);
    }

    private RemoteAddressSpace(RpcNode rpc, PageCache cache, ExCache lines, ExCacheBackend backend, long pid, int home,
                               AddressSpaceInfo info) {
        this.rpc = rpc;
        this.cache = cache;
        this.lines = lines;
        this.backend = backend;
        this.pid = pid;
        this.home = home;
        this.homeReplica = info.homeReplica();
        this.vm = new VmMirror(info.vregionBytes());
        this.heapStart = info.heapStart();
        this.brk = info.heapStart();
        this.asid = backend.attach(this);
    }

    public long pid() {
        return pid;
    }

    /** ExCache misses of this process: lines its backend filled (zero-fills included), counted on the miss path. */
    public long misses() {
        return misses.sum();
    }

    /** Counts one miss; called by {@link ExCacheBackend} for every fill. */
    void countMiss() {
        misses.increment();
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

    /** The program break (the heap's end). */
    public long currentBreak() {
        return underVmLock(() -> brk);
    }

    /**
     * Why an access of the program to {@code va} cannot be served, or null if it can (the page is mapped with the
     * permission the access needs): process mode's explanation of a poisoned page.
     */
    public SegmentationFault accessFault(long va, boolean write) {
        int prot = vm.protAt(va & ~PAGE_MASK);
        if (prot < 0) {
            return new SegmentationFault("pid " + pid + ": address 0x" + Long.toHexString(va) + " is not mapped");
        }
        if (write ? !UserSpace.writable(prot) : !UserSpace.readable(prot)) {
            return new SegmentationFault("pid " + pid + ": " + (write ? "store to" : "load from") + " 0x"
                    + Long.toHexString(va) + ", a page without " + (write ? "write" : "read") + " permission (prot " + prot + ")");
        }
        return null;
    }

    /** Throws the failure that lost this space's dirty pages, if any (process mode: the FAULT system call). */
    public void checkNotFailed() {
        throwIfFailed();
    }

    /** Thread mode's ExCache for loads and stores; fails in process mode, where the task does them itself. */
    private ExCache lines() {
        ExCache l = lines;
        if (l == null) {
            throw new IllegalStateException("process mode: pid " + pid + "'s loads and stores run in its own JVM");
        }
        return l;
    }

    /** Whether {@link #close()} was called: the process exited, its memory is going away. */
    boolean isClosed() {
        return closed;
    }

    /**
     * Records that dirty pages of this process could not be written back (a batch sent by another process's thread
     * failed): their data is lost, so this process fails at its next miss or VM call. The first failure sticks.
     */
    void fail(RuntimeException e) {
        if (failure == null) {
            failure = e;
        }
    }

    /** Throws the recorded write-back failure, if any. */
    void throwIfFailed() {
        RuntimeException f = failure;
        if (f != null) {
            throw new org.legoos.api.LegoException(f instanceof org.legoos.api.LegoException l ? l.status() : "INTERNAL",
                    "pid " + pid + ": dirty pages of this process could not be written back: " + f.getMessage(), f);
        }
    }

    /**
     * A call to the home. If it fails as unavailable (the home, or an owner the home called, died), it is retried for
     * up to {@link Failover#WAIT_MILLIS}: at the home again (the home moves a dead owner's vRegions to
     * their replica once the manager has declared it dead), and at the home replica named in the home's last reply,
     * which answers NOT_FOUND until it has taken over as home and is the home from then on. A home that was declared
     * dead while only stopped may answer again when it resumes, as the home it no longer is: its owners refuse its
     * changes (SUPERSEDED), and once it has dropped its stale memory it answers NOT_FOUND; either way the call looks
     * for the home among the live memory components and goes there. A call that failed at the
     * home was undone there; one the dead home applied but did not answer is applied again: the VM calls are
     * idempotent but for an mmap without a fixed address, which then maps a second range (the first leaks until exit).
     */
    private <R extends org.legoos.net.protocol.Message> R callHome(org.legoos.net.protocol.Request<R> q) {
        long deadline = 0;
        long pause = 10;
        boolean looked = false;
        while (true) {
            int h = home;
            org.legoos.api.LegoException failure;
            try {
                return noteHome(h, rpc.call(h, q));
            } catch (org.legoos.api.ComponentUnavailableException e) {
                failure = e;
            } catch (org.legoos.api.LegoException e) {
                org.legoos.net.rpc.Status st = org.legoos.net.rpc.Status.of(e);
                if (st != org.legoos.net.rpc.Status.SUPERSEDED && st != org.legoos.net.rpc.Status.NOT_FOUND) {
                    throw e;
                }
                // h was declared dead while only stopped and serves on as the home it was (SUPERSEDED: an owner
                // refused its change; NOT_FOUND: it has dropped its stale memory): the component that took over
                // answers now. A NOT_FOUND with no other home is the answer itself; after a SUPERSEDED the new home
                // may not have taken over yet, so the call waits for it as for an unavailable home.
                boolean notFound = st == org.legoos.net.rpc.Status.NOT_FOUND;
                if ((notFound || !looked) && findHome(h)) {
                    continue;
                }
                if (notFound) {
                    throw e;
                }
                looked = true;
                failure = e;
            }
            int backup = homeReplica;
            if (backup >= 0 && backup != h) {
                try {
                    R r = rpc.call(backup, q);
                    home = backup;
                    homeReplica = -1;
                    return noteHome(backup, r);
                } catch (org.legoos.api.LegoException again) {
                    boolean notYet = org.legoos.net.rpc.Status.of(again) == org.legoos.net.rpc.Status.NOT_FOUND || again instanceof org.legoos.api.ComponentUnavailableException;
                    if (!notYet) {
                        failure.addSuppressed(again);
                        throw failure;
                    }
                }
            }
            long now = System.nanoTime();
            if (deadline == 0) {
                deadline = now + Failover.WAIT_MILLIS * 1_000_000L;
            } else if (pause >= 160 && findHome(h)) {
                continue; // the home moved to a component this space did not know of: call it at once
            }
            if (now - deadline >= 0 || closed && !(q instanceof DestroyAddressSpace)) {
                throw new org.legoos.api.ComponentUnavailableException(failure.status(), "pid " + pid + ": home memory "
                        + "component " + h + " is unavailable or cannot reach an owner (" + failure.getMessage() + ")"
                        + (backup >= 0 ? " and its home replica " + backup + " did not take over" : "") + " within "
                        + Failover.WAIT_MILLIS + " ms");
            }
            try {
                Thread.sleep(pause);
            } catch (InterruptedException stop) {
                Thread.currentThread().interrupt();
                throw failure;
            }
            pause = Math.min(250, pause * 2);
        }
    }

    /**
     * Looks for the home of this process among the live memory components other than {@code dead} (a home replica
     * named after the last reply this space saw may have taken over): the one that answers {@code P2M_BRK} 0 becomes
     * the home. Returns whether one was found.
     */
    private boolean findHome(int dead) {
        for (int node : backend.liveMemories()) {
            if (node == dead) {
                continue;
            }
            try {
                MapReply r = rpc.call(node, new Brk(pid, 0));
                home = node;
                homeReplica = r.homeReplica();
                vm.updateOwners(r);
                return true;
            } catch (org.legoos.api.LegoException notHere) {
                // NOT_FOUND: not its home; unavailable: not this one either
            }
        }
        return false;
    }

    /** Keeps the home replica a reply of home {@code h} names. */
    private <R> R noteHome(int h, R reply) {
        if (reply instanceof MapReply m && home == h) {
            homeReplica = m.homeReplica();
        }
        return reply;
    }

    /** Runs one VM call under the process's mmap lock ({@link #vmLock}). */
    private <T> T underVmLock(java.util.function.Supplier<T> call) {
        vmLock.lock();
        try {
            return call.get();
        } finally {
            vmLock.unlock();
        }
    }

    /**
     * Asks the home for the current owner map ({@code P2M_BRK} with 0 reads it) and keeps it if it is newer: after a
     * call to an owner failed, the home may have moved that owner's vRegions to their replica. Takes no lock of this
     * space (a VM call of another thread may be waiting on the same owner).
     */
    void refreshOwners() {
        vm.updateOwners(callHome(new Brk(pid, 0)));
    }

    /**
     * Whether the last owner map says memory component {@code owner} died holding this space's vRegions without a
     * replica: their pages are lost, no failover will come.
     */
    boolean ownerLost(int owner) {
        return vm.isLost(owner);
    }

    /**
     * Memory component {@code owner} has no room for the pages {@code vaddrs} of this space: asks the home to move
     * their vRegions to a memory component with room ({@code P2M_RELOCATE}) and keeps the owner map it replies.
     *
     * @throws org.legoos.api.LegoException NO_MEMORY if the cluster has no room for them
     */
    void relocate(int owner, long[] vaddrs) {
        vm.updateOwners(callHome(new org.legoos.net.protocol.p2m.Relocate(pid, owner, vaddrs)));
    }

    /** Lets the program map files of its vNode ({@link #mmap(long, long, int, int, String, long)}). */
    public void attachFiles(FileMapper mapper) {
        this.files = java.util.Objects.requireNonNull(mapper, "mapper");
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

    private SegmentationFault notMapped(String call, long start, long end) {
        return new SegmentationFault(call + ": [0x" + Long.toHexString(start) + ", 0x" + Long.toHexString(end)
                + ") is not fully mapped in pid " + pid);
    }

    // Every call validates its arguments and the range against the mirror before it has any effect, with the
    // home's own checks (UserSpace), so the home can refuse nothing the processor has already acted on.

    @Override
    public long mmap(long hint, long length, int prot) {
        return underVmLock(() -> mmapLocked(hint, length, prot));
    }

    private long mmapLocked(long hint, long length, int prot) {
        long len = UserSpace.checkLength("mmap", 0, length);
        throwIfFailed();
        UserSpace.checkProt("mmap", prot);
        MapReply r = callHome(new Mmap(pid, hint, length, prot));
        vm.updateOwners(r);
        vm.map(r.addr(), r.addr() + len, prot);
        return r.addr();
    }

    @Override
    public long mmap(long hint, long length, int prot, int flags, String path, long offset) {
        return underVmLock(() -> mmapFileLocked(hint, length, prot, flags, path, offset));
    }

    private long mmapFileLocked(long hint, long length, int prot, int flags, String path, long offset) {
        long len = UserSpace.checkLength("mmap", 0, length);
        UserSpace.checkProt("mmap", prot);
        boolean shared = UserSpace.checkMapFlags("mmap", flags);
        UserSpace.checkFileOffset("mmap", offset);
        java.util.Objects.requireNonNull(path, "path");
        if (!path.startsWith("/")) {
            throw new IllegalArgumentException("mmap: the file path must be absolute, got " + path);
        }
        throwIfFailed();
        FileMapper.Target file;
        try {
            file = files.open(path);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException("mmap " + path + ": " + e.getMessage(), e);
        }
        MapReply r = callHome(new MmapFile(pid, hint, length, prot, shared, file.vnodeId(), file.cacheNode(),
                file.path(), offset, file.size()));
        vm.updateOwners(r);
        vm.map(r.addr(), r.addr() + len, prot, shared ? VmMirror.Backing.SHARED_FILE : VmMirror.Backing.PRIVATE_FILE);
        return r.addr();
    }

    /** Writes back the dirty lines of the shared file mappings in [start, end): their stores must reach the file. */
    private void flushSharedFiles(long start, long end) {
        for (VmMirror.Area piece : vm.sharedFilePieces(start, end)) {
            cache.flushRange(asid, piece.start(), piece.end() - piece.start());
        }
    }

    @Override
    public void munmap(long addr, long length) {
        underVmLock(() -> {
            munmapLocked(addr, length);
            return null;
        });
    }

    private void munmapLocked(long addr, long length) {
        long len = UserSpace.checkRange("munmap", addr, length);
        throwIfFailed();
        long end = addr + len;
        flushSharedFiles(addr, end); // the home writes them to the file before it frees the pages
        // The data dies with the mapping: drop the lines without writing them back. The mirror forgets the range
        // first, so no miss or prefetch of another thread can install a line there after the invalidation.
        vm.unmap(addr, end);
        cache.invalidateRange(asid, addr, len, false);
        MapReply r = callHome(new Munmap(pid, addr, length));
        vm.updateOwners(r);
    }

    @Override
    public long mremap(long oldAddr, long oldLength, long newLength, boolean mayMove) {
        return underVmLock(() -> mremapLocked(oldAddr, oldLength, newLength, mayMove));
    }

    private long mremapLocked(long oldAddr, long oldLength, long newLength, boolean mayMove) {
        long oldLen = UserSpace.checkRange("mremap", oldAddr, oldLength);
        throwIfFailed();
        long newLen = UserSpace.checkLength("mremap", 0, newLength);
        VmMirror.Area area = vm.covering(oldAddr, oldAddr + oldLen);
        if (area == null) {
            throw new SegmentationFault("mremap: [0x" + Long.toHexString(oldAddr) + ", 0x"
                    + Long.toHexString(oldAddr + oldLen) + ") is not inside one mapped area of pid " + pid);
        }
        if (newLen == oldLen) {
            return oldAddr;
        }
        if (newLen > oldLen && area.backing().isFile()) {
            throw new IllegalArgumentException("mremap: a file mapping can only shrink, not grow (0x"
                    + Long.toHexString(oldAddr) + ")");
        }
        // The home may move page contents between owners: they must hold the latest data. (A refusal after this
        // loses nothing: the lines were written back, not dropped.)
        cache.invalidateRange(asid, oldAddr, oldLen, true);
        MapReply r = callHome(new Mremap(pid, oldAddr, oldLength, newLength, mayMove));
        vm.updateOwners(r);
        long newAddr = r.addr();
        vm.remap(oldAddr, oldLen, newAddr, newLen, area.prot());
        if (newAddr != oldAddr) {
            // a prefetch of another thread may have brought old pages back in meanwhile: they are stale now
            cache.invalidateRange(asid, oldAddr, oldLen, false);
        } else if (newLen < oldLen) {
            cache.invalidateRange(asid, oldAddr + newLen, oldLen - newLen, false);
        }
        return newAddr;
    }

    @Override
    public void mprotect(long addr, long length, int prot) {
        underVmLock(() -> {
            mprotectLocked(addr, length, prot);
            return null;
        });
    }

    private void mprotectLocked(long addr, long length, int prot) {
        long len = UserSpace.checkRange("mprotect", addr, length);
        throwIfFailed();
        UserSpace.checkProt("mprotect", prot);
        long end = addr + len;
        if (!vm.isMapped(addr, end)) {
            throw notMapped("mprotect", addr, end);
        }
        List<VmMirror.Area> before = null;
        if (!UserSpace.writable(prot)) {
            // Taking permission away: the mirror first (from now on a store's check faults), then the lines' write
            // permission, then their dirty data to the owners, which accept it until the home tells them otherwise.
            before = vm.protect(addr, end, prot);
            try {
                cache.revokeWrite(asid, addr, len);
                if (UserSpace.readable(prot)) {
                    cache.flushRange(asid, addr, len); // the lines stay, clean and read-only
                } else {
                    cache.invalidateRange(asid, addr, len, true); // no load may hit them any more
                }
            } catch (RuntimeException e) {
                vm.restore(before);
                throw e;
            }
        }
        MapReply r;
        try {
            r = callHome(new Mprotect(pid, addr, length, prot));
        } catch (RuntimeException e) {
            if (before != null) {
                vm.restore(before);
            }
            throw e;
        }
        vm.updateOwners(r);
        if (before == null) {
            vm.protect(addr, end, prot); // giving permission: only once the owners accept the stores
        }
    }

    @Override
    public long brk(long newBreak) {
        return underVmLock(() -> brkLocked(newBreak));
    }

    private long brkLocked(long newBreak) {
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
        MapReply r = callHome(new Brk(pid, newBreak));
        vm.updateOwners(r);
        if (newTop < oldTop) {
            vm.unmap(newTop, oldTop);
            // a prefetch of another thread may have brought pages back in meanwhile
            cache.invalidateRange(asid, newTop, oldTop - newTop, false);
        } else if (newTop > oldTop) {
            vm.map(oldTop, newTop, VmMirror.HEAP_PROT);
        }
        brk = r.addr();
        return brk;
    }

    @Override
    public void msync(long addr, long length) {
        long len = UserSpace.checkRange("msync", addr, length);
        throwIfFailed();
        if (!vm.isMapped(addr, addr + len)) {
            throw notMapped("msync", addr, addr + len);
        }
        cache.flushRange(asid, addr, len);
        callHome(new Msync(pid, addr, length));
    }

    @Override
    public byte getByte(long va) {
        return lines().getByte(asid, va);
    }

    @Override
    public void putByte(long va, byte value) {
        lines().putByte(asid, va, value);
    }

    @Override
    public int getInt(long va) {
        return lines().getInt(asid, va);
    }

    @Override
    public void putInt(long va, int value) {
        lines().putInt(asid, va, value);
    }

    @Override
    public long getLong(long va) {
        return lines().getLong(asid, va);
    }

    @Override
    public void putLong(long va, long value) {
        lines().putLong(asid, va, value);
    }

    @Override
    public void read(long va, byte[] dst, int offset, int length) {
        java.util.Objects.checkFromIndexSize(offset, length, dst.length);
        lines().read(asid, va, dst, offset, length);
    }

    @Override
    public void write(long va, byte[] src, int offset, int length) {
        java.util.Objects.checkFromIndexSize(offset, length, src.length);
        lines().write(asid, va, src, offset, length);
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
        RuntimeException unsynced = null;
        try {
            flushSharedFiles(0, UserSpace.TASK_SIZE); // exit writes a shared file mapping's stores to the file
        } catch (RuntimeException e) {
            unsynced = e;
        }
        closed = true;
        cache.invalidateAll(asid, false);
        backend.detach(asid);
        callHome(new DestroyAddressSpace(pid));
        if (unsynced != null) {
            throw unsynced;
        }
    }
}
