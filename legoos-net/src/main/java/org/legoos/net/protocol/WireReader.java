package org.legoos.net.protocol;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * Reads little-endian fields from a received body, checking every length against what is left so a
 * truncated or lying frame ends in a {@link ProtocolException}, never in an out-of-bounds access or a huge
 * allocation. The one decoder every message uses.
 *
 * <p>Not thread-safe; one reader per frame.
 */
public final class WireReader {
    private final ByteBuffer buf;

    public WireReader(ByteBuffer body) {
        this.buf = body.slice().order(ByteOrder.LITTLE_ENDIAN);
    }

    private void need(int n, String what) {
        if (n < 0 || buf.remaining() < n) {
            throw new ProtocolException("truncated body: " + what + " needs " + n + " bytes, " + buf.remaining() + " left");
        }
    }

    public byte getByte() {
        need(1, "byte");
        return buf.get();
    }

    public boolean getBoolean() {
        byte b = getByte();
        if (b != 0 && b != 1) {
            throw new ProtocolException("bad boolean " + b);
        }
        return b == 1;
    }

    public short getShort() {
        need(2, "short");
        return buf.getShort();
    }

    public int getInt() {
        need(4, "int");
        return buf.getInt();
    }

    public long getLong() {
        need(8, "long");
        return buf.getLong();
    }

    public double getDouble() {
        return Double.longBitsToDouble(getLong());
    }

    /** A length-prefixed count that must be in [0, max]. */
    public int getCount(int max, String what) {
        int n = getInt();
        if (n < 0 || n > max) {
            throw new ProtocolException(what + " count " + n + " outside [0, " + max + "]");
        }
        return n;
    }

    public String getString() {
        int len = getInt();
        need(len, "string");
        var dec = StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT)
                .onUnmappableCharacter(CodingErrorAction.REPORT);
        ByteBuffer slice = buf.slice(buf.position(), len);
        buf.position(buf.position() + len);
        try {
            return dec.decode(slice).toString();
        } catch (CharacterCodingException e) {
            throw new ProtocolException("string is not valid UTF-8");
        }
    }

    public List<String> getStrings(int max) {
        int n = getCount(max, "string list");
        List<String> out = new ArrayList<>(Math.min(n, 1024));
        for (int i = 0; i < n; i++) {
            out.add(getString());
        }
        return out;
    }

    public byte[] getBytes() {
        int len = getInt();
        need(len, "byte array");
        byte[] b = new byte[len];
        buf.get(b);
        return b;
    }

    public byte[] getRaw(int len) {
        need(len, "raw bytes");
        byte[] b = new byte[len];
        buf.get(b);
        return b;
    }

    /** Copies {@code len} bytes straight into off-heap memory (page data). */
    public void getRaw(MemorySegment dst, int len) {
        need(len, "raw bytes");
        if (buf.hasArray()) {
            MemorySegment.copy(buf.array(), buf.arrayOffset() + buf.position(), dst, ValueLayout.JAVA_BYTE, 0, len);
        } else {
            MemorySegment.copy(MemorySegment.ofBuffer(buf), 0, dst, 0, len);
        }
        buf.position(buf.position() + len);
    }

    /** A read-only view of the next {@code len} bytes, without copying. */
    public ByteBuffer getSlice(int len) {
        need(len, "slice");
        ByteBuffer s = buf.slice(buf.position(), len).asReadOnlyBuffer();
        buf.position(buf.position() + len);
        return s;
    }

    public int remaining() {
        return buf.remaining();
    }

    /** Rejects trailing garbage after the last field. */
    public void expectEnd() {
        if (buf.hasRemaining()) {
            throw new ProtocolException(buf.remaining() + " unexpected trailing bytes");
        }
    }
}
