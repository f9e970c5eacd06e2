package org.legoos.bench;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import org.legoos.bench.tcp.FramePingPong;
import org.legoos.bench.tcp.Latencies;
import org.legoos.bench.tcp.MissOverTcp;
import org.legoos.bench.tcp.PlainPingPong;
import org.legoos.bench.tcp.ProcStats;
import org.legoos.bench.tcp.RedisGet;
import org.legoos.net.transport.tcp.TcpConfig;

/**
 * An ExCache miss round trip over TCP loopback, side by side with what it should be judged against:
 * <ul>
 *   <li><b>plain</b>: a blocking-socket ping-pong of the same sizes (16-byte request, 4 KiB reply), one thread
 *       per side: the floor no transport can beat ({@link PlainPingPong});</li>
 *   <li><b>nio</b>: the LegoOS/J miss, {@code P2M_PCACHE_MISS} through the real codec, {@code RpcNode} and
 *       {@code TcpTransport} (default configuration) to a real memory monitor serving a materialised 4 KiB page on
 *       the I/O thread ({@link MissOverTcp});</li>
 *   <li><b>sync</b>: the same with {@code RpcNode.Config.syncCalls}: the measuring thread writes the miss and reads
 *       its reply on its own blocking socket ({@code TcpTransport.syncCaller}), the server side unchanged;</li>
 *   <li><b>epoll</b>: the same with Netty's native epoll event loops;</li>
 *   <li><b>workers</b>: the sync caller against a memory monitor with 4 workers, as deployed (misses are still served
 *   on the event loop: they never block);</li>
 *   <li><b>workers-metrics</b>: <b>workers</b> with metrics on at both ends ({@code metrics.listen} set: every call
 *   timed into the RPC latency histogram);</li>
 *   <li><b>tls</b>, <b>tls-workers</b>: <b>nio</b> and <b>workers</b> with every socket mutual TLS 1.3 (the default
 *   {@code security.mode}; BoringSSL on the event loops, the JDK's TLS on the sync caller's socket);</li>
 *   <li><b>frames</b>: the transport alone, raw frames of the same sizes, to split transport from RPC cost
 *       ({@link FramePingPong});</li>
 *   <li><b>redis</b>: {@code GET} of a 4 KiB value from a {@code redis-server} started for the run
 *       ({@link RedisGet}); skipped if it is not installed.</li>
 * </ul>
 * Every scenario is set up and warmed up first, then measured in ten interleaved rounds (so load from elsewhere on
 * the host falls on all alike), recording each round trip's nanoseconds into an array. The table shows median, p99
 * and p99.9, the median as a multiple of the floor, and two costs that vary much less with host load than
 * latency does: CPU time and context switches per round trip, of both ends (this JVM, plus redis-server for its
 * row). A plain {@code main}, so it runs in one go.
 *
 * <p>Run: {@code java --enable-native-access=ALL-UNNAMED -cp legoos-bench/target/benchmarks.jar
 * org.legoos.bench.TcpMissRoundTripBench [samples] [warmup]} (defaults 50000 and 20000); pick scenarios with
 * {@code -Dbench.scenarios=plain,nio,sync,epoll,workers,workers-metrics,tls,tls-workers,frames,redis}.
 */
public final class TcpMissRoundTripBench {
    private static final int REQUEST_BYTES = 16;
    private static final int PAGE_BYTES = 4096;
    /** Body of a PCACHE_MISS without a victim: pid, vaddr, pages, victim vaddr, victim length. */
    private static final int MISS_BODY_BYTES = 32;
    /** Body of a PageData reply: length and the page. */
    private static final int PAGE_DATA_BODY_BYTES = 4 + PAGE_BYTES;
    private static final int ROUNDS = 10;

    private TcpMissRoundTripBench() {
    }

    @FunctionalInterface
    private interface RoundTrip {
        void run() throws Exception;
    }

