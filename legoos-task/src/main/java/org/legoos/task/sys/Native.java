package org.legoos.task.sys;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.VarHandle;

/**
 * The FFM plumbing every Linux call of process mode goes through: libc lookup, downcalls that capture
 * {@code errno}, and {@link LinuxException} for a failed call. No C code: the JDK's linker is enough.
 *
 * <p>Only for Linux on x86_64 ({@link #SUPPORTED}); callers check that before using any binding.
 * Thread-safe: the errno of a call is captured in a per-call segment.
 */
public final class Native {
    /** True on Linux x86_64, the only platform whose syscall numbers and struct layouts this package knows. */
    public static final boolean SUPPORTED = System.getProperty("os.name", "").toLowerCase(java.util.Locale.ROOT).startsWith("linux")
            && System.getProperty("os.arch", "").matches("amd64|x86_64");

    static final Linker LINKER = Linker.nativeLinker();
    private static final StructLayout CALL_STATE = Linker.Option.captureStateLayout();
    private static final VarHandle ERRNO = CALL_STATE.varHandle(MemoryLayout.PathElement.groupElement("errno"));
    private static final Linker.Option CAPTURE = Linker.Option.captureCallState("errno");

    private Native() {
    }

    /**
     * A downcall to the libc function {@code name} that captures errno: the returned handle takes a call-state
     * segment ({@link #callState}) as its first argument, then the function's own.
     *
     * @param firstVariadic index of the first variadic argument (for {@code syscall}, {@code ioctl}, {@code prctl}),
     *                      or -1 for a fixed-arity function
     */
    private static MethodHandle libc(String name, FunctionDescriptor fd, int firstVariadic) {
        MemorySegment addr = LINKER.defaultLookup().find(name)
                .orElseThrow(() -> new UnsatisfiedLinkError("libc has no " + name));
        return firstVariadic < 0
                ? LINKER.downcallHandle(addr, fd, CAPTURE)
                : LINKER.downcallHandle(addr, fd, CAPTURE, Linker.Option.firstVariadicArg(firstVariadic));
    }

    /** A segment to capture one call's errno in; allocate it from a confined arena around the call. */
    static MemorySegment callState(Arena arena) {
        return arena.allocate(CALL_STATE);
    }

    static int errno(MemorySegment callState) {
        return (int) ERRNO.get(callState, 0L);
    }

    /** Returns {@code rc} if it is not negative, else throws {@link LinuxException} for {@code what} with the captured errno. */
    static long check(long rc, MemorySegment callState, String what) {
        if (rc < 0) {
            throw new LinuxException(what, errno(callState));
        }
        return rc;
    }

    static final ValueLayout.OfLong C_LONG = ValueLayout.JAVA_LONG;
    static final ValueLayout.OfInt C_INT = ValueLayout.JAVA_INT;

    // ---- the one entry: syscall(2), every argument passed as a full 64-bit register ----

    /** {@code ioctl(2)}'s number on x86_64. */
    private static final long SYS_IOCTL = 16;

    /**
     * {@code long syscall(long nr, ...)} with six arguments: every Linux call of this package goes through this one
     * handle. One function descriptor means one downcall stub, which the JDK generates (class file, hidden class,
     * linking) the first time a descriptor is linked; a handle per libc function cost a task about 20 ms of start-up
     * each, 0.3 s for the 16 descriptors there were. An unused trailing argument is passed as 0 and ignored by the
     * kernel.
     */
    private static final MethodHandle SYSCALL = SUPPORTED ? libc("syscall",
            FunctionDescriptor.of(C_LONG, C_LONG, C_LONG, C_LONG, C_LONG, C_LONG, C_LONG, C_LONG), 1) : null;

    /**
     * {@code syscall(nr, a, b, c, d, e, f)}: the raw return value, -1 with errno in {@code callState} on failure (glibc's
     * {@code syscall} turns the kernel's -errno into that). Arguments are longs because glibc's {@code syscall} passes
     * its variadic registers through unchanged: an {@code int} would leave the register's upper half undefined
     * (harmless for the kernel's int parameters, wrong for pointers and 64-bit values); an int result is the low
     * half of the long.
     */
    static long syscall(MemorySegment callState, long nr, long a, long b, long c, long d, long e, long f) {
        try {
            return (long) SYSCALL.invokeExact(callState, nr, a, b, c, d, e, f);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    static long syscall(MemorySegment callState, long nr, long a, long b, long c) {
        return syscall(callState, nr, a, b, c, 0, 0, 0);
    }

    static long syscall(MemorySegment callState, long nr, long a, long b, long c, long d, long e) {
        return syscall(callState, nr, a, b, c, d, e, 0);
    }

    /** {@code ioctl(fd, request, arg)}: the raw return value, -1 with errno in {@code callState} on failure. */
    static int ioctl(MemorySegment callState, int fd, long request, MemorySegment arg) {
        try {
            return (int) syscall(callState, SYS_IOCTL, fd, request, arg.address());
        } finally {
            java.lang.ref.Reference.reachabilityFence(arg);
        }
    }

    /** An exception out of {@code invokeExact} of a downcall is an error or a bug of ours: pass it on unchecked. */
    static RuntimeException rethrow(Throwable t) {
        if (t instanceof RuntimeException r) {
            throw r;
        }
        if (t instanceof Error e) {
            throw e;
        }
        throw new IllegalStateException(t);
    }

    // ---- per-thread scratch: a call state and room for one ioctl struct, without allocating per call ----

    /** Bytes of struct room in a thread's {@link #scratch}: the largest struct a call here passes (uffdio_copy, 40). */
    static final long SCRATCH_STRUCT = 64;
    private static final long SCRATCH_STATE_OFFSET = SCRATCH_STRUCT;

    private static final ThreadLocal<Scratch> SCRATCH = ThreadLocal.withInitial(Scratch::new);

    /**
     * A thread's reusable native buffers: {@link #struct} for the argument of one call and {@link #state} for its
     * errno. Reused by every call the thread makes through this package, so a caller must read what it needs out of
     * them before its next call. Memory is from an automatic arena: freed when the thread (and its scratch) is gone.
     */
    static final class Scratch {
        final MemorySegment struct;
        final MemorySegment state;

        private Scratch() {
            MemorySegment all = Arena.ofAuto().allocate(SCRATCH_STRUCT + CALL_STATE.byteSize(), 16);
            struct = all.asSlice(0, SCRATCH_STRUCT);
            state = all.asSlice(SCRATCH_STATE_OFFSET, CALL_STATE.byteSize());
        }

        /** {@link #struct}, zeroed, for a new call. */
        MemorySegment zeroed() {
            return struct.fill((byte) 0);
        }
    }

    static Scratch scratch() {
        return SCRATCH.get();
    }
}
