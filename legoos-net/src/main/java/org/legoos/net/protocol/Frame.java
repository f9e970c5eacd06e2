package org.legoos.net.protocol;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * The common header every frame starts with, followed by the body. Layout (little-endian, 20 bytes):
 * <pre>
 *   0  int   body length
 *   4  u16   opcode (link &lt;&lt; 8 | number)
 *   6  u8    flags  (REPLY, ONE_WAY)
 *   7  u8    status (replies: {@code Status} code; requests: 0)
 *   8  int   source node id
 *  12  long  request id (correlates a reply with its request)
 * </pre>
 *
 * @param body the body bytes (position 0 to limit), read-only for receivers
 */
public record Frame(int opcode, int flags, int status, int sourceNode, long requestId, ByteBuffer body) {
    public static final int HEADER_BYTES = 20;
    public static final int FLAG_REPLY = 1;
    public static final int FLAG_ONE_WAY = 2;

    public boolean isReply() {
        return (flags & FLAG_REPLY) != 0;
    }

    public boolean isOneWay() {
        return (flags & FLAG_ONE_WAY) != 0;
    }

    /**
     * Encodes a frame: header and body in one buffer, ready to send.
     */
    public static ByteBuffer encode(int opcode, int flags, int status, int sourceNode, long requestId, Message body) {
        WireWriter w = new WireWriter(HEADER_BYTES + body.sizeHint());
        w.putInt(0).putShort(opcode).putByte(flags).putByte(status).putInt(sourceNode).putLong(requestId);
        body.encode(w);
        w.putIntAt(0, w.position() - HEADER_BYTES);
        return w.finish();
    }

    /**
     * Reads just the body length of a header, for stream framing (TCP). Leaves the buffer as it was (position
     * and byte order).
     */
    public static int peekBodyLength(ByteBuffer header) {
        int raw = header.getInt(header.position());
        return header.order() == ByteOrder.LITTLE_ENDIAN ? raw : Integer.reverseBytes(raw);
    }

    /**
     * Decodes a whole frame (header and exactly its body) received as one buffer.
     *
     * @throws ProtocolException if the buffer is shorter than a header, the body length is negative, over
     *     {@code maxBodyBytes}, or does not match the bytes received
     */
    public static Frame decode(ByteBuffer frame, int maxBodyBytes) {
        ByteBuffer b = frame.duplicate().order(ByteOrder.LITTLE_ENDIAN);
        if (b.remaining() < HEADER_BYTES) {
            throw new ProtocolException("frame of " + b.remaining() + " bytes is shorter than the " + HEADER_BYTES + "-byte header");
        }
        int base = b.position();
        int len = b.getInt(base);
        if (len < 0 || len > maxBodyBytes) {
            throw new ProtocolException("body length " + len + " outside [0, " + maxBodyBytes + "]");
        }
        if (b.remaining() - HEADER_BYTES != len) {
            throw new ProtocolException("body length " + len + " but " + (b.remaining() - HEADER_BYTES) + " bytes follow the header");
        }
        int opcode = Short.toUnsignedInt(b.getShort(base + 4));
        int flags = Byte.toUnsignedInt(b.get(base + 6));
        int status = Byte.toUnsignedInt(b.get(base + 7));
        int source = b.getInt(base + 8);
        long requestId = b.getLong(base + 12);
        ByteBuffer body = b.slice(base + HEADER_BYTES, len);
        return new Frame(opcode, flags, status, source, requestId, body);
    }
}
