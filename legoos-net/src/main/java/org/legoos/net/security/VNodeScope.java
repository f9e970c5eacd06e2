package org.legoos.net.security;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.legoos.api.security.Principal;
import org.legoos.api.security.Role;
import org.legoos.net.protocol.gm.VNodeGet;
import org.legoos.net.protocol.gm.VNodeInfo;
import org.legoos.net.rpc.RpcNode;
import org.legoos.net.rpc.Status;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps a vNode user inside its vNodes wherever a request names a vNode by id (file data at a memory component, file
 * metadata at a storage component): the id's name is asked of the manager (once per id; vNode ids are never reused)
 * and must be one the user's certificate names. The same cached description gives a storage component the vNode's
 * storage quota ({@link #info}). Operators, components and unauthenticated peers (in-JVM, insecure)
 * pass unchecked; what they may send at all is {@link Access}'s.
 *
 * <p>Thread-safe. {@link #check} may call the manager: use it from handlers that run on an executor, not on an I/O
 * thread.
 */
public final class VNodeScope {
    private static final Logger log = LoggerFactory.getLogger(VNodeScope.class);

    private final RpcNode rpc;
    private final int managerNode;
    private final Map<Integer, VNodeInfo> vnodes = new ConcurrentHashMap<>();

    public VNodeScope(RpcNode rpc, int managerNode) {
        this.rpc = rpc;
        this.managerNode = managerNode;
    }

    /**
     * Returns if {@code who} may act in vNode {@code vnodeId}.
     *
     * @param what names the request in the refusal
     * @throws org.legoos.api.LegoException DENIED (logged here once) if {@code who} is a user of other vNodes, or if
     *     {@code scope} is null and {@code who} is a user: a receiver that cannot check refuses
     */
    public static void check(VNodeScope scope, Principal who, int vnodeId, String what) {
        if (!who.authenticated() || who.role() != Role.USER) {
            return;
        }
        if (scope == null) {
            throw Status.DENIED.toException(what + " from " + who + " refused: this component cannot check vNode users");
        }
        scope.check(who, vnodeId, what);
    }

    /**
     * The manager's description of vNode {@code vnodeId}, asked once per id (its name and quotas never change).
     *
     * @throws org.legoos.api.LegoException NOT_FOUND if the manager knows no such vNode, or the call's failure
     */
    public VNodeInfo info(int vnodeId) {
        VNodeInfo v = vnodes.get(vnodeId);
        if (v == null) {
            v = rpc.call(managerNode, new VNodeGet(Integer.toString(vnodeId)));
            vnodes.put(vnodeId, v);
        }
        return v;
    }

    private void check(Principal who, int vnodeId, String what) {
        String name = info(vnodeId).name();
        if (!who.vnodes().contains(name)) {
            String message = rpc.name() + " refuses " + what + " from " + who + ": vNode " + vnodeId + " ('" + name
                    + "') is not one of its vNodes";
            log.warn("{}", message);
            throw Status.DENIED.toException(message);
        }
    }
}
