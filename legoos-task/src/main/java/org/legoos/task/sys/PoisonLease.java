package org.legoos.task.sys;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.VarHandle;
import org.legoos.api.UserSpace;

/**
 * The word that makes a process-mode segmentation fault precise: a deadline ({@link System#nanoTime}, 0 = none) in
 * the control page of a task's memory file, which the processor component pushes forward before it wakes a task's
 * thread onto a poisoned page, and which the task reads after every access of its {@code AddressSpace}.
 *
 * <p>Why: a load or store that hits a poisoned page raises SIGBUS, and HotSpot turns it into an {@link InternalError}
 * thrown <em>asynchronously</em> in compiled code: the faulting instruction is skipped and the error surfaces at the
 * thread's next safepoint poll, often after the accessor has returned into the program, where no {@code catch} of
 * the address space sees it (the program got an {@code InternalError} at some later line instead of a
 * {@code SegmentationFault} at the access). So while the word is armed, each access ends with a native call (a
 * point where the JVM delivers a pending asynchronous error) inside the accessor's own {@code try}: the error is
 * caught where it belongs, and the access is explained or retried. Unarmed, the check is one load and a branch.
 *
 * <p>A lease, not a count: the processor cannot know when every thread that may trip over a poisoned page has looked
 * at the word (another thread's valid load of a page poisoned by a refused store raises SIGBUS without any fault
 * reaching the processor). A thread that looks finds the word armed for {@link #LEASE_NANOS} after the last poison;
 * a thread of the task that finds the lease past and no error pending clears it, with a compare-and-set so that a
 * newer arming wins. The word lives in shared memory and is updated with atomic instructions from both processes.
 *
 * <p>Layout: the page of the memory file after the user address space, mapped in the task at {@link #ADDRESS} (its
 * file offset too) and outside the userfaultfd's range, so it is always resident.
 */
public final class PoisonLease {
    /** Where the control page is in the task and in its memory file: right after the user address space. */
    public static final long ADDRESS = UserSpace.TASK_SIZE;
    /** Size of the control page; the memory file is {@code ADDRESS + PAGE} bytes long. */
    public static final long PAGE = 4096;
    /** How long an arming lasts: far longer than a woken thread takes to reach its next access's check. */
    public static final long LEASE_NANOS = 250_000_000L;
    private static final ValueLayout.OfLong WORD = ValueLayout.JAVA_LONG;
    private static final VarHandle DEADLINE = WORD.varHandle();

    private final MemorySegment page;

    private PoisonLease(MemorySegment page) {
        this.page = page;
    }

    /** The lease of a task's memory file {@code memfd}, mapped in this (the processor's) process; {@link #close} it. */
    public static PoisonLease map(int memfd) {
        long at = Linux.mmap(0, PAGE, Linux.PROT_READ | Linux.PROT_WRITE, Linux.MAP_SHARED, memfd, ADDRESS);
        return new PoisonLease(MemorySegment.ofAddress(at).reinterpret(PAGE));
    }

    /** The lease as the task sees it, at {@link #ADDRESS} (mapped by the task). */
    public static PoisonLease ofTask() {
        return new PoisonLease(MemorySegment.ofAddress(ADDRESS).reinterpret(PAGE));
    }

    /** Arms the lease until at least {@link #LEASE_NANOS} from now. Call before waking a thread onto a poison. */
    public void arm() {
        long until = System.nanoTime() + LEASE_NANOS;
        until = until == 0 ? 1 : until;
        for (;;) {
            long d = (long) DEADLINE.getVolatile(page, 0L);
            if (d != 0 && d - until >= 0) {
                return;
            }
            if (DEADLINE.compareAndSet(page, 0L, d, until)) {
                return;
            }
        }
    }

    /**
     * Clears the lease if it is past: called by a task thread that found it armed and had no error pending. A newer
     * arming (the word changed meanwhile) is kept.
     */
    public void expireIfPast() {
        long d = (long) DEADLINE.getVolatile(page, 0L);
        if (d != 0 && System.nanoTime() - d > 0) {
            DEADLINE.compareAndSet(page, 0L, d, 0L);
        }
    }

    /** Unmaps the processor's view of the control page. */
    public void close() {
        Linux.munmap(page.address(), PAGE);
    }
}
