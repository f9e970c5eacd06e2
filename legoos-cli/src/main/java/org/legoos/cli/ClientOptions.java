package org.legoos.cli;

import java.nio.file.Files;
import java.nio.file.Path;
import org.legoos.node.cluster.ClusterClient;
import org.legoos.node.config.ConfigKeys;
import org.legoos.node.config.LegoConfig;
import picocli.CommandLine.Option;

/**
 * How a client command finds the cluster: {@code --manager HOST:PORT}, else {@code manager.address} of
 * {@code --config FILE}, else of {@code ./lego.yaml}, else of {@code ./.lego/lego.yaml} (written by {@code lego up}),
 * else {@code 127.0.0.1:7700}.
 */
final class ClientOptions {
    /** Written by {@code lego up} into its run directory. */
    static final Path UP_CONFIG = Path.of(".lego", "lego.yaml");

    @Option(names = "--manager", paramLabel = "HOST:PORT",
            description = "The cluster's manager (default: manager.address of the configuration, else 127.0.0.1:7700).")
    String manager;

    @Option(names = "--config", paramLabel = "FILE",
            description = "Configuration file to take manager.address from (default: ./lego.yaml, then ./.lego/lego.yaml).")
    Path config;

    String managerAddress() {
        if (manager != null) {
            return manager;
        }
        LegoConfig c;
        if (config != null) {
            c = LegoConfig.load(config);
        } else if (Files.isRegularFile(ConfigOptions.DEFAULT_FILE)) {
            c = LegoConfig.load(ConfigOptions.DEFAULT_FILE);
        } else if (Files.isRegularFile(UP_CONFIG)) {
            c = LegoConfig.load(UP_CONFIG);
        } else {
            c = LegoConfig.defaults();
        }
        return c.get(ConfigKeys.MANAGER_ADDRESS);
    }

    /**
     * Connects to the manager.
     *
     * @throws org.legoos.node.cluster.ClusterUnreachableException if it does not answer (exit code 3)
     */
    ClusterClient connect() {
        return ClusterClient.connect(managerAddress());
    }
}
