package org.legoos.processor.task;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import org.legoos.api.LegoException;
import org.legoos.api.SegmentationFault;
import org.legoos.processor.excache.FaultExCache;
import org.legoos.processor.mm.RemoteAddressSpace;
import org.legoos.task.channel.Body;
import org.legoos.task.channel.Syscall;
import org.legoos.task.sys.Linux;
import org.legoos.task.sys.LinuxException;
import org.legoos.task.sys.PoisonLease;
import org.legoos.task.sys.Userfaultfd;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The memory of one process-mode task as its processor component serves it, the kernel half of
 * {@code org.legoos.task.TaskAddressSpace}: the task's VM system calls run on its {@link RemoteAddressSpace} (the same
 * code as thread mode), and its page faults arrive on its userfaultfd, which the fault handler threads of this
 * monitor read and hand to the processor's {@link FaultExCache}.
 *
 * <p>The handlers are platform threads of this (another) JVM, as they must be (PROCESSES.md: a handler in the faulting
 * JVM deadlocks at the first safepoint); their buffers are off-heap and allocated once per handler, so the monitor's
 * GC does not become the task's stall.
 */
public final class TaskMemory implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(TaskMemory.class);
    private static final int EVENTS = 16;
    private static final int PAGE = 4096;

    private final RemoteAddressSpace space;
    private final FaultExCache cache;
    private final long taskPid;
    private final int handlers;
    private volatile Pages pages;
    private volatile List<Thread> handlerThreads = List.of();
    private volatile boolean closed;

    /**
     * @param handlers fault handler threads reading the task's userfaultfd: with one, the faults of a task's threads
     *     are served one after another, each waiting for the memory component's round trip of the one before; with
     *     as many as the processor has cores, one fault's round trip overlaps another's system calls (each handler
     *     takes the set lock of its page, so they never serve one page twice)
     */
    public TaskMemory(RemoteAddressSpace space, FaultExCache cache, long taskPid, int handlers) {
        if (handlers < 1) {
            throw new IllegalArgumentException("a task needs at least one fault handler, got " + handlers);
        }
        this.space = space;
        this.cache = cache;
        this.taskPid = taskPid;
        this.handlers = handlers;
    }

    public RemoteAddressSpace space() {
        return space;
    }

    /** Serves the memory system calls of the task on {@code channel}. */
    public void register(TaskChannel channel) {
        channel.handle(Syscall.MEMORY_ATTACH, body -> {
            Body.Reader r = Body.reader(body);
            attach(r.getInt(), r.getInt());
            return Body.EMPTY;
        });
        channel.handle(Syscall.MMAP, body -> {
            Body.Reader r = Body.reader(body);
            return Body.writer().putLong(space.mmap(r.getLong(), r.getLong(), r.getInt())).toByteArray();
        });
        channel.handle(Syscall.MMAP_FILE, body -> {
            Body.Reader r = Body.reader(body);
            long hint = r.getLong();
            long length = r.getLong();
            int prot = r.getInt();
            int flags = r.getInt();
            long offset = r.getLong();
            String path = r.getString();
            return Body.writer().putLong(space.mmap(hint, length, prot, flags, path, offset)).toByteArray();
        });
        channel.handle(Syscall.MUNMAP, body -> {
            Body.Reader r = Body.reader(body);
            space.munmap(r.getLong(), r.getLong());
            return Body.EMPTY;
        });
        channel.handle(Syscall.MREMAP, body -> {
            Body.Reader r = Body.reader(body);
            return Body.writer().putLong(space.mremap(r.getLong(), r.getLong(), r.getLong(), r.getBoolean())).toByteArray();
        });
        channel.handle(Syscall.BRK, body -> {
            long newBreak = Body.reader(body).getLong();
            long old = space.currentBreak();
            return Body.writer().putLong(old).putLong(space.brk(newBreak)).toByteArray();
        });
        channel.handle(Syscall.MPROTECT, body -> {
            Body.Reader r = Body.reader(body);
            space.mprotect(r.getLong(), r.getLong(), r.getInt());
            return Body.EMPTY;
        });
        channel.handle(Syscall.MSYNC, body -> {
            Body.Reader r = Body.reader(body);
            space.msync(r.getLong(), r.getLong());
            return Body.EMPTY;
        });
        channel.handle(Syscall.FAULT, body -> {
            Body.Reader r = Body.reader(body);
            explain(r.getLong(), r.getBoolean());
            return Body.EMPTY;
        });
    }

    /**
     * The FAULT system call: the task's access to {@code va} hit a poisoned page. Returns if the access is good now
     * (the task clears the poison and retries); throws why not otherwise: {@link SegmentationFault}, or the failure of
     * the memory component that lost the page. {@code va} -1 asks for the last failure of the task (a segment's
     * access whose address the task does not know).
     */
    private void explain(long va, boolean write) {
        RuntimeException last = cache.failure(space.asid());
        if (va == -1) {
            if (last != null) {
                throw last;
            }
            return;
        }
        SegmentationFault bad = space.accessFault(va, write);
        if (bad != null) {
            throw bad;
        }
        space.checkNotFailed();
        if (last instanceof SegmentationFault && cache.failure(space.asid(), va, write) != null) {
            throw last; // the owner refused the page itself (past the end of its file): every such access fails
        }
        if (last != null && !(last instanceof SegmentationFault)) {
            String status = last instanceof LegoException l ? l.status() : "UNAVAILABLE";
            throw new LegoException(status, "pid " + space.pid() + ": page 0x" + Long.toHexString(va & ~(PAGE - 1L))
                    + " could not be served: " + last.getMessage(), last);
        }
    }

    /** MEMORY_ATTACH: takes the task's userfaultfd and memory file (by descriptor number) and starts serving faults. */
    private synchronized void attach(int uffdFdInTask, int memfdInTask) {
        if (pages != null) {
            throw new IllegalStateException("the task's memory is attached already");
        }
        int pidfd = Linux.pidfdOpen(taskPid);
        int uffdFd;
        int memfd;
        try {
            uffdFd = Linux.pidfdGetfd(pidfd, uffdFdInTask);
            try {
                memfd = Linux.pidfdGetfd(pidfd, memfdInTask);
            } catch (LinuxException e) {
                Linux.close(uffdFd);
                throw e;
            }
        } finally {
            Linux.close(pidfd);
        }
        Pages p;
        try {
            p = new Pages(Userfaultfd.adopt(uffdFd), memfd);
        } catch (RuntimeException e) {
            Linux.close(uffdFd);
            Linux.close(memfd);
            throw e;
        }
        cache.attach(space.asid(), p);
        pages = p;
        List<Thread> threads = new ArrayList<>(handlers);
        for (int i = 0; i < handlers; i++) {
            Thread t = new Thread(() -> serve(p), "pid" + space.pid() + "-faults-" + threads.size());
            t.setDaemon(true);
            threads.add(t);
        }
        handlerThreads = List.copyOf(threads);
        threads.forEach(Thread::start);
        log.debug("pid {}: task {} memory attached (uffd {}, memfd {})", space.pid(), taskPid, uffdFd, memfd);
    }

    /** A fault handler: reads the task's faults and serves each until the task is gone (another handler may take any). */
    private void serve(Pages p) {
        try (Arena arena = Arena.ofConfined(); FaultExCache.Buffers buf = cache.newBuffers()) {
            MemorySegment events = arena.allocate(32L * EVENTS, 8);
            int asid = space.asid();
            while (!closed) {
                int n;
                try {
                    n = p.uffd.readEvents(events, 200);
                } catch (LinuxException e) {
                    if (!closed) {
                        log.debug("pid {}: fault handler stops: {}", space.pid(), e.getMessage());
                    }
                    return;
                }
                for (int i = 0; i < n; i++) {
                    if (Userfaultfd.event(events, i) != Userfaultfd.EVENT_PAGEFAULT) {
                        continue;
                    }
                    long flags = Userfaultfd.faultFlags(events, i);
                    cache.fault(asid, Userfaultfd.faultAddress(events, i), (flags & Userfaultfd.FLAG_WRITE) != 0,
                            (flags & Userfaultfd.FLAG_WP) != 0, Userfaultfd.faultThread(events, i), buf);
                }
            }
        } catch (RuntimeException | Error e) {
            log.error("pid {}: fault handler failed; the task's faults are no longer served", space.pid(), e);
        }
    }

    /**
     * The task exited: stops the fault handler and frees its pages; the caller then closes the address space (which
     * writes shared file mappings back through the memory file, still open here) and calls {@link #close()}.
     */
    public void taskExited() {
        closed = true;
        Pages p = pages;
        if (p != null) {
            p.gone = true;
            p.uffd.stopReaders(); // a handler waiting in poll returns now, not at its timeout
        }
        for (Thread t : handlerThreads) {
            try {
                t.join(2000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    /** Releases the task's descriptors; call after the address space was closed. */
    @Override
    public void close() {
        taskExited();
        Pages p = pages;
        cache.detach(space.asid());
        if (p != null) {
            p.uffd.close();
            p.lease.close();
            Linux.close(p.memfd);
        }
    }

    /**
     * The task's pages through its userfaultfd and memory file (offset in the file = virtual address).
     *
     * <p>Its userfaultfd is used by the fault handlers of <em>other</em> tasks too: a miss of another task whose set's
     * victim is a dirty page of this one write-protects and reads it here ({@code FaultExCache.miss}). So a call on a
     * task that has exited must not throw: the exception would fail the other task's access (seen as "pid 1: page ...
     * could not be served: UFFDIO_WRITEPROTECT failed: errno 3" when six tasks failed at once). The kernel answers
     * ESRCH once the task's mm is gone, which happens when its JVM exits, well before the monitor learns of it and
     * calls {@link TaskMemory#taskExited} (after the task's channel and stderr are drained, up to seconds later): ESRCH
     * marks the task {@link #gone} here. Its memory file is still open, so a victim's data is still read and written
     * back.
     */
    static final class Pages implements FaultExCache.TaskPages {
        final Userfaultfd uffd;
        final int memfd;
        /** Armed before a thread is woken onto a poisoned page, so the task catches the error at the access. */
        final PoisonLease lease;
        /** The task has exited: its page tables are gone; only the memory file is left to read and free. */
        volatile boolean gone;

        Pages(Userfaultfd uffd, int memfd) {
            this.uffd = uffd;
            this.memfd = memfd;
            this.lease = PoisonLease.map(memfd);
        }

        /**
         * Whether a failed call on the userfaultfd failed because the task is gone: it was told so
         * ({@link TaskMemory#taskExited}), or the kernel says so now (ESRCH: the task's mm has no users left, the
         * task has exited or is exiting; from then on it is {@link #gone}).
         */
        private boolean gone(LinuxException e) {
            if (e.errno() == LinuxException.ESRCH) {
                gone = true;
            }
            return gone;
        }

        @Override
        public boolean install(long va, MemorySegment src, boolean writeProtect) {
            try {
                return uffd.copy(va, src, PAGE, writeProtect);
            } catch (LinuxException e) {
                if (gone(e)) {
                    return true;
                }
                throw e;
            }
        }

        @Override
        public void writeProtect(long va, boolean protect) {
            try {
                uffd.writeProtect(va, PAGE, protect);
            } catch (LinuxException e) {
                if (!gone(e)) {
                    throw e;
                }
            }
        }

        @Override
        public void writeProtect(long va, long len, boolean protect) {
            try {
                uffd.writeProtect(va, len, protect);
            } catch (LinuxException e) {
                if (!gone(e)) {
                    throw e;
                }
            }
        }

        @Override
        public void wake(long va) {
            try {
                uffd.wake(va, PAGE);
            } catch (LinuxException e) {
                if (!gone(e)) {
                    throw e;
                }
            }
        }

        @Override
        public void poison(long va) {
            lease.arm();
            try {
                // A write-protected page that was punched out leaves a uffd-wp marker in the task's page table, and
                // UFFDIO_POISON refuses a non-empty entry (EEXIST): the access would fault again forever. Resolving
                // write protection clears the marker (it also wakes the faulting thread, which faults again and
                // finds the poison on the next round).
                uffd.writeProtect(va, PAGE, false);
                if (!uffd.poison(va, PAGE)) {
                    uffd.wake(va, PAGE);
                }
            } catch (LinuxException e) {
                if (!gone(e)) {
                    throw e;
                }
            }
        }

        @Override
        public void read(long va, MemorySegment dst) {
            long n = Linux.pread(memfd, dst.asSlice(0, PAGE), va);
            if (n != PAGE) {
                throw new IllegalStateException("short read of page 0x" + Long.toHexString(va) + " of the task: " + n);
            }
        }

        @Override
        public void read(long va, long len, MemorySegment dst) {
            long n = Linux.pread(memfd, dst.asSlice(0, len), va);
            if (n != len) {
                throw new IllegalStateException("short read of pages 0x" + Long.toHexString(va) + " (+" + len
                        + " bytes) of the task: " + n);
            }
        }

        @Override
        public boolean present(long va) {
            return Linux.seekData(memfd, va) == va;
        }

        @Override
        public void drop(long va, long len) {
            Linux.fallocate(memfd, Linux.FALLOC_FL_PUNCH_HOLE | Linux.FALLOC_FL_KEEP_SIZE, va, len);
        }
    }
}
