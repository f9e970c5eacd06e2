package org.legoos.storage;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import org.legoos.net.protocol.Ack;
import org.legoos.net.protocol.Message;
import org.legoos.net.protocol.Request;
import org.legoos.net.protocol.gm.StorageAttach;
import org.legoos.net.protocol.m2s.BlockRead;
import org.legoos.net.protocol.m2s.BlockSync;
import org.legoos.net.protocol.m2s.BlockWrite;
import org.legoos.net.protocol.p2s.FileOpen;
import org.legoos.net.protocol.p2s.FileStat;
import org.legoos.net.rpc.RpcException;
import org.legoos.net.rpc.RpcNode;
import org.legoos.net.transport.local.LocalFabric;

/**
 * One storage component on an in-JVM fabric and one client node calling it over the real codec and RPC
 * layer, exactly as process monitors (P2S) and memory monitors (M2S) do. {@link #restart} replaces the
 * storage component with a fresh one over the same root.
 */
final class StorageFixture implements AutoCloseable {
    static final int STORAGE_NODE = 7;
    static final String STORAGE_ADDRESS = "storage-7";

    private final LocalFabric fabric = new LocalFabric();
    private final Path root;
    private final StorageConfig config;
    static final int MANAGER_NODE = 1;

    private final RpcNode client;
    /** A manager that describes every vNode with this storage quota; null: the monitor has no manager. */
    private final RpcNode manager;
    private RpcNode server;
    private StorageMonitor monitor;

    StorageFixture(StorageConfig config) {
        this(config, 0);
    }

    /** With {@code storageQuotaBytes} > 0, a manager node gives every vNode that storage quota. */
    StorageFixture(StorageConfig config, long storageQuotaBytes) {
        this.config = config;
        this.root = config.root();
        if (storageQuotaBytes > 0) {
            manager = new RpcNode("manager", fabric.newTransport(), RpcNode.Config.DEFAULT);
            manager.setNodeId(MANAGER_NODE);
            manager.handle(org.legoos.net.protocol.gm.VNodeGet.class, (q, ctx) -> {
                int id = Integer.parseInt(q.nameOrId());
                return new org.legoos.net.protocol.gm.VNodeInfo(id, "vn" + id, "10.0.0." + id, "/vnode-" + id, STORAGE_NODE,
                        2, 1L << 30, storageQuotaBytes, 8, 0);
            });
            manager.listen("manager");
        } else {
            manager = null;
        }
        client = new RpcNode("memory-1", fabric.newTransport(), RpcNode.Config.DEFAULT);
        client.setNodeId(2);
        client.addPeer(STORAGE_NODE, STORAGE_ADDRESS);
        start();
    }

    StorageFixture(Path root) {
        this(StorageConfig.of(root));
    }

    private void start() {
        server = new RpcNode("storage-7", fabric.newTransport(), RpcNode.Config.DEFAULT);
        server.setNodeId(STORAGE_NODE);
        if (manager != null) {
            server.addPeer(MANAGER_NODE, "manager");
            monitor = new StorageMonitor(server, config, new org.legoos.net.security.VNodeScope(server, MANAGER_NODE));
        } else {
            monitor = new StorageMonitor(server, config);
        }
        server.listen(STORAGE_ADDRESS);
    }

    /** Closes the storage monitor and its node, then starts new ones over the same root. */
    void restart() {
        monitor.close();
        server.close();
        start();
    }

    StorageMonitor monitor() {
        return monitor;
    }

    Path root() {
        return root;
    }

    RpcNode client() {
        return client;
    }

    <R extends Message> R call(Request<R> request) {
        return client.call(STORAGE_NODE, request);
    }

    /** Calls and expects an error reply with {@code status}; returns its message. */
    String fails(org.legoos.net.rpc.Status status, Request<?> request) {
        Throwable t = catchThrowable(() -> call(request));
        assertThat(t).as("reply to %s", request).isInstanceOf(org.legoos.api.LegoException.class);
        assertThat(org.legoos.net.rpc.Status.of((org.legoos.api.LegoException) t)).as("status of %s (%s)", request,
                t.getMessage()).isEqualTo(status);
        return t.getMessage();
    }

    void attach(int vnode) {
        call(new StorageAttach(vnode, "vn" + vnode));
    }

    FileStat create(int vnode, String path) {
        return call(new FileOpen(vnode, path, true, false));
    }

    void write(int vnode, String path, long offset, byte[] data) {
        assertThat(call(new BlockWrite(vnode, path, offset, ByteBuffer.wrap(data)))).isEqualTo(Ack.INSTANCE);
    }

    void write(int vnode, String path, long offset, String text) {
        write(vnode, path, offset, text.getBytes(StandardCharsets.UTF_8));
    }

    byte[] read(int vnode, String path, long offset, int length) {
        ByteBuffer data = call(new BlockRead(vnode, path, offset, length)).data();
        byte[] out = new byte[data.remaining()];
        data.get(out);
        return out;
    }

    String readText(int vnode, String path) {
        return new String(read(vnode, path, 0, 1 << 20), StandardCharsets.UTF_8);
    }

    void fsync(int vnode, String path) {
        call(new BlockSync(vnode, path));
    }

    @Override
    public void close() {
        monitor.close();
        server.close();
        client.close();
        if (manager != null) {
            manager.close();
        }
    }
}
