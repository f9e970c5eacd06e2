package org.legoos.processor.mm;

import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.util.concurrent.atomic.AtomicReferenceArray;
import org.legoos.api.ComponentUnavailableException;
import org.legoos.api.SegmentationFault;
import org.legoos.net.protocol.p2m.PageData;
import org.legoos.net.protocol.p2m.PcacheFlush;
import org.legoos.net.protocol.p2m.PcacheMiss;
import org.legoos.net.rpc.RpcNode;
import org.legoos.processor.excache.LineBackend;

/**
 * The ExCache's way to the memory components: routes each miss and flush of an address space to the owner
 * of its vRegion ({@code P2M_PCACHE_MISS}, {@code P2M_PCACHE_FLUSH}), zero-fills pages that were never
 * materialised without any round trip, faults addresses outside every mapping locally, and piggybacks a dirty
 * victim on the miss when both go to the same memory component.
 *
 * <p>Thread-safe; called by the ExCache under a set lock (see {@link LineBackend}).
 */
public final class ExCacheBackend implements LineBackend {
    private static final ByteBuffer NO_VICTIM = ByteBuffer.allocate(0);
    private final RpcNode rpc;
    private final AtomicReferenceArray<RemoteAddressSpace> spaces;

    public ExCacheBackend(RpcNode rpc, int maxProcesses) {
        this.rpc = rpc;
        this.spaces = new AtomicReferenceArray<>(maxProcesses);
    }

    /** Binds an address space to a free ExCache asid and returns the asid. */
    int attach(RemoteAddressSpace space) {
        for (int i = 1; i < spaces.length(); i++) {
            if (spaces.compareAndSet(i, null, space)) {
                return i;
            }
        }
        throw new IllegalStateException("too many processes on this processor component (" + (spaces.length() - 1) + ")");
    }

    void detach(int asid) {
        spaces.set(asid, null);
    }

    private RemoteAddressSpace space(int asid) {
        RemoteAddressSpace s = spaces.get(asid);
        if (s == null) {
            throw new IllegalStateException("no address space with asid " + asid);
        }
        return s;
    }

    @Override
    public Fill fill(int asid, long vpn, MemorySegment dst, int victimAsid, long victimVpn, MemorySegment victimData) {
        RemoteAddressSpace space = space(asid);
        long va = vpn << 12;
        VmMirror vm = space.vm();
        VmMirror.PageState state = vm.pageState(vpn);
        if (state == VmMirror.PageState.UNMAPPED) {
            if (victimData != null) {
                flush(victimAsid, victimVpn, victimData);
            }
            throw new SegmentationFault("pid " + space.pid() + ": address 0x" + Long.toHexString(va) + " is not mapped");
        }
        if (state == VmMirror.PageState.NEVER_WRITTEN) {
            if (victimData != null) {
                flush(victimAsid, victimVpn, victimData);
            }
            dst.fill((byte) 0);
            return Fill.ZERO_FILLED;
        }
        int owner = vm.ownerOf(va);
        if (owner < 0) {
            throw new SegmentationFault("pid " + space.pid() + ": no memory component owns 0x" + Long.toHexString(va));
        }
        boolean piggyback = false;
        ByteBuffer victim = NO_VICTIM;
        long victimVa = 0;
        if (victimData != null) {
            RemoteAddressSpace vs = space(victimAsid);
            if (vs == space && vs.vm().ownerOf(victimVpn << 12) == owner) {
                piggyback = true;
                victim = victimData.asByteBuffer();
                victimVa = victimVpn << 12;
            } else {
                flush(victimAsid, victimVpn, victimData);
            }
        }
        PageData page;
        try {
            page = rpc.call(owner, new PcacheMiss(space.pid(), va, 1, victimVa, victim));
        } catch (ComponentUnavailableException e) {
            throw unavailable(space, owner, va, e);
        }
        if (piggyback) {
            vm.markMaterialised(victimVpn);
        }
        ByteBuffer data = page.data();
        if (data.remaining() != 4096) {
            throw new IllegalStateException("memory component " + owner + " sent " + data.remaining() + " bytes for a page");
        }
        MemorySegment.copy(MemorySegment.ofBuffer(data), 0, dst, 0, 4096);
        return piggyback ? Fill.FETCHED_WITH_PIGGYBACK : Fill.FETCHED;
    }

    /** The error a program sees when the memory component holding its page is gone (no replication yet). */
    private static ComponentUnavailableException unavailable(RemoteAddressSpace space, int owner, long va,
                                                             ComponentUnavailableException cause) {
        var e = new ComponentUnavailableException(cause.status(), "pid " + space.pid() + ": memory component node " + owner
                + " holding address 0x" + Long.toHexString(va) + " is unavailable (" + cause.getMessage()
                + "); this process's memory there is lost");
        e.initCause(cause);
        return e;
    }

    @Override
    public void flush(int asid, long vpn, MemorySegment src) {
        RemoteAddressSpace space = space(asid);
        long va = vpn << 12;
        int owner = space.vm().ownerOf(va);
        if (owner < 0 || !space.vm().isMapped(va)) {
            return; // the range was unmapped meanwhile: its data is dead
        }
        try {
            rpc.call(owner, new PcacheFlush(space.pid(), new long[] {va}, src.asByteBuffer()));
        } catch (ComponentUnavailableException e) {
            throw unavailable(space, owner, va, e);
        }
        space.vm().markMaterialised(vpn);
    }
}
