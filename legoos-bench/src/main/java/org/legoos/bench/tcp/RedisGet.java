package org.legoos.bench.tcp;

import java.io.DataInputStream;
import java.io.File;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;

/**
 * A well-known remote-memory baseline: {@code GET} of a 4 KiB value from a {@code redis-server} the harness
 * starts on a free loopback port (no persistence) and stops afterwards. The client speaks RESP itself over a
 * blocking socket, so no client library sits in the path.
 *
 * <p>Not thread-safe: one measuring thread.
 */
public final class RedisGet implements AutoCloseable {
    private static final String[] SEARCH = {"/usr/bin/redis-server", "/usr/local/bin/redis-server", "/usr/sbin/redis-server"};
    private final Process process;
    private final Socket socket;
    private final OutputStream out;
    private final DataInputStream in;
    private final byte[] get;
    private final byte[] reply;
    private final int valueBytes;

    private RedisGet(Process process, Socket socket, int valueBytes) throws IOException {
        this.process = process;
        this.socket = socket;
        this.valueBytes = valueBytes;
        this.out = socket.getOutputStream();
        this.in = new DataInputStream(socket.getInputStream());
        this.get = command("GET", "page");
        this.reply = new byte[("$" + valueBytes + "\r\n").length() + valueBytes + 2];
    }

    /** The {@code redis-server} executable, or null if it is not installed. */
    public static String findServer() {
        for (String p : SEARCH) {
            if (new File(p).canExecute()) {
                return p;
            }
        }
        String path = System.getenv("PATH");
        if (path != null) {
            for (String dir : path.split(File.pathSeparator)) {
                File f = new File(dir, "redis-server");
                if (f.canExecute()) {
                    return f.getPath();
                }
            }
        }
        return null;
    }

    /** Starts {@code redis-server} on a free loopback port and stores a {@code valueBytes} value under "page". */
    public static RedisGet start(String executable, int valueBytes) throws IOException, InterruptedException {
        int port;
        try (ServerSocket probe = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            port = probe.getLocalPort();
        }
        Process p = new ProcessBuilder(executable, "--port", String.valueOf(port), "--bind", "127.0.0.1",
                "--save", "", "--appendonly", "no", "--daemonize", "no", "--logfile", "")
                .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        Socket s = null;
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (s == null) {
            Socket attempt = new Socket();
            try {
                attempt.setTcpNoDelay(true);
                attempt.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 1_000);
                s = attempt;
            } catch (IOException notYet) {
                attempt.close();
                if (!p.isAlive() || System.nanoTime() > deadline) {
                    p.destroyForcibly();
                    throw new IOException("redis-server did not start on port " + port, notYet);
                }
                Thread.sleep(20);
            }
        }
        RedisGet r = new RedisGet(p, s, valueBytes);
        r.set(valueBytes);
        return r;
    }

    private void set(int bytes) throws IOException {
        byte[] value = new byte[bytes];
        for (int i = 0; i < bytes; i++) {
            value[i] = (byte) ('a' + i % 26);
        }
        out.write(command("SET", "page", new String(value, StandardCharsets.US_ASCII)));
        out.flush();
        String line = readLine();
        if (!line.equals("+OK")) {
            throw new IOException("redis SET answered " + line);
        }
    }

    /** One round trip: {@code GET page}, read the whole bulk reply. */
    public void roundTrip() throws IOException {
        out.write(get);
        in.readFully(reply);
        if (reply[0] != '$') {
            throw new IOException("unexpected redis reply: " + new String(reply, 0, Math.min(reply.length, 80), StandardCharsets.US_ASCII));
        }
    }

    /** The process id of the redis-server this started. */
    public long serverPid() {
        return process.pid();
    }

    public int valueBytes() {
        return valueBytes;
    }

    private String readLine() throws IOException {
        StringBuilder sb = new StringBuilder();
        for (int c = in.read(); c != '\r'; c = in.read()) {
            if (c < 0) {
                throw new IOException("redis closed the connection");
            }
            sb.append((char) c);
        }
        in.read(); // '\n'
        return sb.toString();
    }

    private static byte[] command(String... args) {
        StringBuilder sb = new StringBuilder("*").append(args.length).append("\r\n");
        for (String a : args) {
            sb.append('$').append(a.length()).append("\r\n").append(a).append("\r\n");
        }
        return sb.toString().getBytes(StandardCharsets.US_ASCII);
    }

    @Override
    public void close() throws IOException {
        try {
            socket.close();
        } finally {
            process.destroy();
            try {
                if (!process.waitFor(5, TimeUnit.SECONDS)) {
                    process.destroyForcibly();
                }
            } catch (InterruptedException e) {
                process.destroyForcibly();
                Thread.currentThread().interrupt();
            }
        }
    }
}
