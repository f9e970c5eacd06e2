package org.legoos.processor.mm;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.legoos.net.rpc.RpcNode;
import org.legoos.net.transport.local.LocalFabric;

/**
 * In-JVM RPC endpoints for processor tests against fake memory components: made on one fabric, listening under their
 * name, peered all to all, closed together.
 */
final class InJvmNodes implements AutoCloseable {
    private final LocalFabric fabric = new LocalFabric();
    private final List<RpcNode> nodes = new ArrayList<>();

    /** A new endpoint with node id {@code id}, listening at {@code name}. */
    RpcNode add(String name, int id) {
        RpcNode n = new RpcNode(name, fabric.newTransport(), new RpcNode.Config(8 << 20, Duration.ofSeconds(10)));
        n.setNodeId(id);
        n.listen(name);
        nodes.add(n);
        return n;
    }

    /** The {@code i}th endpoint made. */
    RpcNode get(int i) {
        return nodes.get(i);
    }

    /** Makes every endpoint a peer of every other (call once all are made). */
    void peerAll() {
        for (RpcNode a : nodes) {
            for (RpcNode b : nodes) {
                a.addPeer(b.nodeId(), b.name());
            }
        }
    }

    @Override
    public void close() {
        nodes.forEach(RpcNode::close);
    }
}
