package org.legoos.net.protocol;

/**
 * A message that expects a reply of type {@code R}. Binding the reply type into the request type lets
 * {@code RpcNode.call} return the right type without casts at call sites.
 *
 * @param <R> the reply body type
 */
public interface Request<R extends Message> extends Message {
}