    /** A scenario being measured: its samples, its round trip, what to close, and a helper process to account. */
    private record Scenario(Latencies samples, RoundTrip roundTrip, AutoCloseable resource, long helperPid) {
    }

    public static void main(String[] args) throws Exception {
        int samples = args.length > 0 ? Integer.parseInt(args[0]) : 50_000;
        int warmup = args.length > 1 ? Integer.parseInt(args[1]) : 20_000;
        Set<String> want = Set.of(System.getProperty("bench.scenarios",
                "plain,nio,sync,epoll,workers,tls,tls-workers,frames,redis").split(","));
        TcpConfig nio = TcpConfig.DEFAULT;
        TcpConfig epoll = TcpConfig.DEFAULT.withNativeEpollAllowed(true);
        List<Scenario> scenarios = new ArrayList<>();
        List<String> notes = new ArrayList<>();
        try {
            if (want.contains("plain")) {
                PlainPingPong p = new PlainPingPong(REQUEST_BYTES, PAGE_BYTES);
                scenarios.add(new Scenario(new Latencies("plain Java blocking sockets (floor)", samples), p::roundTrip, p, -1));
            }
            if (want.contains("nio")) {
                MissOverTcp m = new MissOverTcp(nio, 0);
                scenarios.add(new Scenario(new Latencies("LegoOS/J miss: RpcNode+TcpTransport, " + io(m.nativeEpoll())
                        + " (default)", samples), m::roundTrip, m, -1));
            }
            if (want.contains("sync")) {
                MissOverTcp m = new MissOverTcp(nio, 0, true);
                scenarios.add(new Scenario(new Latencies("LegoOS/J miss: sync caller socket (RpcNode syncCalls)",
                        samples), m::roundTrip, m, -1));
            }
            if (want.contains("epoll")) {
                MissOverTcp m = new MissOverTcp(epoll, 0);
                scenarios.add(new Scenario(new Latencies("LegoOS/J miss: RpcNode+TcpTransport, " + io(m.nativeEpoll()),
                        samples), m::roundTrip, m, -1));
            }
            if (want.contains("workers")) {
                MissOverTcp m = new MissOverTcp(nio, 4, true);
                scenarios.add(new Scenario(new Latencies("LegoOS/J miss: sync caller, memory with 4 workers (as deployed)",
                        samples), m::roundTrip, m, -1));
            }
            if (want.contains("workers-metrics")) {
                MissOverTcp m = new MissOverTcp(nio, 4, true).withMetrics();
                scenarios.add(new Scenario(new Latencies("LegoOS/J miss: as deployed, metrics on (calls timed)",
                        samples), m::roundTrip, m, -1));
            }
            if (want.contains("tls")) {
                MissOverTcp m = new MissOverTcp(nio, 0, false, java.nio.file.Files.createTempDirectory("bench-tls"));
                scenarios.add(new Scenario(new Latencies("LegoOS/J miss: RpcNode+TcpTransport, mutual TLS 1.3 (default mode)",
                        samples), m::roundTrip, m, -1));
            }
            if (want.contains("tls-workers")) {
                MissOverTcp m = new MissOverTcp(nio, 4, true, java.nio.file.Files.createTempDirectory("bench-tls"));
                scenarios.add(new Scenario(new Latencies("LegoOS/J miss: sync caller, 4 workers, mutual TLS 1.3 (as deployed)",
                        samples), m::roundTrip, m, -1));
            }
            if (want.contains("frames")) {
                FramePingPong f = new FramePingPong(nio, MISS_BODY_BYTES, PAGE_DATA_BODY_BYTES);
                scenarios.add(new Scenario(new Latencies("TcpTransport alone: raw frames, same sizes, "
                        + io(f.nativeEpoll()), samples), f::roundTrip, f, -1));
            }
            if (want.contains("redis")) {
                String redis = RedisGet.findServer();
                if (redis == null) {
                    notes.add("redis: skipped (redis-server not installed: apt-get install redis-server)");
                } else {
                    RedisGet get = RedisGet.start(redis, PAGE_BYTES);
                    scenarios.add(new Scenario(new Latencies("redis GET 4 KiB value (redis-server)", samples), get::roundTrip,
                            get, get.serverPid()));
                }
            }
            for (Scenario sc : scenarios) {
                for (int i = 0; i < warmup; i++) {
                    sc.roundTrip().run();
                }
            }
            for (int r = 0; r < ROUNDS; r++) {
                int n = samples / ROUNDS + (r < samples % ROUNDS ? 1 : 0);
                for (Scenario sc : scenarios) {
                    measure(sc, n);
                }
            }
        } finally {
            for (Scenario sc : scenarios.reversed()) {
                sc.resource().close();
            }
        }
        print(scenarios.stream().map(Scenario::samples).toList(), notes, samples);
    }

