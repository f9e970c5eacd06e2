package org.legoos.processor.task;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.legoos.processor.excache.ExCacheConfig;
import org.legoos.processor.excache.FaultExCache;
import org.legoos.processor.excache.LineBackend;
import org.legoos.task.sys.Linux;
import org.legoos.task.sys.Userfaultfd;

/**
 * A task's {@link TaskMemory.Pages} after its JVM exited but before the monitor learned it ({@link TaskMemory#taskExited}
 * comes only once the task's channel and stderr are drained): a miss of <em>another</em> task whose set's victim is a
 * dirty page of the exited one write-protects that page through the exited task's userfaultfd, which the kernel
 * refuses with ESRCH (the task's mm is gone). That must not fail the other task's access, as it did: "pid 1: page
 * 0x1000aa0e000 could not be served: UFFDIO_WRITEPROTECT failed: errno 3" when six tasks of one processor failed at
 * once. A real task JVM ({@link ExitingTaskMain}) and a real userfaultfd, a model of the memory components.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class TaskPagesOfExitedTaskTest {
    private static final int PAGE = 4096;
    private static final long VA = ExitingTaskMain.BASE + 5L * PAGE;
    private static final long PATTERN = 0x5A5A_0000_1111_2222L;

    /** The memory components: asid 1's pages hold {@link #PATTERN} in every long, others are new (zeros). */
    private static final class Backend implements LineBackend {
        final Map<String, byte[]> flushed = new ConcurrentHashMap<>();

        @Override
        public Fill fill(int asid, long vpn, MemorySegment dst, int victimAsid, long victimVpn, MemorySegment victimData) {
            if (victimData != null) {
                flush(victimAsid, victimVpn, victimData);
            }
            if (asid == 1) {
                for (int i = 0; i < PAGE; i += 8) {
                    dst.set(ValueLayout.JAVA_LONG_UNALIGNED, i, PATTERN);
                }
                return Fill.FETCHED;
            }
            dst.asSlice(0, PAGE).fill((byte) 0);
            return Fill.ZERO_FILLED;
        }

        @Override
        public void flush(int asid, long vpn, MemorySegment src) {
            flushed.put(asid + ":" + Long.toHexString(vpn), src.asSlice(0, PAGE).toArray(ValueLayout.JAVA_BYTE));
        }
    }

    /** A task that is alive, modelled: what the handler installed and poisoned in it. */
    private static final class LiveTask implements FaultExCache.TaskPages {
        final List<Long> installed = new ArrayList<>();
        final List<Long> poisoned = new ArrayList<>();

        @Override
        public boolean install(long va, MemorySegment src, boolean writeProtect) {
            installed.add(va);
            return true;
        }

        @Override
        public void writeProtect(long va, boolean protect) {
        }

        @Override
        public void wake(long va) {
        }

        @Override
        public void poison(long va) {
            poisoned.add(va);
        }

        @Override
        public void read(long va, MemorySegment dst) {
            throw new AssertionError("the live task's page was not to be read");
        }

        @Override
        public boolean present(long va) {
            return installed.contains(va);
        }

        @Override
        public void drop(long va, long len) {
            installed.remove(va);
        }
    }

    @Test
    void anotherTasksMissThatEvictsADirtyPageOfAnExitedTaskIsServedAndTheVictimWrittenBack() throws Exception {
        String unsupported = Userfaultfd.probe();
        assumeTrue(unsupported == null, "no process mode here: " + unsupported);
        List<String> cmd = List.of(ProcessHandle.current().info().command().orElseThrow(), "-cp",
                System.getProperty("java.class.path"), "--enable-native-access=ALL-UNNAMED", "-XX:-UsePerfData",
                "-Xshare:auto", ExitingTaskMain.class.getName(), Long.toString(ProcessHandle.current().pid()));
        Process child = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.INHERIT).start();
        TaskMemory.Pages exited = null;
        int memfd = -1;
        try {
            String[] hello = new BufferedReader(new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8))
                    .readLine().split(" ");
            int pidfd = Linux.pidfdOpen(Long.parseLong(hello[0]));
            int uffdFd;
            try {
                uffdFd = Linux.pidfdGetfd(pidfd, Integer.parseInt(hello[1]));
                memfd = Linux.pidfdGetfd(pidfd, Integer.parseInt(hello[2]));
            } finally {
                Linux.close(pidfd);
            }
            exited = new TaskMemory.Pages(Userfaultfd.adopt(uffdFd), memfd);
            Backend backend = new Backend();
            // one frame: every miss evicts the page before it
            FaultExCache cache = new FaultExCache(new ExCacheConfig(PAGE, 1, ExCacheConfig.Policy.FIFO, 1L)
                    .withPrefetchPages(0), backend, 4);
            cache.attach(1, exited);
            LiveTask live = new LiveTask();
            cache.attach(2, live);
            try (FaultExCache.Buffers buf = cache.newBuffers()) {
                cache.fault(1, VA, true, false, buf); // a store miss: installed in the task writable, dirty
                assertThat(cache.failure(1)).isNull();
                assertThat(cache.residentPages()).isEqualTo(1);

                child.getOutputStream().write('\n');
                child.getOutputStream().flush();
                assertThat(child.waitFor(30, TimeUnit.SECONDS)).as("the task exited").isTrue();

                // the monitor has not called taskExited yet; the other task's store misses in the same set
                cache.fault(2, VA, true, false, buf);
            }
            assertThat(cache.failure(2)).as("the live task's access failed for the exited task's userfaultfd").isNull();
            assertThat(live.poisoned).isEmpty();
            assertThat(live.installed).containsExactly(VA);
            assertThat(exited.gone).as("ESRCH marks the task gone").isTrue();
            // the exited task's dirty page was still read (through its memory file) and written back
            byte[] victim = backend.flushed.get("1:" + Long.toHexString(VA >>> 12));
            assertThat(victim).as("the victim was written back").isNotNull();
            MemorySegment v = MemorySegment.ofArray(victim);
            assertThat(v.get(ValueLayout.JAVA_LONG_UNALIGNED, 0)).isEqualTo(PATTERN);
            assertThat(v.get(ValueLayout.JAVA_LONG_UNALIGNED, PAGE - 8)).isEqualTo(PATTERN);
        } finally {
            child.destroyForcibly();
            child.waitFor(10, TimeUnit.SECONDS);
            if (exited != null) {
                exited.uffd.close();
                exited.lease.close();
            }
            if (memfd >= 0) {
                Linux.close(memfd);
            }
        }
    }
}
