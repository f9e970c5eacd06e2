package org.legoos.task.sys;

import static org.legoos.task.sys.Native.C_INT;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * Thin bindings of the Linux system calls process mode needs (x86_64, glibc), one Java method per call, all through
 * glibc's {@code syscall} ({@link Native#syscall}). Every
 * failure throws {@link LinuxException} with the call's name and errno; nothing is retried except where a method
 * says so. Only usable where {@link Native#SUPPORTED}; elsewhere the first use fails with
 * {@link UnsupportedOperationException}.
 *
 * <p>File descriptors are plain ints the caller owns: nothing here closes them behind its back, and none of them is
 * known to the JDK (a {@code FileChannel} or stream over them does not exist). Memory is passed as
 * {@link MemorySegment}s or raw addresses.
 *
 * <p>Pitfall shared by {@link #pread}/{@link #pwrite} and any other call given user memory: if that memory is part
 * of a range registered with a userfaultfd created {@code UFFD_USER_MODE_ONLY} and is not resident, the kernel's own
 * access to it fails with EFAULT instead of raising a fault the handler could serve. Hand system calls only memory
 * that is resident (or not registered).
 */
public final class Linux {
    public static final int PROT_READ = 1;
    public static final int PROT_WRITE = 2;
    public static final int MAP_SHARED = 1;
    /** Map exactly at {@code addr} or fail with EEXIST if something is there (never clobbers an existing mapping). */
    public static final int MAP_FIXED_NOREPLACE = 0x100000;
    public static final int MAP_NORESERVE = 0x4000;
    public static final int MADV_DONTNEED = 4;
    public static final int FALLOC_FL_KEEP_SIZE = 1;
    /** Frees the range's pages in the file and in every mapping of it (must be or'ed with {@link #FALLOC_FL_KEEP_SIZE}). */
    public static final int FALLOC_FL_PUNCH_HOLE = 2;
    public static final int MFD_CLOEXEC = 1;
    public static final int POLLIN = 1;
    public static final int SIGKILL = 9;
    public static final int EFD_CLOEXEC = 0x80000;
    public static final int EFD_NONBLOCK = 0x800;
    /** What {@link #poll(int, int, int, int)} returns when its stop descriptor became readable. */
    public static final int STOPPED = -1;

    static final int O_CLOEXEC = 0x80000;
    static final int O_NONBLOCK = 0x800;
    static final int O_PATH = 0x200000;
    static final int EINTR = LinuxException.EINTR;

    private static final long SYS_PIDFD_OPEN = 434;
    private static final long SYS_PIDFD_GETFD = 438;
    private static final long MAP_FAILED = -1L;

    // x86_64 system call numbers (arch/x86/entry/syscalls/syscall_64.tbl)
    private static final long SYS_READ = 0;
    private static final long SYS_WRITE = 1;
    private static final long SYS_OPEN = 2;
    private static final long SYS_CLOSE = 3;
    private static final long SYS_POLL = 7;
    private static final long SYS_LSEEK = 8;
    private static final long SYS_MMAP = 9;
    private static final long SYS_MUNMAP = 11;
    private static final long SYS_PREAD64 = 17;
    private static final long SYS_PWRITE64 = 18;
    private static final long SYS_MADVISE = 28;
    private static final long SYS_GETPID = 39;
    private static final long SYS_KILL = 62;
    private static final long SYS_FTRUNCATE = 77;
    private static final long SYS_GETPPID = 110;
    private static final long SYS_PRCTL = 157;
    private static final long SYS_EXIT_GROUP = 231;
    private static final long SYS_FALLOCATE = 285;
    private static final long SYS_EVENTFD2 = 290;
    private static final long SYS_MEMFD_CREATE = 319;
    private static final int SEEK_DATA = 3;

    private Linux() {
    }

    private static Native.Scratch scratch() {
        if (!Native.SUPPORTED) {
            throw new UnsupportedOperationException("Linux system calls need Linux on x86_64");
        }
        return Native.scratch();
    }

    static void requireNative(MemorySegment segment) {
        if (!segment.isNative()) {
            throw new IllegalArgumentException("a system call needs native memory, not a heap segment");
        }
    }

    /** {@code memfd_create(name, flags)}: a new anonymous file (size 0, on shmem), its fd. */
    public static int memfdCreate(String name, int flags) {
        Native.Scratch s = scratch();
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment cname = arena.allocateFrom(name);
            return (int) Native.check(Native.syscall(s.state, SYS_MEMFD_CREATE, cname.address(), flags, 0), s.state,
                    "memfd_create");
        }
    }

    public static void ftruncate(int fd, long length) {
        Native.Scratch s = scratch();
        Native.check(Native.syscall(s.state, SYS_FTRUNCATE, fd, length, 0), s.state, "ftruncate");
    }

    /**
     * {@code mmap}: returns the mapping's address. With {@link #MAP_FIXED_NOREPLACE} the result is checked to be
     * {@code addr} (kernels before 4.17 ignore the flag and map elsewhere; that mapping is undone and EEXIST thrown).
     */
    public static long mmap(long addr, long length, int prot, int flags, int fd, long offset) {
        Native.Scratch s = scratch();
        long at = Native.syscall(s.state, SYS_MMAP, addr, length, prot, flags, fd, offset);
        if (at == MAP_FAILED) {
            throw new LinuxException("mmap", Native.errno(s.state));
        }
        if ((flags & MAP_FIXED_NOREPLACE) != 0 && at != addr) {
            munmap(at, length);
            throw new LinuxException("mmap (MAP_FIXED_NOREPLACE not honoured)", LinuxException.EEXIST);
        }
        return at;
    }

    public static void munmap(long addr, long length) {
        Native.Scratch s = scratch();
        Native.check(Native.syscall(s.state, SYS_MUNMAP, addr, length, 0), s.state, "munmap");
    }

    public static void madvise(long addr, long length, int advice) {
        Native.Scratch s = scratch();
        Native.check(Native.syscall(s.state, SYS_MADVISE, addr, length, advice), s.state, "madvise");
    }

    /**
     * {@code fallocate(fd, mode, offset, length)}. With {@code FALLOC_FL_PUNCH_HOLE|FALLOC_FL_KEEP_SIZE} on a memfd
     * the pages are freed in the file and unmapped from every process mapping it: a registered userfaultfd then sees
     * a MISSING fault at the next access, which is how process mode evicts a page from the task.
     */
    public static void fallocate(int fd, int mode, long offset, long length) {
        Native.Scratch s = scratch();
        Native.check(Native.syscall(s.state, SYS_FALLOCATE, fd, mode, offset, length, 0), s.state, "fallocate");
    }

    /**
     * {@code lseek(fd, offset, SEEK_DATA)}: the offset of the first byte of data at or after {@code offset}, or -1 if
     * there is none (ENXIO). On a memfd a page is data when the file holds it: for process mode's memory file, when
     * the page is resident in the task.
     */
    public static long seekData(int fd, long offset) {
        Native.Scratch s = scratch();
        long r = Native.syscall(s.state, SYS_LSEEK, fd, offset, SEEK_DATA);
        if (r < 0) {
            int errno = Native.errno(s.state);
            if (errno == LinuxException.ENXIO) {
                return -1;
            }
            throw new LinuxException("lseek(SEEK_DATA)", errno);
        }
        return r;
    }

    /**
     * {@code pread} into {@code dst} from {@code offset}, looping over short reads until {@code dst} is full or the
     * file ends; returns the bytes read (less than {@code dst.byteSize()} only at end of file). Retries EINTR.
     * {@code dst} must be native memory.
     */
    public static long pread(int fd, MemorySegment dst, long offset) {
        requireNative(dst);
        Native.Scratch s = scratch();
        long address = dst.address();
        long size = dst.byteSize();
        long done = 0;
        try {
            while (done < size) {
                long n = Native.syscall(s.state, SYS_PREAD64, fd, address + done, size - done, offset + done, 0);
                if (n < 0) {
                    if (Native.errno(s.state) == EINTR) {
                        continue;
                    }
                    throw new LinuxException("pread", Native.errno(s.state));
                }
                if (n == 0) {
                    break;
                }
                done += n;
            }
        } finally {
            java.lang.ref.Reference.reachabilityFence(dst);
        }
        return done;
    }

    /** {@code pwrite} of all of {@code src} at {@code offset} (looping over short writes, retrying EINTR); returns its size. */
    public static long pwrite(int fd, MemorySegment src, long offset) {
        requireNative(src);
        Native.Scratch s = scratch();
        long address = src.address();
        long size = src.byteSize();
        long done = 0;
        try {
            while (done < size) {
                long n = Native.syscall(s.state, SYS_PWRITE64, fd, address + done, size - done, offset + done, 0);
                if (n < 0) {
                    if (Native.errno(s.state) == EINTR) {
                        continue;
                    }
                    throw new LinuxException("pwrite", Native.errno(s.state));
                }
                done += n;
            }
        } finally {
            java.lang.ref.Reference.reachabilityFence(src);
        }
        return done;
    }

    /** One {@code read(fd, address, length)}: bytes read, or -1 for EAGAIN (non-blocking fd, nothing there). Retries EINTR. */
    static long read(int fd, long address, long length) {
        Native.Scratch s = scratch();
        while (true) {
            long n = Native.syscall(s.state, SYS_READ, fd, address, length);
            if (n >= 0) {
                return n;
            }
            int errno = Native.errno(s.state);
            if (errno == LinuxException.EAGAIN) {
                return -1;
            }
            if (errno != EINTR) {
                throw new LinuxException("read", errno);
            }
        }
    }

    /** {@code open(path, flags)} (no mode: never creates), the fd. */
    static int open(String path, int flags) {
        Native.Scratch s = scratch();
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment cpath = arena.allocateFrom(path);
            return (int) Native.check(Native.syscall(s.state, SYS_OPEN, cpath.address(), flags, 0), s.state, "open " + path);
        }
    }

    /**
     * {@code pidfd_open(pid, 0)} (syscall 434): an fd referring to process {@code pid} that stays valid (and keeps
     * naming that process, not a recycled pid) until closed. ESRCH if there is no such process.
     */
    public static int pidfdOpen(long pid) {
        Native.Scratch s = scratch();
        return (int) Native.check(Native.syscall(s.state, SYS_PIDFD_OPEN, pid, 0, 0), s.state, "pidfd_open");
    }

    /**
     * {@code pidfd_getfd(pidfd, targetFd, 0)} (syscall 438): a duplicate, in this process, of the target's fd
     * {@code targetFd} (close-on-exec set). Needs ptrace access to the target (a parent running as the same user, or
     * root; EPERM otherwise, e.g. under Yama ptrace_scope 2+).
     */
    public static int pidfdGetfd(int pidfd, int targetFd) {
        Native.Scratch s = scratch();
        return (int) Native.check(Native.syscall(s.state, SYS_PIDFD_GETFD, pidfd, targetFd, 0), s.state, "pidfd_getfd");
    }

    /** {@code close(fd)}. EINTR is not retried (on Linux the fd is closed anyway). */
    public static void close(int fd) {
        Native.Scratch s = scratch();
        Native.check(Native.syscall(s.state, SYS_CLOSE, fd, 0, 0), s.state, "close");
    }

    public static long getpid() {
        Native.Scratch s = scratch();
        return Native.syscall(s.state, SYS_GETPID, 0, 0, 0);
    }

    /** The parent's pid: after the parent died, that of the process this one was reparented to (init or a subreaper). */
    public static long getppid() {
        Native.Scratch s = scratch();
        return Native.syscall(s.state, SYS_GETPPID, 0, 0, 0);
    }

    /**
     * {@code poll} of one fd for {@code events}: returns its {@code revents} (which may hold POLLERR 8, POLLHUP 16,
     * POLLNVAL 32 whatever was asked), 0 on timeout. A negative timeout waits forever. EINTR is retried with what
     * is left of the timeout.
     */
    public static int poll(int fd, int events, int timeoutMillis) {
        return poll(fd, events, -1, timeoutMillis);
    }

    /**
     * {@link #poll(int, int, int)} that also ends when {@code stopFd} (an eventfd, or -1 for none) is readable: then it
     * returns {@link #STOPPED} whatever {@code fd}'s state.
     */
    public static int poll(int fd, int events, int stopFd, int timeoutMillis) {
        Native.Scratch s = scratch();
        MemorySegment pfd = s.zeroed(); // two struct pollfd {int fd; short events; short revents;}
        long deadline = timeoutMillis < 0 ? 0 : System.nanoTime() + timeoutMillis * 1_000_000L;
        int timeout = timeoutMillis;
        while (true) {
            pfd.set(C_INT, 0, fd);
            pfd.set(ValueLayout.JAVA_SHORT, 4, (short) events);
            pfd.set(ValueLayout.JAVA_SHORT, 6, (short) 0);
            pfd.set(C_INT, 8, stopFd);
            pfd.set(ValueLayout.JAVA_SHORT, 12, (short) POLLIN);
            pfd.set(ValueLayout.JAVA_SHORT, 14, (short) 0);
            int n = (int) Native.syscall(s.state, SYS_POLL, pfd.address(), 2L, timeout);
            if (n > 0) {
                return pfd.get(ValueLayout.JAVA_SHORT, 14) != 0 ? STOPPED : pfd.get(ValueLayout.JAVA_SHORT, 6) & 0xffff;
            }
            if (n == 0) {
                return 0;
            }
            int errno = Native.errno(s.state);
            if (errno != EINTR) {
                throw new LinuxException("poll", errno);
            }
            if (timeoutMillis >= 0) {
                timeout = (int) Math.max(0, (deadline - System.nanoTime()) / 1_000_000L);
            }
        }
    }

    /** {@code eventfd2(0, flags)}: a new eventfd, its descriptor. */
    public static int eventfd(int flags) {
        Native.Scratch s = scratch();
        return (int) Native.check(Native.syscall(s.state, SYS_EVENTFD2, 0, flags, 0), s.state, "eventfd2");
    }

    /** Adds 1 to the eventfd {@code fd} (a write of 8 bytes), making it readable; EAGAIN (counter full) is ignored. */
    public static void eventfdSignal(int fd) {
        Native.Scratch s = scratch();
        MemorySegment one = s.zeroed();
        one.set(ValueLayout.JAVA_LONG, 0, 1L);
        while (true) {
            long n = Native.syscall(s.state, SYS_WRITE, fd, one.address(), 8);
            if (n >= 0) {
                return;
            }
            int errno = Native.errno(s.state);
            if (errno == LinuxException.EAGAIN) {
                return;
            }
            if (errno != EINTR) {
                throw new LinuxException("write to eventfd", errno);
            }
        }
    }

    /** {@code kill(pid, signal)}: returns 0; ESRCH (no such process) and EPERM throw like any failure. */
    public static int kill(long pid, int signal) {
        Native.Scratch s = scratch();
        return (int) Native.check(Native.syscall(s.state, SYS_KILL, (int) pid, signal, 0), s.state, "kill");
    }

    /** {@code prctl(option, a, b, c, d)}: its non-negative result. */
    static int prctl(int option, long a, long b, long c, long d) {
        Native.Scratch s = scratch();
        return (int) Native.check(Native.syscall(s.state, SYS_PRCTL, option, a, b, c, d), s.state, "prctl " + option);
    }

    /**
     * {@code exit_group(code)}: ends this process at once, every thread, with no JVM shutdown at all. Unlike
     * {@code Runtime.halt}, which brings the VM to a final safepoint and there waits up to 300 ms for threads that are
     * in native code (a thread blocked reading a pipe or polling a userfaultfd is), this costs nothing. Only for a
     * process that has flushed and reported everything it has to say. Does not return.
     */
    public static void exitGroup(int code) {
        Native.Scratch s = scratch();
        Native.syscall(s.state, SYS_EXIT_GROUP, code, 0, 0);
        throw new IllegalStateException("exit_group returned");
    }
}
