package org.legoos.node.task;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.legoos.api.AddressSpace;
import org.legoos.net.protocol.gm.VNodeInfo;
import org.legoos.node.LocalCluster;
import org.legoos.memory.MemoryConfig;
import org.legoos.processor.ProcessMonitor;
import org.legoos.processor.ProcessorConfig;
import org.legoos.processor.excache.ExCacheConfig;
import org.legoos.processor.excache.ExCacheStats;
import org.legoos.processor.task.TaskChannel;
import org.legoos.processor.task.TaskMemory;
import org.legoos.task.sys.Userfaultfd;

/**
 * Process mode's memory end to end: a real task JVM whose address space faults into this JVM's processor component
 * through userfaultfd, with an ExCache of 64 pages for 1024 pages of data over 3 memory components.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class TaskMemoryTest {
    @Test
    void aTaskSeesItsMemoryThroughFaultsWithATinyExCache() throws Exception {
        Assumptions.assumeTrue(Userfaultfd.probe() == null, () -> "no userfaultfd: " + Userfaultfd.probe());
        ExCacheConfig tiny = new ExCacheConfig(64 * AddressSpace.PAGE_SIZE, 4, ExCacheConfig.Policy.FIFO, 3);
        try (LocalCluster cluster = LocalCluster.start(LocalCluster.Spec.defaults().withCounts(1, 3, 1)
                .withMemory(MemoryConfig.of(1L << 30).withVregionBytes(64 << 10))
                .withProcessor(new ProcessorConfig(2, tiny, 16, 2000)), Map.of())) {
            VNodeInfo vnode = cluster.createVNode("t");
            ProcessMonitor pm = cluster.processors().get(0);
            String javaBin = ProcessHandle.current().info().command().orElseThrow();
            Process task = new ProcessBuilder(List.of(javaBin, "--enable-native-access=ALL-UNNAMED", "-Xmx64m",
                    "-cp", System.getProperty("java.class.path"), MemoryTaskMain.class.getName(), "1024", "42"))
                    .start();
            ByteArrayOutputStream err = new ByteArrayOutputStream();
            Thread drain = Thread.ofPlatform().start(() -> {
                try {
                    task.getErrorStream().transferTo(err);
                } catch (java.io.IOException ignored) {
                    // the task ended
                }
            });
            TaskMemory mem = pm.openTaskMemory(9001, vnode, cluster.memoryNodeIds().get(0), task.pid(), null);
            ExCacheStats before = pm.faultCache().stats();
            try (TaskChannel ch = new TaskChannel("task", task.getInputStream(), task.getOutputStream(),
                    reason -> task.destroyForcibly())) {
                mem.register(ch);
                ch.start();
                if (!task.waitFor(30, TimeUnit.SECONDS)) {
                    System.out.println("task stuck; its stderr:\n" + err);
                }
                assertThat(task.isAlive()).as("the task hangs").isFalse();
                drain.join(5000);
                assertThat(err.toString()).as(err.toString()).contains("OK");
                assertThat(task.exitValue()).isZero();
            } finally {
                task.destroyForcibly();
                mem.taskExited();
                mem.space().close();
                mem.close();
            }
            ExCacheStats s = pm.faultCache().stats().minus(before);
            System.out.println("process mode faults: " + s + ", write faults " + pm.faultCache().writeFaults());
            assertThat(s.misses()).isGreaterThan(1024);
            assertThat(s.evictions()).isPositive();
            assertThat(s.flushes() + s.piggybacks()).isPositive();
            // the task's sequential passes are streams of its threads' faults (followed by thread id): they prefetch
            assertThat(s.prefetched()).as("pages prefetched ahead of the task's streams").isPositive();
            assertThat(pm.faultCache().residentPages()).isZero();
        }
    }
}
