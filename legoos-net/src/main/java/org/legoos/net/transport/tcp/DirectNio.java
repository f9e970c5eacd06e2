package org.legoos.net.transport.tcp;

import io.netty.channel.Channel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import java.nio.channels.SocketChannel;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * NIO channels whose JDK socket a {@link TcpConnection} may write to from the sending thread
 * ({@link TcpConnection} decides when that is safe: nothing queued, nothing pending in Netty). The JDK's
 * {@link SocketChannel} makes a write racing with a close fail cleanly, so no bytes can reach a socket that
 * reused a closed descriptor; Netty's native epoll descriptors give no such guarantee, which is why only the NIO
 * flavour offers this.
 */
final class DirectNio {
    private static final Logger log = LoggerFactory.getLogger(DirectNio.class);

    private DirectNio() {
    }

    /** The socket to write to directly, or null if {@code ch} is not one of ours. */
    static SocketChannel socketOf(Channel ch) {
        return ch instanceof SocketChannelWithDirectWrites d ? d.socket() : null;
    }

    /** A Netty NIO socket channel that exposes its JDK socket. */
    static final class SocketChannelWithDirectWrites extends NioSocketChannel {
        SocketChannelWithDirectWrites() {
        }

        SocketChannelWithDirectWrites(Channel parent, SocketChannel socket) {
            super(parent, socket);
        }

        SocketChannel socket() {
            return javaChannel();
        }
    }

    /** A Netty NIO server channel whose accepted sockets are {@link SocketChannelWithDirectWrites}. */
    static final class ServerChannelWithDirectWrites extends NioServerSocketChannel {
        @Override
        protected int doReadMessages(List<Object> buf) throws Exception {
            SocketChannel accepted = javaChannel().accept();
            if (accepted == null) {
                return 0;
            }
            try {
                buf.add(new SocketChannelWithDirectWrites(this, accepted));
                return 1;
            } catch (Throwable t) {
                log.warn("failed to set up an accepted socket", t);
                try {
                    accepted.close();
                } catch (java.io.IOException ignored) {
                    // nothing more to do
                }
                return 0;
            }
        }
    }
}
