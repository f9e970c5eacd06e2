package org.legoos.net.transport.tcp;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.ByteToMessageDecoder;
import java.nio.ByteBuffer;
import java.util.List;
import org.legoos.net.protocol.Hello;
import org.legoos.net.protocol.ProtocolVersionException;

/**
 * The first handler of every TCP socket: reads the peer's {@link Hello} before anything else. If it announces this
 * transport's protocol version, the decoder removes itself and the bytes after the hello go on to the
 * {@link FrameDecoder}; otherwise (another version, or no hello at all) the connection is refused: the
 * {@link TcpConnection.Wire} logs it and fails its handshake with a {@link ProtocolVersionException} naming both
 * versions, the rest of the stream is discarded unread, and the channel is closed. So no frame of another build is
 * ever parsed.
 *
 * <p>Not sharable: one per channel, called only on the channel's event loop.
 */
final class HelloDecoder extends ByteToMessageDecoder {
    private final TcpConnection.Wire wire;
    private final String peer;
    private final int version;
    private boolean refused;

    HelloDecoder(TcpConnection.Wire wire, String peer, int version) {
        this.wire = wire;
        this.peer = peer;
        this.version = version;
    }

    @Override
    protected void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) {
        if (refused) {
            in.skipBytes(in.readableBytes());
            return;
        }
        if (in.readableBytes() < Hello.BYTES) {
            return;
        }
        ByteBuffer hello = ByteBuffer.allocate(Hello.BYTES);
        in.readBytes(hello);
        hello.flip();
        try {
            Hello.check(hello, peer == null ? TcpTransport.format(ctx.channel().remoteAddress()) : peer, version);
        } catch (ProtocolVersionException e) {
            refused = true;
            in.skipBytes(in.readableBytes());
            wire.refused(e);
            ctx.close();
            return;
        }
        if (!wire.greeted(ctx)) {
            refused = true;
            in.skipBytes(in.readableBytes());
            return;
        }
        ctx.pipeline().remove(this); // hands the bytes after the hello on to the frame decoder
    }
}
