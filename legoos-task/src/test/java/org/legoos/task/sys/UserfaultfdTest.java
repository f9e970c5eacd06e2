package org.legoos.task.sys;

import static org.assertj.core.api.Assertions.assertThat;
import static org.legoos.task.sys.UffdTaskMain.BASE;
import static org.legoos.task.sys.UffdTaskMain.PAGE;
import static org.legoos.task.sys.UffdTaskMain.pattern;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The test JVM is the monitor of a child JVM ({@link UffdTaskMain}) whose memfd mapping faults through a userfaultfd:
 * it takes the task's uffd and memfd with pidfd_getfd and serves the faults from a thread, as a processor component
 * would.
 */
class UserfaultfdTest {
    private ChildJvm task;
    private Monitor monitor;

    @BeforeAll
    static void supported() {
        String why = Userfaultfd.probe();
        Assumptions.assumeTrue(why == null, () -> "no process-mode userfaultfd here: " + why);
    }

    @AfterEach
    void stop() throws Exception {
        if (monitor != null) {
            monitor.close();
        }
        if (task != null) {
            long pid = task.pid();
            task.close();
            assertThat(ChildJvm.deadOrZombie(pid)).as("task %d gone", pid).isTrue();
        }
    }

    /**
     * The monitor side: the task's fds, and a thread answering MISSING faults with the page's pattern installed
     * write-protected (or with poison for the pages in {@link #toPoison}) and WP faults by recording the page dirty
     * and making it writable.
     */
    private static final class Monitor implements AutoCloseable {
        final int pidfd;
        final Userfaultfd uffd;
        final int memfd;
        final Map<Long, AtomicLong> misses = new ConcurrentHashMap<>();
        final Set<Long> dirty = ConcurrentHashMap.newKeySet();
        final Set<Long> toPoison = ConcurrentHashMap.newKeySet();
        final AtomicLong eexist = new AtomicLong();
        final AtomicReference<Throwable> failure = new AtomicReference<>();
        private volatile boolean running = true;
        private final Thread thread;

        Monitor(long pid, int childUffd, int childMemfd) {
            pidfd = Linux.pidfdOpen(pid);
            uffd = Userfaultfd.adopt(Linux.pidfdGetfd(pidfd, childUffd));
            memfd = Linux.pidfdGetfd(pidfd, childMemfd);
            thread = Thread.ofPlatform().name("fault-handler").daemon().start(this::serve);
        }

        private void serve() {
            try (Arena arena = Arena.ofConfined()) {
                MemorySegment events = arena.allocate(16 * Userfaultfd.MSG_SIZE, 8);
                MemorySegment page = arena.allocate(PAGE, PAGE);
                while (running) {
                    int n = uffd.readEvents(events, 100);
                    for (int i = 0; i < n; i++) {
                        assertThat(Userfaultfd.event(events, i)).isEqualTo(Userfaultfd.EVENT_PAGEFAULT);
                        long address = Userfaultfd.faultAddress(events, i);
                        long p = (address - BASE) / PAGE;
                        if ((Userfaultfd.faultFlags(events, i) & Userfaultfd.FLAG_WP) != 0) {
                            dirty.add(p);
                            uffd.writeProtect(address, PAGE, false);
                        } else if (toPoison.contains(p)) {
                            uffd.poison(address, PAGE);
                        } else {
                            for (int j = 0; j < PAGE / 8; j++) {
                                page.setAtIndex(ValueLayout.JAVA_LONG, j, pattern(p, j));
                            }
                            // counted before the copy, which wakes the task: the test reads the count once the task
                            // answered, so counting after the copy raced with it (seen under load)
                            AtomicLong count = misses.computeIfAbsent(p, k -> new AtomicLong());
                            count.incrementAndGet();
                            if (!uffd.copy(address, page, PAGE, true)) {
                                count.decrementAndGet();
                                eexist.incrementAndGet();
                            }
                        }
                    }
                }
            } catch (Throwable t) {
                if (running) {
                    failure.set(t);
                }
            }
        }

        long misses(long page) {
            AtomicLong n = misses.get(page);
            return n == null ? 0 : n.get();
        }

