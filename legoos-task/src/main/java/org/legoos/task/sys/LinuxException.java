package org.legoos.task.sys;

/** A Linux call failed: {@link #errno()} says why (e.g. 17 EEXIST, 1 EPERM, 22 EINVAL, 38 ENOSYS). */
public final class LinuxException extends RuntimeException {
    public static final int EPERM = 1;
    public static final int ENOENT = 2;
    public static final int EINTR = 4;
    public static final int EAGAIN = 11;
    public static final int ENOMEM = 12;
    public static final int EACCES = 13;
    public static final int EFAULT = 14;
    public static final int EEXIST = 17;
    public static final int EINVAL = 22;
    public static final int ENOSPC = 28;
    public static final int ENOSYS = 38;
    public static final int ESRCH = 3;
    public static final int ENXIO = 6;
    public static final int EOPNOTSUPP = 95;

    private final int errno;

    public LinuxException(String what, int errno) {
        super(what + " failed: errno " + errno);
        this.errno = errno;
    }

    public int errno() {
        return errno;
    }
}
