package org.legoos.net.rpc;

import org.legoos.api.security.Principal;

/** Who a node of the cluster is, for {@link RpcNode#bindSourceNodes}: asked of the manager's membership table. */
@FunctionalInterface
public interface SourceIdentities {
    /**
     * The identity node {@code node} registered with, or null if there is no such node (or it is not known yet).
     * May block (it is called off the transport's I/O threads).
     *
     * @param claimant the authenticated peer whose frame names {@code node} as its source (the manager binds a member
     *     it has not seen since a restart to the first such peer of the member's role)
     */
    String identityOf(int node, Principal claimant);
}
