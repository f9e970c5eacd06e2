package org.legoos.cli;

import org.legoos.eval.ResultTable;
import java.io.PrintStream;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Callable;
import org.legoos.api.ComponentRole;
import org.legoos.api.ComponentState;
import org.legoos.api.Sizes;
import org.legoos.net.protocol.gm.ComponentInfo;
import org.legoos.net.protocol.gm.ComponentResources;
import org.legoos.node.cluster.ClusterClient;
import org.legoos.node.config.DurationText;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

/** {@code lego status}: the manager's membership table with each component's last reported resources. */
@Command(name = "status", mixinStandardHelpOptions = true,
        description = {"Prints every component of the cluster with its state and resources.",
                "Columns: node id, role, address, state (ALIVE, or DEAD after missed heartbeats), time since its last "
                + "status report, threads running / cores, processes (processors: running, memory: homed), memory used "
                + "/ capacity, storage used, ExCache size, and how a processor runs processes (process: a JVM each; thread: "
                + "threads of its JVM) with the reason below the table."})
final class StatusCommand implements Callable<Integer> {
    @Mixin
    ClientOptions client = new ClientOptions();

    private final Io io;

    StatusCommand(Io io) {
        this.io = io;
    }

    @Override
    public Integer call() {
        try (ClusterClient c = client.connect(io)) {
            print(c, io.out());
        }
        return Lego.EXIT_OK;
    }

    /** Prints the summary line and the table. */
    static void print(ClusterClient c, PrintStream out) {
        List<ComponentInfo> members = c.members();
        int vnodes = c.vnodes().size();
        long alive = members.stream().filter(m -> m.state() == ComponentState.ALIVE).count();
        out.println("manager " + c.managerAddress() + ": " + members.size() + " component" + (members.size() == 1 ? "" : "s")
                + " (" + alive + " alive), " + vnodes + " vNode" + (vnodes == 1 ? "" : "s")
                + (c.isSecure() ? ", mutual TLS" : ""));
        if (!c.isSecure()) {
            out.println("WARNING: INSECURE cluster (security.mode: insecure): links are plaintext and anyone who reaches a"
                    + " port may register, read any vNode or run programs. Use it on a trusted bench network only.");
        }
        ResultTable t = new ResultTable(null, ">NODE", "ROLE", "ADDRESS", "STATE", ">SEEN", ">THREADS/CORES", ">PROCS", ">MEMORY USED/CAP",
                ">REPLICAS", ">STORAGE USED", ">EXCACHE", "MODE");
        List<String> reasons = new java.util.ArrayList<>();
        long now = System.currentTimeMillis();
        for (ComponentInfo m : members) {
            ComponentResources r = m.resources();
            boolean processor = m.role() == ComponentRole.PROCESSOR;
            boolean memory = m.role() == ComponentRole.MEMORY;
            boolean storage = m.role() == ComponentRole.STORAGE;
            t.row(m.nodeId(), m.role().wireName(), m.address(), m.state(),
                    m.lastReportMillis() <= 0 ? "never" : DurationText.human(Duration.ofMillis(now - m.lastReportMillis())) + " ago",
                    r.threadsRunning() + "/" + r.cores(),
                    processor || memory ? String.valueOf(r.processes()) : "-",
                    memory ? Sizes.human(r.memoryUsedBytes()) + "/" + Sizes.human(r.memoryCapacityBytes()) : "-",
                    memory ? Sizes.human(r.replicaBytes()) : "-",
                    storage ? Sizes.human(r.storageUsedBytes()) : "-",
                    processor ? Sizes.human(r.excacheBytes()) : "-",
                    processor && r.processorMode() != null ? r.processorMode().name().toLowerCase(java.util.Locale.ROOT) : "-");
            if (memory && r.unreplicatedSpaces() > 0 && m.state() == ComponentState.ALIVE) {
                reasons.add("node " + m.nodeId() + ": " + r.unreplicatedSpaces() + " address space(s) owned there have no "
                        + "replica: the death of node " + m.nodeId() + " would lose their pages");
            }
            if (processor && r.processorMode() != null) {
                reasons.add("node " + m.nodeId() + ": " + r.processorMode().name().toLowerCase(java.util.Locale.ROOT) + " mode: "
                        + r.modeReason());
            }
        }
        if (t.isEmpty()) {
            out.println("no components have joined yet");
        } else {
            t.print(out);
            if (!reasons.isEmpty()) {
                out.println(); // the table ends here: readers (and scripts) stop at the blank line
                reasons.forEach(out::println);
            }
        }
        out.flush();
    }
}
