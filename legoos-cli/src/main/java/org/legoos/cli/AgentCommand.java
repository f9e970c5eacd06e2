package org.legoos.cli;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.Callable;
import org.legoos.node.config.DurationText;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code lego agent}: the {@link ClientAgent} of a run directory, in the foreground. The launcher starts it in the
 * background by itself; users meet it only as {@code lego agent --stop} (which {@code lego down} also does) or
 * {@code LEGO_AGENT=0} (never use one).
 */
@Command(name = "agent", hidden = true, mixinStandardHelpOptions = true,
        description = {"Runs the client agent of a run directory: a warm JVM that runs client commands for the lego "
                + "launcher (started by it; LEGO_AGENT=0 turns it off).",
                "With --stop: stops the agent of DIR, if one runs."})
final class AgentCommand implements Callable<Integer> {
    @Option(names = "--dir", paramLabel = "DIR", defaultValue = ".lego",
            description = "Run directory whose commands it runs (default: ${DEFAULT-VALUE}).")
    Path dir;

    @Option(names = "--idle", paramLabel = "DURATION", defaultValue = "15m",
            description = "Stop after this long without a command (default: ${DEFAULT-VALUE}).")
    String idle;

    @Option(names = "--stop", description = "Stop the agent of DIR instead.")
    boolean stop;

    private final Io io;

    AgentCommand(Io io) {
        this.io = io;
    }

    @Override
    public Integer call() throws Exception {
        Path run = dir.toAbsolutePath().normalize();
        if (stop) {
            io.out().println(ClientAgent.stop(run) ? "client agent of " + run + " stopped" : "no client agent runs for " + run);
            return Lego.EXIT_OK;
        }
        Duration idleFor;
        try {
            idleFor = DurationText.parse(idle);
        } catch (IllegalArgumentException e) {
            throw new CliException(Lego.EXIT_USAGE, "--idle: " + e.getMessage());
        }
        Optional<ClientAgent> agent = ClientAgent.start(run, Path.of(""), idleFor);
        if (agent.isEmpty()) {
            io.err().println("lego agent: another agent runs for " + run);
            return Lego.EXIT_OK;
        }
        try (ClientAgent a = agent.get()) {
            io.out().println("client agent of " + run + " on 127.0.0.1:" + a.port());
            io.out().flush();
            a.serve();
        }
        return Lego.EXIT_OK;
    }
}
