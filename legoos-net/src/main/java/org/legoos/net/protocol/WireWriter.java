package org.legoos.net.protocol;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Collection;

/**
 * Appends little-endian fields to a growable heap buffer: the one encoder every message uses. A writer
 * starts with room for the frame header so the finished buffer is sent without another copy.
 *
 * <p>Not thread-safe; one writer per frame being built.
 */
public final class WireWriter {
    private ByteBuffer buf;

    public WireWriter(int initialCapacity) {
        buf = ByteBuffer.allocate(Math.max(initialCapacity, 32)).order(ByteOrder.LITTLE_ENDIAN);
    }

    private void ensure(int more) {
        if (buf.remaining() < more) {
            int need = buf.position() + more;
            if (need < 0) {
                throw new ProtocolException("message larger than 2 GiB");
            }
            int cap = Math.max(need, buf.capacity() * 2);
            ByteBuffer next = ByteBuffer.allocate(cap < 0 ? need : cap).order(ByteOrder.LITTLE_ENDIAN);
            buf.flip();
            next.put(buf);
            buf = next;
        }
    }

    public WireWriter putByte(int v) {
        ensure(1);
        buf.put((byte) v);
        return this;
    }

    public WireWriter putBoolean(boolean v) {
        return putByte(v ? 1 : 0);
    }

    public WireWriter putShort(int v) {
        ensure(2);
        buf.putShort((short) v);
        return this;
    }

    public WireWriter putInt(int v) {
        ensure(4);
        buf.putInt(v);
        return this;
    }

    public WireWriter putLong(long v) {
        ensure(8);
        buf.putLong(v);
        return this;
    }

    public WireWriter putDouble(double v) {
        return putLong(Double.doubleToRawLongBits(v));
    }

    /** A UTF-8 string prefixed by its byte length (int); null is not allowed. */
    public WireWriter putString(String s) {
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        putInt(b.length);
        ensure(b.length);
        buf.put(b);
        return this;
    }

    public WireWriter putStrings(Collection<String> list) {
        putInt(list.size());
        for (String s : list) {
            putString(s);
        }
        return this;
    }

    /** A byte array prefixed by its length (int). */
    public WireWriter putBytes(byte[] b) {
        return putBytes(b, 0, b.length);
    }

    public WireWriter putBytes(byte[] b, int off, int len) {
        putInt(len);
        ensure(len);
        buf.put(b, off, len);
        return this;
    }

    /** Bytes with no length prefix (the reader must know the length, e.g. a 4 KiB page). */
    public WireWriter putRaw(byte[] b, int off, int len) {
        ensure(len);
        buf.put(b, off, len);
        return this;
    }

    /** Copies {@code src} with no length prefix (for page data straight from off-heap memory). */
    public WireWriter putRaw(MemorySegment src) {
        int len = Math.toIntExact(src.byteSize());
        ensure(len);
        MemorySegment.copy(src, ValueLayout.JAVA_BYTE, 0, buf.array(), buf.arrayOffset() + buf.position(), len);
        buf.position(buf.position() + len);
        return this;
    }

    public WireWriter putRaw(ByteBuffer src) {
        ensure(src.remaining());
        buf.put(src);
        return this;
    }

    /** Bytes written so far, including any reserved header space. */
    public int position() {
        return buf.position();
    }

    /** Overwrites an int at an absolute position (used to fill in the header). */
    public void putIntAt(int index, int v) {
        buf.putInt(index, v);
    }

    /** The finished buffer, flipped for reading/sending. The writer must not be used afterwards. */
    public ByteBuffer finish() {
        buf.flip();
        return buf;
    }
}
