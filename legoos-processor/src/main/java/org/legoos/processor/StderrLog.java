package org.legoos.processor;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import org.legoos.net.protocol.pm.ProcessLog;

/**
 * The end of each process's stderr on this processor ({@code lego logs PID}): the last {@link #KEEP_BYTES} bytes while
 * it runs, and after it exited, for the last {@link #KEEP_ENDED} processes that ended here. Bounded: at most
 * {@code (running + KEEP_ENDED) * KEEP_BYTES} bytes.
 *
 * <p>Thread-safe; every method holds this object's lock for a copy of at most {@link #KEEP_BYTES} bytes, nothing else.
 */
final class StderrLog {
    /** Bytes of stderr kept per process. */
    static final int KEEP_BYTES = 64 * 1024;
    /** Ended processes whose stderr is kept. */
    static final int KEEP_ENDED = 64;

    /** One process's stderr: a ring of its last bytes. */
    private static final class Tail {
        final String vnode;
        final byte[] ring = new byte[KEEP_BYTES];
        long written;
        boolean running = true;
        int exitCode;

        Tail(String vnode) {
            this.vnode = vnode;
        }

        void append(byte[] data, int off, int len) {
            if (len >= KEEP_BYTES) {
                off += len - KEEP_BYTES;
                written += len - KEEP_BYTES;
                len = KEEP_BYTES;
            }
            int at = (int) (written % KEEP_BYTES);
            int first = Math.min(len, KEEP_BYTES - at);
            System.arraycopy(data, off, ring, at, first);
            System.arraycopy(data, off + first, ring, 0, len - first);
            written += len;
        }

        byte[] bytes() {
            if (written <= KEEP_BYTES) {
                return Arrays.copyOf(ring, (int) written);
            }
            int at = (int) (written % KEEP_BYTES);
            byte[] out = new byte[KEEP_BYTES];
            System.arraycopy(ring, at, out, 0, KEEP_BYTES - at);
            System.arraycopy(ring, 0, out, KEEP_BYTES - at, at);
            return out;
        }
    }

    private final Map<Long, Tail> running = new java.util.HashMap<>();
    private final Map<Long, Tail> ended = new LinkedHashMap<>(16, 0.75f, false) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<Long, Tail> eldest) {
            return size() > KEEP_ENDED;
        }
    };

    /** Process {@code pid} of vNode {@code vnode} started: its stderr is kept from now on. */
    synchronized void started(long pid, String vnode) {
        running.put(pid, new Tail(vnode));
    }

    /** Bytes the process wrote to stderr; ignored for a process not {@link #started}. */
    synchronized void append(long pid, byte[] data) {
        Tail t = running.get(pid);
        if (t != null) {
            t.append(data, 0, data.length);
        }
    }

    /**
     * The process ended with {@code code}; {@code error} (if it died of an exception) is appended as a last line unless
     * the process already printed it there (a process-mode task reports its own death on its stderr).
     */
    synchronized void ended(long pid, int code, String error) {
        Tail t = running.remove(pid);
        if (t == null) {
            return;
        }
        if (!error.isEmpty() && !endsWith(t.bytes(), (error + "\n").getBytes(java.nio.charset.StandardCharsets.UTF_8))) {
            byte[] line = ("[" + error + "]\n").getBytes(java.nio.charset.StandardCharsets.UTF_8);
            t.append(line, 0, line.length);
        }
        t.running = false;
        t.exitCode = code;
        ended.put(pid, t);
    }

    private static boolean endsWith(byte[] bytes, byte[] suffix) {
        return bytes.length >= suffix.length
                && Arrays.equals(bytes, bytes.length - suffix.length, bytes.length, suffix, 0, suffix.length);
    }

    /** The vNode of a process whose stderr is kept, or null if none is. */
    synchronized String vnodeOf(long pid) {
        Tail t = running.containsKey(pid) ? running.get(pid) : ended.get(pid);
        return t == null ? null : t.vnode;
    }

    /** What is kept of the process's stderr, or null if nothing (never ran here, or ended too long ago). */
    synchronized ProcessLog get(long pid) {
        Tail t = running.containsKey(pid) ? running.get(pid) : ended.get(pid);
        return t == null ? null : new ProcessLog(pid, t.running, t.exitCode, t.written > KEEP_BYTES, t.bytes());
    }
}
