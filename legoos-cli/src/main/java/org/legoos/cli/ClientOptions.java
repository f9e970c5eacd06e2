package org.legoos.cli;

import java.nio.file.Files;
import java.nio.file.Path;
import org.legoos.node.cluster.ClusterClient;
import org.legoos.node.cluster.ClusterSecurity;
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

    @Option(names = "--identity", paramLabel = "NAME",
            description = "Which certificate of security.dir to present (default: security.identity, else admin).")
    String identity;

    String managerAddress() {
        if (manager != null) {
            return manager;
        }
        return configuration().get(ConfigKeys.MANAGER_ADDRESS);
    }

    /** True if something accepts TCP connections at {@code host:port} (within a second). */
    private static boolean listening(String address) {
        int colon = address.lastIndexOf(':');
        try (java.net.Socket s = new java.net.Socket()) {
            String host = address.substring(0, colon);
            if (host.startsWith("[") && host.endsWith("]")) {
                host = host.substring(1, host.length() - 1);
            }
            s.connect(new java.net.InetSocketAddress(host, Integer.parseInt(address.substring(colon + 1))), 1_000);
            return true;
        } catch (java.io.IOException | RuntimeException e) {
            return false;
        }
    }

    /** The configuration the client reads: --config, else ./lego.yaml, else ./.lego/lego.yaml, else the defaults. */
    LegoConfig configuration() {
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
        return c;
    }

    /**
     * Connects to the manager through {@code io}'s {@link ClusterConnector}.
     *
     * @throws org.legoos.node.cluster.ClusterUnreachableException if it does not answer (exit code 3)
     */
    ClusterClient connect(Io io) {
        LegoConfig c = configuration();
        if (identity != null) {
            c = c.with(ConfigKeys.SECURITY_IDENTITY, identity);
        }
        String address = ClusterClient.checkAddress(managerAddress());
        org.legoos.net.security.ClusterTls tls;
        try {
            tls = ClusterSecurity.clientTls(c, ClusterSecurity.DEFAULT_CLIENT_IDENTITY);
        } catch (org.legoos.net.security.SecurityConfigException e) {
            // no usable certificate: if nothing listens there either, that is what the user needs to hear first
            if (!listening(address)) {
                throw new org.legoos.node.cluster.ClusterUnreachableException("cannot reach the manager at " + address
                        + ": nothing listens there", e);
            }
            throw new CliException(Lego.EXIT_FAILURE, e.getMessage());
        }
        try {
            return io.connector().connect(address, tls);
        } catch (org.legoos.api.security.AccessDeniedException e) {
            throw new CliException(Lego.EXIT_FAILURE, "the cluster refused this client: " + e.getMessage());
        }
    }
}
