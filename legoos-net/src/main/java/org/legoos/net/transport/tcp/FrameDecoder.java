package org.legoos.net.transport.tcp;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.ByteToMessageDecoder;
import io.netty.handler.codec.CorruptedFrameException;
import io.netty.handler.codec.TooLongFrameException;
import java.nio.ByteBuffer;
import java.util.List;
import org.legoos.net.protocol.Frame;

/**
 * Cuts the TCP byte stream into whole frames: the equivalent of Netty's {@code LengthFieldBasedFrameDecoder}
 * for our header (little-endian body length at offset 0, counting only the body; {@link Frame#HEADER_BYTES}
 * of header). Each frame is copied out of the cumulation buffer into a heap {@link ByteBuffer} (position 0,
 * limit = header + body), so nothing reference-counted leaves this handler: {@code ByteToMessageDecoder}
 * releases the bytes it accumulated, and the sink may keep the buffer as long as it likes.
 *
 * <p>A length that is negative or over {@code maxBodyBytes} cannot be skipped safely (nothing marks where
 * the next frame starts), so the decoder throws, discards everything after it, and the connection's handler
 * closes the channel. A frame cut short by end of stream is dropped with the connection (the cumulation is
 * released by {@code ByteToMessageDecoder} when the channel becomes inactive).
 *
 * <p>Not sharable: one per channel, called only on the channel's event loop.
 */
final class FrameDecoder extends ByteToMessageDecoder {
    private final int maxBodyBytes;
    private boolean failed;

    FrameDecoder(int maxBodyBytes) {
        this.maxBodyBytes = maxBodyBytes;
    }

    @Override
    protected void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) {
        if (failed) {
            in.skipBytes(in.readableBytes());
            return;
        }
        while (in.readableBytes() >= Frame.HEADER_BYTES) {
            int start = in.readerIndex();
            int bodyLength = in.getIntLE(start);
            if (bodyLength < 0) {
                fail(in);
                throw new CorruptedFrameException("garbage frame header: negative body length " + bodyLength);
            }
            if (bodyLength > maxBodyBytes) {
                fail(in);
                throw new TooLongFrameException("frame body of " + bodyLength + " bytes exceeds the limit of "
                        + maxBodyBytes + " bytes");
            }
            int frameLength = Frame.HEADER_BYTES + bodyLength;
            if (in.readableBytes() < frameLength) {
                return; // leave the reader index alone so the rest of the frame can arrive
            }
            ByteBuffer frame = ByteBuffer.allocate(frameLength);
            in.readBytes(frame);
            frame.flip();
            out.add(frame);
        }
    }

    private void fail(ByteBuf in) {
        failed = true;
        in.skipBytes(in.readableBytes());
    }
}
