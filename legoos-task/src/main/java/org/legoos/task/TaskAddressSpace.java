package org.legoos.task;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.VarHandle;
import java.util.function.LongSupplier;
import org.legoos.api.AddressSpace;
import org.legoos.api.LegoException;
import org.legoos.api.SegmentationFault;
import org.legoos.api.UserSpace;
import org.legoos.task.channel.Body;
import org.legoos.task.channel.Syscall;
import org.legoos.task.channel.SyscallClient;
import org.legoos.task.sys.Linux;
import org.legoos.task.sys.PoisonLease;
import org.legoos.task.sys.Userfaultfd;

/**
 * A process's address space in process mode, as its program sees it in its own JVM: the whole user address space
 * {@code [MIN_ADDR, TASK_SIZE)} is one shared mapping of a memory file at the LegoOS addresses themselves, so
 * {@link #getLong} is a plain load of a {@link MemorySegment} and {@link #segment} hands the program a segment over its
 * own mapping that any library can use at hardware speed.
 *
 * <p>The pages are not there until touched: the range is registered with a userfaultfd (missing and write-protect
 * faults) whose other end is the processor component (PROCESSES.md). A miss blocks the faulting thread in the kernel
 * until the processor has fetched the page from its memory component and installed it; the first store to a page
 * blocks until the processor has marked it dirty. Pages the processor cannot serve (not mapped, no permission, a lost
 * memory component) are poisoned: the access raises {@code InternalError}, and this class asks the processor why (the
 * FAULT system call) and throws the answer, {@link SegmentationFault} for a bad address, or retries if the access is
 * good by now (another thread's bad store had poisoned a page this access may read).
 *
 * <p>VM calls are system calls to the processor component, which runs them exactly as thread mode does (the home
 * memory component, the mirror, the cache of resident pages); this side only clears stale poison from ranges that
 * become mapped.
 *
 * <p>Thread-safe. Kernel accesses to non-resident pages fail (user-mode-only userfaultfd): never pass a segment of this
 * space to a system call; the bulk methods copy through the heap.
 */
public final class TaskAddressSpace implements AddressSpace {
    private static final long BASE = UserSpace.MIN_ADDR;
    private static final long SIZE = UserSpace.TASK_SIZE - UserSpace.MIN_ADDR;
    /** The whole user address space; static final so the JIT folds its base and bounds into every access. */
    private static final MemorySegment ALL = MemorySegment.ofAddress(BASE).reinterpret(SIZE);
    private static final ValueLayout.OfLong LONG = ValueLayout.JAVA_LONG_UNALIGNED;
    private static final ValueLayout.OfInt INT = ValueLayout.JAVA_INT_UNALIGNED;
    private static final int MAX_RETRIES = 10_000;
    /** The processor's poison lease (PoisonLease), read after every access: static final, so its address folds. */
    private static final MemorySegment LEASE_WORD = MemorySegment.ofAddress(PoisonLease.ADDRESS).reinterpret(8);
    private static final PoisonLease LEASE = PoisonLease.ofTask();

    private final SyscallClient sys;
    /** Kept open for the life of the task: closing it would make faults read zero pages instead of waiting. */
    private final Userfaultfd uffd;

    private TaskAddressSpace(SyscallClient sys, Userfaultfd uffd) {
        this.sys = sys;
        this.uffd = uffd;
    }

