package org.legoos.bench;

import java.nio.ByteBuffer;
import java.util.concurrent.TimeUnit;
import org.legoos.net.protocol.p2m.AddressSpaceInfo;
import org.legoos.net.protocol.p2m.CreateAddressSpace;
import org.legoos.net.protocol.p2m.DestroyAddressSpace;
import org.legoos.net.protocol.p2m.MapReply;
import org.legoos.net.protocol.p2m.Mmap;
import org.legoos.net.protocol.p2m.PageData;
import org.legoos.net.protocol.p2m.PcacheFlush;
import org.legoos.net.protocol.p2m.PcacheMiss;
import org.legoos.net.rpc.RpcNode;
import org.legoos.node.LocalCluster;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * An ExCache miss round trip over the in-JVM transport: {@code P2M_PCACHE_MISS} for one materialised 4 KiB
 * line, encoded, served by a real memory monitor (page store lookup, page copied into the reply frame), and
 * decoded, as the processor's ExCache does on a miss. Sample mode reports the median and tail. {@code metrics=on}
 * times every call into the RPC latency histogram as a component with {@code metrics.listen} set does.
 *
 * <p>Run: {@code java -jar legoos-bench/target/benchmarks.jar MissRoundTripBench -f 1 -wi 3 -i 5}
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class MissRoundTripBench {
    private static final long PID = 900_001;
    private LocalCluster cluster;
    private RpcNode client;
    private int owner;
    private long va;
    private final ByteBuffer noVictim = ByteBuffer.allocate(0);
    private ByteBuffer victim;
    private long pages = 64;
    private long next;

    /** on: the client's calls are timed into {@code legoos_rpc_seconds} (metrics.listen set); off: not. */
    @Param({"off"})
    public String metrics;

    @Setup(Level.Trial)
    public void setUp() {
        cluster = LocalCluster.start(LocalCluster.Spec.defaults().withCounts(1, 1, 1));
        client = cluster.client();
        if (metrics.equals("on")) {
            org.legoos.node.metrics.ComponentMetrics.endpoint(client);
        }
        int home = cluster.memoryNodeIds().get(0);
        AddressSpaceInfo info = client.call(home, new CreateAddressSpace(cluster.createVNode("bench").id(), PID, 0));
        MapReply r = client.call(home, new Mmap(PID, 0, pages * 4096, 3));
        va = r.addr();
        owner = r.owners()[0];
        ByteBuffer page = ByteBuffer.allocate(4096);
        for (long p = 0; p < pages; p++) {
            page.clear();
            page.putLong(0, p);
            client.call(owner, new PcacheFlush(PID, new long[] {va + p * 4096}, page.duplicate()));
        }
        victim = ByteBuffer.allocateDirect(4096);
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        client.call(cluster.memoryNodeIds().get(0), new DestroyAddressSpace(PID));
        cluster.close();
    }

    /** A clean miss: one 16-byte-ish request, one 4 KiB reply. */
    @Benchmark
    public PageData miss() {
        long p = next++ & (pages - 1);
        return client.call(owner, new PcacheMiss(PID, va + p * 4096, 1, 0, noVictim));
    }

    /** A miss carrying a dirty victim (piggyback): 4 KiB each way. */
    @Benchmark
    public PageData missWithPiggybackedVictim() {
        long p = next++ & (pages - 1);
        long v = (p + 1) & (pages - 1);
        return client.call(owner, new PcacheMiss(PID, va + p * 4096, 1, va + v * 4096, victim.duplicate()));
    }
}
