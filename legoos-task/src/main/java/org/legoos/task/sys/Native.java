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
    static MethodHandle libc(String name, FunctionDescriptor fd, int firstVariadic) {
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
}
