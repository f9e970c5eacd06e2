package org.legoos.task.sys;

import java.nio.file.Path;
import java.util.List;

/**
 * The sandbox a process-mode task enters before it loads its program (see PROCESSES.md): it dies with the
 * processor component, gains no privileges, reads only what it was allowed, writes nothing, and opens no
 * network connection. Irreversible for the calling process.
 */
public final class Sandbox {
    /** What a sandboxed task may touch: directories and files it may read (the JDK, its class path). */
    public record Policy(List<Path> readOnly) {
        public Policy {
            readOnly = List.copyOf(readOnly);
        }
    }

    private Sandbox() {
    }

    /** The Landlock ABI version this kernel offers, or 0 if it has none (or the platform is not supported). */
    public static int landlockAbi() {
        throw new UnsupportedOperationException("Sandbox.landlockAbi: not written yet (wip/native)");
    }

    /**
     * Makes this process receive SIGKILL when its parent dies ({@code PR_SET_PDEATHSIG}), then exits at once if the
     * parent is already gone ({@code getppid() != expectedParentPid}), closing the race with a parent that died
     * before the call.
     */
    public static void dieWithParent(long expectedParentPid) {
        throw new UnsupportedOperationException("Sandbox.dieWithParent: not written yet (wip/native)");
    }

    /**
     * Enters the sandbox: {@code PR_SET_NO_NEW_PRIVS}, then a Landlock ruleset that handles every file-system
     * access right of the kernel's ABI and allows only reading {@code policy.readOnly()}, forbids TCP bind and
     * connect (ABI 4+), and scopes abstract UNIX sockets and signals (ABI 6+).
     *
     * @throws LinuxException if the kernel refuses (the caller must not run the program then)
     */
    public static void enter(Policy policy) {
        throw new UnsupportedOperationException("Sandbox.enter: not written yet (wip/native)");
    }
}
