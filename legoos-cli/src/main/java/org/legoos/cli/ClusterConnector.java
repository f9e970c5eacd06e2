package org.legoos.cli;

import org.legoos.net.security.ClusterTls;
import org.legoos.node.cluster.ClusterClient;

/**
 * How a client command gets its connection to a cluster: {@link #DIRECT}, a new connection per command (the
 * {@code lego} JVM lives for one command), or the {@link ClientAgent}'s, which keeps one warm connection per cluster
 * and identity between the commands it runs. Either way the command closes what it gets.
 */
@FunctionalInterface
interface ClusterConnector {
    /** A new connection, closed with the client. */
    ClusterConnector DIRECT = (address, tls) -> ClusterClient.connect(address, ClusterClient.DEFAULT_CONNECT_TIMEOUT, tls);

    /**
     * A client connected to the manager at {@code address}, presenting {@code tls}'s identity (null: an insecure
     * cluster).
     *
     * @throws org.legoos.node.cluster.ClusterUnreachableException if no manager answers there
     * @throws org.legoos.api.security.AccessDeniedException if the manager refuses the certificate
     */
    ClusterClient connect(String address, ClusterTls tls);
}