    /**
     * Maps the user address space over a new memory file, registers it with a new userfaultfd and hands both to the
     * processor component (MEMORY_ATTACH), which serves the faults from then on. Call once, before the sandbox.
     */
    public static TaskAddressSpace attach(SyscallClient client) {
        if (java.nio.ByteOrder.nativeOrder() != java.nio.ByteOrder.LITTLE_ENDIAN) {
            throw new IllegalStateException("process mode needs a little-endian machine");
        }
        int memfd = Linux.memfdCreate("legoos-memory", Linux.MFD_CLOEXEC);
        Linux.ftruncate(memfd, PoisonLease.ADDRESS + PoisonLease.PAGE);
        long at = Linux.mmap(BASE, SIZE, Linux.PROT_READ | Linux.PROT_WRITE,
                Linux.MAP_SHARED | Linux.MAP_FIXED_NOREPLACE | Linux.MAP_NORESERVE, memfd, BASE);
        if (at != BASE) {
            throw new IllegalStateException("the kernel placed the address space at 0x" + Long.toHexString(at));
        }
        // The control page after the user address space (the poison lease): outside the userfaultfd's range.
        Linux.mmap(PoisonLease.ADDRESS, PoisonLease.PAGE, Linux.PROT_READ | Linux.PROT_WRITE,
                Linux.MAP_SHARED | Linux.MAP_FIXED_NOREPLACE, memfd, PoisonLease.ADDRESS);
        LEASE_WORD.set(ValueLayout.JAVA_LONG, 0, 0L); // resident from now on
        Userfaultfd uffd = Userfaultfd.create();
        uffd.register(BASE, SIZE);
        call(client, Syscall.MEMORY_ATTACH, Body.writer().putInt(uffd.fd()).putInt(memfd).toByteArray());
        Linux.close(memfd); // the mapping keeps the file; the processor has its own descriptor
        return new TaskAddressSpace(client, uffd);
    }

    private static byte[] call(SyscallClient sys, Syscall op, byte[] body) {
        try {
            return sys.call(op, body);
        } catch (IOException e) {
            throw new UncheckedIOException(op + ": " + e.getMessage(), e);
        }
    }

    private Body.Reader call(Syscall op, Body.Writer body) {
        return Body.reader(call(sys, op, body.toByteArray()));
    }

    private static SegmentationFault outside(long va) {
        return new SegmentationFault("address 0x" + Long.toHexString(va) + " is outside the user address space [0x"
                + Long.toHexString(BASE) + ", 0x" + Long.toHexString(UserSpace.TASK_SIZE) + ")");
    }

    /**
     * An access to {@code va} raised {@code InternalError}: asks the processor why. Returns if the access may be
     * retried (the poison is cleared), else throws what the processor said.
     */
    private void fault(long va, boolean write, int attempt) {
        if (attempt > MAX_RETRIES) {
            throw new LegoException("INTERNAL", "page 0x" + Long.toHexString(va) + " could not be served after "
                    + MAX_RETRIES + " attempts");
        }
        call(Syscall.FAULT, Body.writer().putLong(va).putBoolean(write));
        long page = va & ~(long) (PAGE_SIZE - 1);
        Linux.madvise(page, PAGE_SIZE, Linux.MADV_DONTNEED); // clears the poison: the next access faults anew
    }

    /**
     * The reason for an {@code InternalError} that escaped a segment of this space (a library's access): what the
     * processor recorded for this process's last poisoned page, or null.
     */
    public String explainLastFault() {
        try {
            call(Syscall.FAULT, Body.writer().putLong(-1).putBoolean(false));
            return null;
        } catch (RuntimeException e) {
            return e.getMessage();
        }
    }

    /** Clears stale poison from a range that has just become mapped (it has no resident pages). */
    private void fresh(long addr, long len) {
        if (len > 0) {
            Linux.madvise(addr, len, Linux.MADV_DONTNEED);
        }
    }

    // ---- VM calls: system calls to the processor component ----

    @Override
    public long mmap(long hint, long length, int prot) {
        long addr = call(Syscall.MMAP, Body.writer().putLong(hint).putLong(length).putInt(prot)).getLong();
        fresh(addr, UserSpace.pageUp(length));
        return addr;
    }

    @Override
    public long mmap(long hint, long length, int prot, int flags, String path, long offset) {
        java.util.Objects.requireNonNull(path, "path");
        long addr = call(Syscall.MMAP_FILE, Body.writer().putLong(hint).putLong(length).putInt(prot).putInt(flags)
                .putLong(offset).putString(path)).getLong();
        fresh(addr, UserSpace.pageUp(length));
        return addr;
    }

    @Override
    public void munmap(long addr, long length) {
        call(Syscall.MUNMAP, Body.writer().putLong(addr).putLong(length));
    }

