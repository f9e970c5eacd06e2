package org.legoos.cli;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.LocalTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.legoos.api.ComponentRole;
import org.legoos.api.ComponentState;
import org.legoos.api.Sizes;
import org.legoos.eval.ResultTable;
import org.legoos.net.protocol.gm.ComponentInfo;
import org.legoos.net.protocol.gm.ComponentResources;
import org.legoos.net.protocol.gm.VNodeInfo;
import org.legoos.node.cluster.ClusterClient;
import org.legoos.node.config.DurationText;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code lego top}: a live view of the cluster, redrawn every {@code --delay} (ANSI clear and redraw, as {@code top}
 * does) until Ctrl-C: components with their memory, storage and ExCache hit rate and misses per second, vNodes and
 * processes, busiest first. Rates are the difference of two samples (the manager's membership table and every
 * processor's process list, as {@code lego status} and {@code lego ps} get them) over the time between them.
 * {@code --once} prints one frame from two samples {@code --delay} apart, without escape codes.
 */
@Command(name = "top", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Shows the cluster live: components, vNodes and processes, busiest first.",
                "Redraws every --delay until Ctrl-C. Components: state, threads/cores, processes, memory used/capacity, "
                + "storage used, and for processors the ExCache hit rate and misses per second. vNodes: processes, "
                + "threads and misses per second of their processes. Processes: pid, vNode, program, processor, threads, "
                + "ExCache misses and misses per second (the busiest first). Hit rates are per processor component and in "
                + "thread mode only: hits are not counted per process, so that a hit costs no more than a load, and in "
                + "process mode a hit is a hardware load, not seen at all. --once prints one frame "
                + "(two samples --delay apart) without escape codes, for scripts."})
final class TopCommand implements Callable<Integer> {
    /** Clear the screen and move to the top left. */
    private static final String CLEAR = "\033[H\033[2J";

    @Mixin
    ClientOptions client = new ClientOptions();

    @Option(names = "--once", description = "Print one frame and exit.")
    boolean once;

    @Option(names = {"-d", "--delay"}, paramLabel = "DURATION", defaultValue = "1s",
            description = "Time between frames (and between the two samples of --once), e.g. 500ms (default: ${DEFAULT-VALUE}).")
    String delay;

    @Option(names = {"-n", "--iterations"}, paramLabel = "N", defaultValue = "0",
            description = "Stop after N frames (default: until Ctrl-C).")
    int iterations;

    @Option(names = "--processes", paramLabel = "N", defaultValue = "20",
            description = "Most processes listed, busiest first (default: ${DEFAULT-VALUE}).")
    int maxProcesses;

    private final Io io;

    TopCommand(Io io) {
        this.io = io;
    }

    /** What one look at the cluster saw. */
    record Sample(long nanos, List<ComponentInfo> members, List<VNodeInfo> vnodes, ClusterClient.ProcessTable ps) {
        static Sample take(ClusterClient c) {
            List<ComponentInfo> members = c.members();
            List<VNodeInfo> vnodes = c.vnodes();
            ClusterClient.ProcessTable ps = c.ps();
            return new Sample(System.nanoTime(), members, vnodes, ps);
        }
    }

