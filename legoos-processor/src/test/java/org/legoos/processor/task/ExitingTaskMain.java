package org.legoos.processor.task;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import org.legoos.task.sys.Linux;
import org.legoos.task.sys.PoisonLease;
import org.legoos.task.sys.Sandbox;
import org.legoos.task.sys.Userfaultfd;

/**
 * The task of {@link TaskPagesOfExitedTaskTest}: sets up its memory as {@code TaskAddressSpace.attach} does (a memory
 * file at offset = address, {@link #SIZE} bytes at {@link #BASE} registered with a userfaultfd), prints
 * {@code pid uffdFd memfd}, touches none of it (the test's handler installs pages itself) and exits at the first line
 * (or the end) of its stdin.
 */
public final class ExitingTaskMain {
    static final long BASE = 1L << 40;
    static final long SIZE = 1L << 20;

    private ExitingTaskMain() {
    }

    public static void main(String[] args) throws Exception {
        Sandbox.dieWithParent(Long.parseLong(args[0]));
        int memfd = Linux.memfdCreate("exiting-task", Linux.MFD_CLOEXEC);
        Linux.ftruncate(memfd, PoisonLease.ADDRESS + PoisonLease.PAGE);
        long at = Linux.mmap(BASE, SIZE, Linux.PROT_READ | Linux.PROT_WRITE,
                Linux.MAP_SHARED | Linux.MAP_FIXED_NOREPLACE | Linux.MAP_NORESERVE, memfd, BASE);
        if (at != BASE) {
            throw new AssertionError("mapped at 0x" + Long.toHexString(at));
        }
        Userfaultfd uffd = Userfaultfd.create();
        uffd.register(BASE, SIZE);
        System.out.println(Linux.getpid() + " " + uffd.fd() + " " + memfd);
        System.out.flush();
        new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8)).readLine();
        System.exit(0);
    }
}
