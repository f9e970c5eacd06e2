package org.legoos.storage;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import org.legoos.net.protocol.gm.StorageAttach;
import org.legoos.net.protocol.m2s.BlockSync;
import org.legoos.net.protocol.m2s.BlockWrite;
import org.legoos.net.protocol.p2s.DirCreate;
import org.legoos.net.protocol.p2s.FileOpen;
import org.legoos.net.rpc.RpcNode;
import org.legoos.net.transport.local.LocalFabric;

/** Child process of {@link FsyncSurvivesKillTest}: write, fsync, announce, then wait to be killed. */
public final class FsyncThenHang {
    static final String SYNCED = "SYNCED";
    static final String DATA = "acknowledged before the crash";

    private FsyncThenHang() {
    }

    public static void main(String[] args) throws Exception {
        LocalFabric fabric = new LocalFabric();
        RpcNode server = new RpcNode("storage", fabric.newTransport(), RpcNode.Config.DEFAULT);
        server.setNodeId(1);
        new StorageMonitor(server, StorageConfig.of(Path.of(args[0])));
        String address = server.listen("storage");
        RpcNode client = new RpcNode("memory", fabric.newTransport(), RpcNode.Config.DEFAULT);
        client.addPeer(1, address);
        client.call(1, new StorageAttach(1, "durable"));
        client.call(1, new DirCreate(1, "/dir"));
        client.call(1, new FileOpen(1, "/dir/durable", true, true));
        client.call(1, new BlockWrite(1, "/dir/durable", 0, ByteBuffer.wrap(DATA.getBytes(StandardCharsets.UTF_8))));
        client.call(1, new BlockSync(1, "/dir/durable"));
        System.out.println(SYNCED);
        System.out.flush();
        Thread.sleep(60_000);
    }
}
