package org.legoos.eval.micro;

/**
 * How the components of a micro-benchmark cluster talk to each other. Both keep every component in this JVM, so
 * the difference between the two rows of a table is the network path alone.
 */
public enum Transport {
    /** A {@link org.legoos.node.LocalCluster}: frames handed over in memory on the sender's thread. */
    IN_JVM("in-JVM"),
    /** A {@link org.legoos.node.cluster.TcpCluster}: every component on its own real TCP socket on loopback. */
    TCP("TCP");

    private final String label;

    Transport(String label) {
        this.label = label;
    }

    /** A short name for tables: {@code in-JVM} or {@code TCP}. */
    public String label() {
        return label;
    }
}
