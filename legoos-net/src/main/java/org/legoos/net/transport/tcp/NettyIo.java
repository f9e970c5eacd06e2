package org.legoos.net.transport.tcp;

import io.netty.channel.Channel;
import io.netty.channel.ChannelFactory;
import io.netty.channel.IoHandlerFactory;
import io.netty.channel.ReflectiveChannelFactory;
import io.netty.channel.ServerChannel;
import io.netty.channel.nio.NioIoHandler;

/**
 * Which Netty I/O flavour a transport runs on: the JDK's NIO selector (with sockets that allow
 * {@link DirectNio direct writes}) or native epoll (Linux, when its library loads).
 *
 * <p>The epoll classes are looked up by name because the Netty BOM puts {@code netty-transport-native-epoll}
 * (and with it {@code netty-transport-classes-epoll}) on the runtime class path only; with
 * {@code netty-transport-classes-epoll} declared as a compile dependency this could name them directly.
 *
 * @param nativeEpoll true for epoll
 */
record NettyIo(boolean nativeEpoll, IoHandlerFactory handlerFactory, ChannelFactory<? extends Channel> sockets,
               ChannelFactory<? extends ServerChannel> serverSockets) {
    private static final String EPOLL = "io.netty.channel.epoll.";

    /** Epoll if allowed and available, else NIO (with {@link DirectNio direct writes}). */
    static NettyIo choose(boolean epollAllowed) {
        if (epollAllowed) {
            try {
                ClassLoader cl = NettyIo.class.getClassLoader();
                Class<?> epoll = Class.forName(EPOLL + "Epoll", true, cl);
                if ((Boolean) epoll.getMethod("isAvailable").invoke(null)) {
                    IoHandlerFactory factory = (IoHandlerFactory) Class.forName(EPOLL + "EpollIoHandler", true, cl)
                            .getMethod("newFactory").invoke(null);
                    return new NettyIo(true, factory,
                            new ReflectiveChannelFactory<>(Class.forName(EPOLL + "EpollSocketChannel", true, cl)
                                    .asSubclass(Channel.class)),
                            new ReflectiveChannelFactory<>(Class.forName(EPOLL + "EpollServerSocketChannel", true, cl)
                                    .asSubclass(ServerChannel.class)));
                }
            } catch (ReflectiveOperationException | LinkageError | ClassCastException unavailable) {
                // fall back to NIO
            }
        }
        return new NettyIo(false, NioIoHandler.newFactory(),
                DirectNio.SocketChannelWithDirectWrites::new, DirectNio.ServerChannelWithDirectWrites::new);
    }
}
