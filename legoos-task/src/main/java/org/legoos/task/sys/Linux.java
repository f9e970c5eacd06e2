package org.legoos.task.sys;

import static org.legoos.task.sys.Native.C_INT;
import static org.legoos.task.sys.Native.C_LONG;
import static org.legoos.task.sys.Native.libc;
import static org.legoos.task.sys.Native.rethrow;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;

/**
 * Thin bindings of the Linux system calls process mode needs (x86_64, glibc), one Java method per call. Every
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

    static final int O_CLOEXEC = 0x80000;
    static final int O_NONBLOCK = 0x800;
    static final int O_PATH = 0x200000;
    static final int EINTR = LinuxException.EINTR;

    private static final long SYS_PIDFD_OPEN = 434;
    private static final long SYS_PIDFD_GETFD = 438;
    private static final long MAP_FAILED = -1L;

    private static final MethodHandle MEMFD_CREATE = handle("memfd_create", FunctionDescriptor.of(C_INT, ValueLayout.ADDRESS, C_INT));
    private static final MethodHandle FTRUNCATE = handle("ftruncate", FunctionDescriptor.of(C_INT, C_INT, C_LONG));
    private static final MethodHandle MMAP = handle("mmap",
            FunctionDescriptor.of(C_LONG, C_LONG, C_LONG, C_INT, C_INT, C_INT, C_LONG));
    private static final MethodHandle MUNMAP = handle("munmap", FunctionDescriptor.of(C_INT, C_LONG, C_LONG));
    private static final MethodHandle MADVISE = handle("madvise", FunctionDescriptor.of(C_INT, C_LONG, C_LONG, C_INT));
    private static final MethodHandle FALLOCATE = handle("fallocate", FunctionDescriptor.of(C_INT, C_INT, C_INT, C_LONG, C_LONG));
    private static final MethodHandle LSEEK = handle("lseek", FunctionDescriptor.of(C_LONG, C_INT, C_LONG, C_INT));
    private static final int SEEK_DATA = 3;
    private static final MethodHandle PREAD = handle("pread", FunctionDescriptor.of(C_LONG, C_INT, C_LONG, C_LONG, C_LONG));
    private static final MethodHandle PWRITE = handle("pwrite", FunctionDescriptor.of(C_LONG, C_INT, C_LONG, C_LONG, C_LONG));
    private static final MethodHandle READ = handle("read", FunctionDescriptor.of(C_LONG, C_INT, C_LONG, C_LONG));
    private static final MethodHandle OPEN = handle("open", FunctionDescriptor.of(C_INT, ValueLayout.ADDRESS, C_INT));
    private static final MethodHandle CLOSE = handle("close", FunctionDescriptor.of(C_INT, C_INT));
    private static final MethodHandle GETPID = handle("getpid", FunctionDescriptor.of(C_INT));
    private static final MethodHandle GETPPID = handle("getppid", FunctionDescriptor.of(C_INT));
    private static final MethodHandle POLL = handle("poll", FunctionDescriptor.of(C_INT, C_LONG, C_LONG, C_INT));
    private static final MethodHandle KILL = handle("kill", FunctionDescriptor.of(C_INT, C_INT, C_INT));
    private static final MethodHandle PRCTL = handle("prctl", FunctionDescriptor.of(C_INT, C_INT, C_LONG, C_LONG, C_LONG, C_LONG), 1);

    private Linux() {
    }

    private static MethodHandle handle(String name, FunctionDescriptor fd) {
        return handle(name, fd, -1);
    }

    private static MethodHandle handle(String name, FunctionDescriptor fd, int firstVariadic) {
        return Native.SUPPORTED ? libc(name, fd, firstVariadic) : null;
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
            int fd = (int) MEMFD_CREATE.invokeExact(s.state, cname, flags);
            return (int) Native.check(fd, s.state, "memfd_create");
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    public static void ftruncate(int fd, long length) {
        Native.Scratch s = scratch();
        try {
            Native.check((int) FTRUNCATE.invokeExact(s.state, fd, length), s.state, "ftruncate");
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /**
     * {@code mmap}: returns the mapping's address. With {@link #MAP_FIXED_NOREPLACE} the result is checked to be
     * {@code addr} (kernels before 4.17 ignore the flag and map elsewhere; that mapping is undone and EEXIST thrown).
     */
    public static long mmap(long addr, long length, int prot, int flags, int fd, long offset) {
        Native.Scratch s = scratch();
        long at;
        try {
            at = (long) MMAP.invokeExact(s.state, addr, length, prot, flags, fd, offset);
        } catch (Throwable t) {
            throw rethrow(t);
        }
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
        try {
            Native.check((int) MUNMAP.invokeExact(s.state, addr, length), s.state, "munmap");
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    public static void madvise(long addr, long length, int advice) {
        Native.Scratch s = scratch();
        try {
            Native.check((int) MADVISE.invokeExact(s.state, addr, length, advice), s.state, "madvise");
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /**
     * {@code fallocate(fd, mode, offset, length)}. With {@code FALLOC_FL_PUNCH_HOLE|FALLOC_FL_KEEP_SIZE} on a memfd
     * the pages are freed in the file and unmapped from every process mapping it: a registered userfaultfd then sees
     * a MISSING fault at the next access, which is how process mode evicts a page from the task.
     */
    public static void fallocate(int fd, int mode, long offset, long length) {
        Native.Scratch s = scratch();
        try {
            Native.check((int) FALLOCATE.invokeExact(s.state, fd, mode, offset, length), s.state, "fallocate");
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /**
     * {@code lseek(fd, offset, SEEK_DATA)}: the offset of the first byte of data at or after {@code offset}, or -1 if
     * there is none (ENXIO). On a memfd a page is data when the file holds it: for process mode's memory file, when
     * the page is resident in the task.
     */
    public static long seekData(int fd, long offset) {
        Native.Scratch s = scratch();
        try {
            long r = (long) LSEEK.invokeExact(s.state, fd, offset, SEEK_DATA);
            if (r < 0) {
                int errno = Native.errno(s.state);
                if (errno == LinuxException.ENXIO) {
                    return -1;
                }
                throw new LinuxException("lseek(SEEK_DATA)", errno);
            }
            return r;
        } catch (Throwable t) {
            throw rethrow(t);
        }
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
                long n = (long) PREAD.invokeExact(s.state, fd, address + done, size - done, offset + done);
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
        } catch (Throwable t) {
            throw rethrow(t);
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
                long n = (long) PWRITE.invokeExact(s.state, fd, address + done, size - done, offset + done);
                if (n < 0) {
                    if (Native.errno(s.state) == EINTR) {
                        continue;
                    }
                    throw new LinuxException("pwrite", Native.errno(s.state));
                }
                done += n;
            }
        } catch (Throwable t) {
            throw rethrow(t);
        }
        return done;
    }

    /** One {@code read(fd, address, length)}: bytes read, or -1 for EAGAIN (non-blocking fd, nothing there). Retries EINTR. */
    static long read(int fd, long address, long length) {
        Native.Scratch s = scratch();
        try {
            while (true) {
                long n = (long) READ.invokeExact(s.state, fd, address, length);
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
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** {@code open(path, flags)} (no mode: never creates), the fd. */
    static int open(String path, int flags) {
        Native.Scratch s = scratch();
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment cpath = arena.allocateFrom(path);
            return (int) Native.check((int) OPEN.invokeExact(s.state, cpath, flags), s.state, "open " + path);
        } catch (Throwable t) {
            throw rethrow(t);
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
        try {
            Native.check((int) CLOSE.invokeExact(s.state, fd), s.state, "close");
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    public static long getpid() {
        Native.Scratch s = scratch();
        try {
            return (int) GETPID.invokeExact(s.state);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** The parent's pid: after the parent died, that of the process this one was reparented to (init or a subreaper). */
    public static long getppid() {
        Native.Scratch s = scratch();
        try {
            return (int) GETPPID.invokeExact(s.state);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /**
     * {@code poll} of one fd for {@code events}: returns its {@code revents} (which may hold POLLERR 8, POLLHUP 16,
     * POLLNVAL 32 whatever was asked), 0 on timeout. A negative timeout waits forever. EINTR is retried with what
     * is left of the timeout.
     */
    public static int poll(int fd, int events, int timeoutMillis) {
        Native.Scratch s = scratch();
        MemorySegment pfd = s.zeroed();
        long deadline = timeoutMillis < 0 ? 0 : System.nanoTime() + timeoutMillis * 1_000_000L;
        int timeout = timeoutMillis;
        try {
            while (true) {
                pfd.set(C_INT, 0, fd);
                pfd.set(ValueLayout.JAVA_SHORT, 4, (short) events);
                pfd.set(ValueLayout.JAVA_SHORT, 6, (short) 0);
                int n = (int) POLL.invokeExact(s.state, pfd.address(), 1L, timeout);
                if (n > 0) {
                    return pfd.get(ValueLayout.JAVA_SHORT, 6) & 0xffff;
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
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** {@code kill(pid, signal)}: returns 0; ESRCH (no such process) and EPERM throw like any failure. */
    public static int kill(long pid, int signal) {
        Native.Scratch s = scratch();
        try {
            return (int) Native.check((int) KILL.invokeExact(s.state, (int) pid, signal), s.state, "kill");
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** {@code prctl(option, a, b, c, d)}: its non-negative result. */
    static int prctl(int option, long a, long b, long c, long d) {
        Native.Scratch s = scratch();
        try {
            return (int) Native.check((int) PRCTL.invokeExact(s.state, option, a, b, c, d), s.state, "prctl " + option);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }
}