    private static void measure(Scenario sc, int n) throws Exception {
        RoundTrip rt = sc.roundTrip();
        Latencies l = sc.samples();
        long cpu0 = cpuNanos(sc);
        long switches0 = contextSwitches(sc);
        for (int i = 0; i < n; i++) {
            long t0 = System.nanoTime();
            rt.run();
            l.record(System.nanoTime() - t0);
        }
        long cpu1 = cpuNanos(sc);
        long switches1 = contextSwitches(sc);
        l.addCost(cpu0 < 0 || cpu1 < 0 ? -1 : cpu1 - cpu0, switches0 < 0 || switches1 < 0 ? -1 : switches1 - switches0);
    }

    private static long cpuNanos(Scenario sc) {
        long self = ProcStats.cpuNanos(ProcessHandle.current().pid());
        if (sc.helperPid() < 0 || self < 0) {
            return self;
        }
        long helper = ProcStats.cpuNanos(sc.helperPid());
        return helper < 0 ? -1 : self + helper;
    }

    private static long contextSwitches(Scenario sc) {
        long self = ProcStats.contextSwitches(ProcessHandle.current().pid());
        if (sc.helperPid() < 0 || self < 0) {
            return self;
        }
        long helper = ProcStats.contextSwitches(sc.helperPid());
        return helper < 0 ? -1 : self + helper;
    }

    private static void print(List<Latencies> rows, List<String> notes, int samples) {
        System.out.printf(Locale.ROOT, "%nExCache miss round trip over TCP loopback: %d-byte request (LegoOS/J: its %d-byte "
                        + "PCACHE_MISS frame), %d-byte reply, %d samples each in %d interleaved rounds, %d cores, Java %s%n%n",
                REQUEST_BYTES, 20 + MISS_BODY_BYTES, PAGE_BYTES, samples, ROUNDS, Runtime.getRuntime().availableProcessors(),
                Runtime.version());
        String fmt = "%-54s %9s %9s %9s %8s %10s %7s%n";
        System.out.printf(Locale.ROOT, fmt, "scenario", "median us", "p99 us", "p99.9 us", "x floor", "cpu us/op", "csw/op");
        double floor = rows.isEmpty() ? Double.NaN : rows.getFirst().quantileMicros(0.5);
        for (Latencies l : rows) {
            double median = l.quantileMicros(0.5);
            System.out.printf(Locale.ROOT, fmt, l.name(), f1(median), f1(l.quantileMicros(0.99)), f1(l.quantileMicros(0.999)),
                    f2(median / floor), f1(l.cpuMicrosPerOp()), f2(l.switchesPerOp()));
        }
        for (String n : notes) {
            System.out.println(n);
        }
    }

    private static String io(boolean epoll) {
        return epoll ? "epoll" : "nio";
    }

    private static String f1(double v) {
        return Double.isNaN(v) ? "n/a" : String.format(Locale.ROOT, "%.1f", v);
    }

    private static String f2(double v) {
        return Double.isNaN(v) ? "n/a" : String.format(Locale.ROOT, "%.2f", v);
    }
}
