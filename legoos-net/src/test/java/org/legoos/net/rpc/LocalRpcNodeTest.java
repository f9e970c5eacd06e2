package org.legoos.net.rpc;

import org.legoos.net.transport.local.LocalTestNetwork;

/** RPC over the in-JVM transport. */
class LocalRpcNodeTest extends AbstractRpcNodeTest implements LocalTestNetwork.Get {
}
