package org.legoos.task.sys;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * A userfaultfd (x86_64, shmem): how process mode turns a task's page faults into messages its processor component
 * (the "monitor", another JVM) serves. The task {@link #create}s it, {@link #register}s the range of its memfd
 * mapping and keeps it open; the monitor gets a duplicate with {@link Linux#pidfdGetfd} and {@link #adopt}s it,
 * then {@link #readEvents reads} faults and answers each with {@link #copy}, {@link #writeProtect},
 * {@link #wake} or {@link #poison}.
 *
 * <h2>Pitfalls</h2>
 * <ul>
 * <li><b>The fault handler must be another process.</b> A faulting thread sits in the kernel while still in the
 *     "in Java" state, so the JVM's next safepoint waits for it; a handler thread in the same JVM that returns from
 *     native code then blocks at that safepoint too, and nobody serves the fault: the JVM hangs at its first GC.
 *     With the handler in another JVM a safepoint simply waits until the page arrives (measured: 1,300-1,500 forced
 *     GCs in a task, no hang).</li>
 * <li><b>EEXIST is normal.</b> Several threads faulting on one page each produce a message; the first
 *     {@link #copy} installs the page and wakes them all, later ones fail with EEXIST. {@link #copy} and
 *     {@link #poison} then wake the range (in case a waiter was queued after the installing wake) and return false.
 *     </li>
 * <li><b>User-mode-only and EFAULT.</b> Where userfaultfd is not permitted to the process
 *     ({@code vm.unprivileged_userfaultfd=0} and no CAP_SYS_PTRACE), {@link #create} falls back to
 *     {@code UFFD_USER_MODE_ONLY}: loads and stores by the task's own code still fault to the monitor, but an access
 *     the kernel makes on the task's behalf (a {@code write(fd, address)} of a segment in the range, a
 *     {@code read} into it) to a page that is not resident fails with EFAULT, as if the address were unmapped.
 *     The task runtime must copy such data through resident or unregistered memory. {@link #userModeOnly()} says
 *     which mode an fd this process created is in.</li>
 * <li><b>Poison.</b> {@link #poison} installs a marker that makes every access to the page raise SIGBUS, which
 *     the JVM turns into {@link InternalError} ("a fault occurred in an unsafe memory access") for a
 *     {@code MemorySegment} or {@code Unsafe} access: process mode's way to fail a page that cannot be served
 *     instead of leaving the task hung. SIGBUS in native code (JNI, a downcall) still crashes the JVM.</li>
 * <li><b>Never touch a non-resident page through the monitor's own mapping of the memfd</b>: that fills the file's
 *     page cache, so the task's fault never fires and it reads what the monitor's touch put there (zeros). Read
 *     victims with {@link Linux#pread} or while resident and write-protected.</li>
 * <li><b>Handler death.</b> If the task closed its own fd once the monitor had a duplicate and the monitor dies,
 *     the userfaultfd goes away with the monitor's fd and the task's faults are silently served as zero pages. So the
 *     task keeps its fd open (its faults then wait forever instead) and sets {@code PR_SET_PDEATHSIG}
 *     ({@link Sandbox#dieWithParent}) so that it dies with the monitor.</li>
 * <li><b>Task death.</b> A task that exits produces no event on its uffd; the monitor learns it from the task's
 *     pidfd (readable, {@link Linux#POLLIN}, once the process has exited). Calls on an fd whose process is gone
 *     fail with ESRCH.</li>
 * </ul>
 *
 * <p>Thread-safe: any number of monitor threads may read events and answer faults on one instance. The hot calls
 * ({@link #readEvents}, {@link #copy}, {@link #writeProtect}, {@link #wake}) allocate nothing: their ioctl structs
 * live in a per-thread native buffer.
 */
public final class Userfaultfd implements AutoCloseable {
    public static final int EVENT_PAGEFAULT = 0x12;
    /** A fault's flags: the access was a write. */
    public static final long FLAG_WRITE = 1;
    /** A fault's flags: a write-protect fault (a store to a page installed or made write-protected). */
    public static final long FLAG_WP = 2;
    /** Size of one {@code struct uffd_msg}. */
    public static final int MSG_SIZE = 32;

    private static final long SYS_USERFAULTFD = 323;
    private static final int UFFD_USER_MODE_ONLY = 1;
    private static final long UFFD_API = 0xAA;

    private static final long UFFDIO_API = 0xC018AA3FL;
    private static final long UFFDIO_REGISTER = 0xC020AA00L;
    private static final long UFFDIO_WAKE = 0x8010AA02L;
    private static final long UFFDIO_COPY = 0xC028AA03L;
    private static final long UFFDIO_WRITEPROTECT = 0xC018AA06L;
    private static final long UFFDIO_POISON = 0xC020AA08L;

    private static final long FEATURE_PAGEFAULT_FLAG_WP = 1L;
    private static final long FEATURE_MISSING_SHMEM = 1L << 5;
    private static final long FEATURE_WP_HUGETLBFS_SHMEM = 1L << 12;
    private static final long FEATURE_POISON = 1L << 14;
    private static final long FEATURE_THREAD_ID = 1L << 8;
    /** What {@link #create} asks UFFDIO_API for. */
    private static final long FEATURES = FEATURE_MISSING_SHMEM | FEATURE_WP_HUGETLBFS_SHMEM | FEATURE_THREAD_ID;

    private static final long REGISTER_MODE_MISSING = 1;
    private static final long REGISTER_MODE_WP = 2;
    private static final long COPY_MODE_WP = 2;
    private static final long WRITEPROTECT_MODE_WP = 1;

    private static final int POLLERR = 8;
    private static final int POLLHUP = 16;
    private static final int POLLNVAL = 32;

    private final int fd;
    /** An eventfd readers poll beside {@link #fd}: {@link #stopReaders} makes it readable, which ends their waits. */
    private final int stopFd;
    private final boolean userModeOnly;
    private final AtomicBoolean closed = new AtomicBoolean();

    private Userfaultfd(int fd, boolean userModeOnly) {
        this.fd = fd;
        this.userModeOnly = userModeOnly;
        try {
            this.stopFd = Linux.eventfd(Linux.EFD_CLOEXEC | Linux.EFD_NONBLOCK);
        } catch (RuntimeException e) {
            Linux.close(fd);
            throw e;
        }
    }

    /**
     * Task side: {@code userfaultfd(O_CLOEXEC|O_NONBLOCK)}, falling back to {@code UFFD_USER_MODE_ONLY} if the
     * kernel refuses the full mode (EPERM), then UFFDIO_API with MISSING_SHMEM|WP_HUGETLBFS_SHMEM|THREAD_ID. The result is
     * ready to {@link #register}.
     *
     * @throws LinuxException EPERM if userfaultfd is not permitted at all, EINVAL if the kernel lacks the shmem
     *                        features (see {@link #probe()})
     */
    public static Userfaultfd create() {
        return create(false);
    }

    /** {@link #create()}, in user-mode-only mode at once if {@code userModeOnly} (tests use it to check that mode as root). */
    static Userfaultfd create(boolean userModeOnly) {
        int[] fdAndMode = open(userModeOnly);
        Userfaultfd uffd = new Userfaultfd(fdAndMode[0], fdAndMode[1] != 0);
        try {
            long granted = api(uffd.fd, FEATURES);
            if ((granted & FEATURES) != FEATURES) {
                throw new LinuxException("UFFDIO_API (shmem MISSING/WP or THREAD_ID features missing)", LinuxException.EINVAL);
            }
        } catch (RuntimeException e) {
            uffd.close();
            throw e;
        }
        return uffd;
    }

    /**
     * Monitor side: wraps {@code fd}, a duplicate (from {@link Linux#pidfdGetfd}) of a task's userfaultfd on which the
     * task already did UFFDIO_API and {@link #register}. {@link #close} closes {@code fd}.
     */
    public static Userfaultfd adopt(int fd) {
        return new Userfaultfd(fd, false);
    }

    /**
     * Null if this host can run process mode's userfaultfd, else a one-line reason: Linux x86_64, userfaultfd
     * permitted (in full or user-mode-only mode), the shmem MISSING and write-protect features, UFFDIO_POISON, and
     * {@code pidfd_open}/{@code pidfd_getfd}. Uses a throwaway fd (UFFDIO_API can be called once per fd).
     */
    public static String probe() {
        if (!Native.SUPPORTED) {
            return "process mode needs Linux on x86_64 (this is " + System.getProperty("os.name") + " "
                    + System.getProperty("os.arch") + ")";
        }
        int fd;
        try {
            fd = open(false)[0];
        } catch (LinuxException e) {
            return switch (e.errno()) {
                case LinuxException.ENOSYS -> "this kernel has no userfaultfd (CONFIG_USERFAULTFD off)";
                case LinuxException.EPERM -> "userfaultfd is not permitted to this process (not even UFFD_USER_MODE_ONLY)";
                default -> "userfaultfd failed: errno " + e.errno();
            };
        }
        try {
            long features;
            try {
                features = api(fd, 0);
            } catch (LinuxException e) {
                return "UFFDIO_API failed: errno " + e.errno();
            }
            long missing = (FEATURE_PAGEFAULT_FLAG_WP | FEATURE_MISSING_SHMEM | FEATURE_WP_HUGETLBFS_SHMEM | FEATURE_POISON
                    | FEATURE_THREAD_ID) & ~features;
            if ((missing & FEATURE_MISSING_SHMEM) != 0) {
                return "userfaultfd lacks shmem MISSING faults (kernel older than 4.11?)";
            }
            if ((missing & (FEATURE_PAGEFAULT_FLAG_WP | FEATURE_WP_HUGETLBFS_SHMEM)) != 0) {
                return "userfaultfd lacks shmem write-protect (kernel older than 5.19 or CONFIG_PTE_MARKER_UFFD_WP off)";
            }
            if ((missing & FEATURE_THREAD_ID) != 0) {
                return "userfaultfd lacks UFFD_FEATURE_THREAD_ID (kernel older than 4.14)";
            }
            if ((missing & FEATURE_POISON) != 0) {
                return "userfaultfd lacks UFFDIO_POISON (kernel older than 6.6)";
            }
            try {
                int self = Linux.pidfdOpen(Linux.getpid());
                try {
                    Linux.close(Linux.pidfdGetfd(self, fd));
                } finally {
                    Linux.close(self);
                }
            } catch (LinuxException e) {
                return e.errno() == LinuxException.ENOSYS ? "this kernel has no pidfd_getfd (older than 5.6)"
                        : "pidfd_open/pidfd_getfd failed: errno " + e.errno();
            }
            return null;
        } finally {
            Linux.close(fd);
        }
    }

    /** {fd, 1 if user-mode-only}. */
    private static int[] open(boolean userModeOnly) {
        Native.Scratch s = Native.scratch();
        long flags = Linux.O_CLOEXEC | Linux.O_NONBLOCK;
        if (!userModeOnly) {
            long fd = Native.syscall(s.state, SYS_USERFAULTFD, flags, 0, 0);
            if (fd >= 0) {
                return new int[] {(int) fd, 0};
            }
            if (Native.errno(s.state) != LinuxException.EPERM) {
                throw new LinuxException("userfaultfd", Native.errno(s.state));
            }
        }
        long fd = Native.check(Native.syscall(s.state, SYS_USERFAULTFD, flags | UFFD_USER_MODE_ONLY, 0, 0), s.state,
                "userfaultfd(UFFD_USER_MODE_ONLY)");
        return new int[] {(int) fd, 1};
    }

    /** UFFDIO_API asking for {@code features}: the features the kernel offers. */
    private static long api(int fd, long features) {
        Native.Scratch s = Native.scratch();
        MemorySegment api = s.zeroed();
        api.set(ValueLayout.JAVA_LONG, 0, UFFD_API);
        api.set(ValueLayout.JAVA_LONG, 8, features);
        Native.check(Native.ioctl(s.state, fd, UFFDIO_API, api), s.state, "UFFDIO_API");
        return api.get(ValueLayout.JAVA_LONG, 8);
    }

    public int fd() {
        return fd;
    }

    /** True if this process created the fd in {@code UFFD_USER_MODE_ONLY} mode (false for an {@link #adopt}ed one: unknown). */
    public boolean userModeOnly() {
        return userModeOnly;
    }

    /**
     * UFFDIO_REGISTER of {@code [start, start+length)} (page-aligned, a shmem mapping of this process) in MISSING|WP
     * mode: an access to a page not in the file raises a MISSING fault, a store to a write-protected page a WP
     * fault.
     */
    public void register(long start, long length) {
        Native.Scratch s = Native.scratch();
        MemorySegment reg = s.zeroed();
        reg.set(ValueLayout.JAVA_LONG, 0, start);
        reg.set(ValueLayout.JAVA_LONG, 8, length);
        reg.set(ValueLayout.JAVA_LONG, 16, REGISTER_MODE_MISSING | REGISTER_MODE_WP);
        Native.check(Native.ioctl(s.state, fd, UFFDIO_REGISTER, reg), s.state, "UFFDIO_REGISTER");
    }

    /**
     * Reads up to {@code buf.byteSize() / 32} {@code uffd_msg}s into {@code buf} (native memory) and returns how many,
     * 0 if none arrived within {@code timeoutMillis} (negative: wait forever), another thread took them, or
     * {@link #stopReaders} was called. The fd is
     * non-blocking: this reads it first and polls only when nothing is queued. Decode message {@code i} with {@link #event}, {@link #faultFlags} and
     * {@link #faultAddress}; events other than {@link #EVENT_PAGEFAULT} are not asked for and do not come.
     */
    public int readEvents(MemorySegment buf, int timeoutMillis) {
        Linux.requireNative(buf);
        long room = buf.byteSize() / MSG_SIZE * MSG_SIZE;
        if (room == 0) {
            throw new IllegalArgumentException("room for no uffd_msg: " + buf.byteSize() + " bytes");
        }
        // The fd is non-blocking: a read first costs one system call when faults are queued (the common case under
        // load, as the next fault usually arrives while the last one is served); poll only when none is.
        long n = Linux.read(fd, buf.address(), room);
        if (n > 0) {
            return (int) (n / MSG_SIZE);
        }
        int revents = Linux.poll(fd, Linux.POLLIN, stopFd, timeoutMillis);
        if (revents == 0 || revents == Linux.STOPPED) {
            return 0;
        }
        if ((revents & Linux.POLLIN) == 0 && (revents & (POLLERR | POLLHUP | POLLNVAL)) != 0) {
            throw new LinuxException("poll of userfaultfd (revents " + revents + ")",
                    (revents & POLLNVAL) != 0 ? 9 /* EBADF */ : LinuxException.EINVAL);
        }
        n = Linux.read(fd, buf.address(), room);
        return n < 0 ? 0 : (int) (n / MSG_SIZE);
    }

    /** Message {@code i}'s event (u8 at 0): {@link #EVENT_PAGEFAULT}. */
    public static int event(MemorySegment buf, int i) {
        return buf.get(ValueLayout.JAVA_BYTE, (long) i * MSG_SIZE) & 0xff;
    }

    /** A page fault message's flags (u64 at 8): {@link #FLAG_WRITE}, {@link #FLAG_WP} (MINOR 4 is not asked for). */
    public static long faultFlags(MemorySegment buf, int i) {
        return buf.get(ValueLayout.JAVA_LONG_UNALIGNED, (long) i * MSG_SIZE + 8);
    }

    /**
     * A page fault message's faulting thread (u32 at 24, {@code UFFD_FEATURE_THREAD_ID}): its Linux thread id in the
     * task, so the monitor can follow each thread's access stream.
     */
    public static int faultThread(MemorySegment buf, int i) {
        return buf.get(ValueLayout.JAVA_INT_UNALIGNED, (long) i * MSG_SIZE + 24);
    }

    /** A page fault message's address (u64 at 16): the faulting address, page-aligned (no UFFD_FEATURE_EXACT_ADDRESS). */
    public static long faultAddress(MemorySegment buf, int i) {
        return buf.get(ValueLayout.JAVA_LONG_UNALIGNED, (long) i * MSG_SIZE + 16);
    }

    /**
     * UFFDIO_COPY of {@code length} bytes (a multiple of the page size) from {@code src} (native memory of this
     * process) to the task's {@code dst}, waking the threads waiting there. With {@code writeProtect} the pages are
     * installed write-protected (COPY mode WP), so the task's first store raises a WP fault: dirty tracking. For a
     * fault that was already a write ({@link #FLAG_WRITE}), installing writable and counting the page dirty at once
     * saves that second round trip.
     *
     * <p>Returns false if a page of the range was already there (EEXIST: another thread's fault on the same page was
     * served first), after waking the range; pages after it are then not copied and fault again if touched. EAGAIN
     * (the task's mappings are changing) is retried, continuing after what was already copied.
     *
     * @throws LinuxException ESRCH if the task is gone, ENOENT/EINVAL if {@code dst} is not in a registered range
     */
    public boolean copy(long dst, MemorySegment src, long length, boolean writeProtect) {
        Linux.requireNative(src);
        if (src.byteSize() < length) {
            throw new IllegalArgumentException("copy of " + length + " bytes from a " + src.byteSize() + "-byte segment");
        }
        Native.Scratch s = Native.scratch();
        MemorySegment copy = s.struct;
        long done = 0;
        while (true) {
            copy.set(ValueLayout.JAVA_LONG, 0, dst + done);
            copy.set(ValueLayout.JAVA_LONG, 8, src.address() + done);
            copy.set(ValueLayout.JAVA_LONG, 16, length - done);
            copy.set(ValueLayout.JAVA_LONG, 24, writeProtect ? COPY_MODE_WP : 0);
            copy.set(ValueLayout.JAVA_LONG, 32, 0);
            if (Native.ioctl(s.state, fd, UFFDIO_COPY, copy) == 0) {
                return true;
            }
            int errno = Native.errno(s.state);
            long copied = copy.get(ValueLayout.JAVA_LONG, 32);
            if (errno == LinuxException.EAGAIN) {
                if (copied > 0) {
                    done += copied;
                }
                Thread.onSpinWait();
                continue;
            }
            if (errno == LinuxException.EEXIST) {
                wake(dst, length);
                return false;
            }
            throw new LinuxException("UFFDIO_COPY", errno);
        }
    }

    /**
     * UFFDIO_WRITEPROTECT: {@code protect} makes the range's present pages write-protected (a store then raises a WP
     * fault); {@code !protect} makes them writable again and wakes the threads waiting on a WP fault there. EAGAIN is
     * retried.
     */
    public void writeProtect(long start, long length, boolean protect) {
        Native.Scratch s = Native.scratch();
        MemorySegment wp = s.struct;
        while (true) {
            wp.set(ValueLayout.JAVA_LONG, 0, start);
            wp.set(ValueLayout.JAVA_LONG, 8, length);
            wp.set(ValueLayout.JAVA_LONG, 16, protect ? WRITEPROTECT_MODE_WP : 0);
            if (Native.ioctl(s.state, fd, UFFDIO_WRITEPROTECT, wp) == 0) {
                return;
            }
            int errno = Native.errno(s.state);
            if (errno != LinuxException.EAGAIN) {
                throw new LinuxException("UFFDIO_WRITEPROTECT", errno);
            }
            Thread.onSpinWait();
        }
    }

    /** UFFDIO_WAKE: wakes the threads waiting on a fault in the range (e.g. after the page arrived some other way). */
    public void wake(long start, long length) {
        Native.Scratch s = Native.scratch();
        MemorySegment range = s.struct;
        range.set(ValueLayout.JAVA_LONG, 0, start);
        range.set(ValueLayout.JAVA_LONG, 8, length);
        Native.check(Native.ioctl(s.state, fd, UFFDIO_WAKE, range), s.state, "UFFDIO_WAKE");
    }

    /**
     * UFFDIO_POISON: marks the range's (missing) pages poisoned and wakes the waiters; every access then raises SIGBUS,
     * which a {@code MemorySegment} access in the task turns into {@link InternalError}. Returns false, after waking
     * the range, if a page was already present (EEXIST): the waiter got that page instead. EAGAIN is retried.
     */
    public boolean poison(long start, long length) {
        Native.Scratch s = Native.scratch();
        MemorySegment poison = s.struct;
        long done = 0;
        while (true) {
            poison.set(ValueLayout.JAVA_LONG, 0, start + done);
            poison.set(ValueLayout.JAVA_LONG, 8, length - done);
            poison.set(ValueLayout.JAVA_LONG, 16, 0);
            poison.set(ValueLayout.JAVA_LONG, 24, 0);
            if (Native.ioctl(s.state, fd, UFFDIO_POISON, poison) == 0) {
                return true;
            }
            int errno = Native.errno(s.state);
            long updated = poison.get(ValueLayout.JAVA_LONG, 24);
            if (errno == LinuxException.EEXIST) {
                wake(start, length);
                return false;
            }
            if (errno != LinuxException.EAGAIN) {
                throw new LinuxException("UFFDIO_POISON", errno);
            }
            if (updated > 0) {
                done += updated;
            }
            Thread.onSpinWait();
        }
    }

    /**
     * Closes this process's fd (once; later calls do nothing). The userfaultfd itself lives until its last fd (the
     * task's or the monitor's duplicate) is closed; then its ranges are unregistered and faults there are served by
     * the kernel as on any shmem mapping (zero pages, not the task's data). Hence the task keeps its fd for as long
     * as it uses the range.
     */
    @Override
    public void close() {
        if (closed.compareAndSet(false, true)) {
            Linux.close(fd);
            Linux.close(stopFd);
        }
    }

    /**
     * Ends every {@link #readEvents} wait at once, now and from now on (each returns 0 without waiting): for a handler
     * that is told to stop, so it need not sit out its poll timeout. Idempotent.
     */
    public void stopReaders() {
        if (!closed.get()) {
            Linux.eventfdSignal(stopFd);
        }
    }
}
