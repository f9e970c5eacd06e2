package org.legoos.cli;

import java.util.List;
import java.util.concurrent.Callable;
import org.legoos.api.LegoException;
import org.legoos.node.cluster.ClusterClient;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Parameters;

/** {@code lego kill}: kills processes by pid, wherever they run (found with ps). */
@Command(name = "kill", mixinStandardHelpOptions = true,
        description = "Kills processes by pid; each exits with code 137. Exits 1 if a pid runs nowhere.")
final class KillCommand implements Callable<Integer> {
    @Mixin
    ClientOptions client = new ClientOptions();

    @Parameters(paramLabel = "PID", arity = "1..*", description = "Process ids, as 'lego ps' shows them.")
    List<Long> pids;

    private final Io io;

    KillCommand(Io io) {
        this.io = io;
    }

    @Override
    public Integer call() {
        int code = Lego.EXIT_OK;
        try (ClusterClient c = client.connect(io)) {
            for (long pid : pids) {
                try {
                    ClusterClient.ProcessRow r = c.kill(pid);
                    io.out().println("killed pid " + pid + " (" + r.process().program() + ") on processor node "
                            + r.processor().nodeId());
                } catch (LegoException e) {
                    io.err().println("lego: " + e.getMessage());
                    code = Lego.EXIT_FAILURE;
                }
            }
        }
        return code;
    }
}
