package org.legoos.task.sys;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * The sandbox a process-mode task enters before it loads its program (see PROCESSES.md): it dies with the
 * processor component, gains no privileges, reads only what it was allowed, writes nothing, and opens no
 * network connection. Irreversible for the calling process.
 */
public final class Sandbox {
    /**
     * What a sandboxed task may touch: directories and files it may read (the JDK, its class path). A directory
     * is readable with everything beneath it; a path that does not exist is skipped. {@link #jvm} makes the usual
     * one.
     *
     * <p>What a JVM reads after it started, found by running one in the sandbox (JDK 25, Linux 6.18, see
     * {@code SandboxTest}):
     * <ul>
     * <li>{@code java.home}: native libraries loaded on first use (libnet, libnio, libzip, libmanagement...),
     *     {@code conf/security/java.security}, {@code lib/tzdb.dat}; {@code lib/modules} is open already.</li>
     * <li>the class path entries: classes and resources are opened lazily, a jar at its first use, a directory's
     *     files one by one.</li>
     * <li>{@code /dev/random} and {@code /dev/urandom}: without them {@code NativePRNG} is unavailable and the first
     *     {@code new SecureRandom()} (also behind {@code UUID.randomUUID()}, TLS, ...) falls back to DRBG seeded by
     *     the thread-timing seed generator: measured 8.7 s for the first instance, 4.3 s for a
     *     {@code SecureRandom.getSeed(16)}. With them it is {@code NativePRNG}: 88 ms for the first instance
     *     (class loading included), 0.1 ms for a seed.</li>
     * </ul>
     * Not needed, everything worked without them: {@code /proc/self} and {@code /sys/fs/cgroup} (read at start-up,
     * before the sandbox; {@code availableProcessors()}, the OS MXBean and GC work after), {@code /etc/localtime}
     * (the default zone comes from reading the symlink, which Landlock does not restrict; where it is a copy rather
     * than a link, pass {@code -Duser.timezone}), {@code /tmp} (start the task with {@code -XX:-UsePerfData} and
     * nothing to write). What stops working: {@code ProcessHandle.current().info()} is empty (it reads
     * {@code /proc/self/stat} and {@code cmdline}).
     */
    public record Policy(List<Path> readOnly) {
        public Policy {
            readOnly = List.copyOf(readOnly);
        }

        /** The JDK this JVM runs ({@code java.home}), {@code /dev/random}, {@code /dev/urandom}, and {@code classPath}. */
        public static Policy jvm(List<Path> classPath) {
            List<Path> paths = new java.util.ArrayList<>();
            paths.add(Path.of(System.getProperty("java.home")));
            paths.add(Path.of("/dev/random"));
            paths.add(Path.of("/dev/urandom"));
            paths.addAll(classPath);
            return new Policy(paths);
        }
    }

    private static final long SYS_LANDLOCK_CREATE_RULESET = 444;
    private static final long SYS_LANDLOCK_ADD_RULE = 445;
    private static final long SYS_LANDLOCK_RESTRICT_SELF = 446;
    private static final long LANDLOCK_CREATE_RULESET_VERSION = 1;
    private static final long LANDLOCK_RULE_PATH_BENEATH = 1;

    static final long ACCESS_FS_EXECUTE = 1L;
    static final long ACCESS_FS_READ_FILE = 1L << 2;
    static final long ACCESS_FS_READ_DIR = 1L << 3;
    /** ABI 1's 13 file-system rights, EXECUTE (1 << 0) to MAKE_SYM (1 << 12). */
    private static final long ACCESS_FS_ABI1 = (1L << 13) - 1;
    private static final long ACCESS_FS_REFER = 1L << 13;
    private static final long ACCESS_FS_TRUNCATE = 1L << 14;
    private static final long ACCESS_FS_IOCTL_DEV = 1L << 15;
    private static final long ACCESS_NET_BIND_TCP = 1;
    private static final long ACCESS_NET_CONNECT_TCP = 2;
    private static final long SCOPE_ABSTRACT_UNIX_SOCKET = 1;
    private static final long SCOPE_SIGNAL = 2;

    private static final int PR_SET_PDEATHSIG = 1;
    private static final int PR_SET_NO_NEW_PRIVS = 38;

    private static volatile int abi = -1;

    private Sandbox() {
    }

    /** The Landlock ABI version this kernel offers, or 0 if it has none (or the platform is not supported). */
    public static int landlockAbi() {
        int known = abi;
        if (known < 0) {
            if (!Native.SUPPORTED) {
                known = 0;
            } else {
                Native.Scratch s = Native.scratch();
                long v = Native.syscall(s.state, SYS_LANDLOCK_CREATE_RULESET, 0, 0, LANDLOCK_CREATE_RULESET_VERSION);
                known = v < 0 ? 0 : (int) v; // ENOSYS: not built in; EOPNOTSUPP: not enabled at boot
            }
            abi = known;
        }
        return known;
    }

