package org.legoos.node.metrics;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.legoos.api.AddressSpace;
import org.legoos.api.LegoContext;
import org.legoos.api.LegoProgram;
import org.legoos.memory.MemoryMonitor;
import org.legoos.memory.MemoryStats;
import org.legoos.node.cluster.ClusterClient;
import org.legoos.node.cluster.ComponentNode;
import org.legoos.node.cluster.ManagerNode;
import org.legoos.node.cluster.NodeRole;
import org.legoos.node.cluster.TcpCluster;
import org.legoos.node.config.ConfigException;
import org.legoos.node.config.LegoConfig;
import org.legoos.processor.ProcessMonitor;
import org.legoos.processor.client.ProcessClient;
import org.legoos.processor.excache.ExCacheStats;
import org.legoos.testkit.Await;

/**
 * {@code metrics.listen}: every component of a cluster over TCP serves {@code /metrics}, scraped over HTTP and
 * checked against the counters its monitor keeps.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class MetricsTest {
    static LegoConfig config() {
        return LegoConfig.defaults()
                .with("security.mode", "insecure")
                .with("metrics.listen", "127.0.0.1:0")
                .with("manager.heartbeatTimeout", "10s").with("manager.reportInterval", "100ms")
                .with("manager.joinTimeout", "10s")
                .with("processor.excacheBytes", "1MiB").with("processor.excacheWays", "16").with("processor.cores", "2")
                .with("processor.excachePrefetchPages", "0")
                .with("memory.capacityBytes", "64MiB").with("memory.vregionBytes", "1MiB").with("memory.workers", "2")
                .with("memory.bufferCacheBytes", "4MiB");
    }

    /** Writes and reads every page of {@code args[0]} bytes twice over (more than the ExCache), prints "ready", waits to be killed. */
    public static final class Hold implements LegoProgram {
        @Override
        public int main(LegoContext ctx, String[] args) throws Exception {
            AddressSpace m = ctx.memory();
            long len = Long.parseLong(args[0]);
            long va = m.mmap(len);
            for (int round = 0; round < 2; round++) {
                for (long off = 0; off < len; off += AddressSpace.PAGE_SIZE) {
                    m.putLong(va + off, off + round);
                    if (m.getLong(va + off) != off + round) { // a hit
                        return 3;
                    }
                }
            }
            ctx.out().println("ready");
            ctx.out().flush();
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (!ctx.killed() && System.nanoTime() < deadline) {
                Thread.sleep(10);
            }
            return 0;
        }
    }

    @Test
    void scrapedCountersMatchTheMonitorsAndEndedProcessesLeaveNoSeries() throws Exception {
        try (TcpCluster cluster = TcpCluster.start(config(), 1, 2, 1, Map.of("hold", Hold.class));
             ClusterClient client = cluster.client()) {
            ManagerNode manager = cluster.manager();
            assertThat(manager.metricsUrl()).startsWith("http://127.0.0.1:").endsWith("/metrics");
            ComponentNode processor = cluster.components(NodeRole.PROCESSOR).getFirst();
            ProcessMonitor pm = (ProcessMonitor) processor.monitor();
            String processorNode = String.valueOf(processor.nodeId());
            client.createVNode("m", 0, 0);

            PrometheusText before = PrometheusText.scrape(processor.metricsUrl());
            assertThat(before.contentType()).startsWith("text/plain; version=0.0.4");
            double missesBefore = before.value("legoos_excache_misses_total", "role", "processor", "node", processorNode);
            assertThat(missesBefore).isEqualTo(pm.excacheStats().misses());

            // a process that missed (4 MiB written twice through a 1 MiB ExCache) and stays, idle
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            ProcessClient.Running hold = client.processes().start("m", "hold", List.of(String.valueOf(4L << 20)), out,
                    OutputStream.nullOutputStream());
            Await.until("hold is ready", Duration.ofSeconds(30), () -> out.toString(StandardCharsets.UTF_8).contains("ready"));
            String pid = String.valueOf(hold.pid());

            PrometheusText during = PrometheusText.scrape(processor.metricsUrl());
            ExCacheStats stats = pm.excacheStats();
            long processMisses = pm.ps().processes().getFirst().misses();
            assertThat(processMisses).isGreaterThanOrEqualTo(2 * 1024); // every page at least once each round
            assertThat(during.value("legoos_process_excache_misses_total", "pid", pid)).isEqualTo(processMisses);
            assertThat(during.value("legoos_excache_misses_total") - missesBefore)
                    .as("the component's miss counter moved by the process's misses").isEqualTo(processMisses);
            assertThat(during.value("legoos_excache_misses_total")).isEqualTo(stats.misses());
            assertThat(during.value("legoos_excache_evictions_total")).isEqualTo(stats.evictions()).isPositive();
            assertThat(during.value("legoos_excache_flushes_total")).isEqualTo(stats.flushes()).isPositive();
            assertThat(during.value("legoos_excache_hits_total")).isEqualTo(stats.hits()).isPositive();
            assertThat(during.value("legoos_process_threads", "pid", pid)).isGreaterThanOrEqualTo(1);
            // the remote misses' latency: a histogram whose buckets only grow and end at its count
            double remoteMisses = during.value("legoos_rpc_seconds_count", "op", "P2M_PCACHE_MISS");
            assertThat(remoteMisses).isPositive().isLessThanOrEqualTo(stats.misses() - stats.zeroFills());
            List<PrometheusText.Sample> buckets = during.find("legoos_rpc_seconds_bucket", "op", "P2M_PCACHE_MISS");
            assertThat(buckets).hasSizeGreaterThan(10);
            for (int i = 1; i < buckets.size(); i++) {
                assertThat(buckets.get(i).value()).isGreaterThanOrEqualTo(buckets.get(i - 1).value());
            }
            assertThat(buckets.getLast().labels()).containsEntry("le", "+Inf");
            assertThat(buckets.getLast().value()).isEqualTo(remoteMisses);
            assertThat(during.value("legoos_rpc_seconds_sum", "op", "P2M_PCACHE_MISS")).isPositive();
            assertThat(during.find("legoos_process_excache_misses_total", "pid", pid).getFirst().labels())
                    .containsEntry("vnode", String.valueOf(client.vnode("m").id()));

            // every memory component: its pages as its page store counts them
            double storedForPid = 0;
            for (ComponentNode mem : cluster.components(NodeRole.MEMORY)) {
                PrometheusText t = PrometheusText.scrape(mem.metricsUrl());
                MemoryStats ms = ((MemoryMonitor) mem.monitor()).stats();
                assertThat(t.value("legoos_memory_pages_used", "role", "memory", "node", String.valueOf(mem.nodeId())))
                        .isEqualTo(ms.pagesUsed());
                assertThat(t.value("legoos_memory_capacity_bytes")).isEqualTo(64 << 20);
                assertThat(t.value("legoos_memory_misses_served_total")).isEqualTo(ms.missesServed());
                storedForPid += t.find("legoos_memory_process_stored_bytes", "pid", pid).stream()
                        .mapToDouble(PrometheusText.Sample::value).sum();
            }
            assertThat(storedForPid).as("the process's pages, stored on the memory components (with replicas)")
                    .isGreaterThanOrEqualTo(4L << 20);

            PrometheusText m = PrometheusText.scrape(manager.metricsUrl());
            assertThat(m.value("legoos_manager_components", "member_role", "memory", "state", "alive")).isEqualTo(2);
            assertThat(m.value("legoos_vnode_processes", "vnode", "m")).isEqualTo(1);

            hold.kill();
            assertThat(hold.waitFor(Duration.ofSeconds(30))).isNotNull();
            Await.until("the processor forgets pid " + pid, Duration.ofSeconds(10), () -> pm.ps().processes().isEmpty());
            PrometheusText after = PrometheusText.scrape(processor.metricsUrl());
            assertThat(after.find("legoos_process_excache_misses_total", "pid", pid)).isEmpty();
            assertThat(after.find("legoos_process_threads", "pid", pid)).isEmpty();
            assertThat(after.value("legoos_excache_misses_total")).isGreaterThanOrEqualTo(during.value("legoos_excache_misses_total"));
            for (ComponentNode mem : cluster.components(NodeRole.MEMORY)) {
                Await.until("memory node " + mem.nodeId() + " drops pid " + pid + "'s series", Duration.ofSeconds(10),
                        () -> scrapeUnchecked(mem.metricsUrl()).find("legoos_memory_process_stored_bytes", "pid", pid).isEmpty());
            }
        }
    }

    private static PrometheusText scrapeUnchecked(String url) {
        try {
            return PrometheusText.scrape(url);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    @Test
    void rpcErrorsAreCountedByStatus() throws Exception {
        try (TcpCluster cluster = TcpCluster.start(config(), 1, 1, 1, Map.of());
             ClusterClient client = cluster.client()) {
            assertThatThrownBy(() -> client.vnode("no-such-vnode")).isInstanceOf(org.legoos.api.LegoException.class);
            PrometheusText m = PrometheusText.scrape(cluster.manager().metricsUrl());
            assertThat(m.value("legoos_rpc_errors_total", "direction", "sent", "status", "not_found")).isEqualTo(1);
        }
    }

    @Test
    void badMetricsListenIsAClearConfigurationError() {
        assertThatThrownBy(() -> LegoConfig.defaults().with("metrics.listen", "nonsense"))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("metrics.listen")
                .hasMessageContaining("'nonsense' is neither host:port (e.g. 127.0.0.1:9400) nor off");
        assertThat(LegoConfig.defaults().get(org.legoos.node.config.ConfigKeys.METRICS_LISTEN)).isEqualTo("off");
    }

    @Test
    void aMetricsPortInUseStopsTheStartWithTheKeyNamed() throws Exception {
        // a port another server listens on (a ReservedPort is bound but not listening, which a server may share)
        try (java.net.ServerSocket taken = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            String address = "127.0.0.1:" + taken.getLocalPort();
            LegoConfig c = config().with("metrics.listen", address).with("manager.address", "127.0.0.1:0")
                    .with("manager.stateDir", "");
            assertThatThrownBy(() -> ManagerNode.start(c))
                    .isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("metrics.listen " + address + ": cannot listen there");
            LegoConfig p = c.with("processor.mode", "thread");
            assertThatThrownBy(() -> ComponentNode.start(NodeRole.PROCESSOR, p))
                    .isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("metrics.listen " + address + ": cannot listen there");
        }
    }

    @Test
    void metricsAreOffByDefault() throws Exception {
        try (TcpCluster cluster = TcpCluster.start(config().with("metrics.listen", "off"), 1, 1, 1, Map.of())) {
            assertThat(cluster.manager().metricsUrl()).isNull();
            assertThat(cluster.components()).allSatisfy(c -> assertThat(c.metricsUrl()).isNull());
        }
    }
}
