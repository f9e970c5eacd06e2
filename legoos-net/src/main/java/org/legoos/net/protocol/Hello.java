package org.legoos.net.protocol;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * The greeting each end of a connection sends before its first frame, so that a component or client of another
 * build is refused at connect time, with a message naming both protocol versions, instead of having its frames
 * misparsed. Layout (little-endian, 8 bytes):
 * <pre>
 *   0  int   magic: the bytes "LGOS"
 *   4  u16   protocol version ({@link Protocol#VERSION})
 *   6  u16   reserved, 0
 * </pre>
 * Read as a frame header by a build from before the greeting, the magic is a body length of about 1.3 GB, over
 * any frame limit, so such a peer closes the connection too rather than parse anything.
 *
 * <p>Stateless and thread-safe.
 */
public final class Hello {
    /** Bytes of a hello. */
    public static final int BYTES = 8;
    /** "LGOS" read as a little-endian int. */
    static final int MAGIC = 'L' | 'G' << 8 | 'O' << 16 | 'S' << 24;

    private Hello() {
    }

    /** This build's hello (position 0, limit {@link #BYTES}). */
    public static ByteBuffer encode() {
        return encode(Protocol.VERSION);
    }

    /** A hello announcing {@code version} (tests use other versions to play a peer of another build). */
    public static ByteBuffer encode(int version) {
        if (version < 0 || version > 0xffff) {
            throw new IllegalArgumentException("protocol version must be in [0, 65535], got " + version);
        }
        ByteBuffer b = ByteBuffer.allocate(BYTES).order(ByteOrder.LITTLE_ENDIAN);
        b.putInt(MAGIC).putShort((short) version).putShort((short) 0).flip();
        return b;
    }

    /**
     * Checks the hello a peer sent (the {@link #BYTES} bytes from the buffer's position; the buffer is not moved).
     *
     * @param peer names the peer in the message, e.g. its address
     * @return the peer's protocol version, which is this build's
     * @throws ProtocolVersionException if the bytes are not a hello, or announce another version
     */
    public static int check(ByteBuffer hello, String peer) {
        return check(hello, peer, Protocol.VERSION);
    }

    /** {@link #check(ByteBuffer, String)} for an end that speaks {@code localVersion} (tests play other builds). */
    public static int check(ByteBuffer hello, String peer, int localVersion) {
        ByteBuffer b = hello.duplicate().order(ByteOrder.LITTLE_ENDIAN);
        if (b.remaining() < BYTES || b.getInt(b.position()) != MAGIC) {
            throw new ProtocolVersionException(peer, ProtocolVersionException.UNKNOWN, localVersion);
        }
        int version = Short.toUnsignedInt(b.getShort(b.position() + 4));
        if (version != localVersion) {
            throw new ProtocolVersionException(peer, version, localVersion);
        }
        return version;
    }
}