    /**
     * Makes this process receive SIGKILL when its parent dies ({@code PR_SET_PDEATHSIG}), then exits at once if the
     * parent is already gone ({@code getppid() != expectedParentPid}), closing the race with a parent that died
     * before the call.
     *
     * <p>Pitfall: the "parent" the kernel watches is the <em>thread</em> that started this process: the signal comes
     * when that thread exits, even if the parent process lives on. The monitor must start a task from a thread that
     * lives as long as the task should (see {@link #restrictThreadForSpawn}: one thread per task, which also waits for
     * it). The setting survives {@code execve} of a non-set-id program and is not inherited by
     * this process's own children.
     */
    public static void dieWithParent(long expectedParentPid) {
        Linux.prctl(PR_SET_PDEATHSIG, Linux.SIGKILL, 0, 0, 0);
        if (Linux.getppid() != expectedParentPid) {
            Linux.kill(Linux.getpid(), Linux.SIGKILL);
        }
    }

    /**
     * Enters the sandbox: {@code PR_SET_NO_NEW_PRIVS}, then a Landlock ruleset that handles every file-system
     * access right of the kernel's ABI and allows only reading {@code policy.readOnly()}, forbids TCP bind and
     * connect (ABI 4+), and scopes abstract UNIX sockets and signals (ABI 6+).
     *
     * <p>Reading means {@code READ_FILE} (and {@code READ_DIR} for a directory), not {@code EXECUTE}: a task cannot
     * start programs, not even {@code java} (the JVM's own {@code dlopen} of a library needs only reading).
     * Everything else (writing, truncating, creating, removing, renaming, linking, device ioctls) is denied
     * everywhere. File descriptors opened before keep what they were opened for (Landlock checks at open): stdout,
     * stderr and the channel to the monitor go on working, so the task runtime must not hold others.
     *
     * <p>What this does <em>not</em> cover:
     * <ul>
     * <li><b>Threads that already exist.</b> Landlock restricts the calling thread and the threads it creates
     *     afterwards (ABI 7 has no way to restrict a whole process). A JVM has threads before {@code main}: the GC and
     *     JIT threads, and the Finalizer, Reference Handler, Common-Cleaner and Signal Dispatcher threads, which stay
     *     unrestricted (measured: a {@code finalize()} method reads {@code /etc/hostname} after this call). Either
     *     start the task from a thread that called {@link #restrictThreadForSpawn}, or keep program code off those
     *     threads: start the task with {@code --finalization=disabled} (else {@code finalize()} runs on the Finalizer
     *     thread), {@code -Xrs} (else SIGTERM/SIGINT/SIGHUP run the shutdown hooks on a thread the Signal Dispatcher
     *     starts) and {@code -XX:+DisableAttachMechanism}, and call this before the task runtime starts any thread
     *     pool, virtual thread or process of its own (their carrier and reaper threads would be unrestricted and run
     *     callbacks).</li>
     * <li><b>UDP and other sockets</b> are not Landlock's (its network rules are about TCP bind and connect only):
     *     {@link #denyNetworkSockets}, which this calls last, fails the creation of IPv4, IPv6 and packet sockets on
     *     every thread. Pathname UNIX sockets stay usable (Landlock denies creating their files).</li>
     * <li><b>Capabilities.</b> A task running as root keeps them (no new privileges, but not fewer): Landlock stops
     *     file access, mounts and ptrace of processes outside the sandbox, not e.g. {@code init_module}.</li>
     * </ul>
     *
     * @throws LinuxException if the kernel refuses, EOPNOTSUPP if it has no Landlock (the caller must not run the
     *                        program then)
     */
    public static void enter(Policy policy) {
        enter(policy, false);
        denyNetworkSockets();
    }

    private static final int SECCOMP_SET_MODE_FILTER = 1;
    private static final int SECCOMP_FILTER_FLAG_TSYNC = 1;
    private static final int AF_INET = 2;
    private static final int AF_INET6 = 10;
    private static final int AF_PACKET = 17;
    private static final long SYS_IO_URING_SETUP = 425; // the same on x86-64 and arm64

    /** The host's syscall ABI as seccomp names it, and its {@code seccomp} and {@code socket} numbers. */
    private record SyscallAbi(int auditArch, long seccomp, long socket) {
        static SyscallAbi ofThisHost() {
            return switch (System.getProperty("os.arch")) {
                case "amd64", "x86_64" -> new SyscallAbi(0xC000003E, 317, 41);
                case "aarch64" -> new SyscallAbi(0xC00000B7, 277, 198);
                default -> null;
            };
        }
    }

