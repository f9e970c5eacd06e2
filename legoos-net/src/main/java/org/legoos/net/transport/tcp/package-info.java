/**
 * The TCP transport (Netty): LegoOS/J's stand-in for the paper's RDMA network stack, carrying the same frames
 * as the in-JVM transport between components on different JVMs or hosts.
 * <ul>
 *   <li>{@link org.legoos.net.transport.tcp.TcpTransport} listens and connects ({@code host:port}) and owns the
 *       event-loop threads, which frame the byte stream and deliver whole frames to the sink with no further
 *       thread hand-off;</li>
 *   <li>{@link org.legoos.net.transport.tcp.TcpConnection} sends (by the sending thread itself on an idle NIO
 *       socket, else coalesced on the event loop), reconnects with exponential backoff when its peer comes back,
 *       and reports drops through {@link org.legoos.net.transport.tcp.TcpConnection#onDisconnect};</li>
 *   <li>{@link org.legoos.net.transport.tcp.SyncCaller} ({@code TcpTransport.syncCaller}) is the opt-in
 *       synchronous request path: the calling thread writes a request and reads its reply itself on a blocking
 *       socket of its own to the peer's normal listener, saving the event-loop wake-up of the reply (used by
 *       {@code RpcNode} when its config has {@code syncCalls});</li>
 *   <li>{@link org.legoos.net.transport.tcp.TcpConfig} holds the knobs.</li>
 * </ul>
 * {@code legoos-bench}'s {@code TcpMissRoundTripBench} measures an ExCache miss over it against a plain socket
 * ping-pong and Redis.
 */
package org.legoos.net.transport.tcp;
