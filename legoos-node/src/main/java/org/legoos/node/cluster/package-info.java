/**
 * LegoOS/J as separate processes over TCP: the boot code that runs the global manager
 * ({@link org.legoos.node.cluster.ManagerNode}) or one monitor ({@link org.legoos.node.cluster.ComponentNode}) from a
 * {@link org.legoos.node.config.LegoConfig} on a {@link org.legoos.net.transport.tcp.TcpTransport}; the client
 * endpoint every operator command uses ({@link org.legoos.node.cluster.ClusterClient}); and
 * {@link org.legoos.node.cluster.TcpCluster}, a whole cluster on loopback TCP inside one JVM for tests and tools.
 */
package org.legoos.node.cluster;
