package org.legoos.task.channel;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;

/**
 * One frame of a task's system-call channel: {@code int length} (of what follows), {@code byte kind}, {@code int id},
 * {@code short code}, then {@code length - 7} bytes of body. For a {@link #REQUEST} the code is the {@link Syscall}
 * number and the id the caller's request id; a {@link #REPLY} carries the request's id and a {@link SyscallStatus}
 * number; a {@link #MESSAGE} is one-way (id 0) with a {@link Syscall} number. Big-endian.
 */
public record Frame(int kind, int id, int code, byte[] body) {
    public static final int REQUEST = 1;
    public static final int REPLY = 2;
    public static final int MESSAGE = 3;
    /** Bytes of a frame's header after the length. */
    static final int HEADER = 7;
    /** Largest body of a frame; a peer sending more is broken (or hostile). */
    public static final int MAX_BODY = 4 << 20;

    public Frame {
        if (body.length > MAX_BODY) {
            throw new IllegalArgumentException("frame body of " + body.length + " bytes exceeds " + MAX_BODY);
        }
    }

    /** Writes the frame; callers serialise writers and flush. */
    public void write(DataOutputStream out) throws IOException {
        out.writeInt(HEADER + body.length);
        out.writeByte(kind);
        out.writeInt(id);
        out.writeShort(code);
        out.write(body);
    }

    /**
     * Reads one frame, or returns null at the end of the stream before a frame starts.
     *
     * @throws ChannelProtocolException if the frame is malformed (bad length or kind)
     * @throws EOFException if the stream ends inside a frame
     */
    public static Frame read(DataInputStream in) throws IOException {
        int b0 = in.read();
        if (b0 < 0) {
            return null;
        }
        int len = (b0 << 24) | (in.readUnsignedByte() << 16) | (in.readUnsignedByte() << 8) | in.readUnsignedByte();
        if (len < HEADER || len - HEADER > MAX_BODY) {
            throw new ChannelProtocolException("bad frame length " + len + " (must be " + HEADER + ".." + (HEADER + MAX_BODY) + ")");
        }
        int kind = in.readUnsignedByte();
        if (kind != REQUEST && kind != REPLY && kind != MESSAGE) {
            throw new ChannelProtocolException("bad frame kind " + kind);
        }
        int id = in.readInt();
        int code = in.readUnsignedShort();
        byte[] body = new byte[len - HEADER];
        in.readFully(body);
        return new Frame(kind, id, code, body);
    }
}
