package org.legoos.cli;

import java.io.IOException;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.lang.reflect.Constructor;
import java.nio.file.AccessDeniedException;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;
import java.util.List;
import org.legoos.api.LegoException;
import org.legoos.manager.ManagerStateException;
import org.legoos.node.cluster.ClusterUnreachableException;
import org.legoos.node.config.ConfigException;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * The {@code lego} command: runs LegoOS/J clusters and talks to them.
 *
 * <p>Exit codes: {@value #EXIT_OK} success, {@value #EXIT_FAILURE} failure (including a wrong demo result),
 * {@value #EXIT_USAGE} usage or configuration error, {@value #EXIT_UNREACHABLE} cluster unreachable;
 * {@code lego run} returns the program's own exit code.
 */
@Command(name = "lego", mixinStandardHelpOptions = true, version = "LegoOS/J 0.1.0",
        description = {"LegoOS/J: the LegoOS splitkernel for hardware resource disaggregation, on the JVM.", ""},
        commandListHeading = "%nCommands:%n",
        footer = {"",
                "Run a cluster with 'lego up' (every component on this machine), or on any hosts with 'lego manager', "
                        + "'lego processor', 'lego memory' and 'lego storage' sharing one lego.yaml ('lego config' prints "
                        + "every key with its default; every key is also a --set KEY=VALUE and a --section.key option of "
                        + "those commands).",
                "",
                "Client commands find the manager with --manager HOST:PORT, else manager.address of --config FILE, "
                        + "./lego.yaml or ./.lego/lego.yaml (written by 'lego up'), else 127.0.0.1:7700.",
                "",
                "Exit codes: 0 ok, 1 failure (including a wrong demo result), 2 usage or configuration error, "
                        + "3 cluster unreachable; 'lego run' exits with the program's own code."})
public final class Lego implements Runnable {
    /**
     * The subcommands, in the order help lists them. Not in the annotation: picocli builds a command's model by
     * reflection when it is added (about 0.15 s for all of them and the configuration keys' options, most of a client
     * command's start-up), so a command line that names one subcommand gets only that one (see {@link #commandLine(Io,
     * String...)}).
     */
    static final List<Class<?>> SUBCOMMANDS = List.of(DemoCommand.class, BenchCommand.class,
            ComponentCommand.Manager.class, ComponentCommand.Processor.class, ComponentCommand.Memory.class,
            ComponentCommand.Storage.class, UpCommand.class, DownCommand.class, LogsCommand.class, StatusCommand.class, TopCommand.class,
            DashboardCommand.class,
            VnodeCommand.class, FileCommands.Cp.class, FileCommands.Ls.class, FileCommands.Cat.class, FileCommands.Rm.class,
            RunCommand.class, PsCommand.class, KillCommand.class, ConfigCommand.class, CertsCommand.class, AgentCommand.class,
            CommandLine.HelpCommand.class);

    public static final int EXIT_OK = 0;
    public static final int EXIT_FAILURE = 1;
    public static final int EXIT_USAGE = 2;
    public static final int EXIT_UNREACHABLE = 3;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    public static void main(String[] args) {
        if (Boolean.getBoolean("lego.aot.training")) {
            // the launcher records the AOT cache with this command: let it see every command's model being built too
            commandLine(Io.system());
            org.legoos.node.cluster.ClusterSecurity.warmUp(); // and a TLS client's start-up
        }
        System.exit(run(Io.system(), args));
    }

    /** Parses and runs one command line; returns the exit code. */
    /** The narrowest usage help picocli lays out. */
    static final int MIN_HELP_COLUMNS = 55;

    static int run(Io io, String... args) {
        return commandLine(io, args).execute(args);
    }

    /** The whole command tree, writing to {@code io}. */
    static CommandLine commandLine(Io io) {
        return commandLine(io, SUBCOMMANDS);
    }

    /**
     * The command tree for {@code args}: if the first argument names a subcommand (other than {@code help}), the root
     * with that subcommand alone, which parses and runs it exactly as the whole tree would; else the whole tree (help,
     * version, and the error for an unknown command list every subcommand).
     */
    static CommandLine commandLine(Io io, String... args) {
        if (args.length > 0 && !args[0].equals("help")) {
            for (Class<?> c : SUBCOMMANDS) {
                CommandLine.Command a = c.getAnnotation(CommandLine.Command.class);
                if (a != null && (a.name().equals(args[0]) || List.of(a.aliases()).contains(args[0]))) {
                    return commandLine(io, List.of(c));
                }
            }
        }
        return commandLine(io);
    }

    private static CommandLine commandLine(Io io, List<Class<?>> subcommands) {
        Factory factory = new Factory(io);
        CommandLine cl = new CommandLine(new Lego(), factory);
        for (Class<?> c : subcommands) {
            try {
                cl.addSubcommand(factory.create(c));
            } catch (Exception e) {
                throw new IllegalStateException("cannot create the command " + c.getName(), e);
            }
        }
        if (io.helpColumns() > 0) {
            cl.setUsageHelpWidth(Math.max(MIN_HELP_COLUMNS, io.helpColumns()));
        } else {
            cl.setUsageHelpAutoWidth(true);
        }
        cl.setCaseInsensitiveEnumValuesAllowed(true);
        cl.setOut(new PrintWriter(io.out(), true));
        cl.setErr(new PrintWriter(io.err(), true));
        cl.setExecutionExceptionHandler((e, cmd, parsed) -> {
            cmd.getErr().flush();
            return report(e, io.err());
        });
        cl.setParameterExceptionHandler((e, args) -> {
            CommandLine cmd = e.getCommandLine();
            io.err().println("lego: " + e.getMessage() + " (see '" + cmd.getCommandSpec().qualifiedName() + " --help')");
            return EXIT_USAGE;
        });
        for (CommandLine sub : cl.getSubcommands().values()) {
            if (sub.getCommand() instanceof ComponentCommand c) {
                ConfigOptions.addKeyOptions(sub.getCommandSpec(), c.config, ConfigOptions.componentKeys(c.role()));
            } else if (sub.getCommand() instanceof UpCommand u) {
                ConfigOptions.addKeyOptions(sub.getCommandSpec(), u.config, org.legoos.node.config.ConfigKeys.ALL);
            }
        }
        CommandLine run = cl.getSubcommands().get("run");
        if (run != null) {
            run.setStopAtPositional(true);
        }
        return cl;
    }

    /** Prints one line for a failure and returns its exit code. */
    static int report(Throwable e, PrintStream err) {
        int code;
        String message;
        switch (e) {
            case CliException c -> {
                code = c.exitCode();
                message = c.getMessage();
            }
            case ConfigException c -> {
                code = EXIT_USAGE;
                message = c.getMessage();
            }
            case ClusterUnreachableException c -> {
                code = EXIT_UNREACHABLE;
                message = c.getMessage() + " (is the cluster up? 'lego up' starts one; --manager HOST:PORT picks another)";
            }
            case IllegalArgumentException c -> {
                code = EXIT_USAGE;
                message = c.getMessage();
            }
            case LegoException c -> {
                // a request the cluster judged malformed (a bad vNode name, say) is a usage error
                code = org.legoos.net.rpc.Status.of(c) == org.legoos.net.rpc.Status.INVALID_ARGUMENT ? EXIT_USAGE : EXIT_FAILURE;
                message = c.getMessage();
            }
            case ManagerStateException c -> {
                code = EXIT_FAILURE;
                message = c.getMessage();
            }
            case UncheckedIOException c -> {
                code = EXIT_FAILURE;
                message = describe(c.getCause());
            }
            case IOException c -> {
                code = EXIT_FAILURE;
                message = describe(c);
            }
            case InterruptedException c -> {
                code = 130;
                message = "interrupted";
            }
            default -> {
                code = EXIT_FAILURE;
                message = e.getMessage() == null ? e.toString() : e.getMessage();
            }
        }
        err.println("lego: " + oneLine(message));
        err.flush();
        return code;
    }

    /** A file error as one line: {@code /in/x: no such file or directory}. */
    static String describe(IOException e) {
        return switch (e) {
            case NoSuchFileException f -> f.getFile() + ": no such file or directory";
            case FileAlreadyExistsException f -> f.getFile() + ": already exists";
            case DirectoryNotEmptyException f -> f.getFile() + ": directory not empty";
            case NotDirectoryException f -> f.getFile() + ": not a directory";
            case AccessDeniedException f -> f.getFile() + ": permission denied" + (f.getReason() == null ? "" : " (" + f.getReason() + ")");
            case FileSystemException f when f.getReason() != null -> f.getFile() + ": " + f.getReason();
            default -> String.valueOf(e.getMessage());
        };
    }

    private static String oneLine(String s) {
        return s == null ? "" : s.replaceAll("\\s*\\R\\s*", " ").trim();
    }

    /** Creates commands, giving those that take an {@link Io} theirs. */
    private record Factory(Io io) implements CommandLine.IFactory {
        @Override
        public <K> K create(Class<K> cls) throws Exception {
            try {
                Constructor<K> c = cls.getDeclaredConstructor(Io.class);
                c.setAccessible(true);
                return c.newInstance(io);
            } catch (NoSuchMethodException e) {
                return CommandLine.defaultFactory().create(cls);
            }
        }
    }
}