    /**
     * What Landlock cannot do for networking (it rules TCP bind and connect only): a seccomp filter on every thread of
     * the process ({@code SECCOMP_FILTER_FLAG_TSYNC}, so the JVM's threads that predate the call are covered too)
     * that fails {@code socket()} for IPv4, IPv6 and packet sockets with EACCES, and {@code io_uring_setup} (whose
     * socket operations would bypass it). UDP is denied with it, and TCP twice. UNIX sockets stay (the JDK uses none a
     * task needs, and Landlock scopes abstract ones). Needs no-new-privs, which {@link #enter} set.
     *
     * @throws LinuxException if the kernel refuses the filter
     * @throws UnsupportedOperationException on an architecture whose syscall numbers this does not know
     */
    static void denyNetworkSockets() {
        SyscallAbi abi = SyscallAbi.ofThisHost();
        if (abi == null) {
            throw new UnsupportedOperationException("no seccomp filter for os.arch " + System.getProperty("os.arch"));
        }
        final int ld = 0x20; // BPF_LD | BPF_W | BPF_ABS: load a 32-bit word of struct seccomp_data
        final int jeq = 0x15; // BPF_JMP | BPF_JEQ | BPF_K
        final int ret = 0x06; // BPF_RET | BPF_K
        final int allow = 0x7fff0000; // SECCOMP_RET_ALLOW
        final int deny = 0x00050000 | LinuxException.EACCES; // SECCOMP_RET_ERRNO
        int[][] prog = { // {code, jt, jf, k}; jumps count from the next instruction
            {ld, 0, 0, 4}, // 0: arch
            {jeq, 0, 7, abi.auditArch()}, // 1: another ABI (x32, ia32): not ours to judge -> 9 allow
            {ld, 0, 0, 0}, // 2: syscall number
            {jeq, 6, 0, (int) SYS_IO_URING_SETUP}, // 3: -> 10 deny
            {jeq, 0, 4, (int) abi.socket()}, // 4: not socket -> 9 allow
            {ld, 0, 0, 16}, // 5: socket's domain (args[0], low word)
            {jeq, 3, 0, AF_INET}, // 6: -> 10
            {jeq, 2, 0, AF_INET6}, // 7: -> 10
            {jeq, 1, 0, AF_PACKET}, // 8: -> 10
            {ret, 0, 0, allow}, // 9
            {ret, 0, 0, deny}, // 10
        };
        try (java.lang.foreign.Arena arena = java.lang.foreign.Arena.ofConfined()) {
            java.lang.foreign.MemorySegment filter = arena.allocate(8L * prog.length, 8);
            for (int i = 0; i < prog.length; i++) { // struct sock_filter { u16 code; u8 jt; u8 jf; u32 k; }
                filter.set(java.lang.foreign.ValueLayout.JAVA_SHORT, 8L * i, (short) prog[i][0]);
                filter.set(java.lang.foreign.ValueLayout.JAVA_BYTE, 8L * i + 2, (byte) prog[i][1]);
                filter.set(java.lang.foreign.ValueLayout.JAVA_BYTE, 8L * i + 3, (byte) prog[i][2]);
                filter.set(java.lang.foreign.ValueLayout.JAVA_INT, 8L * i + 4, prog[i][3]);
            }
            java.lang.foreign.MemorySegment fprog = arena.allocate(16, 8); // struct sock_fprog { u16 len; ptr filter; }
            fprog.set(java.lang.foreign.ValueLayout.JAVA_SHORT, 0, (short) prog.length);
            fprog.set(java.lang.foreign.ValueLayout.JAVA_LONG, 8, filter.address());
            Native.Scratch s = Native.scratch();
            long rc = Native.check(Native.syscall(s.state, abi.seccomp(), SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_TSYNC,
                    fprog.address()), s.state, "seccomp");
            if (rc != 0) { // TSYNC names the thread it could not synchronise
                throw new LinuxException("seccomp (thread " + rc + " could not take the filter)", LinuxException.EPERM);
            }
        }
    }

    /** Null if {@link #denyNetworkSockets} knows this host's architecture, else why not. */
    public static String socketFilterUnsupported() {
        return SyscallAbi.ofThisHost() != null ? null : "no seccomp socket filter for os.arch " + System.getProperty("os.arch");
    }

    /** Where the dynamic loader and the C libraries a JVM links to live (Debian multiarch, Fedora lib64, Alpine). */
    static final List<Path> SYSTEM_LIBRARIES = List.of(Path.of("/lib"), Path.of("/lib64"), Path.of("/usr/lib"), Path.of("/usr/lib64"));

