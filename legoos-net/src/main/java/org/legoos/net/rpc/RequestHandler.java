package org.legoos.net.rpc;

import org.legoos.net.protocol.Message;

/**
 * Serves one request type. Returns the reply body; throws {@link RpcException} (or any
 * {@link org.legoos.api.LegoException}) to send an error status. Any other exception becomes an
 * {@code INTERNAL} error reply and is logged; the component keeps running.
 *
 * @param <Q> request type
 * @param <R> reply type
 */
@FunctionalInterface
public interface RequestHandler<Q extends Message, R extends Message> {
    R handle(Q request, CallContext ctx) throws Exception;
}
