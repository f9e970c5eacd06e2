package org.legoos.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * The {@code lego} command: runs LegoOS/J clusters and talks to them.
 *
 * <p>Exit codes: 0 success, 1 a checked result was wrong or the program failed, 2 usage or set-up error;
 * {@code lego run} returns the program's own exit code.
 */
@Command(name = "lego", mixinStandardHelpOptions = true, version = "LegoOS/J 0.1.0",
        description = "LegoOS/J: the LegoOS splitkernel for hardware resource disaggregation, on the JVM.",
        subcommands = {DemoCommand.class, CommandLine.HelpCommand.class})
public final class Lego implements Runnable {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(System.out);
    }

    public static void main(String[] args) {
        System.exit(new CommandLine(new Lego())
                .setExecutionExceptionHandler((e, cmd, parsed) -> {
                    cmd.getErr().println("lego: " + e.getMessage());
                    return 2;
                })
                .execute(args));
    }
}