    /**
     * Sandboxes the calling <em>thread</em> so that the processes it starts afterwards are sandboxed from their first
     * instruction, all their threads included: the way round {@link #enter}'s blind spot (threads that existed
     * before it). Landlock domains and no-new-privs are per thread and inherited by the processes a thread starts
     * ({@code posix_spawn} and {@code exec} keep them), so a monitor thread that calls this and then starts the task's
     * JVM gives the task {@code policy}, plus what exec'ing a JVM needs: {@code EXECUTE} on the policy's paths and
     * read and execute of {@link #SYSTEM_LIBRARIES} (the kernel opens {@code ld-linux} for execute, the loader
     * reads {@code libc}, {@code libz}...). Measured: such a JVM starts and runs normally; it cannot read its
     * {@code /proc/self} (it logs "Can't open /proc/cgroups" under {@code -Xlog:os+container=debug} and sees no
     * container limits: give it {@code -Xmx}).
     *
     * <p>For the monitor: call it on a new platform thread dedicated to one task and start the task from that
     * thread, which then must outlive the task (it is also the thread {@code PR_SET_PDEATHSIG} watches) and must do
     * nothing that needs files outside {@code policy} (e.g. load a monitor class not yet loaded; resolve
     * {@code ProcessHandle.info()} before). The task may still call {@link #enter} to drop {@code EXECUTE} for the
     * threads it creates from then on. The rest of the monitor is not affected.
     */
    public static void restrictThreadForSpawn(Policy policy) {
        List<Path> paths = new java.util.ArrayList<>(policy.readOnly());
        paths.addAll(SYSTEM_LIBRARIES);
        enter(new Policy(paths), true);
    }

    private static void enter(Policy policy, boolean execute) {
        int version = landlockAbi();
        if (version < 1) {
            throw new LinuxException("landlock (not offered by this kernel)", LinuxException.EOPNOTSUPP);
        }
        Linux.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
        int ruleset = createRuleset(version);
        try {
            for (Path path : policy.readOnly()) {
                allowRead(ruleset, path, execute);
            }
            Native.Scratch s = Native.scratch();
            Native.check(Native.syscall(s.state, SYS_LANDLOCK_RESTRICT_SELF, ruleset, 0, 0), s.state,
                    "landlock_restrict_self");
        } finally {
            Linux.close(ruleset);
        }
    }

    private static int createRuleset(int version) {
        long fs = ACCESS_FS_ABI1;
        if (version >= 2) {
            fs |= ACCESS_FS_REFER;
        }
        if (version >= 3) {
            fs |= ACCESS_FS_TRUNCATE;
        }
        if (version >= 5) {
            fs |= ACCESS_FS_IOCTL_DEV;
        }
        long size = version >= 6 ? 24 : version >= 4 ? 16 : 8; // struct landlock_ruleset_attr as of that ABI
        Native.Scratch s = Native.scratch();
        MemorySegment attr = s.zeroed();
        attr.set(ValueLayout.JAVA_LONG, 0, fs);
        if (version >= 4) {
            attr.set(ValueLayout.JAVA_LONG, 8, ACCESS_NET_BIND_TCP | ACCESS_NET_CONNECT_TCP);
        }
        if (version >= 6) {
            attr.set(ValueLayout.JAVA_LONG, 16, SCOPE_ABSTRACT_UNIX_SOCKET | SCOPE_SIGNAL);
        }
        return (int) Native.check(Native.syscall(s.state, SYS_LANDLOCK_CREATE_RULESET, attr.address(), size, 0),
                s.state, "landlock_create_ruleset");
    }

    /** Adds a PATH_BENEATH rule allowing reads of {@code path} (and beneath, for a directory); skips a missing path. */
    private static void allowRead(int ruleset, Path path, boolean execute) {
        Path absolute = path.toAbsolutePath();
        if (!Files.exists(absolute)) {
            return;
        }
        boolean directory = Files.isDirectory(absolute); // follows symlinks, as the O_PATH open below does
        int fd;
        try {
            fd = Linux.open(absolute.toString(), Linux.O_PATH | Linux.O_CLOEXEC);
        } catch (LinuxException e) {
            if (e.errno() == LinuxException.ENOENT) {
                return;
            }
            throw e;
        }
        try {
            Native.Scratch s = Native.scratch();
            // struct landlock_path_beneath_attr { u64 allowed_access; s32 parent_fd; } __attribute__((packed)): 12 bytes
            MemorySegment rule = s.zeroed();
            long rights = directory ? ACCESS_FS_READ_FILE | ACCESS_FS_READ_DIR : ACCESS_FS_READ_FILE;
            rule.set(ValueLayout.JAVA_LONG, 0, execute ? rights | ACCESS_FS_EXECUTE : rights);
            rule.set(ValueLayout.JAVA_INT, 8, fd);
            Native.check(Native.syscall(s.state, SYS_LANDLOCK_ADD_RULE, ruleset, LANDLOCK_RULE_PATH_BENEATH, rule.address(), 0, 0),
                    s.state, "landlock_add_rule " + absolute);
        } finally {
            Linux.close(fd);
        }
    }
}