    @Override
    public long mremap(long oldAddr, long oldLength, long newLength, boolean mayMove) {
        long addr = call(Syscall.MREMAP, Body.writer().putLong(oldAddr).putLong(oldLength).putLong(newLength)
                .putBoolean(mayMove)).getLong();
        long oldLen = UserSpace.pageUp(oldLength);
        long newLen = UserSpace.pageUp(newLength);
        if (addr != oldAddr) {
            fresh(addr, newLen);
        } else if (newLen > oldLen) {
            fresh(addr + oldLen, newLen - oldLen);
        }
        return addr;
    }

    @Override
    public long brk(long newBreak) {
        Body.Reader r = call(Syscall.BRK, Body.writer().putLong(newBreak));
        long oldTop = UserSpace.pageUp(r.getLong());
        long brk = r.getLong();
        long newTop = UserSpace.pageUp(brk);
        if (newTop > oldTop) {
            fresh(oldTop, newTop - oldTop);
        }
        return brk;
    }

    @Override
    public void mprotect(long addr, long length, int prot) {
        call(Syscall.MPROTECT, Body.writer().putLong(addr).putLong(length).putInt(prot));
    }

    @Override
    public void msync(long addr, long length) {
        call(Syscall.MSYNC, Body.writer().putLong(addr).putLong(length));
    }

    // ---- loads and stores: hardware accesses; the slow paths run only after a poisoned page ----
    //
    // Each access is followed by a read of the poison lease: a poisoned page's InternalError is asynchronous in
    // compiled code (PoisonLease), so while the processor's lease is armed the access ends with poisonedAccess(), which
    // makes the JVM deliver a pending error inside this try. Interpreted accesses throw at the access: the catch.

    /**
     * Whether the processor poisoned a page lately. The load fence (a compiler barrier on x86, no instruction) keeps the
     * read after the access before it and in every iteration of a loop of loads, where a read of an invariant address
     * would be hoisted. Measured alternatives (HitLoads, random loads, and PageRank's pull loop): no fence is as fast
     * but lets the JIT hoist the read; an offset computed from the loaded value (a data dependency) cost 1.72x plain
     * against 1.39-1.46x for the fence, as the read then waits for each miss.
     */
    private static boolean armed() {
        VarHandle.loadLoadFence();
        return LEASE_WORD.get(ValueLayout.JAVA_LONG, 0) != 0;
    }

    /**
     * The lease is armed: true if this thread's last access hit a poisoned page. A native call is a point where the JVM
     * delivers a pending asynchronous error; none pending, the access was good (and a past lease is cleared).
     */
    private static boolean poisonedAccess() {
        try {
            Thread.yield();
        } catch (InternalError e) {
            return true;
        }
        LEASE.expireIfPast();
        return false;
    }

    /** An access of {@code n} bytes at {@code va} that met a poisoned page: asks why and retries until it is good. */
    private long slow(long va, int n, boolean write, LongSupplier access) {
        for (int attempt = 0; ; attempt++) {
            faultSpan(va, n, write, attempt);
            try {
                long v = access.getAsLong();
                if (!(armed() && poisonedAccess())) {
                    return v;
                }
            } catch (InternalError e) {
                // poisoned again meanwhile: ask again
            }
        }
    }

    @Override
    public byte getByte(long va) {
        try {
            byte v = ALL.get(ValueLayout.JAVA_BYTE, va - BASE);
            return armed() && poisonedAccess() ? getByteSlow(va) : v;
        } catch (IndexOutOfBoundsException e) {
            throw outside(va);
        } catch (InternalError e) {
            return getByteSlow(va);
        }
    }

    private byte getByteSlow(long va) {
        return (byte) slow(va, 1, false, () -> ALL.get(ValueLayout.JAVA_BYTE, va - BASE));
    }

    @Override
    public void putByte(long va, byte value) {
        try {
            ALL.set(ValueLayout.JAVA_BYTE, va - BASE, value);
            if (armed() && poisonedAccess()) {
                putSlow(va, 1, () -> ALL.set(ValueLayout.JAVA_BYTE, va - BASE, value));
            }
        } catch (IndexOutOfBoundsException e) {
            throw outside(va);
        } catch (InternalError e) {
            putSlow(va, 1, () -> ALL.set(ValueLayout.JAVA_BYTE, va - BASE, value));
        }
    }

    private void putSlow(long va, int n, Runnable store) {
        slow(va, n, true, () -> {
            store.run();
            return 0;
        });
    }

