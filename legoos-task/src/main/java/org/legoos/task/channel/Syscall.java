package org.legoos.task.channel;

/**
 * Every operation of a task's system-call channel, numbered: the one source of truth for both sides. A {@link Kind#CALL}
 * is a request from the task answered by the monitor (matched by request id); the other kinds are one-way messages.
 * Numbers are the wire form and never change meaning; add new operations with new numbers.
 */
public enum Syscall {
    // ---- one-way, monitor -> task
    /** The task's start message ({@link StartMessage}); the first frame on the channel. */
    START(1, Kind.TO_TASK),
    /** Bytes for the process's standard input. Not sent by the monitor any more: tasks read with {@link #STDIN_READ}. */
    STDIN(2, Kind.TO_TASK),
    /** End of the process's standard input. Not sent by the monitor any more: tasks read with {@link #STDIN_READ}. */
    STDIN_EOF(3, Kind.TO_TASK),

    // ---- one-way, task -> monitor
    /** Bytes the process wrote to its standard output. */
    STDOUT(10, Kind.TO_MONITOR),
    /** Bytes the process wrote to its standard error. */
    STDERR(11, Kind.TO_MONITOR),
    /** The process's exit: int code, string error (empty if none). The task halts right after. */
    EXIT(12, Kind.TO_MONITOR),

    // ---- standard input: pulled, so the monitor's bounded buffer (and the client behind it) is the only queue
    /**
     * Reads the process's standard input: int max (1 to 64 KiB); blocks until input is there and answers 1 to max bytes,
     * or no bytes at the end of input (or once the process's input was closed).
     */
    STDIN_READ(13, Kind.CALL),

    // ---- files: the stateless FileService of the process's vNode (the monitor adds the vNode)
    FS_STAT(20, Kind.CALL),
    FS_CREATE(21, Kind.CALL),
    FS_READ(22, Kind.CALL),
    FS_WRITE(23, Kind.CALL),
    FS_WRITE_BATCH(24, Kind.CALL),
    FS_TRUNCATE(25, Kind.CALL),
    FS_UNLINK(26, Kind.CALL),
    FS_MKDIR(27, Kind.CALL),
    FS_RMDIR(28, Kind.CALL),
    FS_READDIR(29, Kind.CALL),
    FS_RENAME(30, Kind.CALL),
    FS_FSYNC(31, Kind.CALL),
    FS_CLOSE(32, Kind.CALL),

    // ---- processes
    /** Starts a child process in the same vNode: string program, strings args; answers long child pid. */
    SPAWN(40, Kind.CALL),
    /** Waits for a child started with {@link #SPAWN}: long pid; answers int exit code. */
    WAIT(41, Kind.CALL),

    // ---- memory (handlers and the task-side AddressSpace are the memory side's)
    MEMORY_ATTACH(60, Kind.CALL),
    MMAP(61, Kind.CALL),
    MMAP_FILE(62, Kind.CALL),
    MUNMAP(63, Kind.CALL),
    MREMAP(64, Kind.CALL),
    BRK(65, Kind.CALL),
    MPROTECT(66, Kind.CALL),
    MSYNC(67, Kind.CALL),
    FAULT(68, Kind.CALL);

    /** Direction and shape of an operation. */
    public enum Kind {
        /** A request from the task with a reply from the monitor. */
        CALL,
        /** A one-way message from the monitor to the task. */
        TO_TASK,
        /** A one-way message from the task to the monitor. */
        TO_MONITOR
    }

    private static final Syscall[] BY_NUMBER;

    static {
        int max = 0;
        for (Syscall s : values()) {
            max = Math.max(max, s.number);
        }
        BY_NUMBER = new Syscall[max + 1];
        for (Syscall s : values()) {
            if (BY_NUMBER[s.number] != null) {
                throw new ExceptionInInitializerError("syscall number " + s.number + " used twice");
            }
            BY_NUMBER[s.number] = s;
        }
    }

    private final int number;
    private final Kind kind;

    Syscall(int number, Kind kind) {
        this.number = number;
        this.kind = kind;
    }

    /** The wire number. */
    public int number() {
        return number;
    }

    public Kind kind() {
        return kind;
    }

    /** The operation numbered {@code n}, or null if there is none. */
    public static Syscall of(int n) {
        return n >= 0 && n < BY_NUMBER.length ? BY_NUMBER[n] : null;
    }
}