        void check() {
            Throwable t = failure.get();
            if (t != null) {
                throw new AssertionError("fault handler failed", t);
            }
        }

        @Override
        public void close() {
            running = false;
            try {
                thread.join(5_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            uffd.close();
            Linux.close(memfd);
            Linux.close(pidfd);
        }
    }

    private String[] startTask(String mode) throws Exception {
        task = ChildJvm.start(UffdTaskMain.class, List.of("-Xmx64m"), mode, Long.toString(Linux.getpid()));
        String[] hello = task.line(30).split(" ");
        assertThat(Long.parseLong(hello[0])).isEqualTo(task.pid());
        monitor = new Monitor(task.pid(), Integer.parseInt(hello[1]), Integer.parseInt(hello[2]));
        return hello;
    }

    private static String patternOf(long page) {
        return "ok " + Long.toHexString(pattern(page, 0)) + " " + Long.toHexString(pattern(page, PAGE / 8 - 1));
    }

    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void missingAndWriteProtectFaultsArePassedToTheMonitor() throws Exception {
        String[] hello = startTask("full");
        assertThat(hello[3]).as("user-mode-only").isEqualTo("false");

        assertThat(task.ask("read 5", 10)).isEqualTo(patternOf(5));
        assertThat(monitor.misses(5)).isEqualTo(1);
        assertThat(monitor.dirty).isEmpty();

        // the first store raises a WP fault: the page is dirty, and the monitor reads the new bytes through the memfd
        assertThat(task.ask("write 5 1234abcd", 10)).isEqualTo("ok");
        assertThat(monitor.dirty).containsExactly(5L);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment copy = arena.allocate(PAGE);
            assertThat(Linux.pread(monitor.memfd, copy, 5L * PAGE)).isEqualTo(PAGE);
            assertThat(copy.get(ValueLayout.JAVA_LONG, 0)).isEqualTo(0x1234abcdL);
            assertThat(copy.get(ValueLayout.JAVA_LONG, 8)).isEqualTo(pattern(5, 1));

            // a resident page: no new fault, and COPY onto it is EEXIST (false), as is poison
            assertThat(task.ask("read 5", 10)).isEqualTo("ok 1234abcd " + Long.toHexString(pattern(5, PAGE / 8 - 1)));
            assertThat(monitor.misses(5)).isEqualTo(1);
            assertThat(monitor.uffd.copy(BASE + 5L * PAGE, copy, PAGE, true)).isFalse();
            assertThat(monitor.uffd.poison(BASE + 5L * PAGE, PAGE)).isFalse();

            // eviction: a punched hole faults again at the next access, and is served again
            Linux.fallocate(monitor.memfd, Linux.FALLOC_FL_PUNCH_HOLE | Linux.FALLOC_FL_KEEP_SIZE, 5L * PAGE, PAGE);
            assertThat(task.ask("read 5", 10)).isEqualTo(patternOf(5));
            assertThat(monitor.misses(5)).isEqualTo(2);

            // the monitor may install a page before any fault (prefetch), writable here: no fault at all then
            for (int j = 0; j < PAGE / 8; j++) {
                copy.setAtIndex(ValueLayout.JAVA_LONG, j, pattern(7, j));
            }
            assertThat(monitor.uffd.copy(BASE + 7L * PAGE, copy, PAGE, false)).isTrue();
            assertThat(task.ask("write 7 77", 10)).isEqualTo("ok");
            assertThat(task.ask("read 7", 10)).isEqualTo("ok 77 " + Long.toHexString(pattern(7, PAGE / 8 - 1)));
            assertThat(monitor.misses(7)).isZero();
            assertThat(monitor.dirty).doesNotContain(7L);

            // writeProtect again: the next store is a WP fault again
            monitor.dirty.clear();
            monitor.uffd.writeProtect(BASE + 7L * PAGE, PAGE, true);
            assertThat(task.ask("write 7 78", 10)).isEqualTo("ok");
            assertThat(monitor.dirty).containsExactly(7L);
        }

        // poison: at the fault, or ahead of it; the task's access throws InternalError, the task lives on
        monitor.toPoison.add(9L);
        assertThat(task.ask("read 9", 10)).startsWith("err java.lang.InternalError");
        assertThat(monitor.uffd.poison(BASE + 10L * PAGE, PAGE)).isTrue();
        assertThat(task.ask("write 10 1", 10)).startsWith("err java.lang.InternalError");
        assertThat(task.ask("read 11", 10)).isEqualTo(patternOf(11));

        // without UFFD_USER_MODE_ONLY a kernel access to a missing page faults to the monitor too
        assertThat(task.ask("syswrite 20", 10)).isEqualTo("ok " + PAGE);
        assertThat(monitor.misses(20)).isEqualTo(1);
        monitor.check();
    }