    @Override
    public int getInt(long va) {
        try {
            int v = ALL.get(INT, va - BASE);
            return armed() && poisonedAccess() ? getIntSlow(va) : v;
        } catch (IndexOutOfBoundsException e) {
            throw outside(va);
        } catch (InternalError e) {
            return getIntSlow(va);
        }
    }

    private int getIntSlow(long va) {
        return (int) slow(va, 4, false, () -> ALL.get(INT, va - BASE));
    }

    @Override
    public void putInt(long va, int value) {
        try {
            ALL.set(INT, va - BASE, value);
            if (armed() && poisonedAccess()) {
                putSlow(va, 4, () -> ALL.set(INT, va - BASE, value));
            }
        } catch (IndexOutOfBoundsException e) {
            throw outside(va);
        } catch (InternalError e) {
            putSlow(va, 4, () -> ALL.set(INT, va - BASE, value));
        }
    }

    @Override
    public long getLong(long va) {
        try {
            long v = ALL.get(LONG, va - BASE);
            return armed() && poisonedAccess() ? getLongSlow(va) : v;
        } catch (IndexOutOfBoundsException e) {
            throw outside(va);
        } catch (InternalError e) {
            return getLongSlow(va);
        }
    }

    private long getLongSlow(long va) {
        return slow(va, 8, false, () -> ALL.get(LONG, va - BASE));
    }

    @Override
    public void putLong(long va, long value) {
        try {
            ALL.set(LONG, va - BASE, value);
            if (armed() && poisonedAccess()) {
                putSlow(va, 8, () -> ALL.set(LONG, va - BASE, value));
            }
        } catch (IndexOutOfBoundsException e) {
            throw outside(va);
        } catch (InternalError e) {
            putSlow(va, 8, () -> ALL.set(LONG, va - BASE, value));
        }
    }

    /** A value of {@code n} bytes at {@code va} may cross a page: ask about both. */
    private void faultSpan(long va, int n, boolean write, int attempt) {
        long lastPage = (va + n - 1) & ~(long) (PAGE_SIZE - 1);
        fault(va, write, attempt);
        if (lastPage != (va & ~(long) (PAGE_SIZE - 1))) {
            fault(lastPage, write, attempt);
        }
    }

    @Override
    public void read(long va, byte[] dst, int offset, int length) {
        java.util.Objects.checkFromIndexSize(offset, length, dst.length);
        try {
            MemorySegment.copy(ALL, ValueLayout.JAVA_BYTE, va - BASE, dst, offset, length);
            if (armed() && poisonedAccess()) {
                copySlow(va, dst, offset, length, false);
            }
        } catch (IndexOutOfBoundsException e) {
            throw outside(va < BASE ? va : va + length - 1);
        } catch (InternalError e) {
            copySlow(va, dst, offset, length, false);
        }
    }

    @Override
    public void write(long va, byte[] src, int offset, int length) {
        java.util.Objects.checkFromIndexSize(offset, length, src.length);
        try {
            MemorySegment.copy(src, offset, ALL, ValueLayout.JAVA_BYTE, va - BASE, length);
            if (armed() && poisonedAccess()) {
                copySlow(va, src, offset, length, true);
            }
        } catch (IndexOutOfBoundsException e) {
            throw outside(va < BASE ? va : va + length - 1);
        } catch (InternalError e) {
            copySlow(va, src, offset, length, true);
        }
    }

