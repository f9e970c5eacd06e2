package org.legoos.task.sys;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The task of {@link UserfaultfdTest}: maps a memfd at {@link #BASE}, registers it with a userfaultfd, prints
 * {@code pid uffdFd memfdFd} and then runs the commands of its stdin, one answer line each:
 * <ul>
 * <li>{@code read P}: the longs at the start and the end of page P, as {@code ok A B}</li>
 * <li>{@code write P V}: stores V at the start of page P</li>
 * <li>{@code syswrite P}: hands page P to {@code pwrite} (a kernel access to the range)</li>
 * <li>{@code stress PAGES ROUNDS}: two threads read and write the same PAGES pages ROUNDS times while a third calls
 *     {@code System.gc()} in a loop; {@code ok GCS} if every value read back was right</li>
 * <li>{@code exit}</li>
 * </ul>
 * A failure of a command answers {@code err} and the exception.
 */
public final class UffdTaskMain {
    static final long BASE = 0x1000_0000_0000L;
    static final long SIZE = 1L << 30;
    static final int PAGE = 4096;

    private UffdTaskMain() {
    }

    /** The long the monitor puts at long index {@code i} of a page it serves as new. */
    static long pattern(long page, int i) {
        return 0x5A00_0000_0000_0000L | page << 16 | i;
    }

    public static void main(String[] args) throws Exception {
        boolean userModeOnly = args.length > 0 && args[0].equals("user-mode-only");
        long parent = Long.parseLong(args[1]);
        Sandbox.dieWithParent(parent);
        int memfd = Linux.memfdCreate("uffd-task", Linux.MFD_CLOEXEC);
        Linux.ftruncate(memfd, SIZE);
        long addr = Linux.mmap(BASE, SIZE, Linux.PROT_READ | Linux.PROT_WRITE,
                Linux.MAP_SHARED | Linux.MAP_FIXED_NOREPLACE | Linux.MAP_NORESERVE, memfd, 0);
        if (addr != BASE) {
            throw new AssertionError("mapped at " + Long.toHexString(addr));
        }
        Userfaultfd uffd = Userfaultfd.create(userModeOnly);
        uffd.register(addr, SIZE);
        MemorySegment memory = MemorySegment.ofAddress(addr).reinterpret(SIZE);
        System.out.println(Linux.getpid() + " " + uffd.fd() + " " + memfd + " " + uffd.userModeOnly());
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        for (String line; (line = in.readLine()) != null; ) {
            String[] w = line.split(" ");
            try {
                switch (w[0]) {
                    case "read" -> {
                        long p = Long.parseLong(w[1]);
                        long first = memory.get(ValueLayout.JAVA_LONG, p * PAGE);
                        long last = memory.get(ValueLayout.JAVA_LONG, p * PAGE + PAGE - 8);
                        System.out.println("ok " + Long.toHexString(first) + " " + Long.toHexString(last));
                    }
                    case "write" -> {
                        memory.set(ValueLayout.JAVA_LONG, Long.parseLong(w[1]) * PAGE, Long.parseUnsignedLong(w[2], 16));
                        System.out.println("ok");
                    }
                    case "syswrite" -> {
                        int scratch = Linux.memfdCreate("scratch", Linux.MFD_CLOEXEC);
                        try {
                            long n = Linux.pwrite(scratch, memory.asSlice(Long.parseLong(w[1]) * PAGE, PAGE), 0);
                            System.out.println("ok " + n);
                        } finally {
                            Linux.close(scratch);
                        }
                    }
                    case "stress" -> System.out.println(stress(memory, Integer.parseInt(w[1]), Integer.parseInt(w[2])));
                    case "exit" -> System.exit(0);
                    default -> System.out.println("err unknown command " + line);
                }
            } catch (Throwable t) {
                System.out.println("err " + t);
            }
        }
    }

    /**
     * Two threads over the same pages (so both fault on each, and the monitor sees EEXIST): each reads a page's
     * pattern, then stores its own mark in its own long of the page and reads it back. A third thread forces GCs.
     */
    private static String stress(MemorySegment memory, int pages, int rounds) throws InterruptedException {
        long first = 1 << 16; // pages nobody touched before
        AtomicBoolean stop = new AtomicBoolean();
        AtomicLong gcs = new AtomicLong();
        AtomicLong wrong = new AtomicLong();
        Thread gc = Thread.ofPlatform().name("gc-loop").start(() -> {
            while (!stop.get()) {
                System.gc();
                gcs.incrementAndGet();
            }
        });
        Thread[] workers = new Thread[2];
        for (int t = 0; t < workers.length; t++) {
            int me = t;
            workers[t] = Thread.ofPlatform().name("toucher-" + t).start(() -> {
                for (int r = 0; r < rounds; r++) {
                    for (long p = first; p < first + pages; p++) {
                        long off = p * PAGE;
                        int mine = 1 + me; // long 0 keeps the pattern; longs 1 and 2 belong to the threads
                        long before = memory.get(ValueLayout.JAVA_LONG, off);
                        if (before != pattern(p, 0)) {
                            wrong.incrementAndGet();
                        }
                        long mark = (long) r << 32 | me;
                        memory.set(ValueLayout.JAVA_LONG, off + 8L * mine, mark);
                        if (memory.get(ValueLayout.JAVA_LONG, off + 8L * mine) != mark) {
                            wrong.incrementAndGet();
                        }
                    }
                }
            });
        }
        for (Thread w : workers) {
            w.join();
        }
        stop.set(true);
        gc.join();
        return wrong.get() == 0 ? "ok " + gcs.get() : "err " + wrong.get() + " wrong values";
    }
}
