package org.legoos.cli;

import org.legoos.eval.ResultTable;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import org.legoos.net.protocol.gm.VNodeInfo;
import org.legoos.node.cluster.ClusterClient;
import org.legoos.node.config.DurationText;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

/** {@code lego ps}: the processes of every live processor component, in pid order. */
@Command(name = "ps", mixinStandardHelpOptions = true,
        description = {"Lists the processes of every live processor component.",
                "Shows pid, vNode, program, state, threads, age and the processor node running it. Processors that do "
                + "not answer are named on stderr and make the exit code 1."})
final class PsCommand implements Callable<Integer> {
    @Mixin
    ClientOptions client = new ClientOptions();

    private final Io io;

    PsCommand(Io io) {
        this.io = io;
    }

    @Override
    public Integer call() {
        try (ClusterClient c = client.connect(io)) {
            ClusterClient.ProcessTable table = c.ps();
            Map<Integer, String> vnodes = new HashMap<>();
            for (VNodeInfo v : c.vnodes()) {
                vnodes.put(v.id(), v.name());
            }
            ResultTable t = new ResultTable(null, ">PID", "VNODE", "PROGRAM", "STATE", ">THREADS", ">AGE", "PROCESSOR");
            long now = System.currentTimeMillis();
            for (ClusterClient.ProcessRow r : table.rows()) {
                var p = r.process();
                t.row(p.pid(), vnodes.getOrDefault(p.vnodeId(), "#" + p.vnodeId()), p.program(), p.state(), p.threads(),
                        DurationText.human(Duration.ofMillis(now - p.startedMillis())),
                        "node " + r.processor().nodeId() + " (" + r.processor().address() + ")");
            }
            if (t.isEmpty()) {
                io.out().println("no processes running");
            } else {
                t.print(io.out());
            }
            for (String u : table.unreachable()) {
                io.err().println("lego ps: no answer from " + u);
            }
            return table.unreachable().isEmpty() ? Lego.EXIT_OK : Lego.EXIT_FAILURE;
        }
    }
}
