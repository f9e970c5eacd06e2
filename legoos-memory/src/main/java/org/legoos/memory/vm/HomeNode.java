package org.legoos.memory.vm;

import it.unimi.dsi.fastutil.ints.IntOpenHashSet;
import it.unimi.dsi.fastutil.longs.Long2IntMap;
import it.unimi.dsi.fastutil.longs.LongArrayList;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;
import org.legoos.api.AddressSpace;
import org.legoos.api.LegoException;
import org.legoos.net.protocol.Ack;
import org.legoos.net.protocol.Message;
import org.legoos.net.protocol.Request;
import org.legoos.net.protocol.gm.Consult;
import org.legoos.net.protocol.p2m.Relocate;
import org.legoos.net.protocol.gm.MemoryUsage;
import org.legoos.net.protocol.gm.NodeChoice;
import org.legoos.net.protocol.gm.ReplicaConsult;
import org.legoos.net.protocol.m2m.HomeSync;
import org.legoos.net.protocol.m2m.SetHome;
import org.legoos.net.protocol.m2m.Promote;
import org.legoos.net.protocol.m2m.SetReplica;
import org.legoos.net.protocol.m2m.OwnerDestroy;
import org.legoos.net.protocol.m2m.OwnerMap;
import org.legoos.net.protocol.m2m.OwnerMovePages;
import org.legoos.net.protocol.m2m.OwnerFileSync;
import org.legoos.net.protocol.m2m.OwnerMapFile;
import org.legoos.net.protocol.m2m.OwnerProtect;
import org.legoos.net.protocol.m2m.OwnerMoveOut;
import org.legoos.net.protocol.m2m.OwnerReadPages;
import org.legoos.net.protocol.m2m.OwnerUnmap;
import org.legoos.net.protocol.m2m.OwnerWritePages;
import org.legoos.net.protocol.m2m.PageSet;
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
import org.legoos.net.rpc.Status;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The home role of a memory component (LegoOS's home mComponent): for each process whose home the GMM made
 * this component ({@code P2M_CREATE_AS}), it keeps the authoritative VMA tree of the whole address space and
 * serves the address-space calls {@code mmap, munmap, mremap, mprotect, brk, msync} and process exit.
 *
 * <p>The address space is cut into vRegions of {@code vregionBytes}. The first time a mapping touches a
 * vRegion the home asks the GMM ({@code M2MM_CONSULT}) which memory component owns it, then tells each owner
 * the part of the area inside its vRegions ({@code M2M_MMAP}); owners then serve misses and flushes there
 * directly. Every {@link MapReply} carries the complete vRegion to owner map. Shrinking, unmapping and
 * moving free or move pages on the owners; mremap moves contents across owners page by page. Calls to the
 * owner role of this same component skip the network.
 *
 * <p>Address layout: see {@link Layout} (heap from {@code vregionBytes}, mmap area from 1 TiB, both in
 * different vRegions). A failed call leaves the address space as it was: owners told about a new area are
 * told to forget it again.
 *
 * <p><b>Replication</b> (with {@code replicas} 2): the first time a process gets a vRegion on an owner, the home
 * asks the GMM for a replica for that (process, owner) pair ({@code GM_REPLICA_CONSULT}) and tells the owner
 * ({@code M2M_SET_REPLICA}), which sends the replica what it holds and from then on replicates every change of that
 * process's pages and areas there. An owner left without a replica (none was free, or it died) gets one at the
 * process's next new area. The home's own metadata of the process goes to a home replica the same way
 * ({@code M2M_HOME_SYNC}) after every change, which takes over as home if the home dies.
 * When the manager declares a memory component dead ({@code GM_MEMORY_FAILED}), {@link #failover} promotes the
 * replica of each process's vRegions there to owner ({@code M2M_PROMOTE}) and raises the owner map's version;
 * processors whose calls to the dead owner fail ask for the map again and carry on.
 *
 * <p>Thread-safety: thread-safe. The calls of one process are serialised on its address space (including
 * the round trips to owners and the GMM); different processes proceed in parallel.
 */
public final class HomeNode {
    private static final Logger log = LoggerFactory.getLogger(HomeNode.class);
    /** How long a home waits before asking the GMM again for a replica it found none for. */
    private static final long NO_REPLICA_RETRY_NANOS = 5_000_000_000L;
    /**
     * Copies of a process's pages to a new replica (each a throttled {@code M2M_SET_REPLICA} that can take seconds),
     * away from the failover pool and without the process's lock: its program and VM calls go on meanwhile.
     */
    private final java.util.concurrent.ExecutorService seeders = java.util.concurrent.Executors.newFixedThreadPool(2, r -> {
        Thread t = new Thread(r, "home-seeder");
        t.setDaemon(true);
        return t;
    });
    /** Failovers whose promotion of the replica failed, tried again ({@link #retryFailover}). */
    private final java.util.concurrent.ScheduledExecutorService retries =
            java.util.concurrent.Executors.newSingleThreadScheduledExecutor(r -> {
                Thread t = new Thread(r, "home-failover-retry");
                t.setDaemon(true);
                return t;
            });
    /** Pause before a failed failover (the replica did not answer its promotion) is tried again. */
    static final long FAILOVER_RETRY_MILLIS = 500;
    /**
     * Attempts at promoting a dead owner's replica before its pages are given up as lost: 20 of 500 ms outlast the
     * processors' wait for a failover (15 s), so a program sees a promotion that succeeds or an error, never a hang.
     */
    static final int MAX_FAILOVER_ATTEMPTS = 20;
    /**
     * Memory components the manager declared dead ({@code GM_MEMORY_FAILED}) that have not served again since
     * ({@code GM_MEMORY_JOINED}): a process adopted later may still map vRegions to one, if its old home died before it
     * moved them (or while it was moving them), and the adoption moves them too.
     */
    private final java.util.Set<Integer> declaredDead = java.util.concurrent.ConcurrentHashMap.newKeySet();
    /** Pages per message when mremap copies contents from one owner to another. */
    static final int COPY_BATCH_PAGES = 256;

    private final RpcNode rpc;
    private final int managerNode;
    private final long vregionBytes;
    private final int shift;
    private final long heapStart;
    private final VRegionOwner localOwner;
    private final int replicas;
    private final LongAdder failovers = new LongAdder();
    private final LongAdder homesAdopted = new LongAdder();
    /** Copies of other homes' metadata kept here as their home replica: pid to the newest copy. */
    private final ConcurrentHashMap<Long, HomeCopy> copies = new ConcurrentHashMap<>();
    /** Processes {@link #fence} dropped: answered UNAVAILABLE. */
    private final java.util.Set<Long> fencedPids = ConcurrentHashMap.newKeySet();
    /** Pids below this one may have had their home on an earlier incarnation at this address. */
    private volatile long pidsOfEarlierIncarnation;

    /** A home's metadata of pid as of change {@code seq}. */
    private record HomeCopy(int home, long seq, byte[] state) {
    }
    private final ConcurrentHashMap<Long, HomeSpace> spaces = new ConcurrentHashMap<>();
    private final LongAdder consults = new LongAdder();
    private final LongAdder vmCalls = new LongAdder();
    private final LongAdder pagesCopied = new LongAdder();
    private final LongAdder relocations = new LongAdder();
    private final LongAdder replicasRestored = new LongAdder();

    /** A run of consecutive vRegions owned by one node, clipped to a range. */
    private record Run(int node, long start, long end) {
    }

    /**
     * @param rpc this component's endpoint (calls to the GMM and to other owners)
     * @param managerNode the node of the global managers (GMM)
     * @param localOwner the owner role of this same component
     */
    public HomeNode(RpcNode rpc, int managerNode, long vregionBytes, VRegionOwner localOwner) {
        this(rpc, managerNode, vregionBytes, localOwner, 1);
    }

    /**
     * @param replicas copies of each page: 1 (none replicated) or 2 (a replica per process and owner, when the GMM
     *     finds a second live memory component)
     */
    public HomeNode(RpcNode rpc, int managerNode, long vregionBytes, VRegionOwner localOwner, int replicas) {
        if (Long.bitCount(vregionBytes) != 1 || vregionBytes < Layout.MIN_VREGION_BYTES
                || vregionBytes > Layout.MAX_VREGION_BYTES) {
            throw new IllegalArgumentException("vRegion size must be a power of two in [4 KiB, 64 GiB], got " + vregionBytes);
        }
        this.rpc = rpc;
        this.managerNode = managerNode;
        this.vregionBytes = vregionBytes;
        this.shift = Long.numberOfTrailingZeros(vregionBytes);
        this.heapStart = Layout.heapStart(vregionBytes);
        this.localOwner = localOwner;
        this.replicas = replicas;
    }

    /** Counters of the home role. */
    public record Counters(int spaces, long vmCalls, long consults, long pagesCopiedAcrossOwners, long failovers,
                           long homesAdopted, long relocations, long replicasRestored) {
    }

    public Counters counters() {
        return new Counters(spaces.size(), vmCalls.sum(), consults.sum(), pagesCopied.sum(), failovers.sum(),
                homesAdopted.sum(), relocations.sum(), replicasRestored.sum());
    }

    /** pid to bytes mapped, for the address spaces homed here. */
    public Map<Long, Long> mappedBytesPerSpace() {
        Map<Long, Long> out = new HashMap<>();
        spaces.forEach((pid, s) -> out.put(pid, s.areas.mappedBytes())); // no lock: a call may be waiting on an owner
        return out;
    }

    // ------------------------------------------------------------------ calls

    /** {@code P2M_CREATE_AS}: this component becomes the home of {@code pid}. */
    public AddressSpaceInfo create(CreateAddressSpace q) {
        if (q.quotaBytes() < 0) {
            throw invalid("CREATE_AS: quota must be 0 (none) or positive, got " + q.quotaBytes());
        }
        HomeSpace s = new HomeSpace(q.pid(), q.vnodeId(), q.quotaBytes(), heapStart);
        if (spaces.putIfAbsent(q.pid(), s) != null) {
            throw Status.EXISTS.toException("pid " + q.pid() + " already has an address space on memory component " + rpc.nodeId());
        }
        vmCalls.increment();
        synchronized (s) {
            syncHome(s);
            return new AddressSpaceInfo(vregionBytes, heapStart, s.homeReplica);
        }
    }

    /** {@code P2M_DESTROY_AS}: frees every area and page of the process on every owner. */
    public Ack destroy(DestroyAddressSpace q) {
        HomeSpace s = spaces.remove(q.pid());
        if (s == null) {
            throw noSpace(q.pid());
        }
        vmCalls.increment();
        synchronized (s) {
            s.destroyed = true;
            dropHomeCopy(s);
            try {
                syncFiles(s, 0, Layout.TASK_SIZE);
            } catch (LegoException e) {
                log.warn("pid {}: could not write its shared file mappings back: {}", q.pid(), e.getMessage());
            }
            IntOpenHashSet nodes = new IntOpenHashSet(s.owners.values());
            for (int node : nodes) {
                try {
                    callOwner(node, new OwnerDestroy(q.pid()));
                } catch (LegoException e) {
                    log.warn("pid {}: could not free its pages on memory component {}: {}", q.pid(), node, e.getMessage());
                }
            }
            s.areas.clear();
            s.owners.clear();
            s.ownersVersion++;
            settleQuota(s); // exit gives the vNode's quota back
        }
        return Ack.INSTANCE;
    }

    /** {@code P2M_MMAP}: maps zeroed anonymous memory at the hint if it is free, else first fit in the mmap area. */
    public MapReply mmap(Mmap q) {
        HomeSpace s = space(q.pid());
        Layout.checkProt("mmap", q.prot());
        long len = Layout.checkLength("mmap", 0, q.length());
        synchronized (s) {
            alive(s);
            vmCalls.increment();
            long addr = pickAddress(s, q.hint(), len);
            reserveQuota(s, len);
            mapOnOwners(s, addr, addr + len, q.prot());
            s.areas.add(addr, addr + len, q.prot());
            return reply(s, addr);
        }
    }

    /**
     * {@code P2M_MMAP_FILE}: maps {@code length} bytes of a file of the process's vNode from {@code offset}, shared or
     * private; the owners fill its pages from the file when first touched and write a shared area's stored pages
     * back to the file on msync, munmap and exit.
     */
    public MapReply mmapFile(MmapFile q) {
        HomeSpace s = space(q.pid());
        Layout.checkProt("mmap", q.prot());
        long len = Layout.checkLength("mmap", 0, q.length());
        if (q.vnodeId() != s.vnodeId) {
            throw Status.DENIED.toException("pid " + s.pid + " of vNode " + s.vnodeId + " may not map a file of vNode " + q.vnodeId());
        }
        FileBacking file;
        try {
            file = new FileBacking(q.vnodeId(), q.cacheNode(), q.path(), q.offset(), q.shared(), q.fileSize());
        } catch (IllegalArgumentException e) {
            throw invalid("mmap: " + e.getMessage());
        }
        synchronized (s) {
            alive(s);
            vmCalls.increment();
            long addr = pickAddress(s, q.hint(), len);
            reserveQuota(s, len);
            Vma area = new Vma(addr, addr + len, q.prot(), file);
            mapOnOwners(s, area);
            s.areas.add(area);
            return reply(s, addr);
        }
    }

    private long pickAddress(HomeSpace s, long hint, long len) {
        if (hint != 0 && Layout.isPageAligned(hint) && hint >= Layout.MIN_ADDR && hint <= Layout.TASK_SIZE - len
                && s.areas.isFree(hint, hint + len)) {
            return hint;
        }
        long addr = s.areas.firstFit(Layout.MMAP_BASE, Layout.TASK_SIZE, len);
        if (addr < 0) {
            throw Status.NO_MEMORY.toException("pid " + s.pid + ": no free range of " + len + " bytes in the mmap area");
        }
        return addr;
    }

    /** {@code P2M_MUNMAP}: unmaps [addr, addr+length), splitting areas; unmapped parts are fine. */
    public MapReply munmap(Munmap q) {
        HomeSpace s = space(q.pid());
        long len = Layout.checkRange("munmap", q.addr(), q.length());
        synchronized (s) {
            alive(s);
            vmCalls.increment();
            unmapRange(s, q.addr(), q.addr() + len);
            return reply(s, q.addr());
        }
    }

    /**
     * {@code P2M_MREMAP}: shrinks in place, grows in place if the following range is free, else moves the
     * mapping (contents preserved) if {@code mayMove}, else NO_MEMORY. The old range must lie in one area.
     */
    public MapReply mremap(Mremap q) {
        HomeSpace s = space(q.pid());
        long oldAddr = q.oldAddr();
        long oldLen = Layout.checkRange("mremap", oldAddr, q.oldLength());
        long newLen = Layout.checkLength("mremap", 0, q.newLength());
        synchronized (s) {
            alive(s);
            vmCalls.increment();
            Vma vma = s.areas.covering(oldAddr, oldAddr + oldLen);
            if (vma == null) {
                throw Status.BAD_ADDRESS.toException("mremap: [0x" + Long.toHexString(oldAddr) + ", 0x"
                        + Long.toHexString(oldAddr + oldLen) + ") is not inside one mapped area of pid " + s.pid);
            }
            if (newLen == oldLen) {
                return reply(s, oldAddr);
            }
            if (newLen > oldLen && vma.file() != null) {
                throw invalid("mremap: a file mapping can only shrink (pid " + s.pid + ", " + vma + ")");
            }
            if (newLen < oldLen) {
                unmapRange(s, oldAddr + newLen, oldAddr + oldLen);
                return reply(s, oldAddr);
            }
            long tail = oldAddr + oldLen;
            if (newLen <= Layout.TASK_SIZE - oldAddr && s.areas.isFree(tail, oldAddr + newLen)) {
                reserveQuota(s, newLen - oldLen);
                mapOnOwners(s, tail, oldAddr + newLen, vma.prot());
                s.areas.add(tail, oldAddr + newLen, vma.prot());
                return reply(s, oldAddr);
            }
            if (!q.mayMove()) {
                throw Status.NO_MEMORY.toException("mremap: pid " + s.pid + " cannot grow 0x" + Long.toHexString(oldAddr)
                        + " in place to " + newLen + " bytes and may not move it");
            }
            long to = s.areas.firstFit(Layout.MMAP_BASE, Layout.TASK_SIZE, newLen);
            if (to < 0) {
                throw Status.NO_MEMORY.toException("mremap: pid " + s.pid + ": no free range of " + newLen + " bytes");
            }
            reserveQuota(s, newLen - oldLen);
            move(s, oldAddr, oldLen, to, newLen, vma.prot());
            return reply(s, to);
        }
    }

    /**
     * {@code P2M_RELOCATE}: memory component {@code q.owner()} had no room for pages of the process at {@code
     * q.vaddrs()}: each vRegion holding one of them that it still owns moves to a memory component the GMM finds with
     * room for its stored pages. The owner refuses processors' accesses to the vRegion first (so every flush it took is
     * in the copy), the areas and pages go over, the owner map points at the new owner, and the old owner frees its
     * pages. Processors asking the home meanwhile wait for the monitor and get the new map. A vRegion another call
     * moved already is left alone: the reply's map sends the caller to its owner.
     *
     * @throws LegoException NO_MEMORY if no other live memory component has room: the cluster is out of memory
     */
    public MapReply relocate(Relocate q) {
        HomeSpace s = space(q.pid());
        if (q.vaddrs().length == 0) {
            throw invalid("RELOCATE: no address given");
        }
        for (long va : q.vaddrs()) {
            if (va < 0 || va >= Layout.TASK_SIZE) {
                throw invalid("RELOCATE: 0x" + Long.toHexString(va) + " is not a user address");
            }
        }
        synchronized (s) {
            alive(s);
            long[] regions = java.util.Arrays.stream(q.vaddrs()).map(va -> va >>> shift).distinct().sorted().toArray();
            for (long r : regions) {
                if (s.owners.get(r) == q.owner() && q.owner() >= 0) {
                    relocateRegion(s, r, q.owner());
                }
            }
            return reply(s, q.vaddrs()[0]);
        }
    }

    /** Moves vRegion {@code r} of {@code s} (its monitor held) from {@code from} to a memory component with room. */
    private void relocateRegion(HomeSpace s, long r, int from) {
        long t0 = System.nanoTime();
        long start = r << shift;
        long end = Math.min(Layout.TASK_SIZE, start + vregionBytes);
        long pages = callOwner(from, new OwnerMoveOut(s.pid, start, end - start, true)).pages();
        int target = -1;
        try {
            consults.increment();
            // at least the page that found no room, for a vRegion the full component holds nothing of yet
            target = rpc.call(managerNode, new Consult(s.vnodeId, s.pid, Math.max(1, pages) * Layout.PAGE_SIZE, from)).nodeId();
            if (target < 0 || target == from) {
                throw Status.NO_MEMORY.toException("the GMM found no memory component to take over a vRegion of pid "
                        + s.pid + " from full memory component " + from);
            }
            ensureReplica(s, target);
            for (Vma piece : s.areas.overlapping(start, end)) {
                Vma part = piece.slice(Math.max(start, piece.start()), Math.min(end, piece.end()));
                FileBacking f = part.file();
                callOwner(target, f == null
                        ? new OwnerMap(s.pid, s.vnodeId, part.start(), part.end() - part.start(), part.prot())
                        : new OwnerMapFile(s.pid, s.vnodeId, part.start(), part.end() - part.start(), part.prot(),
                                f.shared(), f.vnodeId(), f.cacheNode(), f.path(), f.offset(), f.size()));
            }
            copyPages(s, from, start, target, start, end - start);
        } catch (RuntimeException e) {
            if (target >= 0 && target != from) {
                try {
                    callOwner(target, new OwnerUnmap(s.pid, start, end - start));
                } catch (RuntimeException again) {
                    e.addSuppressed(again);
                }
            }
            try {
                callOwner(from, new OwnerMoveOut(s.pid, start, end - start, false));
            } catch (RuntimeException again) {
                e.addSuppressed(again);
            }
            log.warn("pid {}: its vRegion [0x{}, 0x{}) could not move off full memory component {}: {}", s.pid,
                    Long.toHexString(start), Long.toHexString(end), from, e.getMessage());
            throw e;
        }
        s.owners.put(r, target);
        s.ownersVersion++;
        relocations.increment();
        try {
            callOwner(from, new OwnerUnmap(s.pid, start, end - start)); // frees the pages; the range stays refused there
        } catch (RuntimeException e) {
            log.warn("pid {}: memory component {} could not free the pages of the vRegion [0x{}, 0x{}) that moved to {}"
                    + " (they are freed when the process ends): {}", s.pid, from, Long.toHexString(start),
                    Long.toHexString(end), target, e.getMessage());
        }
        log.info("pid {}: vRegion [0x{}, 0x{}) moved from full memory component {} to {} ({} pages) in {} ms", s.pid,
                Long.toHexString(start), Long.toHexString(end), from, target, pages, (System.nanoTime() - t0) / 1_000_000);
    }

    /**
     * {@code P2M_BRK}: moves the program break; {@code newBreak == 0} only reads it. The heap is the area
     * [heapStart, pageUp(break)); growing needs that range free and within the quota.
     */
    /** {@code P2M_OWNERS}: pid's owner map as it stands, read without changing anything (no VM call is counted). */
    public MapReply owners(org.legoos.net.protocol.p2m.OwnersRequest q) {
        HomeSpace s = space(q.pid());
        synchronized (s) {
            alive(s);
            return ownerMap(s, s.brk);
        }
    }

    public MapReply brk(Brk q) {
        HomeSpace s = space(q.pid());
        long nb = q.newBreak();
        synchronized (s) {
            alive(s);
            vmCalls.increment();
            if (nb == 0) {
                return reply(s, s.brk);
            }
            if (nb < heapStart) {
                throw invalid("brk: 0x" + Long.toHexString(nb) + " is below the heap start 0x" + Long.toHexString(heapStart));
            }
            if (nb > Layout.MMAP_BASE) {
                throw Status.NO_MEMORY.toException("brk: the heap cannot grow past the mmap area at 0x"
                        + Long.toHexString(Layout.MMAP_BASE));
            }
            long oldTop = Layout.pageUp(s.brk);
            long newTop = Layout.pageUp(nb);
            if (newTop > oldTop) {
                if (!s.areas.isFree(oldTop, newTop)) {
                    throw Status.NO_MEMORY.toException("brk: growing the heap to 0x" + Long.toHexString(nb)
                            + " would collide with a mapping");
                }
                reserveQuota(s, newTop - oldTop);
                mapOnOwners(s, oldTop, newTop, AddressSpace.PROT_RW);
                s.areas.add(oldTop, newTop, AddressSpace.PROT_RW);
            } else if (newTop < oldTop) {
                unmapRange(s, newTop, oldTop);
            }
            s.brk = nb;
            return reply(s, nb);
        }
    }

    /**
     * {@code P2M_MSYNC}: the processor wrote back its dirty lines of the range before calling; this checks
     * that the range is mapped (BAD_ADDRESS otherwise). Flushes are acknowledged only once stored, so there
     * is nothing left to wait for.
     */
    public Ack msync(Msync q) {
        HomeSpace s = space(q.pid());
        long len = Layout.checkRange("msync", q.addr(), q.length());
        synchronized (s) {
            alive(s);
            vmCalls.increment();
            if (!s.areas.isMapped(q.addr(), q.addr() + len)) {
                throw Status.BAD_ADDRESS.toException("msync: [0x" + Long.toHexString(q.addr()) + ", 0x"
                        + Long.toHexString(q.addr() + len) + ") is not fully mapped in pid " + s.pid);
            }
            syncFiles(s, q.addr(), q.addr() + len);
        }
        return Ack.INSTANCE;
    }

    /**
     * {@code P2M_MPROTECT}: gives [addr, addr+length), which must be fully mapped (BAD_ADDRESS otherwise, nothing
     * changed), protection {@code prot}, and tells the owners of its vRegions, which check flushes and misses
     * against it. The processor enforces the protection at the access and writes back its dirty lines of the range
     * before it takes write permission away, so no flush of data written before is refused.
     */
    public MapReply mprotect(Mprotect q) {
        HomeSpace s = space(q.pid());
        long len = Layout.checkRange("mprotect", q.addr(), q.length());
        Layout.checkProt("mprotect", q.prot());
        long start = q.addr();
        long end = start + len;
        synchronized (s) {
            alive(s);
            vmCalls.increment();
            if (!s.areas.isMapped(start, end)) {
                throw Status.BAD_ADDRESS.toException("mprotect: [0x" + Long.toHexString(start) + ", 0x"
                        + Long.toHexString(end) + ") is not fully mapped in pid " + s.pid);
            }
            List<Vma> before = s.areas.overlapping(start, end);
            List<Run> told = new ArrayList<>();
            try {
                for (Run run : runs(s, start, end)) {
                    callOwner(run.node(), new OwnerProtect(s.pid, run.start(), run.end() - run.start(), q.prot()));
                    told.add(run);
                }
            } catch (RuntimeException e) {
                for (Run run : told) { // put the old protections back where they were changed
                    for (Vma v : before) {
                        long a = Math.max(v.start(), run.start());
                        long b = Math.min(v.end(), run.end());
                        if (a < b) {
                            try {
                                callOwner(run.node(), new OwnerProtect(s.pid, a, b - a, v.prot()));
                            } catch (RuntimeException again) {
                                e.addSuppressed(again);
                            }
                        }
                    }
                }
                throw e;
            }
            s.areas.protect(start, end, q.prot());
            return reply(s, start);
        }
    }

    /** Has the owners write the stored pages of the shared file-backed areas of [start, end) back to their files. */
    private void syncFiles(HomeSpace s, long start, long end) {
        for (Vma piece : s.areas.overlapping(start, end)) {
            if (piece.file() == null || !piece.file().shared()) {
                continue;
            }
            for (Run run : runs(s, piece.start(), piece.end())) {
                callOwner(run.node(), new OwnerFileSync(s.pid, run.start(), run.end() - run.start()));
            }
        }
    }

    // ------------------------------------------------------------------ vRegions and owners

    /**
     * Gives every vRegion of [start, end) an owner (consulting the GMM for new ones) and tells each owner its
     * part of the area. On failure, owners already told forget it again and new vRegion assignments are
     * dropped, so the address space is unchanged.
     */
    private void mapOnOwners(HomeSpace s, long start, long end, int prot) {
        mapOnOwners(s, new Vma(start, end, prot));
    }

    /** As {@link #mapOnOwners(HomeSpace, long, long, int)} for the area {@code area}, anonymous or file-backed. */
    private void mapOnOwners(HomeSpace s, Vma area) {
        long start = area.start();
        long end = area.end();
        LongArrayList assigned = new LongArrayList();
        List<Run> told = new ArrayList<>();
        try {
            long last = (end - 1) >>> shift;
            for (long r = start >>> shift; r <= last; r++) {
                if (!s.owners.containsKey(r)) {
                    long partStart = Math.max(start, r << shift);
                    long partEnd = Math.min(end, (r + 1) << shift);
                    int node = consult(s, partEnd - partStart);
                    s.owners.put(r, node);
                    s.ownersVersion++;
                    assigned.add(r);
                }
            }
            for (Run run : runs(s, start, end)) {
                ensureReplica(s, run.node());
                Vma part = area.slice(run.start(), run.end());
                FileBacking f = part.file();
                callOwner(run.node(), f == null
                        ? new OwnerMap(s.pid, s.vnodeId, run.start(), run.end() - run.start(), part.prot())
                        : new OwnerMapFile(s.pid, s.vnodeId, run.start(), run.end() - run.start(), part.prot(), f.shared(),
                                f.vnodeId(), f.cacheNode(), f.path(), f.offset(), f.size()));
                told.add(run);
            }
        } catch (RuntimeException e) {
            for (Run run : told) {
                try {
                    callOwner(run.node(), new OwnerUnmap(s.pid, run.start(), run.end() - run.start()));
                } catch (RuntimeException again) {
                    e.addSuppressed(again);
                }
            }
            for (int i = 0; i < assigned.size(); i++) {
                s.owners.remove(assigned.getLong(i));
            }
            s.ownersVersion++;
            settleQuota(s); // the grow failed: give back what it reserved
            throw e;
        }
    }

    private int consult(HomeSpace s, long bytes) {
        consults.increment();
        NodeChoice c = rpc.call(managerNode, new Consult(s.vnodeId, s.pid, bytes));
        if (c.nodeId() < 0) {
            throw Status.NO_MEMORY.toException("the GMM found no memory component for a new vRegion of pid " + s.pid);
        }
        return c.nodeId();
    }

    /**
     * With replication, gives the process's vRegions on {@code owner} a replica before their first area goes there:
     * asks the GMM once per (process, owner) and tells the owner. No replica (-1) if the GMM finds no other live
     * memory component; asked again at the next new area then.
     */
    private void ensureReplica(HomeSpace s, int owner) {
        Pairing p = planReplica(s, owner);
        if (p == null) {
            return;
        }
        try {
            callOwner(owner, new SetReplica(s.pid, s.vnodeId, p.replica(), p.epoch()));
        } finally {
            s.seeding.remove(owner);
        }
        s.replicaOf.put(owner, p.replica());
    }

    /** A replica being named for the process's vRegions on {@code owner}, its pages copied outside the space's lock. */
    private record Pairing(HomeSpace space, int owner, int replica, long epoch) {
    }

    /**
     * With {@code s}'s lock held: asks the GMM for a replica for the process's vRegions on {@code owner} and reserves
     * it; null if there is none now or one is being named. {@link #nameReplica} then does the copy without the lock
     * (an owner with pages), or {@link #ensureReplica} at once (an owner about to get its first area).
     */
    private Pairing planReplica(HomeSpace s, int owner) {
        if (replicas < 2 || s.replicaOf.get(owner) >= 0 || s.seeding.contains(owner)
                || System.nanoTime() - s.askReplicaAfterNanos < 0) {
            return null;
        }
        NodeChoice c = rpc.call(managerNode, new ReplicaConsult(s.vnodeId, s.pid, owner, -1, 0));
        if (c.nodeId() < 0 || c.nodeId() == owner) {
            s.askReplicaAfterNanos = System.nanoTime() + NO_REPLICA_RETRY_NANOS;
            return null;
        }
        s.seeding.add(owner);
        return new Pairing(s, owner, c.nodeId(), ++s.epoch);
    }

    /**
     * Without the space's lock: the owner sends the new replica every area and page it holds
     * ({@code M2M_SET_REPLICA}, throttled to {@code memory.reReplicationBytesPerSecond}) while the program runs and
     * its VM calls are served; then the pairing is recorded, unless the owner or the replica was declared dead
     * meanwhile. Until then the vRegions have no replica (a failure of their owner loses them, as before the join).
     * Never throws; returns whether the replica was named.
     */
    private boolean nameReplica(Pairing p) {
        HomeSpace s = p.space();
        RuntimeException failure = null;
        long t0 = System.nanoTime();
        try {
            callOwner(p.owner(), new SetReplica(s.pid, s.vnodeId, p.replica(), p.epoch()));
        } catch (RuntimeException e) {
            failure = e;
        }
        synchronized (s) {
            s.seeding.remove(p.owner());
            boolean died = s.deadWhileSeeding.contains(p.owner()) || s.deadWhileSeeding.contains(p.replica());
            if (s.seeding.isEmpty()) {
                s.deadWhileSeeding.clear();
            }
            if (failure != null || died || s.destroyed || s.replicaOf.get(p.owner()) >= 0) {
                if (failure != null && s.replicaOf.get(p.owner()) >= 0) { // a failover's PROMOTE paired them meanwhile
                    log.info("pid {}: its vRegions on memory component {} got replica {} from a failover meanwhile; "
                            + "naming {} gave way: {}", s.pid, p.owner(), s.replicaOf.get(p.owner()), p.replica(),
                            failure.getMessage());
                } else if (failure != null) {
                    log.warn("pid {}: no replica for its vRegions on memory component {}: {}", s.pid, p.owner(),
                            failure.getMessage());
                }
                return false;
            }
            s.replicaOf.put(p.owner(), p.replica());
            syncHome(s); // the home replica knows it before anyone can count on it
            replicasRestored.increment();
        }
        log.info("pid {}: its vRegions on memory component {} have a replica again, on {} (copied in {} ms)", s.pid,
                p.owner(), p.replica(), (System.nanoTime() - t0) / 1_000_000);
        return true;
    }

    /** Stops copying pages to new replicas (the component shuts down; copies in flight fail with it). */
    public void close() {
        seeders.shutdownNow();
        retries.shutdownNow();
    }

    /**
     * Runs {@link #failoverSpace} of {@code s} for {@code dead} (whose failure {@code failed} records) again in
     * {@link #FAILOVER_RETRY_MILLIS}; {@code s}'s monitor held.
     */
    private void retryFailover(HomeSpace s, int dead, HomeSpace.FailedFailover failed) {
        if (failed.scheduled) {
            return; // one is due already (adoption and the manager's notice both fail over the adopted space)
        }
        failed.scheduled = true;
        try {
            retries.schedule(() -> {
                List<Pairing> pairings = new ArrayList<>();
                synchronized (s) {
                    failed.scheduled = false;
                    if (spaces.get(s.pid) == s) { // not handed over or dropped meanwhile
                        failoverSpace(s, dead, pairings);
                    }
                }
                nameReplicas(pairings);
            }, FAILOVER_RETRY_MILLIS, java.util.concurrent.TimeUnit.MILLISECONDS);
        } catch (java.util.concurrent.RejectedExecutionException closing) {
            log.info("pid {}: failover from memory component {} not tried again: this component is closing", s.pid,
                    dead);
        }
    }

    /** Runs {@link #nameReplica} for each pairing on the seeding pool (it may take seconds per process). */
    private void nameReplicas(List<Pairing> pairings) {
        for (Pairing p : pairings) {
            try {
                seeders.execute(() -> nameReplica(p));
            } catch (java.util.concurrent.RejectedExecutionException closing) {
                synchronized (p.space()) {
                    p.space().seeding.remove(p.owner());
                }
            }
        }
    }

    /**
     * Memory component {@code dead} was declared dead: for every process homed here, the vRegions it owned move to
     * their replica, which is promoted to owner ({@code M2M_PROMOTE}) with a new replica if the GMM finds one, and
     * the owner map's version is raised so processors pick the change up. Owners that replicated to {@code dead}
     * run without a replica (they drop it themselves) until a new area asks for one. A process whose vRegions there
     * had no replica keeps {@code dead} in its map: its accesses there fail, naming it. Never throws.
     */
    public void failover(int dead) {
        declaredDead.add(dead);
        List<Pairing> pairings = new ArrayList<>();
        for (HomeSpace s : spaces.values()) {
            synchronized (s) {
                failoverSpace(s, dead, pairings);
            }
        }
        nameReplicas(pairings);
    }

    /**
     * {@link #failover} of one address space, its monitor held; owners whose replica died get a new one, whose copy
     * is added to {@code pairings} to run without the lock.
     */
    private void failoverSpace(HomeSpace s, int dead, List<Pairing> pairings) {
        if (s.destroyed) {
            return;
        }
        if (!s.seeding.isEmpty()) {
            s.deadWhileSeeding.add(dead);
        }
        if (s.homeReplica == dead) { // the copy of this metadata died: another one now
            s.homeReplica = -1;
            s.lastSynced = null;
            syncHome(s);
        }
        IntOpenHashSet unreplicated = new IntOpenHashSet();
        for (var e : s.replicaOf.int2IntEntrySet()) {
            if (e.getIntValue() == dead && e.getIntKey() != dead) {
                e.setValue(-1);
                unreplicated.add(e.getIntKey());
            }
        }
        // owners whose replica died get a new one now (the owner sends it everything it holds, without this lock)
        s.askReplicaAfterNanos = System.nanoTime();
        for (int o : unreplicated) {
            try {
                Pairing p = planReplica(s, o);
                if (p != null) {
                    pairings.add(p);
                    log.info("pid {}: the replica of its vRegions on memory component {} moves from {} to {}", s.pid,
                            o, dead, p.replica());
                }
            } catch (RuntimeException e) {
                log.warn("pid {}: no new replica for its vRegions on memory component {}: {}", s.pid, o,
                        e.getMessage());
            }
        }
        if (!s.owners.containsValue(dead)) {
            return;
        }
        long t0 = System.nanoTime();
        int target = s.replicaOf.remove(dead);
        if (target < 0) {
            log.error("pid {}: memory component {} died holding vRegions without a replica: their pages are lost",
                    s.pid, dead);
            s.lostOwners.add(dead); // processors fail their accesses there at once (ownerMap)
            s.ownersVersion++;
            return;
        }
        try {
            int next = s.replicaOf.get(target); // target owns vRegions of its own already: keep their replica
            if (declaredDead.contains(next)) {
                next = -1; // unless that died too (an adoption fails over several dead components in turn)
            }
            if (next < 0 && replicas >= 2) {
                NodeChoice c = rpc.call(managerNode, new ReplicaConsult(s.vnodeId, s.pid, target, dead, 0));
                next = c.nodeId() == target ? -1 : c.nodeId();
            }
            callOwner(target, new Promote(s.pid, s.vnodeId, dead, next, ++s.epoch));
            s.replicaOf.put(target, next);
        } catch (RuntimeException e) {
            // the replica still holds the pages: keep it paired with the dead owner and try again shortly (a lost
            // message or a slow replica must not turn into lost memory); if the replica dies too, failover(replica)
            // unpairs them and the next attempt reports the pages lost
            s.replicaOf.put(dead, target);
            HomeSpace.FailedFailover failed = s.failedFailovers.computeIfAbsent(dead, d -> new HomeSpace.FailedFailover());
            int attempt = ++failed.attempts;
            boolean noCopy = e instanceof org.legoos.api.LegoException l && Status.of(l) == Status.NOT_FOUND;
            if (attempt <= MAX_FAILOVER_ATTEMPTS && !noCopy) {
                log.warn("pid {}: failover of its vRegions from memory component {} to {} failed (attempt {} of {}, "
                        + "tried again in {} ms): {}", s.pid, dead, target, attempt, MAX_FAILOVER_ATTEMPTS,
                        FAILOVER_RETRY_MILLIS, e.getMessage());
                retryFailover(s, dead, failed);
            } else {
                log.error("pid {}: failover of its vRegions from memory component {} to {} failed ({} attempts); "
                        + "their pages are lost: {}", s.pid, dead, target, attempt, e.getMessage());
                s.failedFailovers.remove(dead); // no retry follows
                s.replicaOf.remove(dead);
                s.lostOwners.add(dead);
                s.ownersVersion++;
            }
            return;
        }
        s.failedFailovers.remove(dead);
        int moved = 0;
        for (var e : s.owners.long2IntEntrySet()) {
            if (e.getIntValue() == dead) {
                e.setValue(target);
                moved++;
            }
        }
        s.ownersVersion++;
        failovers.increment();
        log.info("pid {}: {} vRegion(s) failed over from memory component {} to {} (replica now {}) in {} ms",
                s.pid, moved, dead, target, s.replicaOf.get(target), (System.nanoTime() - t0) / 1_000_000);
    }

    /**
     * Memory component {@code joined} serves (again, if it was declared dead: it dropped what it held first): no
     * adoption fails its vRegions over from now on; then {@link #restoreRedundancy()}. Returns the replicas named.
     */
    public int joined(int joined) {
        declaredDead.remove(joined);
        return restoreRedundancy();
    }

    /**
     * Another memory component serves now: every process homed here whose owners or home metadata run without a
     * replica gets one, if the GMM finds one (each owner sends its new replica everything it holds first). Returns
     * the number of replicas named. Never throws.
     */
    public int restoreRedundancy() {
        if (replicas < 2) {
            return 0;
        }
        int named = 0;
        List<Pairing> pairings = new ArrayList<>();
        for (HomeSpace s : spaces.values()) {
            synchronized (s) {
                if (s.destroyed) {
                    continue;
                }
                s.askReplicaAfterNanos = System.nanoTime();
                for (int o : new IntOpenHashSet(s.owners.values())) {
                    try {
                        Pairing p = planReplica(s, o);
                        if (p != null) {
                            pairings.add(p);
                            named++;
                        }
                    } catch (RuntimeException e) {
                        log.warn("pid {}: no replica for its vRegions on memory component {}: {}", s.pid, o, e.getMessage());
                    }
                    s.askReplicaAfterNanos = System.nanoTime();
                }
                if (s.homeReplica < 0) {
                    syncHome(s);
                    if (s.homeReplica >= 0) {
                        named++;
                    }
                }
            }
        }
        nameReplicas(pairings);
        return named;
    }

    /** Unmaps [start, end) at the home and on the owners of its mapped parts. */
    private void unmapRange(HomeSpace s, long start, long end) {
        syncFiles(s, start, end); // a shared file mapping's stores reach the file before its pages are freed
        RuntimeException failure = null;
        for (Vma piece : s.areas.overlapping(start, end)) {
            for (Run run : runs(s, piece.start(), piece.end())) {
                try {
                    callOwner(run.node(), new OwnerUnmap(s.pid, run.start(), run.end() - run.start()));
                } catch (RuntimeException e) {
                    if (failure == null) {
                        failure = e;
                    } else {
                        failure.addSuppressed(e);
                    }
                }
            }
        }
        // the mapping is gone even if an owner could not be told: its stale area is replaced by the next
        // M2M_MMAP of the range (which drops old pages) or freed at process exit
        s.areas.remove(start, end);
        settleQuota(s);
        if (failure != null) {
            throw failure;
        }
    }

    /**
     * mremap's move: maps the new range, brings the contents of the old one over (frames moved in place when
     * both sides have the same owner, pages copied when they differ), then unmaps the old range.
     */
    private void move(HomeSpace s, long from, long oldLen, long to, long newLen, int prot) {
        mapOnOwners(s, to, to + newLen, prot);
        List<Run> sameOwner = new ArrayList<>(); // start = source, end = source end, node = the owner; dst = to + (start - from)
        try {
            long o = 0;
            while (o < oldLen) {
                long end = Math.min(oldLen, Math.min(nextBoundary(from + o) - from, nextBoundary(to + o) - to));
                int src = s.owners.get((from + o) >>> shift);
                int dst = s.owners.get((to + o) >>> shift);
                // extend over following segments with the same pair of owners
                while (end < oldLen && s.owners.get((from + end) >>> shift) == src && s.owners.get((to + end) >>> shift) == dst) {
                    end = Math.min(oldLen, Math.min(nextBoundary(from + end) - from, nextBoundary(to + end) - to));
                }
                if (src >= 0 && src == dst) {
                    sameOwner.add(new Run(src, from + o, from + end));
                } else if (src >= 0) {
                    copyPages(s, src, from + o, dst, to + o, end - o);
                }
                o = end;
            }
            for (Run run : sameOwner) {
                callOwner(run.node(), new OwnerMovePages(s.pid, run.start(), to + (run.start() - from), run.end() - run.start()));
            }
        } catch (RuntimeException e) {
            for (Run run : runs(s, to, to + newLen)) {
                try {
                    callOwner(run.node(), new OwnerUnmap(s.pid, run.start(), run.end() - run.start()));
                } catch (RuntimeException again) {
                    e.addSuppressed(again);
                }
            }
            settleQuota(s);
            throw e;
        }
        s.areas.add(to, to + newLen, prot);
        unmapRange(s, from, from + oldLen);
    }

    private long nextBoundary(long addr) {
        return ((addr >>> shift) + 1) << shift;
    }

    /** Copies the stored pages of [src, src+len) on {@code srcNode} to [dst, ...) on {@code dstNode}. */
    private void copyPages(HomeSpace s, int srcNode, long src, int dstNode, long dst, long len) {
        long at = src;
        long end = src + len;
        while (at < end) {
            PageSet ps = callOwner(srcNode, new OwnerReadPages(s.pid, at, end - at, COPY_BATCH_PAGES));
            long[] vaddrs = ps.vaddrs();
            if (vaddrs.length > 0) {
                long[] moved = new long[vaddrs.length];
                for (int i = 0; i < vaddrs.length; i++) {
                    if (vaddrs[i] < at || vaddrs[i] >= end) {
                        throw Status.INTERNAL.toException("memory component " + srcNode + " returned page 0x"
                                + Long.toHexString(vaddrs[i]) + " outside the range asked for");
                    }
                    moved[i] = vaddrs[i] - src + dst;
                }
                callOwner(dstNode, new OwnerWritePages(s.pid, moved, ps.data()));
                pagesCopied.add(vaddrs.length);
            }
            if (ps.next() <= at) {
                throw Status.INTERNAL.toException("memory component " + srcNode + " made no progress reading pages");
            }
            at = Math.min(ps.next(), end);
        }
    }

    /** The owner runs of the vRegions of [start, end) that have owners, in address order. */
    private List<Run> runs(HomeSpace s, long start, long end) {
        List<Run> out = new ArrayList<>();
        Run cur = null;
        for (Long2IntMap.Entry e : s.owners.subMap(start >>> shift, ((end - 1) >>> shift) + 1).long2IntEntrySet()) {
            long r = e.getLongKey();
            int node = e.getIntValue();
            long a = Math.max(start, r << shift);
            long b = Math.min(end, (r + 1) << shift);
            if (cur != null && cur.node() == node && cur.end() == a) {
                cur = new Run(node, cur.start(), b);
            } else {
                if (cur != null) {
                    out.add(cur);
                }
                cur = new Run(node, a, b);
            }
        }
        if (cur != null) {
            out.add(cur);
        }
        return out;
    }

    private <R extends Message> R callOwner(int node, Request<R> q) {
        try {
            return callOwnerOnce(node, q);
        } catch (LegoException e) {
            if (Status.of(e) != Status.SUPERSEDED) {
                throw e;
            }
            // an owner this home's adoption could not tell (M2M_SET_HOME) still knows the old home only: tell it now,
            // with this home's epoch (which it refuses if a newer home told it meanwhile), and ask again
            long pid = VRegionOwner.homeRequestPid(q);
            HomeSpace s = pid < 0 ? null : spaces.get(pid);
            if (s == null) {
                throw e;
            }
            long epoch;
            synchronized (s) {
                if (!s.ownersToTell.contains(node)) {
                    throw e;
                }
                epoch = s.epoch;
            }
            callOwnerOnce(node, new SetHome(pid, rpc.nodeId(), epoch));
            synchronized (s) {
                s.ownersToTell.remove(node);
            }
            log.info("pid {}: memory component {} was told its new home {} late, after it refused a change", pid, node,
                    rpc.nodeId());
            return callOwnerOnce(node, q);
        }
    }

    private <R extends Message> R callOwnerOnce(int node, Request<R> q) {
        return node == rpc.nodeId() ? localOwner.serveLocal(q) : rpc.call(node, q);
    }

    // ------------------------------------------------------------------ helpers

    /**
     * The reply to a VM call of {@code s} (its monitor held), after the call's changes reached the home replica: a
     * change the processor saw acknowledged survives the home's death.
     */
    private MapReply reply(HomeSpace s, long addr) {
        syncHome(s);
        return ownerMap(s, addr);
    }

    /** {@code s}'s owner map as a reply (its monitor held), with {@code addr}, its version and its home replica. */
    private MapReply ownerMap(HomeSpace s, long addr) {
        return new MapReply(addr, vregionBytes, s.owners.keySet().toLongArray(), s.owners.values().toIntArray(),
                s.ownersVersion, s.homeReplica, s.lostOwners.toIntArray());
    }

    // ------------------------------------------------------------------ home replication

    /**
     * Sends the whole metadata of {@code s} (its monitor held) to its home replica if it changed since the last send,
     * choosing a replica first if it has none (replicas 2). A replica that does not acknowledge is dropped (told so,
     * best effort) and another is chosen at the next change; the call itself succeeds: its changes are on the home.
     */
    private void syncHome(HomeSpace s) {
        if (replicas < 2) {
            return;
        }
        int failed = syncHomeOnce(s, -1);
        if (failed >= 0) {
            syncHomeOnce(s, failed); // the replica did not take it and was dropped: choose another now
        }
    }

    /**
     * One attempt of {@link #syncHome}, choosing a replica other than {@code avoid} if there is none; returns the
     * replica that did not take the metadata (and was dropped), or -1.
     */
    private int syncHomeOnce(HomeSpace s, int avoid) {
        if (s.homeReplica < 0) {
            NodeChoice c;
            try {
                c = rpc.call(managerNode, new ReplicaConsult(s.vnodeId, s.pid, rpc.nodeId(), avoid, 0));
            } catch (LegoException e) {
                log.warn("pid {}: no replica for its home metadata: {}", s.pid, e.getMessage());
                return -1;
            }
            if (c.nodeId() < 0 || c.nodeId() == rpc.nodeId()) {
                return -1; // none to be had
            }
            s.homeReplica = c.nodeId();
            s.lastSynced = null;
        }
        byte[] state = HomeState.encode(s);
        if (java.util.Arrays.equals(state, s.lastSynced)) {
            return -1;
        }
        try {
            rpc.call(s.homeReplica, new HomeSync(s.pid, rpc.nodeId(), ++s.syncSeq, java.nio.ByteBuffer.wrap(state)));
            s.lastSynced = state;
            return -1;
        } catch (LegoException e) {
            log.warn("pid {}: home replica on memory component {} did not take its metadata ({}): choosing another",
                    s.pid, s.homeReplica, e.getMessage());
            int failed = s.homeReplica;
            dropHomeCopy(s);
            return failed;
        }
    }

    /** Tells the home replica of {@code s} to drop its copy (best effort, not waited for) and forgets it. */
    private void dropHomeCopy(HomeSpace s) {
        int r = s.homeReplica;
        if (r < 0) {
            return;
        }
        s.homeReplica = -1;
        s.lastSynced = null;
        rpc.callAsync(r, new HomeSync(s.pid, rpc.nodeId(), ++s.syncSeq, java.nio.ByteBuffer.allocate(0)),
                java.time.Duration.ofSeconds(10)).exceptionally(e -> null);
    }

    /** {@code M2M_HOME_SYNC}: keeps the newest copy of a home's metadata (an empty one drops it). */
    public Ack homeSync(HomeSync q) {
        byte[] state = new byte[q.state().remaining()];
        q.state().duplicate().get(state);
        if (state.length > 0) {
            HomeState.decode(state, q.pid(), heapStart); // a copy this component could not take over with is refused now
        }
        copies.compute(q.pid(), (pid, old) -> {
            if (old != null && old.home() == q.home() && old.seq() >= q.seq()) {
                return old; // a late, older copy
            }
            return state.length == 0 ? null : new HomeCopy(q.home(), q.seq(), state);
        });
        return Ack.INSTANCE;
    }

    /** Bytes of home metadata kept here as copies of other homes'. */
    public long homeCopyBytes() {
        long n = 0;
        for (HomeCopy c : copies.values()) {
            n += c.state().length;
        }
        return n;
    }

    /**
     * Memory component {@code dead} was declared dead: this component becomes the home of every process whose
     * metadata it holds a copy of from {@code dead}, with a new home replica if the GMM finds one. Run before
     * {@link #failover}, which then moves the adopted processes' vRegions off {@code dead} too. Never throws.
     */
    public void adoptHomesOf(int dead) {
        declaredDead.add(dead);
        List<Pairing> pairings = new ArrayList<>();
        for (var e : copies.entrySet()) {
            HomeCopy c = e.getValue();
            if (c.home() != dead || !copies.remove(e.getKey(), c)) {
                continue;
            }
            HomeSpace s = HomeState.decode(c.state(), e.getKey(), heapStart);
            if (spaces.containsKey(s.pid)) {
                log.warn("pid {}: already homed here; its copy from memory component {} is dropped", s.pid, dead);
                continue;
            }
            homesAdopted.increment();
            synchronized (s) { // not yet visible: processors get NOT_FOUND (not yet) until it is whole
                // the owners take pid's area changes from this component only from now on (the old home may only
                // have been stopped, and still hold calls it received before)
                IntOpenHashSet owners = new IntOpenHashSet(s.owners.values());
                owners.remove(dead);
                for (int o : owners) {
                    try {
                        callOwner(o, new SetHome(s.pid, rpc.nodeId(), s.epoch));
                    } catch (RuntimeException failed) {
                        s.ownersToTell.add(o); // told again when it refuses a change (callOwner)
                        log.warn("pid {}: memory component {} was not told its new home (told again when it refuses a "
                                + "change): {}", s.pid, o, failed.getMessage());
                    }
                }
                // before any call can reach them: what involves components declared dead before (the old home may
                // have died before, or while, it failed them over: that failover died with it), then its vRegions on
                // the dead home itself
                for (int gone : declaredDead) {
                    if (gone != dead && (s.owners.containsValue(gone) || s.replicaOf.containsValue(gone))) {
                        log.info("pid {}: memory component {} was declared dead before its home {}: failed over now",
                                s.pid, gone, dead);
                        failoverSpace(s, gone, pairings);
                    }
                }
                failoverSpace(s, dead, pairings);
                syncHome(s);
            }
            if (spaces.putIfAbsent(s.pid, s) != null) {
                log.warn("pid {}: already homed here; its copy from memory component {} is dropped", s.pid, dead);
                continue;
            }
            log.info("pid {}: memory component {} took over as its home from memory component {} (change {}, {} areas, "
                    + "home replica now {})", s.pid, rpc.nodeId(), dead, c.seq(), s.areas.areas().size(), s.homeReplica);
            try { // one way: the manager frees a lost process's memory at its home, and shows it
                rpc.send(managerNode, new org.legoos.net.protocol.gm.HomeMoved(s.pid, rpc.nodeId()));
            } catch (RuntimeException notSent) {
                log.info("pid {}: the manager was not told of its new home: {}", s.pid, notSent.getMessage());
            }
        }
        nameReplicas(pairings);
    }

    /**
     * This component is a new incarnation at the address of an earlier one (restarted), which may have been the home
     * of any pid below {@code pid}: a call for such a pid that finds no process here is answered UNAVAILABLE, so the
     * processor goes to the home replica, which adopted it.
     */
    public void forgetPidsBefore(long pid) {
        pidsOfEarlierIncarnation = Math.max(pidsOfEarlierIncarnation, pid);
    }

    private HomeSpace space(long pid) {
        HomeSpace s = spaces.get(pid);
        if (s == null) {
            if (pid < pidsOfEarlierIncarnation) {
                throw Status.UNAVAILABLE.toException("pid " + pid + ": memory component " + rpc.nodeId() + " restarted "
                        + "and is no longer its home; its home replica took over");
            }
            if (fencedPids.contains(pid)) {
                throw Status.UNAVAILABLE.toException("pid " + pid + ": memory component " + rpc.nodeId() + " was declared "
                        + "dead and is no longer its home; its home replica took over");
            }
            throw noSpace(pid);
        }
        return s;
    }

    /**
     * This component was declared dead while it was only stopped or cut off, and its processes were adopted by their
     * home replicas: it drops them (without touching their owners, which serve the new homes) and its copies of other
     * homes' metadata. Their calls are answered UNAVAILABLE from then on, so processors go to the home replica.
     */
    public void fence() {
        for (HomeSpace s : List.copyOf(spaces.values())) {
            fencedPids.add(s.pid); // before it vanishes: a call in between reads UNAVAILABLE, not NOT_FOUND
            if (spaces.remove(s.pid, s)) {
                synchronized (s) {
                    s.destroyed = true;
                }
            }
        }
        copies.clear();
    }

    private LegoException noSpace(long pid) {
        return Status.NOT_FOUND.toException("memory component " + rpc.nodeId() + " is not the home of pid " + pid);
    }

    private void alive(HomeSpace s) {
        if (s.destroyed) {
            throw noSpace(s.pid);
        }
    }

    /**
     * Reserves {@code extra} more bytes for the process against its vNode's memory quota, before it grows. The quota
     * is per vNode and its processes may have different homes, so the GMM holds it: this tells the GMM the bytes the
     * process will map ({@code MEMORY_USAGE}, absolute, so a stale reservation of a failed call is overwritten), and
     * the GMM refuses with QUOTA naming the vNode, its quota and usage. A grow that this process alone cannot fit is
     * refused here without asking. Called under the space's monitor, which only this process's calls wait for (as
     * for CONSULT); the GMM answers from memory under its own lock.
     */
    private void reserveQuota(HomeSpace s, long extra) {
        if (s.quotaBytes <= 0) {
            return;
        }
        long mapped = s.areas.mappedBytes();
        if (extra > s.quotaBytes - mapped) {
            throw Status.QUOTA.toException("vNode " + s.vnodeId + ": pid " + s.pid + " mapping " + extra
                    + " more bytes would exceed the vNode's memory quota of " + s.quotaBytes + " bytes (this process alone maps "
                    + mapped + ")");
        }
        rpc.call(managerNode, new MemoryUsage(s.vnodeId, s.pid, mapped + extra, true));
        s.reportedBytes = mapped + extra;
    }

    /**
     * After a shrink, a failed grow or exit: tells the GMM what the process really maps now, giving the rest of the
     * vNode's quota back. Best effort (a lost report only keeps the quota on the safe side until the next one, and
     * the GMM forgets the process at its exit anyway).
     */
    private void settleQuota(HomeSpace s) {
        long mapped = s.areas.mappedBytes();
        if (s.quotaBytes <= 0 || s.reportedBytes == mapped) {
            return;
        }
        try {
            rpc.call(managerNode, new MemoryUsage(s.vnodeId, s.pid, mapped, false));
            s.reportedBytes = mapped;
        } catch (RuntimeException e) {
            log.warn("pid {}: could not report its {} mapped bytes to the GMM: {}", s.pid, mapped, e.getMessage());
        }
    }

    private static LegoException invalid(String message) {
        return Status.INVALID_ARGUMENT.toException(message);
    }
}
