package org.legoos.cli;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Callable;
import org.legoos.node.cluster.NodeRole;
import org.legoos.node.config.ConfigKeys;
import org.legoos.node.config.DurationText;
import org.legoos.node.config.LegoConfig;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code lego down}: stops the cluster {@code lego up} started from a run directory: processors first (their
 * processes use the rest), then memory and storage components, the manager last; SIGTERM first, SIGKILL after the
 * timeout.
 */
@Command(name = "down", mixinStandardHelpOptions = true,
        description = {"Stops the cluster 'lego up' started.",
                "SIGTERM to every component (processors first, the manager last), SIGKILL to those still running "
                + "after the timeout. State and files stay in the run directory, so 'lego up' brings the same cluster "
                + "back."})
final class DownCommand implements Callable<Integer> {
    @Option(names = "--dir", paramLabel = "DIR", defaultValue = ".lego",
            description = "Run directory given to 'lego up' (default: ${DEFAULT-VALUE}).")
    Path dir;

    @Option(names = "--timeout", paramLabel = "DURATION",
            description = "How long to wait after SIGTERM before killing (default: cluster.stopTimeout of DIR/lego.yaml, else 10s).")
    String timeout;

    private final Io io;

    DownCommand(Io io) {
        this.io = io;
    }

    @Override
    public Integer call() throws Exception {
        RunDir run = new RunDir(dir);
        ClientAgent.stop(run.dir()); // the client agent's connections are to this cluster
        Duration wait = timeout != null ? parse(timeout)
                : Files.isRegularFile(run.configFile()) ? LegoConfig.load(run.configFile()).get(ConfigKeys.CLUSTER_STOP_TIMEOUT)
                : ConfigKeys.CLUSTER_STOP_TIMEOUT.defaultValue();
        List<RunDir.Entry> entries = run.entries();
        List<RunDir.Entry> live = run.running();
        if (live.isEmpty()) {
            entries.forEach(run::forget);
            io.out().println("no cluster running from " + run.dir());
            return Lego.EXIT_OK;
        }
        int killed = 0;
        for (NodeRole role : new NodeRole[] {NodeRole.PROCESSOR, NodeRole.MEMORY, NodeRole.STORAGE, NodeRole.MANAGER}) {
            killed += run.stop(entries.stream().filter(e -> e.role() == role).toList(), wait, io.out());
        }
        io.out().println("cluster down" + (killed > 0 ? " (" + killed + " killed)" : ""));
        return Lego.EXIT_OK;
    }

    private static Duration parse(String text) {
        try {
            return DurationText.parse(text);
        } catch (IllegalArgumentException e) {
            throw new CliException(Lego.EXIT_USAGE, "--timeout: " + e.getMessage());
        }
    }
}