    // The typed bulk copies: one copy between the mapping and the array, where the interface's defaults stage through a
    // fresh byte[] (PageRank's block copies made 1.2 GB of garbage that way). A poisoned page on the way sends the whole
    // copy through the default, whose read/write above asks about each page; copying again what was copied is harmless.
    private static final ValueLayout.OfLong LE_LONG = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(java.nio.ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfInt LE_INT = ValueLayout.JAVA_INT_UNALIGNED.withOrder(java.nio.ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfDouble LE_DOUBLE = ValueLayout.JAVA_DOUBLE_UNALIGNED.withOrder(java.nio.ByteOrder.LITTLE_ENDIAN);

    @Override
    public void readLongs(long va, long[] dst, int offset, int n) {
        java.util.Objects.checkFromIndexSize(offset, n, dst.length);
        bulk(va, 8L * n, () -> MemorySegment.copy(ALL, LE_LONG, va - BASE, dst, offset, n),
                () -> AddressSpace.super.readLongs(va, dst, offset, n));
    }

    @Override
    public void writeLongs(long va, long[] src, int offset, int n) {
        java.util.Objects.checkFromIndexSize(offset, n, src.length);
        bulk(va, 8L * n, () -> MemorySegment.copy(src, offset, ALL, LE_LONG, va - BASE, n),
                () -> AddressSpace.super.writeLongs(va, src, offset, n));
    }

    @Override
    public void readInts(long va, int[] dst, int offset, int n) {
        java.util.Objects.checkFromIndexSize(offset, n, dst.length);
        bulk(va, 4L * n, () -> MemorySegment.copy(ALL, LE_INT, va - BASE, dst, offset, n),
                () -> AddressSpace.super.readInts(va, dst, offset, n));
    }

    @Override
    public void writeInts(long va, int[] src, int offset, int n) {
        java.util.Objects.checkFromIndexSize(offset, n, src.length);
        bulk(va, 4L * n, () -> MemorySegment.copy(src, offset, ALL, LE_INT, va - BASE, n),
                () -> AddressSpace.super.writeInts(va, src, offset, n));
    }

    @Override
    public void readDoubles(long va, double[] dst, int offset, int n) {
        java.util.Objects.checkFromIndexSize(offset, n, dst.length);
        bulk(va, 8L * n, () -> MemorySegment.copy(ALL, LE_DOUBLE, va - BASE, dst, offset, n),
                () -> AddressSpace.super.readDoubles(va, dst, offset, n));
    }

    @Override
    public void writeDoubles(long va, double[] src, int offset, int n) {
        java.util.Objects.checkFromIndexSize(offset, n, src.length);
        bulk(va, 8L * n, () -> MemorySegment.copy(src, offset, ALL, LE_DOUBLE, va - BASE, n),
                () -> AddressSpace.super.writeDoubles(va, src, offset, n));
    }

    /**
     * Runs a typed bulk {@code copy} of {@code bytes} at {@code va} (array bounds checked by the caller): an index out
     * of the mapping is the program's segmentation fault, a poisoned page sends it through {@code viaPages}.
     */
    private static void bulk(long va, long bytes, Runnable copy, Runnable viaPages) {
        try {
            copy.run();
            if (armed() && poisonedAccess()) {
                viaPages.run();
            }
        } catch (IndexOutOfBoundsException e) {
            throw outside(va < BASE ? va : va + bytes - 1);
        } catch (InternalError e) {
            viaPages.run();
        }
    }

    /** A bulk copy that met a poisoned page: page by page, each retried after asking. */
    private void copySlow(long va, byte[] buf, int offset, int length, boolean write) {
        long end = va + length;
        for (long at = va; at < end; ) {
            long pageEnd = Math.min(end, (at & ~(long) (PAGE_SIZE - 1)) + PAGE_SIZE);
            int n = (int) (pageEnd - at);
            int off = offset + (int) (at - va);
            for (int attempt = 0; ; attempt++) {
                try {
                    if (write) {
                        MemorySegment.copy(buf, off, ALL, ValueLayout.JAVA_BYTE, at - BASE, n);
                    } else {
                        MemorySegment.copy(ALL, ValueLayout.JAVA_BYTE, at - BASE, buf, off, n);
                    }
                    if (!(armed() && poisonedAccess())) {
                        break;
                    }
                } catch (InternalError e) {
                    // poisoned: ask below
                }
                fault(at, write, attempt);
            }
            at = pageEnd;
        }
    }

    @Override
    public MemorySegment segment(long va, long length) {
        if (va < BASE || length < 0 || length > UserSpace.TASK_SIZE - va) {
            throw outside(va < BASE ? va : va + length);
        }
        return ALL.asSlice(va - BASE, length);
    }

    @Override
    public boolean hasSegments() {
        return true;
    }

    /** The userfaultfd of this space (held open for the life of the task). */
    Userfaultfd uffd() {
        return uffd;
    }
}