    /** A handler told to stop returns from its wait at once, not at its poll timeout, and every later wait too. */
    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void stopReadersEndsAWaitAtOnce() throws Exception {
        try (Userfaultfd uffd = Userfaultfd.create(); Arena arena = Arena.ofConfined()) {
            MemorySegment events = arena.allocate(32L * 4, 8);
            long t0 = System.nanoTime();
            assertThat(uffd.readEvents(events, 50)).isZero(); // nothing to read: the timeout
            assertThat(System.nanoTime() - t0).isGreaterThanOrEqualTo(TimeUnit.MILLISECONDS.toNanos(45));
            AtomicLong waited = new AtomicLong(-1);
            Thread reader = Thread.ofPlatform().start(() -> {
                try (Arena a = Arena.ofConfined()) {
                    MemorySegment buf = a.allocate(32L * 4, 8);
                    long s = System.nanoTime();
                    uffd.readEvents(buf, 30_000);
                    waited.set(System.nanoTime() - s);
                }
            });
            Thread.sleep(200);
            uffd.stopReaders();
            reader.join(10_000);
            assertThat(reader.isAlive()).isFalse();
            assertThat(waited.get()).isBetween(TimeUnit.MILLISECONDS.toNanos(100), TimeUnit.SECONDS.toNanos(10));
            long t1 = System.nanoTime();
            assertThat(uffd.readEvents(events, 30_000)).isZero();
            assertThat(System.nanoTime() - t1).isLessThan(TimeUnit.SECONDS.toNanos(10));
        }
    }

    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void userModeOnlyServesTheTaskButFailsKernelAccessesWithEfault() throws Exception {
        String[] hello = startTask("user-mode-only");
        assertThat(hello[3]).as("user-mode-only").isEqualTo("true");
        assertThat(task.ask("read 3", 10)).isEqualTo(patternOf(3));
        assertThat(task.ask("write 3 3", 10)).isEqualTo("ok");
        assertThat(monitor.dirty).containsExactly(3L);
        // resident: the kernel reads it fine
        assertThat(task.ask("syswrite 3", 10)).isEqualTo("ok " + PAGE);
        // not resident: EFAULT, and no fault reached the monitor
        assertThat(task.ask("syswrite 20", 10)).contains("LinuxException: pwrite failed: errno " + LinuxException.EFAULT);
        assertThat(monitor.misses(20)).isZero();
        monitor.check();
    }

    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void manyFaultsFromTwoThreadsDoNotHangTheTasksGcLoop() throws Exception {
        startTask("full");
        int pages = 2_048;
        long start = System.nanoTime();
        String answer = task.ask("stress " + pages + " 2", 110);
        long millis = (System.nanoTime() - start) / 1_000_000;
        assertThat(answer).startsWith("ok ");
        long gcs = Long.parseLong(answer.substring(3));
        System.err.printf("stress: %d pages x 2 threads in %d ms, %d GCs in the task, %d misses, %d EEXIST, %d dirty%n",
                pages, millis, gcs, monitor.misses.size(), monitor.eexist.get(), monitor.dirty.size());
        assertThat(monitor.misses).hasSize(pages);
        assertThat(monitor.misses.values()).allMatch(n -> n.get() == 1);
        assertThat(monitor.dirty).hasSize(pages);
        assertThat(gcs).isPositive();
        monitor.check();
    }
}
