package org.legoos.cli;

import java.util.concurrent.Callable;
import org.legoos.node.config.LegoConfig;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code lego config}: prints the effective configuration with every key's description and default. */
@Command(name = "config", mixinStandardHelpOptions = true,
        description = {"Prints the effective configuration as YAML, with every key described.",
                "Defaults, then --config FILE (or ./lego.yaml), then --set: a starting lego.yaml, and a check of one "
                + "(a bad key or value exits 2 with a message naming it)."})
final class ConfigCommand implements Callable<Integer> {
    @Mixin
    ConfigOptions config = new ConfigOptions();

    @Option(names = "--defaults", description = "Ignore any configuration file and --set: print the defaults.")
    boolean defaults;

    @Option(names = "--no-comments", description = "Leave out the descriptions.")
    boolean noComments;

    private final Io io;

    ConfigCommand(Io io) {
        this.io = io;
    }

    @Override
    public Integer call() {
        LegoConfig c = defaults ? LegoConfig.defaults() : config.resolve();
        io.out().print(c.toYaml(!noComments));
        io.out().flush();
        return Lego.EXIT_OK;
    }
}
