package org.legoos.bench;

import java.io.ByteArrayOutputStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.legoos.api.AddressSpace;
import org.legoos.api.LegoContext;
import org.legoos.api.LegoProgram;
import org.legoos.memory.MemoryConfig;
import org.legoos.memory.MemoryMonitor;
import org.legoos.node.ComponentHost;
import org.legoos.node.LocalCluster;
import org.legoos.node.metrics.ComponentMetrics;
import org.legoos.processor.ProcessMonitor;
import org.legoos.processor.ProcessorConfig;
import org.legoos.processor.client.ProcessClient;

/**
 * What a metrics scrape costs a component running many processes: an in-JVM cluster (thread mode) with {@code N}
 * processes (default 100) that each wrote 16 pages and wait, then {@code ROUNDS} scrapes (default 2000) of the
 * processor's and of a memory component's metrics, timed one by one; prints the median, 99th percentile and size.
 *
 * <p>Run: {@code java --enable-native-access=ALL-UNNAMED -cp legoos-bench/target/benchmarks.jar org.legoos.bench.ScrapeCost [N [ROUNDS]]}.
 */
public final class ScrapeCost {
    private ScrapeCost() {
    }

    /** Writes 16 pages, prints "ready", waits to be killed. */
    public static final class Idle implements LegoProgram {
        @Override
        public int main(LegoContext ctx, String[] args) throws InterruptedException {
            AddressSpace m = ctx.memory();
            long va = m.mmap(16 * AddressSpace.PAGE_SIZE);
            for (int i = 0; i < 16; i++) {
                m.putLong(va + (long) i * AddressSpace.PAGE_SIZE, i);
            }
            ctx.out().println("ready");
            ctx.out().flush();
            while (!ctx.killed()) {
                Thread.sleep(20);
            }
            return 0;
        }
    }

    public static void main(String[] args) throws Exception {
        int n = args.length > 0 ? Integer.parseInt(args[0]) : 100;
        int rounds = args.length > 1 ? Integer.parseInt(args[1]) : 2000;
        LocalCluster.Spec spec = LocalCluster.Spec.defaults().withCounts(1, 2, 1)
                .withProcessor(ProcessorConfig.of(2, 8L << 20).withMode(org.legoos.api.ProcessorMode.THREAD))
                .withMemory(MemoryConfig.of(512L << 20));
        try (LocalCluster cluster = LocalCluster.start(spec, Map.of("idle", Idle.class))) {
            cluster.createVNode("scrape", 1L << 30, n + 1);
            List<ProcessClient.Running> running = new ArrayList<>();
            List<ByteArrayOutputStream> outs = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                ByteArrayOutputStream out = new ByteArrayOutputStream();
                outs.add(out);
                running.add(cluster.processes().start("scrape", "idle", List.of(), out, ByteArrayOutputStream.nullOutputStream()));
            }
            long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
            while (outs.stream().anyMatch(o -> !o.toString().contains("ready"))) {
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException("processes not ready within 60 s");
                }
                Thread.sleep(10);
            }
            ComponentHost processorHost = hostOf(cluster, cluster.processors().getFirst());
            ComponentHost memoryHost = hostOf(cluster, cluster.memories().getFirst());
            ComponentMetrics processor = ComponentMetrics.of(processorHost.monitor(), processorHost.nodeId(),
                    processorHost.rpc(), processorHost::lastReport);
            ComponentMetrics memory = ComponentMetrics.of(memoryHost.monitor(), memoryHost.nodeId(), memoryHost.rpc(),
                    memoryHost::lastReport);
            System.out.println("processes running: " + ((ProcessMonitor) processorHost.monitor()).processCount()
                    + ", pids with pages on memory node " + memoryHost.nodeId() + ": "
                    + ((MemoryMonitor) memoryHost.monitor()).stats().storedBytesPerSpace().size());
            measure("processor", processor, rounds);
            measure("memory", memory, rounds);
            running.forEach(ProcessClient.Running::kill);
            for (ProcessClient.Running r : running) {
                r.waitFor(Duration.ofSeconds(30));
            }
        }
    }

    private static ComponentHost hostOf(LocalCluster cluster, Object monitor) {
        return cluster.hosts().stream().filter(h -> h.monitor() == monitor).findFirst().orElseThrow();
    }

    private static void measure(String what, ComponentMetrics metrics, int rounds) {
        for (int i = 0; i < rounds / 2; i++) { // warm-up
            metrics.scrape();
        }
        long[] nanos = new long[rounds];
        int bytes = 0;
        int series = 0;
        for (int i = 0; i < rounds; i++) {
            long t0 = System.nanoTime();
            String text = metrics.scrape();
            nanos[i] = System.nanoTime() - t0;
            bytes = text.length();
            series = (int) text.lines().filter(l -> !l.startsWith("#")).count();
        }
        Arrays.sort(nanos);
        System.out.printf("%-9s scrape: median %.0f us, p99 %.0f us, %d series, %d bytes (%d rounds)%n", what,
                nanos[rounds / 2] / 1e3, nanos[(int) (rounds * 0.99)] / 1e3, series, bytes, rounds);
    }
}