    @Override
    public Integer call() throws Exception {
        Duration every;
        try {
            every = DurationText.parse(delay);
        } catch (IllegalArgumentException e) {
            throw new CliException(Lego.EXIT_USAGE, "--delay " + delay + ": " + e.getMessage());
        }
        if (every.toMillis() < 10 || every.toHours() > 1) {
            throw new CliException(Lego.EXIT_USAGE, "--delay " + delay + ": give 10ms to 1h");
        }
        if (iterations < 0 || maxProcesses < 1) {
            throw new CliException(Lego.EXIT_USAGE, "--iterations must be 0 or more and --processes at least 1");
        }
        try (ClusterClient c = client.connect(io)) {
            Sample previous = Sample.take(c);
            if (once) {
                Thread.sleep(every.toMillis());
                io.out().print(frame(c, previous, Sample.take(c)));
                io.out().flush();
                return Lego.EXIT_OK;
            }
            CountDownLatch stop = new CountDownLatch(1);
            CountDownLatch stopped = new CountDownLatch(1);
            try (AutoCloseable _ = io.onInterrupt(() -> {
                stop.countDown();
                try {
                    stopped.await(2, TimeUnit.SECONDS); // let the last frame finish drawing
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            })) {
                for (int n = 0; iterations == 0 || n < iterations; n++) {
                    if (stop.await(every.toMillis(), TimeUnit.MILLISECONDS)) {
                        break;
                    }
                    Sample now = Sample.take(c);
                    io.out().print(CLEAR + frame(c, previous, now));
                    io.out().flush();
                    previous = now;
                }
            } finally {
                stopped.countDown();
            }
            return Lego.EXIT_OK;
        }
    }

    /** One frame: the summary line, then the components, vNodes and processes tables. */
    String frame(ClusterClient c, Sample before, Sample now) {
        double seconds = Math.max(1e-3, (now.nanos() - before.nanos()) / 1e9);
        Map<Integer, ComponentInfo> was = new HashMap<>();
        before.members().forEach(m -> was.put(m.nodeId(), m));
        Map<Long, Long> missesBefore = new HashMap<>();
        before.ps().rows().forEach(r -> missesBefore.put(r.process().pid(), r.process().misses()));
        Map<Integer, String> vnodeNames = new HashMap<>();
        now.vnodes().forEach(v -> vnodeNames.put(v.id(), v.name()));

        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        PrintStream out = new PrintStream(bytes, false, StandardCharsets.UTF_8);
        long alive = now.members().stream().filter(m -> m.state() == ComponentState.ALIVE).count();
        out.println("lego top - " + LocalTime.now().format(DateTimeFormatter.ofPattern("HH:mm:ss")) + "  manager "
                + c.managerAddress() + "  " + now.members().size() + " components (" + alive + " alive)  "
                + now.vnodes().size() + " vNodes  " + now.ps().rows().size() + " processes  (rates over "
                + String.format(java.util.Locale.ROOT, "%.1f", seconds) + " s)");
        out.println();

        ResultTable components = new ResultTable("COMPONENTS", ">NODE", "ROLE", "STATE", ">THREADS/CORES", ">PROCS",
                ">MEMORY USED/CAP", ">STORAGE", ">EXCACHE", ">HIT%", ">MISSES/S");
        for (ComponentInfo m : now.members()) {
            ComponentResources r = m.resources();
            boolean processor = m.role() == ComponentRole.PROCESSOR;
            boolean memory = m.role() == ComponentRole.MEMORY;
            String hit = "-";
            String missRate = "-";
            if (processor) {
                ComponentResources p = was.containsKey(m.nodeId()) ? was.get(m.nodeId()).resources() : r;
                long hits = r.excacheHits() - p.excacheHits();
                long misses = r.excacheMisses() - p.excacheMisses();
                // process mode: a hit is a hardware load, counted nowhere
                hit = hits + misses == 0 || r.processorMode() == org.legoos.api.ProcessorMode.PROCESS ? "-"
                        : percent((double) hits / (hits + misses));
                missRate = rate(misses, seconds);
            }
            components.row(m.nodeId(), m.role().wireName(), m.state().name().toLowerCase(java.util.Locale.ROOT),
                    r.threadsRunning() + "/" + r.cores(),
                    processor || memory ? String.valueOf(r.processes()) : "-",
                    memory ? Sizes.human(r.memoryUsedBytes()) + "/" + Sizes.human(r.memoryCapacityBytes()) : "-",
                    m.role() == ComponentRole.STORAGE ? Sizes.human(r.storageUsedBytes()) : "-",
                    processor ? Sizes.human(r.excacheBytes()) : "-", hit, missRate);
        }
        print(components, out, "no components have joined yet");

        record Proc(ClusterClient.ProcessRow row, double missesPerSecond) {
        }
        List<Proc> procs = new ArrayList<>();
        for (ClusterClient.ProcessRow r : now.ps().rows()) {
            long earlier = missesBefore.getOrDefault(r.process().pid(), 0L);
            procs.add(new Proc(r, Math.max(0, r.process().misses() - earlier) / seconds));
        }
        procs.sort(Comparator.comparingDouble((Proc p) -> -p.missesPerSecond())
                .thenComparing(p -> -p.row().process().threads())
                .thenComparingLong(p -> p.row().process().pid()));

        Map<Integer, double[]> perVnode = new HashMap<>(); // processes, threads, misses/s
        for (Proc p : procs) {
            double[] v = perVnode.computeIfAbsent(p.row().process().vnodeId(), k -> new double[3]);
            v[0]++;
            v[1] += p.row().process().threads();
            v[2] += p.missesPerSecond();
        }
        List<VNodeInfo> vnodes = new ArrayList<>(now.vnodes());
        vnodes.sort(Comparator.comparingDouble((VNodeInfo v) -> -perVnode.getOrDefault(v.id(), new double[3])[2])
                .thenComparing(VNodeInfo::name));
        ResultTable vt = new ResultTable("VNODES", "VNODE", ">PROCS", ">THREADS", ">MISSES/S", ">QUOTA", ">STORAGE NODE",
                ">CACHE NODE");
        for (VNodeInfo v : vnodes) {
            double[] s = perVnode.getOrDefault(v.id(), new double[3]);
            vt.row(v.name(), (long) s[0], (long) s[1], String.format(java.util.Locale.ROOT, "%.0f", s[2]),
                    Sizes.human(v.memoryQuotaBytes()), v.storageNode(), v.cacheMemoryNode());
        }
        print(vt, out, "no vNodes");

        ResultTable pt = new ResultTable("PROCESSES", ">PID", "VNODE", "PROGRAM", "STATE", ">PROCESSOR", ">THREADS",
                ">MISSES", ">MISSES/S", ">AGE");
        long wall = System.currentTimeMillis();
        for (Proc p : procs.subList(0, Math.min(procs.size(), maxProcesses))) {
            var e = p.row().process();
            pt.row(e.pid(), vnodeNames.getOrDefault(e.vnodeId(), "#" + e.vnodeId()), e.program(), e.state(),
                    p.row().processor().nodeId(), e.threads(), e.misses(),
                    String.format(java.util.Locale.ROOT, "%.0f", p.missesPerSecond()),
                    DurationText.human(Duration.ofMillis(Math.max(0, wall - e.startedMillis()))));
        }
        print(pt, out, "no processes running");
        if (procs.size() > maxProcesses) {
            out.println("(" + (procs.size() - maxProcesses) + " more processes; --processes N shows more)");
        }
        for (String u : now.ps().unreachable()) {
            out.println("no answer from " + u);
        }
        out.flush();
        return bytes.toString(StandardCharsets.UTF_8);
    }

    private static void print(ResultTable t, PrintStream out, String empty) {
        if (t.isEmpty()) {
            out.println(t.title());
            out.println(empty);
        } else {
            t.print(out);
        }
        out.println();
    }

    private static String percent(double fraction) {
        return String.format(java.util.Locale.ROOT, "%.1f", 100 * fraction);
    }

    private static String rate(long count, double seconds) {
        return String.format(java.util.Locale.ROOT, "%.0f", count / seconds);
    }
}
