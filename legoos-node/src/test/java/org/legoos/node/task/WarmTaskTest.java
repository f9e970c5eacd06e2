package org.legoos.node.task;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.legoos.api.AddressSpace;
import org.legoos.api.LegoContext;
import org.legoos.api.LegoProgram;
import org.legoos.api.ProcessorMode;
import org.legoos.node.LocalCluster;
import org.legoos.processor.ProcessMonitor;
import org.legoos.processor.ProcessorConfig;
import org.legoos.processor.excache.ExCacheConfig;
import org.legoos.processor.task.HostSupport;
import org.legoos.testkit.Await;

/**
 * Warm task JVMs: a processor keeps a JVM started and waiting per class path in use, a later process starts in it,
 * each waiting JVM serves one process only (a process never sees another's JVM), and none outlives its processor.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class WarmTaskTest {
    /** Prints its JVM's OS pid and what it finds in a static field, then leaves its mark there. */
    public static final class WhoAmI implements LegoProgram {
        static String mark;

        @Override
        public int main(LegoContext ctx, String[] args) {
            AddressSpace m = ctx.memory();
            long a = m.mmap(AddressSpace.PAGE_SIZE);
            m.putLong(a, ctx.pid());
            ctx.out().println("jvm " + ProcessHandle.current().pid() + " found " + mark + " stored " + m.getLong(a));
            mark = "pid " + ctx.pid();
            return 0;
        }
    }

    @Test
    void laterProcessesStartInWaitingJvmsEachUsedOnceAndNoneOutlivesTheProcessor() throws Exception {
        assumeTrue(HostSupport.decide(ProcessorMode.AUTO).mode() == ProcessorMode.PROCESS, "no process mode on this host");
        ExCacheConfig cache = new ExCacheConfig(64 * AddressSpace.PAGE_SIZE, 4, ExCacheConfig.Policy.FIFO, 3);
        List<Long> waitingAtTheEnd;
        try (LocalCluster c = LocalCluster.start(LocalCluster.Spec.defaults().withCounts(1, 1, 1)
                .withProcessor(new ProcessorConfig(2, cache, 16, 2000, ProcessorMode.PROCESS, 64L << 20, 1)),
                Map.of("whoami", WhoAmI.class))) {
            c.createVNode("w");
            ProcessMonitor p = c.processors().getFirst();
            assertThat(p.waitingTaskJvms()).as("nothing is started before a class path is used").isEmpty();

            var first = c.run("w", "whoami");
            assertThat(first.exitCode()).as(first.toString()).isZero();
            assertThat(first.stdout()).contains("found null stored " + first.pid());
            assertThat(p.warmTaskLaunches()).isZero();
            List<Long> waiting = Await.value("a JVM waiting for the next process", Duration.ofSeconds(20),
                    () -> p.waitingTaskJvms().isEmpty() ? null : p.waitingTaskJvms());
            assertThat(waiting).hasSize(1);

            var second = c.run("w", "whoami");
            assertThat(second.exitCode()).as(second.toString()).isZero();
            assertThat(second.stdout()).as("the second process ran in the waiting JVM, fresh")
                    .contains("jvm " + waiting.getFirst() + " found null stored " + second.pid());
            assertThat(p.warmTaskLaunches()).isEqualTo(1);
            Await.until("the JVM of the second process ends with it (a JVM serves one process)",
                    () -> !ProcessHandle.of(waiting.getFirst()).map(ProcessHandle::isAlive).orElse(false));

            waitingAtTheEnd = Await.value("the next JVM waiting", Duration.ofSeconds(20),
                    () -> p.waitingTaskJvms().isEmpty() ? null : p.waitingTaskJvms());
            assertThat(waitingAtTheEnd).doesNotContainAnyElementsOf(waiting);
        }
        for (long pid : waitingAtTheEnd) {
            Await.until("waiting JVM " + pid + " ends with its processor",
                    () -> !ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false));
        }
    }
}
