package org.legoos.cli;

import org.legoos.eval.ResultTable;
import java.util.concurrent.Callable;
import org.legoos.api.Sizes;
import org.legoos.net.protocol.gm.VNodeInfo;
import org.legoos.node.cluster.ClusterClient;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code lego vnode create|list|rm}: the vNodes (virtual servers spanning components) of a cluster. */
@Command(name = "vnode", mixinStandardHelpOptions = true,
        description = "Creates, lists and removes vNodes: the virtual servers users see, each with a storage component,"
                + " a buffer-cache memory component, a virtual IP and quotas.",
        subcommands = {VnodeCommand.Create.class, VnodeCommand.ListVNodes.class, VnodeCommand.Remove.class})
final class VnodeCommand implements Runnable {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(), "missing subcommand: create, list or rm");
    }

    /** Parses sizes such as {@code 1GiB} for options. */
    static final class SizeConverter implements CommandLine.ITypeConverter<Long> {
        @Override
        public Long convert(String value) {
            try {
                return Sizes.parse(value);
            } catch (IllegalArgumentException e) {
                throw new CommandLine.TypeConversionException(e.getMessage());
            }
        }
    }

    @Command(name = "create", mixinStandardHelpOptions = true,
            description = "Creates a vNode: the GSM picks its storage component, the GMM the memory component caching its files.")
    static final class Create implements Callable<Integer> {
        @Mixin
        ClientOptions client = new ClientOptions();

        @Parameters(paramLabel = "NAME", description = "1 to 63 characters from a-z, 0-9 and '-'.")
        String name;

        @Option(names = "--memory-quota", paramLabel = "SIZE", converter = SizeConverter.class,
                description = "Most memory its processes may map, e.g. 1GiB (default: manager.defaultMemoryQuotaBytes).")
        long memoryQuota;

        @Option(names = "--storage-quota", paramLabel = "SIZE", converter = SizeConverter.class,
                description = "Most bytes its files may take on its storage component, e.g. 10GiB"
                        + " (default: manager.defaultStorageQuotaBytes).")
        long storageQuota;

        @Option(names = "--max-processes", paramLabel = "N",
                description = "Most processes it runs at once (default: manager.defaultMaxProcesses).")
        int maxProcesses;

        private final Io io;

        Create(Io io) {
            this.io = io;
        }

        @Override
        public Integer call() {
            if (memoryQuota < 0 || storageQuota < 0 || maxProcesses < 0) {
                throw new CliException(Lego.EXIT_USAGE, "--memory-quota, --storage-quota and --max-processes must be positive");
            }
            try (ClusterClient c = client.connect(io)) {
                VNodeInfo v = c.createVNode(name, memoryQuota, storageQuota, maxProcesses);
                io.out().println("created vNode " + v.id() + " '" + v.name() + "': IP " + v.virtualIp() + ", storage node "
                        + v.storageNode() + ", buffer cache on memory node " + v.cacheMemoryNode() + ", memory quota "
                         + Sizes.human(v.memoryQuotaBytes()) + ", storage quota " + Sizes.human(v.storageQuotaBytes())
                        + ", at most " + v.maxProcesses() + " processes");
            }
            return Lego.EXIT_OK;
        }
    }

    @Command(name = "list", aliases = "ls", mixinStandardHelpOptions = true, description = "Lists the vNodes.")
    static final class ListVNodes implements Callable<Integer> {
        @Mixin
        ClientOptions client = new ClientOptions();

        private final Io io;

        ListVNodes(Io io) {
            this.io = io;
        }

        @Override
        public Integer call() {
            try (ClusterClient c = client.connect(io)) {
                ResultTable t = new ResultTable(null, ">ID", "NAME", "IP", ">STORAGE NODE", ">CACHE NODE", ">MEMORY QUOTA", ">STORAGE QUOTA",
                        ">PROCESSES");
                for (VNodeInfo v : c.vnodes()) {
                    t.row(v.id(), v.name(), v.virtualIp(), v.storageNode(), v.cacheMemoryNode(), Sizes.human(v.memoryQuotaBytes()),
                            Sizes.human(v.storageQuotaBytes()), v.processes() + "/" + v.maxProcesses());
                }
                if (t.isEmpty()) {
                    io.out().println("no vNodes (create one with: lego vnode create NAME)");
                } else {
                    t.print(io.out());
                }
            }
            return Lego.EXIT_OK;
        }
    }

    @Command(name = "rm", mixinStandardHelpOptions = true,
            description = "Removes a vNode (refused while it runs processes) and deletes its files from its storage component.")
    static final class Remove implements Callable<Integer> {
        @Mixin
        ClientOptions client = new ClientOptions();

        @Parameters(paramLabel = "NAME", description = "The vNode's name or id.")
        String name;

        private final Io io;

        Remove(Io io) {
            this.io = io;
        }

        @Override
        public Integer call() {
            try (ClusterClient c = client.connect(io)) {
                c.removeVNode(name);
                io.out().println("removed vNode '" + name + "'");
            }
            return Lego.EXIT_OK;
        }
    }
}
