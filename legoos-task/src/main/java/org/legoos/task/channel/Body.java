package org.legoos.task.channel;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * The body codec both sides of the channel share: big-endian longs and ints, booleans as a byte, strings as UTF-8 and
 * byte arrays with an int length. A {@link Reader} checks every length against what is left, so a malformed body
 * raises {@link ChannelProtocolException} instead of allocating or reading past the end.
 */
public final class Body {
    /** The empty body. */
    public static final byte[] EMPTY = new byte[0];

    private Body() {
    }

    public static Writer writer() {
        return new Writer();
    }

    public static Reader reader(byte[] body) {
        return new Reader(body);
    }

    /** Builds a body. Not thread-safe. */
    public static final class Writer {
        private final ByteArrayOutputStream out = new ByteArrayOutputStream(64);

        public Writer putLong(long v) {
            for (int s = 56; s >= 0; s -= 8) {
                out.write((int) (v >>> s));
            }
            return this;
        }

        public Writer putInt(int v) {
            for (int s = 24; s >= 0; s -= 8) {
                out.write(v >>> s);
            }
            return this;
        }

        public Writer putBoolean(boolean v) {
            out.write(v ? 1 : 0);
            return this;
        }

        public Writer putString(String s) {
            return putBytes(s.getBytes(StandardCharsets.UTF_8));
        }

        public Writer putStrings(List<String> list) {
            putInt(list.size());
            for (String s : list) {
                putString(s);
            }
            return this;
        }

        public Writer putBytes(byte[] b) {
            return putBytes(b, 0, b.length);
        }

        public Writer putBytes(byte[] b, int off, int len) {
            putInt(len);
            out.write(b, off, len);
            return this;
        }

        /** The remaining bytes of {@code b} (its position is left alone), with a length. */
        public Writer putBytes(ByteBuffer b) {
            ByteBuffer d = b.duplicate();
            putInt(d.remaining());
            if (d.hasArray()) {
                out.write(d.array(), d.arrayOffset() + d.position(), d.remaining());
            } else {
                byte[] a = new byte[d.remaining()];
                d.get(a);
                out.write(a, 0, a.length);
            }
            return this;
        }

        public int size() {
            return out.size();
        }

        public byte[] toByteArray() {
            return out.toByteArray();
        }
    }

    /** Reads a body; every getter throws {@link ChannelProtocolException} if the body is too short or malformed. */
    public static final class Reader {
        private final byte[] b;
        private int pos;

        Reader(byte[] b) {
            this.b = b;
        }

        private void need(int n) {
            if (n < 0 || b.length - pos < n) {
                throw new ChannelProtocolException("body too short: need " + n + " bytes at " + pos + " of " + b.length);
            }
        }

        public long getLong() {
            need(8);
            long v = 0;
            for (int i = 0; i < 8; i++) {
                v = (v << 8) | (b[pos++] & 0xff);
            }
            return v;
        }

        public int getInt() {
            need(4);
            int v = 0;
            for (int i = 0; i < 4; i++) {
                v = (v << 8) | (b[pos++] & 0xff);
            }
            return v;
        }

        public boolean getBoolean() {
            need(1);
            int v = b[pos++];
            if (v != 0 && v != 1) {
                throw new ChannelProtocolException("bad boolean " + v);
            }
            return v == 1;
        }

        public byte[] getBytes() {
            int n = getInt();
            need(n);
            byte[] r = new byte[n];
            System.arraycopy(b, pos, r, 0, n);
            pos += n;
            return r;
        }

        public String getString() {
            int n = getInt();
            need(n);
            String s = new String(b, pos, n, StandardCharsets.UTF_8);
            pos += n;
            return s;
        }

        public List<String> getStrings() {
            int n = getInt();
            need(n); // at least one length byte per string... a cheap bound before allocating
            List<String> list = new ArrayList<>(Math.min(n, 1024));
            for (int i = 0; i < n; i++) {
                list.add(getString());
            }
            return list;
        }

        public int remaining() {
            return b.length - pos;
        }

        /** Checks the whole body was read. */
        public void end() {
            if (pos != b.length) {
                throw new ChannelProtocolException((b.length - pos) + " unexpected bytes at the end of a body");
            }
        }
    }
}
