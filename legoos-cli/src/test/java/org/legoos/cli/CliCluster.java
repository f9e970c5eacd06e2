package org.legoos.cli;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.legoos.node.cluster.TcpCluster;
import org.legoos.node.config.ConfigKeys;
import org.legoos.node.config.LegoConfig;

/**
 * A cluster of TCP components on loopback in this JVM for the client commands' tests, and the options that point a
 * command at it ({@code --manager}, and {@code --config} for the certificates it made for itself).
 */
final class CliCluster implements AutoCloseable {
    final TcpCluster cluster;
    final String manager;
    final Path clientConfig;

    CliCluster() {
        LegoConfig cfg = LegoConfig.defaults()
                .with("manager.heartbeatTimeout", "15s").with("manager.reportInterval", "100ms")
                .with("processor.excacheBytes", "1MiB").with("processor.excacheWays", "16").with("processor.cores", "2")
                .with("memory.capacityBytes", "64MiB").with("memory.vregionBytes", "4MiB").with("memory.workers", "2")
                .with("memory.bufferCacheBytes", "4MiB");
        cluster = TcpCluster.start(cfg, 1, 2, 1, TestPrograms.all());
        manager = cluster.managerAddress();
        try {
            clientConfig = Files.createTempFile("lego-client", ".yaml");
            Files.writeString(clientConfig, "security:\n  dir: " + cluster.config().get(ConfigKeys.SECURITY_DIR) + "\n");
        } catch (IOException e) {
            cluster.close();
            throw new UncheckedIOException(e);
        }
    }

    /** {@code args} with this cluster's {@code --manager} and {@code --config} after the (sub)command's name. */
    String[] args(String... args) {
        // options go before a 'run' program's own arguments
        String[] all = new String[args.length + 4];
        int at = args[0].equals("vnode") || args[0].equals("certs") ? 2 : 1;
        System.arraycopy(args, 0, all, 0, at);
        all[at] = "--manager";
        all[at + 1] = manager;
        all[at + 2] = "--config";
        all[at + 3] = clientConfig.toString();
        System.arraycopy(args, at, all, at + 4, args.length - at);
        return all;
    }

    @Override
    public void close() throws IOException {
        cluster.close();
        Files.deleteIfExists(clientConfig);
    }
}
