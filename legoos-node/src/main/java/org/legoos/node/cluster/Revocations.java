package org.legoos.node.cluster;

import java.nio.ByteBuffer;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.Supplier;
import org.legoos.api.ComponentState;
import org.legoos.api.LegoException;
import org.legoos.net.protocol.Ack;
import org.legoos.net.protocol.gm.ComponentInfo;
import org.legoos.net.protocol.gm.Crl;
import org.legoos.net.protocol.gm.CrlGet;
import org.legoos.net.protocol.gm.CrlPublish;
import org.legoos.net.protocol.gm.CrlPush;
import org.legoos.net.rpc.RpcNode;
import org.legoos.net.rpc.Status;
import org.legoos.net.security.ClusterTls;
import org.legoos.net.security.SecurityConfigException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The cluster's revocation list travels from the operator to every process: {@code lego certs revoke} (or {@code lego
 * certs publish}) hands it to the manager ({@code GM_CRL_PUBLISH}), which installs it in its own security directory,
 * serves it to components that join ({@code GM_CRL_GET}) and pushes it at once to every live one ({@code GM_CRL_PUSH}).
 * Each process installs a list only if the cluster CA signed it and it is newer than its own
 * ({@link ClusterTls#install}), and then closes its connections to peers it revokes. So a revocation reaches every host,
 * and peers already connected, without copying files.
 *
 * <p>Nothing here exists on an insecure cluster: a manager without TLS refuses a publication, saying why.
 */
public final class Revocations implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(Revocations.class);

    private final RpcNode rpc;
    private final ClusterTls tls;
    /** Pushes and installs run here, never on an I/O or delivery thread (a push may have to connect first). */
    private final ExecutorService worker = Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "revocations");
        t.setDaemon(true);
        return t;
    });

    private Revocations(RpcNode rpc, ClusterTls tls) {
        this.rpc = rpc;
        this.tls = tls;
    }

    /**
     * The manager's side: serves publications and requests on {@code rpc}; {@code members} gives the membership table
     * to push to. With {@code tls} null (insecure) a publication is refused and the list served is empty.
     */
    public static Revocations serve(RpcNode rpc, ClusterTls tls, Supplier<List<ComponentInfo>> members) {
        Revocations r = new Revocations(rpc, tls);
        rpc.handle(CrlPublish.class, (q, ctx) -> {
            if (tls == null) {
                throw Status.INVALID_ARGUMENT.toException("this cluster runs insecure (security.mode: insecure):"
                        + " there are no certificates to revoke");
            }
            boolean installed;
            try {
                installed = tls.install(q.list().bytes());
            } catch (SecurityConfigException e) {
                throw Status.INVALID_ARGUMENT.toException("revocation list refused: " + e.getMessage());
            }
            log.info("revocation list published by {} ({})", ctx.principal(), installed ? "newer, installed" : "as new as ours");
            byte[] list = tls.revocationList();
            List<Integer> live = members.get().stream().filter(m -> m.state() == ComponentState.ALIVE)
                    .map(ComponentInfo::nodeId).toList();
            r.worker.execute(() -> r.push(live, list));
            return Ack.INSTANCE;
        }, r.worker);
        rpc.handle(CrlGet.class, (q, ctx) -> new Crl(ByteBuffer.wrap(tls == null ? new byte[0] : tls.revocationList())),
                r.worker);
        return r;
    }

    /**
     * A component's side: installs what the manager pushes, and asks once now for what it serves (a component that
     * joins after a publication, or was away when it was pushed). Does nothing on an insecure component.
     */
    public static Revocations follow(RpcNode rpc, ClusterTls tls, int managerNode) {
        Revocations r = new Revocations(rpc, tls);
        if (tls == null) {
            return r;
        }
        rpc.onMessage(CrlPush.class, (q, ctx) -> r.install(q.list().bytes(), "pushed by the manager"), r.worker);
        r.worker.execute(() -> {
            try {
                byte[] list = rpc.call(managerNode, new CrlGet()).bytes();
                if (list.length > 0) {
                    r.install(list, "served by the manager");
                }
            } catch (LegoException e) {
                log.warn("{}: cannot fetch the revocation list from the manager: {}", rpc.name(), e.getMessage());
            }
        });
        return r;
    }

    private void install(byte[] list, String how) {
        try {
            if (tls.install(list)) {
                log.info("{}: installed the revocation list {}", rpc.name(), how);
            }
        } catch (SecurityConfigException e) {
            log.warn("{}: refused the revocation list {}: {}", rpc.name(), how, e.getMessage());
        }
    }

    private void push(List<Integer> nodes, byte[] list) {
        for (int node : nodes) {
            try {
                rpc.send(node, new CrlPush(new Crl(ByteBuffer.wrap(list))));
            } catch (LegoException e) {
                log.warn("cannot push the revocation list to node {}: {} (it fetches it when it joins again)", node,
                        e.getMessage());
            }
        }
        log.info("revocation list pushed to {} component(s)", nodes.size());
    }

    @Override
    public void close() {
        worker.shutdownNow();
    }
}
